use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::resource::v1::Resource as OtlpResource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;

use super::*;
use crate::otlp::OtlpBody;
use crate::resource::{AttributeValue, Resource};

fn kv(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.into())),
        }),
        ..Default::default()
    }
}

/// The Lambda attributes of the relay's tests (the wire tests' too).
pub(super) fn lambda() -> Enrichment {
    let str = |v: &str| AttributeValue::Str(v.into());
    Enrichment::from_resource(&Resource {
        attributes: vec![
            ("service.name".into(), str("from-env")),
            ("cloud.region".into(), str("eu-west-1")),
            ("faas.name".into(), str("checkout")),
            ("faas.max_memory".into(), AttributeValue::Int(134217728)),
        ],
    })
}

fn traces(service: &str, spans: usize) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(OtlpResource {
                attributes: vec![
                    kv("service.name", service),
                    kv("cloud.region", "sdk-region"),
                ],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans: (0..spans)
                    .map(|i| Span {
                        trace_id: vec![7; 16],
                        span_id: vec![i as u8 + 1; 8],
                        name: format!("span-{i}"),
                        start_time_unix_nano: 1_764_151_200_000_000_000,
                        end_time_unix_nano: 1_764_151_200_500_000_000,
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

fn attrs(resource: &Option<OtlpResource>) -> Vec<(String, String)> {
    let resource = resource.as_ref().expect("a resource");
    resource
        .attributes
        .iter()
        .map(|a| {
            let value = match a.value.as_ref().and_then(|v| v.value.as_ref()) {
                Some(any_value::Value::StringValue(s)) => s.clone(),
                Some(any_value::Value::IntValue(i)) => i.to_string(),
                other => format!("{other:?}"),
            };
            (a.key.clone(), value)
        })
        .collect()
}

fn received(request: &impl Message, signal: Signal) -> Received {
    receive(
        signal,
        Encoding::Protobuf,
        request.encode_to_vec(),
        &lambda(),
    )
    .unwrap()
    .unwrap()
}

#[test]
fn enrichment_adds_missing_lambda_attributes_and_keeps_the_sdks_own() {
    let got = received(&traces("orders", 2), Signal::Traces);
    assert_eq!(got.items, 2);
    let request = ExportTraceServiceRequest::decode(got.protobuf.as_slice()).unwrap();
    let want = [
        ("service.name", "orders"),
        ("cloud.region", "sdk-region"),
        ("faas.name", "checkout"),
        ("faas.max_memory", "134217728"),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(attrs(&request.resource_spans[0].resource), want);
    // Everything else is untouched.
    let mut unenriched = request.clone();
    unenriched.resource_spans[0].resource = traces("orders", 2).resource_spans[0].resource.clone();
    assert_eq!(unenriched, traces("orders", 2));
}

#[test]
fn a_resource_the_sdk_left_out_is_created_and_enrichment_can_be_off() {
    let mut request = traces("orders", 1);
    request.resource_spans[0].resource = None;
    let got = received(&request, Signal::Traces);
    let decoded = ExportTraceServiceRequest::decode(got.protobuf.as_slice()).unwrap();
    assert_eq!(attrs(&decoded.resource_spans[0].resource).len(), 4);

    let body = traces("orders", 1).encode_to_vec();
    let plain = receive(
        Signal::Traces,
        Encoding::Protobuf,
        body.clone(),
        &Enrichment::none(),
    );
    assert_eq!(plain.unwrap().unwrap().protobuf, body);
}

#[test]
fn json_and_protobuf_bodies_of_one_request_are_received_alike() {
    let json = br#"{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"orders"}}]},
        "scopeLogs":[{"scope":{"name":"app"},"logRecords":[{"timeUnixNano":"1764151200000000000","severityNumber":9,
        "body":{"stringValue":"paid"},"traceId":"07070707070707070707070707070707","spanId":"0101010101010101"}]}]}]}"#;
    let from_json = receive(Signal::Logs, Encoding::Json, json.to_vec(), &lambda())
        .unwrap()
        .unwrap();
    let request = ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: Some(OtlpResource {
                attributes: vec![kv("service.name", "orders")],
                ..Default::default()
            }),
            scope_logs: vec![ScopeLogs {
                scope: Some(
                    opentelemetry_proto::tonic::common::v1::InstrumentationScope {
                        name: "app".into(),
                        ..Default::default()
                    },
                ),
                log_records: vec![LogRecord {
                    time_unix_nano: 1_764_151_200_000_000_000,
                    severity_number: 9,
                    body: Some(AnyValue {
                        value: Some(any_value::Value::StringValue("paid".into())),
                    }),
                    trace_id: vec![7; 16],
                    span_id: vec![1; 8],
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    assert_eq!(from_json, received(&request, Signal::Logs));
    assert_eq!(from_json.items, 1);
}

#[test]
fn a_malformed_body_is_refused_with_a_reason_naming_the_signal() {
    let err = receive(
        Signal::Traces,
        Encoding::Protobuf,
        b"\xff\xff\xff".to_vec(),
        &lambda(),
    )
    .unwrap_err();
    assert!(
        matches!(&err, Refused::Malformed(m) if m.starts_with("not an OTLP traces protobuf request")),
        "{err:?}"
    );
    let err = receive(
        Signal::Metrics,
        Encoding::Json,
        b"{\"resourceMetrics\":".to_vec(),
        &lambda(),
    )
    .unwrap_err();
    assert!(
        matches!(&err, Refused::Malformed(m) if m.starts_with("not an OTLP/JSON metrics request")),
        "{err:?}"
    );
    // A valid but empty request has nothing to forward.
    assert_eq!(
        receive(Signal::Logs, Encoding::Json, b"{}".to_vec(), &lambda()),
        Ok(None)
    );
}

#[test]
fn requests_of_a_signal_merge_into_one_in_arrival_order() {
    let mut pending = Pending::new(1 << 20);
    for (i, service) in ["a", "b", "c"].into_iter().enumerate() {
        assert!(pending
            .push(received(&traces(service, i + 1), Signal::Traces))
            .is_empty());
        let log = ExportLogsServiceRequest {
            resource_logs: vec![ResourceLogs::default()],
        };
        assert!(pending.push(received(&log, Signal::Logs)).is_empty());
    }
    let batches = pending.take(Signal::Traces, 1 << 20, usize::MAX);
    assert_eq!(batches.len(), 1);
    let batch = &batches[0];
    assert_eq!((batch.items, batch.requests), (6, 3));
    let merged = ExportTraceServiceRequest::decode(batch.protobuf.as_slice()).unwrap();
    let services: Vec<String> = merged
        .resource_spans
        .iter()
        .map(|r| attrs(&r.resource)[0].1.clone())
        .collect();
    assert_eq!(services, ["a", "b", "c"]);
    // The logs are still there, and only they.
    assert!(pending.take(Signal::Traces, 1 << 20, usize::MAX).is_empty());
    assert_eq!(pending.take(Signal::Logs, 1 << 20, usize::MAX).len(), 1);
    assert!(pending.is_empty());
    assert_eq!(pending.bytes(), 0);
}

#[test]
fn batches_stay_under_the_request_size_but_never_split_a_request() {
    let mut pending = Pending::new(1 << 20);
    let one = received(&traces("a", 3), Signal::Traces);
    let size = one.protobuf.len();
    for _ in 0..5 {
        pending.push(one.clone());
    }
    let batches = pending.take(Signal::Traces, 2 * size, usize::MAX);
    let sizes: Vec<usize> = batches.iter().map(|b| b.requests).collect();
    assert_eq!(sizes, [2, 2, 1]);
    pending.push(one.clone());
    assert_eq!(pending.take(Signal::Traces, 1, usize::MAX).len(), 1);
}

#[test]
fn batches_for_a_json_backend_stay_within_the_value_budget() {
    let one = received(&traces("a", 3), Signal::Traces);
    let mut pending = Pending::new(1 << 20);
    for _ in 0..5 {
        pending.push(one.clone());
    }
    let batches = pending.take(Signal::Traces, usize::MAX, 2 * one.values);
    let sizes: Vec<(usize, usize)> = batches.iter().map(|b| (b.requests, b.values)).collect();
    let v = one.values;
    assert_eq!(sizes, [(2, 2 * v), (2, 2 * v), (1, v)]);
    // A request past the budget alone still makes a batch (the receiver refuses those
    // for a JSON backend, so none waits).
    pending.push(one.clone());
    assert_eq!(pending.take(Signal::Traces, usize::MAX, 1).len(), 1);
}

#[test]
fn a_request_past_the_json_budget_is_refused_for_a_json_backend_only() {
    let spans = |n: usize| ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans {
                spans: vec![Span::default(); n],
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    // The request, its entry, the resource created for the four Lambda attributes (each
    // a key-value and its value), the scope entry, the spans.
    let got = received(&spans(100), Signal::Traces);
    assert_eq!(got.values, 1 + 1 + 1 + 4 * 2 + 1 + 100);
    assert!(got.json_forwardable().is_ok());
    let at_budget = received(&spans(MAX_JSON_VALUES - 12), Signal::Traces);
    assert_eq!(at_budget.values, MAX_JSON_VALUES);
    assert!(at_budget.json_forwardable().is_ok());
    let past = received(&spans(MAX_JSON_VALUES - 11), Signal::Traces);
    let Err(Refused::TooLarge(err)) = past.json_forwardable() else {
        panic!("past the JSON budget and not refused as too large");
    };
    assert!(
        err.starts_with("the traces backend is configured for http/json")
            && err.contains("16385 objects and array elements, over the 16384"),
        "{err}"
    );
}

#[test]
fn overflow_sheds_the_oldest_requests_and_counts_their_items() {
    let span = received(&traces("a", 2), Signal::Traces);
    let size = span.protobuf.len();
    let mut pending = Pending::new(3 * size);
    for _ in 0..3 {
        assert!(pending.push(span.clone()).is_empty());
    }
    let shed = pending.push(span.clone());
    assert_eq!((shed.requests, shed.items), (1, [0, 2, 0]));
    assert_eq!(pending.bytes(), 3 * size);
    // Batches the backend did not take go back in front: they are shed first.
    let batches = pending.take(Signal::Traces, 2 * size, usize::MAX);
    assert_eq!(batches.len(), 2);
    for batch in batches.into_iter().rev() {
        assert!(pending.put_back(batch).is_empty());
    }
    let shed = pending.push(received(&traces("newest", 1), Signal::Traces));
    assert_eq!((shed.requests, shed.items), (1, [0, 4, 0]));
    let left = pending.take(Signal::Traces, usize::MAX, usize::MAX);
    let items: u64 = left.iter().map(|b| b.items).sum();
    assert_eq!(items, 2 + 1);
}

#[test]
fn a_batch_for_a_json_backend_is_otlp_json_without_nulls() {
    let mut request = traces("orders", 1);
    request.resource_spans[0].resource = None;
    let forward = Forward {
        signal: Signal::Traces,
        protobuf: request.encode_to_vec(),
        items: 1,
        values: 0,
        requests: 1,
    };
    let json = String::from_utf8(forward.json()).unwrap();
    assert!(!json.contains("null"), "{json}");
    assert!(
        json.contains(r#""traceId":"07070707070707070707070707070707""#),
        "{json}"
    );
    let back: ExportTraceServiceRequest = serde_json::from_str(&json).unwrap();
    assert_eq!(back, request);
}

#[test]
fn drops_are_counted_per_signal_and_reason() {
    let p = dropped(
        Signal::Logs,
        crate::self_metrics::DropReason::BufferFull,
        4,
        9,
    );
    assert_eq!(
        (p.key.name.as_str(), p.key.unit.as_str(), p.value),
        (OTLP_DROPPED, "{item}", 4.0)
    );
    let attrs: Vec<(&str, &str)> = p
        .key
        .attributes
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        attrs,
        [
            ("metricline.reason", "buffer_full"),
            ("metricline.signal", "logs")
        ]
    );
}

#[test]
fn a_request_too_large_once_enriched_is_refused_with_the_reason() {
    // 200 000 empty resource entries: 400 kB on the wire, ~60 MB with the Lambda attributes.
    let body = [0x0a, 0x00].repeat(200_000);
    let Err(Refused::TooLarge(err)) =
        receive(Signal::Logs, Encoding::Protobuf, body.clone(), &lambda())
    else {
        panic!("too large once enriched, and not refused as too large");
    };
    assert!(
        err.starts_with("200000 resource entries given the Lambda"),
        "{err}"
    );
    assert!(err.contains(&MAX_ENRICHED_BYTES.to_string()), "{err}");
    // Without enrichment there is nothing to grow: accepted as received.
    let plain = receive(
        Signal::Logs,
        Encoding::Protobuf,
        body.clone(),
        &Enrichment::none(),
    );
    assert_eq!(plain.unwrap().unwrap().protobuf, body);
}
