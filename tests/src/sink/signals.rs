//! Traces and logs, as the OTLP receiver of the extension passes them through:
//! `POST /v1/traces` and `/v1/logs` (protobuf or OTLP/JSON, optional gzip), recorded whole
//! and answered in the request's content type; faults apply as for metrics.

use bytes::Bytes;
use http::{Response, StatusCode};
use http_body_util::Full;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;

use super::http::reply;
use super::state::{Answer, Shared};

/// One accepted traces or logs request.
#[derive(Debug, Clone, PartialEq)]
pub enum SignalRequest {
    Traces(ExportTraceServiceRequest),
    Logs(ExportLogsServiceRequest),
}

/// Whether `path` is one this module serves.
pub(super) fn serves(path: &str) -> bool {
    matches!(path, "/v1/traces" | "/v1/logs")
}

/// Decodes, records and answers one request whose body is already read and gunzipped.
pub(super) async fn handle(
    shared: &Shared,
    path: &str,
    json: bool,
    body: &[u8],
) -> Response<Full<Bytes>> {
    let decoded = match (path, json) {
        ("/v1/traces", false) => ExportTraceServiceRequest::decode(body)
            .map(SignalRequest::Traces)
            .map_err(|e| e.to_string()),
        ("/v1/traces", true) => serde_json::from_slice(body)
            .map(SignalRequest::Traces)
            .map_err(|e| e.to_string()),
        (_, false) => ExportLogsServiceRequest::decode(body)
            .map(SignalRequest::Logs)
            .map_err(|e| e.to_string()),
        (_, true) => serde_json::from_slice(body)
            .map(SignalRequest::Logs)
            .map_err(|e| e.to_string()),
    };
    let request = match decoded {
        Ok(request) => request,
        Err(reason) => {
            shared.admit();
            shared.decode_error(format!("{path}: {reason}"));
            return reply(StatusCode::BAD_REQUEST, "text/plain", reason.into_bytes());
        }
    };
    match shared.handle_signal(request).await {
        Answer::Fault(fault) => super::http::fault_reply(fault),
        // An empty response of either signal is zero bytes in protobuf and `{}` in JSON.
        _ if json => reply(StatusCode::OK, "application/json", b"{}".to_vec()),
        _ => reply(StatusCode::OK, "application/x-protobuf", Vec::new()),
    }
}
