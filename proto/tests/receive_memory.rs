//! The receiver's memory per request is bounded by the body's size, whatever the body
//! holds (docs/otlp-receiver.md): the peak of live heap bytes while one hostile body of the
//! size limit is received, counted by a global allocator that follows this thread's
//! allocations. The decode path the receiver used before is measured beside it, to show
//! what the bound replaces. `cargo test -p metricline-proto --test receive_memory --
//! --nocapture` prints the figures. The last test does the same for a merged batch written
//! as OTLP/JSON for a backend configured for `http/json`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use metricline_proto::relay::{
    receive, Encoding, Enrichment, Refused, Signal, MAX_ENRICHED_BYTES, MAX_JSON_VALUES,
};
use metricline_proto::resource::{AttributeValue, Resource};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;

struct Peak;

thread_local! {
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

fn grow(bytes: usize) {
    let live = LIVE.with(|l| {
        l.set(l.get() + bytes);
        l.get()
    });
    PEAK.with(|p| p.set(p.get().max(live)));
}

fn shrink(bytes: usize) {
    LIVE.with(|l| l.set(l.get().saturating_sub(bytes)));
}

unsafe impl GlobalAlloc for Peak {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grow(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        shrink(layout.size());
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        grow(new_size);
        shrink(layout.size());
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static PEAK_ALLOCATOR: Peak = Peak;

/// Peak live bytes above those live before, while `f` runs (inputs made before it count
/// once they are handed to it, as the body is to `receive`).
fn peak_of<T>(input: T, f: impl FnOnce(T)) -> usize {
    let before = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(before));
    f(input);
    PEAK.with(Cell::get) - before
}

/// The receiver's body limit (the extension's `MAX_BODY`).
const BODY: usize = 2 << 20;

fn lambda() -> Enrichment {
    let s = |v: &str| AttributeValue::Str(v.into());
    Enrichment::from_resource(&Resource {
        attributes: [
            ("service.name", "orders"),
            ("cloud.provider", "aws"),
            ("cloud.platform", "aws_lambda"),
            ("cloud.region", "eu-west-1"),
            ("cloud.account.id", "123456789012"),
            ("faas.name", "orders"),
            ("faas.version", "$LATEST"),
            (
                "service.instance.id",
                "0b8e7c1e-1111-4222-8333-444455556666",
            ),
            ("host.arch", "x86_64"),
        ]
        .map(|(k, v)| (k.to_string(), s(v)))
        .to_vec(),
    })
}

fn field(number: u8, payload: &[u8], out: &mut Vec<u8>) {
    out.push(number << 3 | 2);
    prost::encoding::encode_varint(payload.len() as u64, out);
    out.extend_from_slice(payload);
}

/// `ResourceSpans{ScopeSpans{spans}}` around `spans`, the spans' field bytes.
fn traces_around(spans: &[u8]) -> Vec<u8> {
    let (mut entry, mut request) = (Vec::new(), Vec::new());
    field(2, spans, &mut entry);
    field(1, &entry, &mut request);
    request
}

/// Hostile protobuf bodies of about the size limit: each tiny entry costs two bytes on
/// the wire and a whole message once decoded.
fn protobuf_bodies() -> Vec<(&'static str, Vec<u8>)> {
    let n = (BODY - 64) / 2;
    let empty = |number: u8| [number << 3 | 2, 0].repeat(n);
    let mut one_span = Vec::new();
    field(2, &empty(9), &mut one_span); // a span of empty attributes
    vec![
        ("empty spans", traces_around(&empty(2))),
        ("one span of empty attributes", traces_around(&one_span)),
        ("empty resource entries", empty(1)[..BODY / 2].to_vec()),
        // As many as fit the enriched bound: the enriched copy is written.
        ("10 000 empty resource entries", empty(1)[..20_000].to_vec()),
    ]
}

/// What the receiver did before: decode, enrich, encode.
fn decode_path(body: Vec<u8>, enrichment: &Enrichment) {
    let mut request = ExportTraceServiceRequest::decode(body.as_slice()).unwrap();
    drop(body);

    for entry in &mut request.resource_spans {
        enrichment.apply(&mut entry.resource);
    }
    std::hint::black_box(request.encode_to_vec());
}

#[test]
fn a_protobuf_body_costs_at_most_itself_and_its_enriched_copy() {
    let enrichment = lambda();
    for (what, body) in protobuf_bodies() {
        let size = body.len();
        let before = peak_of(body.clone(), |b| decode_path(b, &enrichment));
        let now = peak_of(body, |b| {
            std::hint::black_box(receive(Signal::Traces, Encoding::Protobuf, b, &enrichment)).ok();
        });
        println!(
            "protobuf, {what}: body {size} B, decode path peak {before} B ({:.1}x), wire path peak {now} B ({:.1}x)",
            before as f64 / size as f64,
            now as f64 / size as f64
        );
        assert!(
            now <= size + MAX_ENRICHED_BYTES + (64 << 10),
            "{what}: {now} B"
        );
    }
}

/// Hostile OTLP/JSON bodies at the value budget: empty objects where the decode makes the
/// largest messages.
fn json_bodies() -> Vec<(&'static str, Vec<u8>)> {
    let n = MAX_JSON_VALUES - 8;
    let objects = vec!["{}"; n].join(",");
    let keyed = vec![r#"{"key":""}"#; n].join(",");
    let wrap = |inner: &str| inner.as_bytes().to_vec();
    vec![
        (
            "empty spans",
            wrap(&format!(
                r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{objects}]}}]}}]}}"#
            )),
        ),
        (
            "empty attributes",
            wrap(&format!(
                r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"attributes":[{keyed}]}}]}}]}}]}}"#
            )),
        ),
        (
            "empty resource entries",
            wrap(&format!(r#"{{"resourceSpans":[{objects}]}}"#)),
        ),
        (
            "empty scope entries",
            wrap(&format!(
                r#"{{"resourceSpans":[{{"scopeSpans":[{objects}]}}]}}"#
            )),
        ),
    ]
}

