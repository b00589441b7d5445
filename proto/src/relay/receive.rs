//! One received OTLP request: decoded from protobuf or OTLP/JSON, enriched, and re-encoded
//! as protobuf, the form it waits in and is forwarded in (whatever the backend's protocol,
//! protobuf is the compact one to hold).

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use opentelemetry_proto::tonic::resource::v1::Resource as OtlpResource;
use prost::Message;
use serde::de::DeserializeOwned;

use super::{Enrichment, Signal};

/// How the request body is encoded (its `Content-Type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Protobuf,
    Json,
}

/// A request ready to wait for the next flush.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    pub signal: Signal,
    /// The enriched request, protobuf-encoded.
    pub protobuf: Vec<u8>,
    /// Data points, spans or log records in it: what a drop of this request loses.
    pub items: u64,
}

/// Why a body is not an OTLP request of its signal: answered with 400 and this text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed(pub String);

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Decodes `body` as an `Export<Signal>ServiceRequest`, enriches each of its resources and
/// re-encodes it. `Ok(None)`: a valid request without any resource (nothing to forward).
/// Takes the body to free it as soon as it is decoded: a large request is then held twice
/// at most (decoded and re-encoded), not three times.
pub fn receive(
    signal: Signal,
    encoding: Encoding,
    body: Vec<u8>,
    enrichment: &Enrichment,
) -> Result<Option<Received>, Malformed> {
    match signal {
        Signal::Metrics => {
            receive_as::<ExportMetricsServiceRequest>(signal, encoding, body, enrichment)
        }
        Signal::Traces => {
            receive_as::<ExportTraceServiceRequest>(signal, encoding, body, enrichment)
        }
        Signal::Logs => receive_as::<ExportLogsServiceRequest>(signal, encoding, body, enrichment),
    }
}

fn receive_as<R: SignalRequest>(
    signal: Signal,
    encoding: Encoding,
    body: Vec<u8>,
    enrichment: &Enrichment,
) -> Result<Option<Received>, Malformed> {
    let mut request: R = match encoding {
        Encoding::Protobuf => R::decode(body.as_slice()).map_err(|e| {
            Malformed(format!(
                "not an OTLP {} protobuf request: {e}",
                signal.as_str()
            ))
        })?,
        Encoding::Json => serde_json::from_slice(&body)
            .map_err(|e| Malformed(format!("not an OTLP/JSON {} request: {e}", signal.as_str())))?,
    };
    drop(body);
    if request.is_empty() {
        return Ok(None);
    }
    request.for_each_resource(|resource| enrichment.apply(resource));
    Ok(Some(Received {
        signal,
        items: request.items(),
        protobuf: request.encode_to_vec(),
    }))
}

/// What differs between the three request types.
pub(super) trait SignalRequest: Message + Default + DeserializeOwned {
    fn is_empty(&self) -> bool;
    fn for_each_resource(&mut self, f: impl FnMut(&mut Option<OtlpResource>));
    fn items(&self) -> u64;
}

impl SignalRequest for ExportMetricsServiceRequest {
    fn is_empty(&self) -> bool {
        self.resource_metrics.is_empty()
    }
    fn for_each_resource(&mut self, mut f: impl FnMut(&mut Option<OtlpResource>)) {
        self.resource_metrics
            .iter_mut()
            .for_each(|r| f(&mut r.resource));
    }
    fn items(&self) -> u64 {
        let metrics = self.resource_metrics.iter().flat_map(|r| &r.scope_metrics);
        let points = |data: &Data| match data {
            Data::Gauge(g) => g.data_points.len(),
            Data::Sum(s) => s.data_points.len(),
            Data::Histogram(h) => h.data_points.len(),
            Data::ExponentialHistogram(h) => h.data_points.len(),
            Data::Summary(s) => s.data_points.len(),
        };
        metrics
            .flat_map(|s| &s.metrics)
            .filter_map(|m| m.data.as_ref())
            .map(|d| points(d) as u64)
            .sum()
    }
}

impl SignalRequest for ExportTraceServiceRequest {
    fn is_empty(&self) -> bool {
        self.resource_spans.is_empty()
    }
    fn for_each_resource(&mut self, mut f: impl FnMut(&mut Option<OtlpResource>)) {
        self.resource_spans
            .iter_mut()
            .for_each(|r| f(&mut r.resource));
    }
    fn items(&self) -> u64 {
        let scopes = self.resource_spans.iter().flat_map(|r| &r.scope_spans);
        scopes.map(|s| s.spans.len() as u64).sum()
    }
}

impl SignalRequest for ExportLogsServiceRequest {
    fn is_empty(&self) -> bool {
        self.resource_logs.is_empty()
    }
    fn for_each_resource(&mut self, mut f: impl FnMut(&mut Option<OtlpResource>)) {
        self.resource_logs
            .iter_mut()
            .for_each(|r| f(&mut r.resource));
    }
    fn items(&self) -> u64 {
        let scopes = self.resource_logs.iter().flat_map(|r| &r.scope_logs);
        scopes.map(|s| s.log_records.len() as u64).sum()
    }
}
