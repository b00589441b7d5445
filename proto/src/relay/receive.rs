//! One received OTLP request, made ready to wait and be forwarded as protobuf (whatever the
//! backend's protocol, protobuf is the compact form to hold). A protobuf body is checked,
//! counted and enriched on the wire ([`super::wire`]), so that its memory is bounded by its
//! size whatever it holds; an OTLP/JSON body is decoded, within the budget of
//! [`super::json_budget`], encoded as protobuf, and then takes the same way.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;
use serde::de::DeserializeOwned;

use super::{json_budget, wire, Enrichment, Signal, MAX_JSON_VALUES};

/// The largest request once enriched, the size of the largest batch forwarded: the added
/// attributes weigh a few hundred bytes per resource entry, so a body of thousands of
/// empty entries could otherwise grow a hundredfold.
pub const MAX_ENRICHED_BYTES: usize = 4 << 20;

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
    /// Objects and array elements of its OTLP/JSON: what writing it as JSON costs.
    pub values: usize,
}

impl Received {
    /// Whether the request can be forwarded to a backend configured for `http/json`: its
    /// JSON must hold at most [`MAX_JSON_VALUES`] objects and array elements, the budget
    /// of a received JSON body, since a batch is written as JSON whole. A request past it
    /// is refused when received (413 with this reason), not dropped later.
    pub fn json_forwardable(&self) -> Result<(), Refused> {
        if self.values <= MAX_JSON_VALUES {
            return Ok(());
        }
        Err(Refused::TooLarge(format!(
            "the {} backend is configured for http/json, and this request written as JSON \
             would hold {} objects and array elements, over the {MAX_JSON_VALUES} a \
             forwarded JSON request may hold: send smaller batches",
            self.signal.as_str(),
            self.values
        )))
    }
}

/// Why the receiver refuses a request, with the text it answers: the variant decides the
/// status, so that every size bound answers as the body size limit does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// Not an OTLP request of its signal: 400 (gRPC: INVALID_ARGUMENT).
    Malformed(String),
    /// A valid request past one of the receiver's size bounds: 413 (gRPC:
    /// RESOURCE_EXHAUSTED), as a body over the size limit.
    TooLarge(String),
}

impl Refused {
    pub fn message(&self) -> &str {
        match self {
            Refused::Malformed(message) | Refused::TooLarge(message) => message,
        }
    }
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

/// Checks `body` as an `Export<Signal>ServiceRequest` and enriches each of its resources.
/// `Ok(None)`: a valid request without any resource entry (nothing to forward). Takes the
/// body to free it as soon as it is no longer needed.
pub fn receive(
    signal: Signal,
    encoding: Encoding,
    body: Vec<u8>,
    enrichment: &Enrichment,
) -> Result<Option<Received>, Refused> {
    let body = match encoding {
        Encoding::Protobuf => body,
        Encoding::Json => json_to_protobuf(signal, body)?,
    };
    wire::check(signal, &body).map_err(|e| {
        Refused::Malformed(format!(
            "not an OTLP {} protobuf request: {e}",
            signal.as_str()
        ))
    })?;
    let entries = wire::entries(&body);
    if entries == 0 {
        return Ok(None);
    }
    let items = wire::items(signal, &body);
    let protobuf = if enrichment.is_empty() {
        body
    } else {
        wire::enrich(&body, enrichment.added(), MAX_ENRICHED_BYTES).map_err(|size| {
            Refused::TooLarge(format!(
                "{entries} resource entries given the Lambda resource attributes would weigh \
                 {size} bytes, over {MAX_ENRICHED_BYTES}: send fewer resource entries per request"
            ))
        })?
    };
    let values = wire::values(signal, &protobuf);
    Ok(Some(Received {
        signal,
        protobuf,
        items,
        values,
    }))
}

fn json_to_protobuf(signal: Signal, body: Vec<u8>) -> Result<Vec<u8>, Refused> {
    let bad = |e: String| {
        Refused::Malformed(format!("not an OTLP/JSON {} request: {e}", signal.as_str()))
    };
    json_budget::check(&body).map_err(|over| match over {
        json_budget::Over::Budget(why) => {
            Refused::TooLarge(format!("OTLP/JSON {} request of {why}", signal.as_str()))
        }
        json_budget::Over::Depth(why) => bad(why),
    })?;
    match signal {
        Signal::Metrics => transcode::<ExportMetricsServiceRequest>(body),
        Signal::Traces => transcode::<ExportTraceServiceRequest>(body),
        Signal::Logs => transcode::<ExportLogsServiceRequest>(body),
    }
    .map_err(|e| bad(e.to_string()))
}

/// Decodes OTLP/JSON (opentelemetry-proto's serde derives) and encodes it as protobuf,
/// freeing the text before the encoding is made.
fn transcode<R: Message + DeserializeOwned>(body: Vec<u8>) -> Result<Vec<u8>, serde_json::Error> {
    let request: R = serde_json::from_slice(&body)?;
    drop(body);
    Ok(request.encode_to_vec())
}
