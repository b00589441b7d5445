//! OTLP/JSON (the `http/json` protocol).
//!
//! opentelemetry-proto's `with-serde` derives already follow the OTLP JSON mapping:
//! lowerCamelCase field names, enums (aggregation temporality) as integers, 64-bit
//! integers (`timeUnixNano`, `startTimeUnixNano`, `count`, `bucketCounts`, `zeroCount`,
//! `intValue`) as decimal strings, trace and span ids as hex. One gap: an unset optional
//! field (a histogram's `sum` after negative samples) comes out as `null`, which the
//! Collector's OTLP/JSON reader refuses for numbers, so nulls are left out instead, as
//! the protobuf JSON mapping allows. `proto/tests/otlp_json.rs` checks these rules.

use serde_json::Value as Json;

use super::ExportMetricsServiceRequest;

/// The request as an OTLP/JSON body.
pub fn encode_json(request: &ExportMetricsServiceRequest) -> Vec<u8> {
    // Serializing plain data cannot fail: no I/O, and every map key is a string.
    let mut doc = serde_json::to_value(request).expect("OTLP request serializes to JSON");
    drop_nulls(&mut doc);
    serde_json::to_vec(&doc).expect("JSON value serializes")
}

fn drop_nulls(doc: &mut Json) {
    match doc {
        Json::Object(members) => {
            members.retain(|_, value| !value.is_null());
            members.values_mut().for_each(drop_nulls);
        }
        Json::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}
