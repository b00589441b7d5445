//! OTLP requests that a function's own OpenTelemetry SDK sent to the local receiver, on
//! their way to the backend (docs/otlp-receiver.md): checked, given the Lambda resource
//! attributes the SDK did not set by rewriting only the resources on the wire, held as
//! protobuf in a queue bounded in bytes, and batched per signal at the next flush.
//!
//! Pure like the rest of the crate: the receiver's sockets and the exporter live in the
//! extension.

mod enrich;
mod forward;
mod json_budget;
mod json_out;
mod pending;
mod receive;
mod wire;

pub use enrich::Enrichment;
pub use forward::Forward;
pub use json_budget::MAX_JSON_VALUES;
pub use pending::{Pending, Shed};
pub use receive::{receive, Encoding, Received, Refused, MAX_ENRICHED_BYTES};

use crate::model::{Kind, Point, StreamKey};
use crate::self_metrics::{DropReason, ATTR_REASON};

/// The three OTLP signals the receiver passes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Signal {
    Metrics,
    Traces,
    Logs,
}

impl Signal {
    pub const ALL: [Signal; 3] = [Signal::Metrics, Signal::Traces, Signal::Logs];

    /// The lowercase name used in URLs, variable names (upper-cased) and attributes.
    pub fn as_str(self) -> &'static str {
        match self {
            Signal::Metrics => "metrics",
            Signal::Traces => "traces",
            Signal::Logs => "logs",
        }
    }

    /// Position in [`Signal::ALL`], for per-signal arrays.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The OTLP/HTTP path, relative to a base URL.
    pub fn http_path(self) -> &'static str {
        match self {
            Signal::Metrics => "v1/metrics",
            Signal::Traces => "v1/traces",
            Signal::Logs => "v1/logs",
        }
    }

    /// The gRPC method of the signal's Export service.
    pub fn grpc_path(self) -> &'static str {
        match self {
            Signal::Metrics => "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
            Signal::Traces => "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
            Signal::Logs => "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
        }
    }

    /// What one item of the signal is, as counted in drops: a data point, a span, a log record.
    pub fn item(self) -> &'static str {
        match self {
            Signal::Metrics => "data point",
            Signal::Traces => "span",
            Signal::Logs => "log record",
        }
    }
}

/// Name of the self metric counting received items that never reached the backend.
pub const OTLP_DROPPED: &str = "metricline.otlp.dropped";
pub const ATTR_SIGNAL: &str = "metricline.signal";

/// `metricline.otlp.dropped`: `count` items (data points, spans or log records) of `signal`
/// lost for `reason`.
pub fn dropped(signal: Signal, reason: DropReason, count: u64, time_unix_nano: u64) -> Point {
    let attributes = vec![
        (ATTR_SIGNAL.to_owned(), signal.as_str().to_owned()),
        (ATTR_REASON.to_owned(), reason.as_str().to_owned()),
    ];
    Point {
        key: StreamKey::new(OTLP_DROPPED, "{item}", Kind::Sum, attributes),
        time_unix_nano,
        value: count as f64,
    }
}

#[cfg(test)]
mod tests;
