//! A merged batch written as OTLP/JSON, for a backend configured for `http/json`.
//!
//! The batch is never decoded whole: its levels (`Resource…` entries, scope entries) are
//! walked on the wire and written by hand, and only one item (span, log record, metric),
//! one resource or one scope is decoded at a time, written, and dropped. What the batch
//! takes in memory is then its JSON text plus one item, and the text is bounded by the
//! batch's objects and array elements (`Pending::take`'s value budget).
//!
//! Items, resources and scopes go through opentelemetry-proto's serde derives (metrics
//! through metricline's own writer, [`crate::otlp`]); those derives write unset optional
//! fields as `null`, which the OTLP JSON mapping leaves out and some readers refuse, so a
//! pass over each value they wrote drops its `"name":null` members, in place.

use opentelemetry_proto::tonic::common::v1::InstrumentationScope;
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use opentelemetry_proto::tonic::metrics::v1::Metric;
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;
use serde::Serialize;

use super::json_budget::Strings;
use super::wire::payloads;
use super::Signal;

/// The OTLP/JSON of a request of `signal` (protobuf bytes already checked on receipt).
pub fn write(signal: Signal, request: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match signal {
        Signal::Metrics => write_request(
            &mut out,
            request,
            ["resourceMetrics", "scopeMetrics", "metrics"],
            |out, bytes| crate::otlp::metric_json(out, &Metric::decode(bytes).unwrap_or_default()),
        ),
        Signal::Traces => write_request(
            &mut out,
            request,
            ["resourceSpans", "scopeSpans", "spans"],
            serde_item::<Span>,
        ),
        Signal::Logs => write_request(
            &mut out,
            request,
            ["resourceLogs", "scopeLogs", "logRecords"],
            serde_item::<LogRecord>,
        ),
    }
    out
}

/// `{"<entries>":[{"resource":…,"<scopes>":[{"scope":…,"<items>":[…]}]}]}`. The
/// request's field 1 holds the `Resource…` entries; in an entry and in a scope entry alike,
/// field 1 is the resource (the scope), field 2 the repeated level below, field 3 the
/// schema URL.
fn write_request(
    out: &mut Vec<u8>,
    request: &[u8],
    [entries, scopes, items]: [&str; 3],
    item: impl Fn(&mut Vec<u8>, &[u8]),
) {
    out.push(b'{');
    array(out, entries, payloads(request, 1), |out, entry| {
        out.push(b'{');
        first_field::<Resource>(out, "resource", entry);
        array(out, scopes, payloads(entry, 2), |out, scope_entry| {
            out.push(b'{');
            first_field::<InstrumentationScope>(out, "scope", scope_entry);
            array(out, items, payloads(scope_entry, 2), &item);
            schema_url(out, scope_entry);
            out.push(b'}');
        });
        schema_url(out, entry);
        out.push(b'}');
    });
    out.push(b'}');
}

fn serde_item<M: Message + Default + Serialize>(out: &mut Vec<u8>, bytes: &[u8]) {
    // Checked on receipt against the schema, so it decodes; were it not to, the item is
    // written empty rather than failing the whole batch.
    serde(out, &M::decode(bytes).unwrap_or_default());
}

/// `value` through its serde derive, less its `null` members (dropped at once, so the
/// text never holds them).
fn serde(out: &mut Vec<u8>, value: &(impl Serialize + ?Sized)) {
    let start = out.len();
    serde_json::to_writer(&mut *out, value).expect("serializes into memory");
    drop_null_members(out, start);
}

fn key(out: &mut Vec<u8>, name: &str) {
    out.push(b'"');
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\":");
}

/// Member `name`, an array of `element` written for each of `elements`.
fn array<'a>(
    out: &mut Vec<u8>,
    name: &str,
    elements: impl Iterator<Item = &'a [u8]>,
    element: impl Fn(&mut Vec<u8>, &'a [u8]),
) {
    key(out, name);
    out.push(b'[');
    for (i, bytes) in elements.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        element(out, bytes);
    }
    out.push(b']');
}

/// `"name":…,` from field 1 of `message` when present, every occurrence merged as a
/// decode merges them (the enrichment appends attributes to a resource that way).
fn first_field<M: Message + Default + Serialize>(out: &mut Vec<u8>, name: &str, message: &[u8]) {
    let mut merged: Option<M> = None;
    for payload in payloads(message, 1) {
        merged.get_or_insert_with(M::default).merge(payload).ok();
    }
    if let Some(value) = merged {
        key(out, name);
        serde(out, &value);
        out.push(b',');
    }
}

/// `,"schemaUrl":"…"` from the last field 3, unless empty.
fn schema_url(out: &mut Vec<u8>, message: &[u8]) {
    let url = payloads(message, 3).last().unwrap_or_default();
    if let (false, Ok(url)) = (url.is_empty(), std::str::from_utf8(url)) {
        out.push(b',');
        key(out, "schemaUrl");
        serde(out, url);
    }
}

