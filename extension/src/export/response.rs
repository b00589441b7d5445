//! Reading OTLP response bodies: the `partial_success` of an `ExportMetricsServiceResponse`
//! (protobuf or OTLP/JSON), the message of an error's `google.rpc.Status`, and the
//! `RetryInfo` delay of a throttled gRPC call.

use std::time::Duration;

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceResponse;
use prost::Message;

/// A success answer in which the backend rejected some points or left a warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Partial {
    pub rejected_points: u64,
    pub message: String,
}

fn partial(rejected: i64, message: String) -> Option<Partial> {
    let rejected_points = rejected.max(0) as u64;
    (rejected_points > 0 || !message.is_empty()).then_some(Partial {
        rejected_points,
        message,
    })
}

/// `None` for a full success. An undecodable body still means delivered: the status said so.
/// Trace and log responses have the same layout, so this reads theirs too.
pub(crate) fn partial_from_protobuf(body: &[u8]) -> Option<Partial> {
    let response = ExportMetricsServiceResponse::decode(body).ok()?;
    let p = response.partial_success?;
    partial(p.rejected_data_points, p.error_message)
}

/// OTLP/JSON: lowerCamelCase keys (snake_case accepted too), int64 as a string or a number.
pub(crate) fn partial_from_json(body: &[u8]) -> Option<Partial> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let p = field(&value, "partialSuccess", "partial_success")?;
    // Traces and logs name the count after their items; the wire layout is the same.
    let rejected = field(p, "rejectedDataPoints", "rejected_data_points")
        .or_else(|| field(p, "rejectedSpans", "rejected_spans"))
        .or_else(|| field(p, "rejectedLogRecords", "rejected_log_records"));
    let rejected = match rejected {
        Some(serde_json::Value::String(s)) => s.parse().unwrap_or(0),
        Some(v) => v.as_i64().unwrap_or(0),
        None => 0,
    };
    let message = field(p, "errorMessage", "error_message")
        .and_then(|m| m.as_str())
        .unwrap_or_default()
        .to_string();
    partial(rejected, message)
}

fn field<'a>(
    value: &'a serde_json::Value,
    camel: &str,
    snake: &str,
) -> Option<&'a serde_json::Value> {
    value.get(camel).or_else(|| value.get(snake))
}

/// `google.rpc.Status`, decoding only what a log line needs.
#[derive(Clone, PartialEq, Message)]
pub(crate) struct RpcStatus {
    #[prost(int32, tag = "1")]
    pub code: i32,
    #[prost(string, tag = "2")]
    pub message: String,
}

const MAX_REASON_CHARS: usize = 200;

/// The human part of an error body: a `google.rpc.Status` message (protobuf or JSON), else
/// the start of a text body (proxies answer in text or HTML), else nothing.
pub(crate) fn error_message(body: &[u8], json: bool) -> Option<String> {
    let message = if json {
        serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| v.get("message")?.as_str().map(str::to_string))
    } else {
        RpcStatus::decode(body).ok().map(|s| s.message)
    };
    let message = message
        .filter(|m| !m.is_empty())
        .or_else(|| std::str::from_utf8(body).ok().map(str::to_string))?;
    let message = message.trim();
    (!message.is_empty()).then(|| message.chars().take(MAX_REASON_CHARS).collect())
}

/// `google.rpc.Status` with its details, as sent in gRPC's `grpc-status-details-bin`.
#[derive(Clone, PartialEq, Message)]
struct RpcStatusWithDetails {
    #[prost(message, repeated, tag = "3")]
    details: Vec<ProtoAny>,
}

#[derive(Clone, PartialEq, Message)]
struct ProtoAny {
    #[prost(string, tag = "1")]
    type_url: String,
    #[prost(bytes = "vec", tag = "2")]
    value: Vec<u8>,
}

#[derive(Clone, PartialEq, Message)]
struct RetryInfo {
    #[prost(message, optional, tag = "1")]
    retry_delay: Option<ProtoDuration>,
}

#[derive(Clone, PartialEq, Message)]
struct ProtoDuration {
    #[prost(int64, tag = "1")]
    seconds: i64,
    #[prost(int32, tag = "2")]
    nanos: i32,
}

const RETRY_INFO_TYPE: &str = "type.googleapis.com/google.rpc.RetryInfo";

