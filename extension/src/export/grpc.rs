//! OTLP/gRPC by hand over the HTTP/2 client: one unary `MetricsService/Export` call, framed
//! as gRPC length-prefixed messages, its status read from the trailers (or the headers of a
//! trailers-only answer). Doing this in ~100 lines keeps tonic and tower out of the binary.

use http::header::{CONTENT_TYPE, TE};
use http::{HeaderMap, HeaderValue, Uri};

use super::classify::{grpc_code, grpc_code_name, http_status, parse_retry_after, Verdict};
use super::config::percent_decode;
use super::http::header;
use super::response::{grpc_retry_delay, partial_from_protobuf};
use super::transport::{Answer, Prepared};
use super::{gzip, Attempt, OtlpBody, MAX_DECODED_ANSWER};

pub(crate) fn prepare(
    uri: &Uri,
    base_headers: &HeaderMap,
    gzip: bool,
    request: &(impl OtlpBody + ?Sized),
) -> Prepared {
    let message = request.protobuf();
    let (compressed_flag, payload) = if gzip {
        (1u8, gzip::compress(&message))
    } else {
        (0u8, message)
    };
    let mut body = Vec::with_capacity(5 + payload.len());
    body.push(compressed_flag);
    body.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    body.extend_from_slice(&payload);

    let mut headers = base_headers.clone();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/grpc"));
    headers.insert(TE, HeaderValue::from_static("trailers"));
    headers.insert("grpc-accept-encoding", HeaderValue::from_static("gzip"));
    if gzip {
        headers.insert("grpc-encoding", HeaderValue::from_static("gzip"));
    } else {
        // A user header must not claim an encoding the message does not have.
        headers.remove("grpc-encoding");
    }
    Prepared {
        uri: uri.clone(),
        headers,
        body: body.into(),
    }
}

pub(crate) fn interpret(answer: Answer, now: std::time::SystemTime) -> Attempt {
    if answer.status != http::StatusCode::OK {
        // Not a gRPC answer (a proxy's): gRPC maps 429/502/503/504 to UNAVAILABLE and the
        // rest to non-retryable codes, which is exactly the OTLP/HTTP rule.
        let reason = format!("HTTP {} from the gRPC endpoint", answer.status);
        return match http_status(answer.status.as_u16()) {
            Verdict::Retryable => Attempt::Retry {
                reason,
                retry_after: header(&answer.headers, "retry-after")
                    .and_then(|v| parse_retry_after(v, now)),
            },
            _ => Attempt::Rejected(reason),
        };
    }
    // A trailers-only answer carries the status in its headers.
    let status_headers = match &answer.trailers {
        Some(trailers) if trailers.contains_key("grpc-status") => trailers,
        _ => &answer.headers,
    };
    let Some(code) =
        header(status_headers, "grpc-status").and_then(|v| v.trim().parse::<u32>().ok())
    else {
        return Attempt::Rejected("gRPC answer without grpc-status".into());
    };
    let message = header(status_headers, "grpc-message")
        .map(|m| String::from_utf8_lossy(&percent_decode(m)).into_owned())
        .unwrap_or_default();
    let reason = || {
        let name = grpc_code_name(code);
        if message.is_empty() {
            format!("gRPC {name}")
        } else {
            format!("gRPC {name}: {message}")
        }
    };
    let retry_after = header(status_headers, "grpc-status-details-bin").and_then(grpc_retry_delay);
    match grpc_code(code, retry_after.is_some()) {
        Verdict::Delivered => {
            let compressed_by = header(&answer.headers, "grpc-encoding");
            Attempt::Delivered(
                response_message(&answer.body, compressed_by)
                    .and_then(|m| partial_from_protobuf(&m)),
            )
        }
        Verdict::Retryable => Attempt::Retry {
            reason: reason(),
            retry_after,
        },
        Verdict::Rejected => Attempt::Rejected(reason()),
    }
}