/// Drops the members whose value is `null` from the compact JSON value (serde_json's
/// output: no whitespace outside strings) that `json` holds from `start`, in place, with
/// the comma that separated each; a `null` element of an array stays. Strings are skipped
/// with their escapes, so text that reads `"x":null` inside a string is kept.
fn drop_null_members(json: &mut Vec<u8>, start: usize) {
    let (mut read, mut write) = (start, start);
    // Where the last string begun outside a string starts in the output: the key, when a
    // `:` follows it.
    let mut key_start = 0;
    let (mut strings, mut skip_comma) = (Strings::default(), false);
    while read < json.len() {
        let byte = json[read];
        read += 1;
        let structure = !strings.inside(byte);
        if structure && std::mem::take(&mut skip_comma) && byte == b',' {
            continue;
        }
        if structure && byte == b'"' {
            key_start = write;
        } else if structure && byte == b'n' && write > start && json[write - 1] == b':' {
            // `"name":null`: back to where the key began, and one comma goes: the one
            // before the member, or else (first member) the one after it.
            read += 3;
            write = key_start;
            if write > start && json[write - 1] == b',' {
                write -= 1;
            } else {
                skip_comma = true;
            }
            continue;
        }
        json[write] = byte;
        write += 1;
    }
    json.truncate(write);
}

#[cfg(test)]
mod tests {
    use super::drop_null_members;

    fn stripped(json: &str) -> String {
        let mut bytes = json.as_bytes().to_vec();
        drop_null_members(&mut bytes, 0);
        let text = String::from_utf8(bytes).unwrap();
        // The same after other text: only the value from `start` is touched.
        let mut after = br#"{"k":null,"v":"#.to_vec();
        let start = after.len();
        after.extend_from_slice(json.as_bytes());
        drop_null_members(&mut after, start);
        assert_eq!(&after[start..], text.as_bytes());
        text
    }

    #[test]
    fn null_members_go_with_their_comma() {
        assert_eq!(stripped(r#"{"a":null}"#), "{}");
        assert_eq!(stripped(r#"{"a":null,"b":1}"#), r#"{"b":1}"#);
        assert_eq!(stripped(r#"{"a":1,"b":null}"#), r#"{"a":1}"#);
        assert_eq!(stripped(r#"{"a":1,"b":null,"c":2}"#), r#"{"a":1,"c":2}"#);
        assert_eq!(stripped(r#"{"a":null,"b":null,"c":null}"#), "{}");
        assert_eq!(
            stripped(r#"{"a":null,"b":[],"c":null,"d":"x","e":null}"#),
            r#"{"b":[],"d":"x"}"#
        );
    }

    #[test]
    fn nested_objects_are_stripped_too() {
        assert_eq!(
            stripped(r#"{"a":{"b":null,"c":{"d":null}},"e":null}"#),
            r#"{"a":{"c":{}}}"#
        );
        assert_eq!(
            stripped(r#"[{"v":null},{"k":"x","v":null},{}]"#),
            r#"[{},{"k":"x"},{}]"#
        );
    }

    #[test]
    fn nulls_in_arrays_and_text_stay() {
        assert_eq!(stripped("[null,1,null]"), "[null,1,null]");
        assert_eq!(stripped(r#"{"a":[null,{"b":null}]}"#), r#"{"a":[null,{}]}"#);
        for text in [
            r#"{"a":"null"}"#,
            r#"{"a":"\"b\":null"}"#,
            r#"{"a":"x\\","b":"y"}"#,
            r#"{"\"k\":null":1}"#,
            r#"{"a":"\\\":null,\\"}"#,
            r#"{"a":"\u0022:null"}"#,
            "null",
            "{}",
            "",
        ] {
            assert_eq!(stripped(text), text);
        }
        assert_eq!(
            stripped(r#"{"a":"x\\","b":null,"c":"\":null"}"#),
            r#"{"a":"x\\","c":"\":null"}"#
        );
        assert_eq!(stripped(r#"{"a\"":null,"b":2}"#), r#"{"b":2}"#);
    }

    #[test]
    fn the_meaning_is_that_of_the_value_without_its_null_members() {
        let text = r#"{"a":null,"b":[null,{"c":null,"d":"n:null\\"},[{"e":null}]],"f":{"g":{"h":null}},"i":true,"j":null}"#;
        let expected =
            serde_json::json!({"b": [null, {"d": "n:null\\"}, [{}]], "f": {"g": {}}, "i": true});
        let got: serde_json::Value = serde_json::from_str(&stripped(text)).unwrap();
        assert_eq!(got, expected);
    }
}