/// The most live bytes a JSON body within the budget may take while it is received.
const JSON_PEAK: usize = 8 << 20;

#[test]
fn a_json_body_within_the_value_budget_costs_a_bounded_amount() {
    let enrichment = lambda();
    for (what, body) in json_bodies() {
        let size = body.len();
        let now = peak_of(body, |b| {
            std::hint::black_box(receive(Signal::Traces, Encoding::Json, b, &enrichment)).ok();
        });
        println!(
            "JSON, {what}: body {size} B, peak {now} B ({:.0} B per value)",
            now as f64 / MAX_JSON_VALUES as f64
        );
        assert!(now <= JSON_PEAK, "{what}: {now} B");
    }
}

#[test]
fn a_json_body_past_the_value_budget_is_refused_before_it_is_decoded() {
    let objects = vec!["{}"; MAX_JSON_VALUES + 1].join(",");
    let body = format!(r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{objects}]}}]}}]}}"#);
    let size = body.len();
    let mut refused = None;
    let peak = peak_of(body.into_bytes(), |b| {
        refused = Some(receive(Signal::Traces, Encoding::Json, b, &lambda()));
    });
    let err = refused.unwrap().unwrap_err();
    assert!(
        matches!(&err, Refused::TooLarge(m) if m.contains("objects and array elements")),
        "{err:?}"
    );
    assert!(peak <= size + 4096, "refused without decoding: {peak} B");
}

/// Merged batches as a backend configured for `http/json` is sent them: the peak while
/// the batch is written as OTLP/JSON (`Forward::json`). The first is past the value
/// budget (a batch as they were merged before it); the others within it.
fn json_batches() -> Vec<(&'static str, Vec<u8>, usize)> {
    let empty_spans = |n: usize| traces_around(&[2 << 3 | 2, 0].repeat(n));
    let mut typical = Vec::new();
    for i in 0..512u32 {
        let mut span = Vec::new();
        field(1, &[7; 16], &mut span);
        field(2, &i.to_le_bytes().repeat(2), &mut span);
        field(5, format!("GET /orders/{i}").as_bytes(), &mut span);
        for a in 0..10 {
            let (mut kv, mut value) = (Vec::new(), Vec::new());
            field(1, format!("value-{a}-{i}").as_bytes(), &mut value);
            field(1, format!("attribute.{a}").as_bytes(), &mut kv);
            field(2, &value, &mut kv);
            field(9, &kv, &mut span);
        }
        field(2, &span, &mut typical);
    }
    let mut one_span = Vec::new();
    field(2, &[9 << 3 | 2, 0].repeat(16_380), &mut one_span);
    vec![
        (
            "128 Ki empty spans (256 KiB)",
            empty_spans(128 << 10),
            128 << 10,
        ),
        ("16 383 empty spans", empty_spans(16_383), 16_383),
        (
            "one span of 16 380 empty attributes",
            traces_around(&one_span),
            1,
        ),
        ("512 spans of 10 attributes", traces_around(&typical), 512),
    ]
}

/// What the relay did before: decode the whole batch, turn it into a value tree, drop its
/// `null` members, write it.
fn value_tree_path(protobuf: &[u8]) -> usize {
    fn drop_nulls(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                map.retain(|_, v| !v.is_null());
                map.values_mut().for_each(drop_nulls);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(drop_nulls),
            _ => {}
        }
    }
    let request = ExportTraceServiceRequest::decode(protobuf).unwrap();
    let mut value = serde_json::to_value(&request).unwrap();
    drop_nulls(&mut value);
    serde_json::to_vec(&value).unwrap().len()
}

/// The most live bytes writing a batch within the value budget as JSON may take.
const JSON_FORWARD_PEAK: usize = 8 << 20;

#[test]
fn a_batch_for_a_json_backend_is_written_within_a_bounded_amount() {
    use metricline_proto::otlp::OtlpBody;
    use metricline_proto::relay::Forward;
    for (i, (what, protobuf, items)) in json_batches().into_iter().enumerate() {
        let size = protobuf.len();
        let forward = Forward {
            signal: Signal::Traces,
            protobuf,
            items: items as u64,
            values: 0,
            requests: 1,
        };
        let before = peak_of(&forward, |f| {
            std::hint::black_box(value_tree_path(&f.protobuf));
        });
        let mut json_len = 0;
        let peak = peak_of(&forward, |f| {
            json_len = std::hint::black_box(f.json()).len()
        });
        println!(
            "JSON forward, {what}: protobuf {size} B, JSON {json_len} B, value tree path \
             peak {before} B, item by item peak {peak} B"
        );
        assert!(i == 0 || peak <= JSON_FORWARD_PEAK, "{what}: {peak} B");
    }
}
