//! OTLP/JSON (the `http/json` protocol).
//!
//! opentelemetry-proto's `with-serde` derives already follow the OTLP JSON mapping:
//! lowerCamelCase field names, enums (aggregation temporality) as integers, 64-bit
//! integers (`timeUnixNano`, `startTimeUnixNano`, `count`, `bucketCounts`, `zeroCount`,
//! `intValue`) as decimal strings, trace and span ids as hex. So the request is serialized
//! with serde_json as is; `proto/tests/otlp_json.rs` checks those rules on real output.

use super::ExportMetricsServiceRequest;

/// The request as an OTLP/JSON body.
pub fn encode_json(request: &ExportMetricsServiceRequest) -> Vec<u8> {
    // Serializing plain data into a Vec cannot fail: no I/O, no maps with non-string keys.
    serde_json::to_vec(request).expect("OTLP request serializes to JSON")
}
