//! Protobuf body of an OTLP request built as opentelemetry-proto's message (requests made
//! by hand: tests, tools). Flushes write theirs from the export instead
//! (`request_protobuf.rs`).
//!
//! prost writes a nested message's length before it, computing it from scratch at every
//! level, so the deepest fields of a request (histogram buckets, attributes) would be
//! measured about seven times. The three envelope levels (request, resource metrics, scope
//! metrics) therefore go through [`Writer`], and prost writes only the messages inside
//! them; the bytes are prost's own (`proto/tests/otlp_encode.rs` checks that).

use prost::encoding::message;

use super::wire::Writer;
use super::ExportMetricsServiceRequest;

/// The request as protobuf bytes.
pub fn encode_protobuf(request: &ExportMetricsServiceRequest) -> Vec<u8> {
    let mut w = Writer::with_capacity(0);
    for rm in &request.resource_metrics {
        // ExportMetricsServiceRequest.resource_metrics
        w.message(1, |w| {
            if let Some(resource) = &rm.resource {
                message::encode(1, resource, &mut w.out);
            }
            for sm in &rm.scope_metrics {
                w.message(2, |w| {
                    if let Some(scope) = &sm.scope {
                        message::encode(1, scope, &mut w.out);
                    }
                    for metric in &sm.metrics {
                        message::encode(2, metric, &mut w.out);
                    }
                    w.string(3, &sm.schema_url);
                });
            }
            w.string(3, &rm.schema_url);
        });
    }
    w.out
}