/// The `RetryInfo.retry_delay` of a gRPC status detail header (base64, padded or not), which
/// is what makes a RESOURCE_EXHAUSTED retryable per the OTLP spec.
pub(crate) fn grpc_retry_delay(status_details_bin: &str) -> Option<Duration> {
    use base64::engine::{general_purpose, DecodePaddingMode, GeneralPurpose};
    use base64::{alphabet, Engine};
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &alphabet::STANDARD,
        general_purpose::NO_PAD.with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let bytes = LENIENT.decode(status_details_bin.trim()).ok()?;
    let status = RpcStatusWithDetails::decode(bytes.as_slice()).ok()?;
    let detail = status
        .details
        .iter()
        .find(|d| d.type_url == RETRY_INFO_TYPE)?;
    let delay = RetryInfo::decode(detail.value.as_slice())
        .ok()?
        .retry_delay?;
    let seconds = u64::try_from(delay.seconds).ok()?;
    let nanos = u32::try_from(delay.nanos).ok()?;
    Some(Duration::new(seconds, nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_info_delay_is_read_from_the_status_details() {
        use base64::Engine;
        let info = RetryInfo {
            retry_delay: Some(ProtoDuration {
                seconds: 2,
                nanos: 500_000_000,
            }),
        };
        let status = RpcStatusWithDetails {
            details: vec![
                ProtoAny {
                    type_url: "type.googleapis.com/google.rpc.DebugInfo".into(),
                    value: vec![],
                },
                ProtoAny {
                    type_url: RETRY_INFO_TYPE.into(),
                    value: info.encode_to_vec(),
                },
            ],
        };
        let bytes = status.encode_to_vec();
        let unpadded = base64::engine::general_purpose::STANDARD_NO_PAD.encode(&bytes);
        let padded = base64::engine::general_purpose::STANDARD.encode(&bytes);
        assert_eq!(
            grpc_retry_delay(&unpadded),
            Some(Duration::from_millis(2500))
        );
        assert_eq!(grpc_retry_delay(&padded), Some(Duration::from_millis(2500)));
        let no_retry_info = RpcStatusWithDetails { details: vec![] }.encode_to_vec();
        let no_retry_info = base64::engine::general_purpose::STANDARD.encode(no_retry_info);
        assert_eq!(grpc_retry_delay(&no_retry_info), None);
        assert_eq!(grpc_retry_delay("%%%"), None);
    }
    use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsPartialSuccess;

    fn protobuf_response(rejected: i64, message: &str) -> Vec<u8> {
        ExportMetricsServiceResponse {
            partial_success: Some(ExportMetricsPartialSuccess {
                rejected_data_points: rejected,
                error_message: message.to_string(),
            }),
        }
        .encode_to_vec()
    }

    #[test]
    fn protobuf_partial_success_needs_rejections_or_a_message() {
        assert_eq!(partial_from_protobuf(&[]), None);
        assert_eq!(partial_from_protobuf(&protobuf_response(0, "")), None);
        assert_eq!(
            partial_from_protobuf(&protobuf_response(3, "too old")),
            Some(Partial {
                rejected_points: 3,
                message: "too old".into()
            })
        );
        assert_eq!(
            partial_from_protobuf(&protobuf_response(0, "deprecated field")),
            Some(Partial {
                rejected_points: 0,
                message: "deprecated field".into()
            })
        );
    }

    #[test]
    fn json_partial_success_accepts_string_and_number_counts() {
        assert_eq!(partial_from_json(b"{}"), None);
        assert_eq!(partial_from_json(b"{\"partialSuccess\":{}}"), None);
        let p = partial_from_json(
            br#"{"partialSuccess":{"rejectedDataPoints":"5","errorMessage":"x"}}"#,
        );
        assert_eq!(p.map(|p| p.rejected_points), Some(5));
        let p = partial_from_json(br#"{"partial_success":{"rejected_data_points":2}}"#);
        assert_eq!(p.map(|p| p.rejected_points), Some(2));
    }

    #[test]
    fn error_messages_come_from_status_or_text_bodies() {
        let status = RpcStatus {
            code: 3,
            message: "bad metric".into(),
        }
        .encode_to_vec();
        assert_eq!(error_message(&status, false).as_deref(), Some("bad metric"));
        assert_eq!(
            error_message(br#"{"code":3,"message":"bad json"}"#, true).as_deref(),
            Some("bad json")
        );
        assert_eq!(
            error_message(b"  upstream down\n", false).as_deref(),
            Some("upstream down")
        );
        assert_eq!(error_message(b"", false), None);
        assert_eq!(
            error_message(&"x".repeat(1000).into_bytes(), true)
                .unwrap()
                .len(),
            200
        );
    }
}
