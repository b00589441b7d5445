//! Protobuf body of an OTLP request (`http/protobuf`, and the gRPC message).
//!
//! prost writes a nested message's length before it, computing it from scratch at every
//! level, so the deepest fields of a request (histogram buckets, attributes) would be
//! measured about seven times. The three envelope levels (request, resource metrics, scope
//! metrics) are therefore written here from already encoded metrics; the bytes are the same
//! as prost's own (`proto/tests/otlp_encode.rs` checks that).

use opentelemetry_proto::tonic::metrics::v1::{ResourceMetrics, ScopeMetrics};
use prost::encoding::{encode_key, encode_varint, message, string, WireType};

use super::ExportMetricsServiceRequest;

/// The request as protobuf bytes.
pub fn encode_protobuf(request: &ExportMetricsServiceRequest) -> Vec<u8> {
    let mut out = Vec::new();
    for rm in &request.resource_metrics {
        // ExportMetricsServiceRequest.resource_metrics = 1
        length_delimited(1, &resource_metrics(rm), &mut out);
    }
    out
}

fn resource_metrics(rm: &ResourceMetrics) -> Vec<u8> {
    let mut out = Vec::new();
    if let Some(resource) = &rm.resource {
        message::encode(1, resource, &mut out);
    }
    for sm in &rm.scope_metrics {
        length_delimited(2, &scope_metrics(sm), &mut out);
    }
    if !rm.schema_url.is_empty() {
        string::encode(3, &rm.schema_url, &mut out);
    }
    out
}

fn scope_metrics(sm: &ScopeMetrics) -> Vec<u8> {
    let mut out = Vec::new();
    if let Some(scope) = &sm.scope {
        message::encode(1, scope, &mut out);
    }
    for metric in &sm.metrics {
        message::encode(2, metric, &mut out);
    }
    if !sm.schema_url.is_empty() {
        string::encode(3, &sm.schema_url, &mut out);
    }
    out
}

fn length_delimited(tag: u32, body: &[u8], out: &mut Vec<u8>) {
    encode_key(tag, WireType::LengthDelimited, out);
    encode_varint(body.len() as u64, out);
    out.extend_from_slice(body);
}