/// The first length-prefixed message of a response body, decompressed if flagged.
fn response_message(body: &[u8], encoding: Option<&str>) -> Option<Vec<u8>> {
    let (&flag, rest) = body.split_first()?;
    let len = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?) as usize;
    let payload = rest.get(4..4 + len)?;
    match flag {
        0 => Some(payload.to_vec()),
        1 if encoding.is_some_and(|e| e.eq_ignore_ascii_case("gzip")) => {
            gzip::decompress(payload, MAX_DECODED_ANSWER).ok()
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use opentelemetry_proto::tonic::collector::metrics::v1::{
        ExportMetricsPartialSuccess, ExportMetricsServiceResponse,
    };
    use prost::Message;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_static(v));
        }
        map
    }

    fn framed(flag: u8, payload: &[u8]) -> Bytes {
        let mut body = vec![flag];
        body.extend_from_slice(&(payload.len() as u32).to_be_bytes());
        body.extend_from_slice(payload);
        body.into()
    }

    fn answer(head: HeaderMap, body: Bytes, trailers: Option<HeaderMap>) -> Answer {
        Answer {
            status: http::StatusCode::OK,
            headers: head,
            body,
            trailers,
        }
    }

    #[test]
    fn prepare_frames_the_message_with_its_length_and_compression_flag() {
        let uri: Uri = "http://localhost:4317/x".parse().unwrap();
        let request = crate::export::ExportMetricsServiceRequest::default();
        let plain = prepare(&uri, &HeaderMap::new(), false, &request);
        assert_eq!(&plain.body[..], &[0, 0, 0, 0, 0]);
        assert_eq!(plain.headers["te"], "trailers");
        assert_eq!(plain.headers["content-type"], "application/grpc");
        let packed = prepare(&uri, &HeaderMap::new(), true, &request);
        assert_eq!(packed.body[0], 1);
        assert_eq!(packed.headers["grpc-encoding"], "gzip");
        let len = u32::from_be_bytes(packed.body[1..5].try_into().unwrap()) as usize;
        assert_eq!(packed.body.len(), 5 + len);
    }

    #[test]
    fn ok_in_trailers_with_a_partial_success_message() {
        let response = ExportMetricsServiceResponse {
            partial_success: Some(ExportMetricsPartialSuccess {
                rejected_data_points: 2,
                error_message: "dup".into(),
            }),
        };
        let body = framed(1, &gzip::compress(&response.encode_to_vec()));
        let attempt = interpret(
            answer(
                headers(&[("grpc-encoding", "gzip")]),
                body,
                Some(headers(&[("grpc-status", "0")])),
            ),
            std::time::SystemTime::now(),
        );
        match attempt {
            Attempt::Delivered(Some(p)) => {
                assert_eq!((p.rejected_points, p.message.as_str()), (2, "dup"))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn trailers_only_unavailable_is_retryable_and_invalid_argument_is_not() {
        let now = std::time::SystemTime::now();
        let unavailable = headers(&[("grpc-status", "14"), ("grpc-message", "try%20later")]);
        assert_eq!(
            interpret(answer(unavailable, Bytes::new(), None), now),
            Attempt::Retry {
                reason: "gRPC UNAVAILABLE: try later".into(),
                retry_after: None
            }
        );
        let invalid = headers(&[("grpc-status", "3")]);
        assert_eq!(
            interpret(answer(HeaderMap::new(), Bytes::new(), Some(invalid)), now),
            Attempt::Rejected("gRPC INVALID_ARGUMENT".into())
        );
        assert!(matches!(
            interpret(answer(HeaderMap::new(), Bytes::new(), None), now),
            Attempt::Rejected(_)
        ));
    }

    #[test]
    fn a_proxy_503_is_retryable() {
        let mut a = answer(headers(&[("retry-after", "1")]), Bytes::new(), None);
        a.status = http::StatusCode::SERVICE_UNAVAILABLE;
        assert!(matches!(
            interpret(a, std::time::SystemTime::now()),
            Attempt::Retry {
                retry_after: Some(_),
                ..
            }
        ));
    }
}
