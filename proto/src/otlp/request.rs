//! What an export sends: a [`Request`] borrows the resource and the aggregator's
//! [`Export`] and is written straight into a body, while the message type of
//! opentelemetry-proto serves requests built by hand (tests, tools). [`OtlpBody`] lets the
//! exporter send either.

use super::{encode, encode_json, encode_protobuf, request_protobuf, ExportMetricsServiceRequest};
use crate::aggregate::{AggregationConfig, Export};
use crate::resource::Resource;

/// One `ExportMetricsServiceRequest`, not yet encoded.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub resource: &'a Resource,
    pub export: &'a Export,
    pub config: &'a AggregationConfig,
}

impl Request<'_> {
    /// The request as opentelemetry-proto's message: what the protobuf body decodes to.
    pub fn to_message(&self) -> ExportMetricsServiceRequest {
        encode(self.resource, self.export, self.config)
    }
}

/// A request the exporter can send in either OTLP encoding.
pub trait OtlpBody {
    /// No data point: the OTLP spec asks exporters not to send it.
    fn is_empty(&self) -> bool;
    fn protobuf(&self) -> Vec<u8>;
    fn json(&self) -> Vec<u8>;
}

impl OtlpBody for Request<'_> {
    fn is_empty(&self) -> bool {
        self.export
            .streams
            .iter()
            .all(|(_, points)| points.is_empty())
    }
    /// Written from the export in one pass, without building the message first: the flush
    /// at the end of an invoke is on the function's clock.
    fn protobuf(&self) -> Vec<u8> {
        request_protobuf::write(self)
    }
    fn json(&self) -> Vec<u8> {
        encode_json(&self.to_message())
    }
}

impl OtlpBody for ExportMetricsServiceRequest {
    fn is_empty(&self) -> bool {
        self.resource_metrics.is_empty()
    }
    fn protobuf(&self) -> Vec<u8> {
        encode_protobuf(self)
    }
    fn json(&self) -> Vec<u8> {
        encode_json(self)
    }
}
