//! One request on its way to the backend: the received requests of one signal, merged.
//!
//! Merging costs nothing: concatenated protobuf encodings of one message type decode as one
//! message whose repeated fields hold every part's entries in order, so the concatenation
//! of several `Export…ServiceRequest`s is one request listing all their resources.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;
use serde::Serialize;

use super::Signal;
use crate::otlp::{encode_json, OtlpBody};

#[derive(Debug, Clone, PartialEq)]
pub struct Forward {
    pub signal: Signal,
    pub protobuf: Vec<u8>,
    /// Items (data points, spans, log records) in it.
    pub items: u64,
    /// How many received requests it merges.
    pub requests: usize,
}

impl OtlpBody for Forward {
    fn is_empty(&self) -> bool {
        self.protobuf.is_empty()
    }

    fn protobuf(&self) -> Vec<u8> {
        self.protobuf.clone()
    }

    /// Only for a backend configured for `http/json`. The bytes were encoded by us from a
    /// decoded request, so they decode again; should that ever fail, the body is empty and
    /// the backend's 400 makes the loss counted.
    fn json(&self) -> Vec<u8> {
        let bytes = self.protobuf.as_slice();
        match self.signal {
            Signal::Metrics => ExportMetricsServiceRequest::decode(bytes)
                .map(|r| encode_json(&r))
                .unwrap_or_default(),
            Signal::Traces => ExportTraceServiceRequest::decode(bytes)
                .map(|r| without_nulls(&r))
                .unwrap_or_default(),
            Signal::Logs => ExportLogsServiceRequest::decode(bytes)
                .map(|r| without_nulls(&r))
                .unwrap_or_default(),
        }
    }
}

/// OTLP/JSON through opentelemetry-proto's serde derives, minus the `null`s they write for
/// unset optional fields: the OTLP JSON mapping leaves unset fields out, and some readers
/// refuse a `null`.
fn without_nulls(request: &impl Serialize) -> Vec<u8> {
    let mut value = serde_json::to_value(request).unwrap_or_default();
    drop_nulls(&mut value);
    serde_json::to_vec(&value).unwrap_or_default()
}

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
