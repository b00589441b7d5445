//! OTLP/HTTP (`http/protobuf` and `http/json`): the POST to `/v1/metrics` and what its
//! answer means.

use std::time::SystemTime;

use http::header::{CONTENT_ENCODING, CONTENT_TYPE, RETRY_AFTER};
use http::{HeaderMap, HeaderValue, Uri};

use super::classify::{http_status, parse_retry_after, Verdict};
use super::response::{error_message, partial_from_json, partial_from_protobuf};
use super::transport::{Answer, Prepared};
use super::{gzip, Attempt, OtlpBody, MAX_DECODED_ANSWER};

const PROTOBUF: &str = "application/x-protobuf";
const JSON: &str = "application/json";

pub(crate) fn prepare(
    uri: &Uri,
    base_headers: &HeaderMap,
    json: bool,
    gzip: bool,
    request: &(impl OtlpBody + ?Sized),
) -> Prepared {
    let body = if json {
        request.json()
    } else {
        request.protobuf()
    };
    let mut headers = base_headers.clone();
    let content_type = if json { JSON } else { PROTOBUF };
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    let body = if gzip {
        headers.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        gzip::compress(&body)
    } else {
        // A user header must not claim an encoding the body does not have.
        headers.remove(CONTENT_ENCODING);
        body
    };
    Prepared {
        uri: uri.clone(),
        headers,
        body: body.into(),
    }
}

pub(crate) fn interpret(answer: Answer, sent_json: bool, now: SystemTime) -> Attempt {
    let gzipped = header(&answer.headers, CONTENT_ENCODING.as_str())
        .is_some_and(|v| v.eq_ignore_ascii_case("gzip"));
    let body = if gzipped {
        gzip::decompress(&answer.body, MAX_DECODED_ANSWER).unwrap_or_default()
    } else {
        answer.body.to_vec()
    };
    // The answer's encoding follows the request's; trust what the backend says it sent.
    let json = match header(&answer.headers, CONTENT_TYPE.as_str()) {
        Some(content_type) => content_type.to_ascii_lowercase().starts_with(JSON),
        None => sent_json,
    };
    let status = answer.status;
    let reason = || match error_message(&body, json) {
        Some(message) => format!("HTTP {status}: {message}"),
        None => format!("HTTP {status}"),
    };
    match http_status(status.as_u16()) {
        Verdict::Delivered if json => Attempt::Delivered(partial_from_json(&body)),
        Verdict::Delivered => Attempt::Delivered(partial_from_protobuf(&body)),
        Verdict::Retryable => Attempt::Retry {
            reason: reason(),
            retry_after: header(&answer.headers, RETRY_AFTER.as_str())
                .and_then(|v| parse_retry_after(v, now)),
        },
        Verdict::Rejected => Attempt::Rejected(reason()),
    }
}

pub(crate) fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use http::StatusCode;
    use std::time::Duration;

    fn answer(status: u16, headers: &[(&'static str, &'static str)], body: &[u8]) -> Answer {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.insert(*k, HeaderValue::from_static(v));
        }
        Answer {
            status: StatusCode::from_u16(status).unwrap(),
            headers: map,
            body: Bytes::copy_from_slice(body),
            trailers: None,
        }
    }

    #[test]
    fn a_503_with_retry_after_is_retried_after_that_delay() {
        let attempt = interpret(
            answer(503, &[("retry-after", "3")], b"overloaded"),
            false,
            SystemTime::now(),
        );
        assert_eq!(
            attempt,
            Attempt::Retry {
                reason: "HTTP 503 Service Unavailable: overloaded".into(),
                retry_after: Some(Duration::from_secs(3)),
            }
        );
    }

    #[test]
    fn a_400_is_rejected_with_the_status_message() {
        let attempt = interpret(
            answer(
                400,
                &[("content-type", "application/json")],
                br#"{"code":3,"message":"no metrics"}"#,
            ),
            false,
            SystemTime::now(),
        );
        assert_eq!(
            attempt,
            Attempt::Rejected("HTTP 400 Bad Request: no metrics".into())
        );
    }

    #[test]
    fn a_gzipped_json_partial_success_is_read() {
        let body = gzip::compress(
            br#"{"partialSuccess":{"rejectedDataPoints":"4","errorMessage":"old"}}"#,
        );
        let attempt = interpret(
            answer(
                200,
                &[
                    ("content-type", "application/json"),
                    ("content-encoding", "gzip"),
                ],
                &body,
            ),
            false,
            SystemTime::now(),
        );
        match attempt {
            Attempt::Delivered(Some(p)) => {
                assert_eq!((p.rejected_points, p.message.as_str()), (4, "old"))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_answer_without_content_type_is_read_in_the_request_encoding() {
        let body = br#"{"partialSuccess":{"rejectedDataPoints":1}}"#;
        let attempt = interpret(answer(200, &[], body), true, SystemTime::now());
        assert!(matches!(attempt, Attempt::Delivered(Some(p)) if p.rejected_points == 1));
    }

    #[test]
    fn prepare_sets_content_type_and_encoding() {
        let uri: Uri = "http://localhost:4318/v1/metrics".parse().unwrap();
        let request = crate::export::ExportMetricsServiceRequest::default();
        let p = prepare(&uri, &HeaderMap::new(), false, true, &request);
        assert_eq!(p.headers[CONTENT_TYPE], PROTOBUF);
        assert_eq!(p.headers[CONTENT_ENCODING], "gzip");
        let p = prepare(&uri, &HeaderMap::new(), true, false, &request);
        assert_eq!(p.headers[CONTENT_TYPE], JSON);
        assert!(p.headers.get(CONTENT_ENCODING).is_none());
        assert!(p.body.starts_with(b"{"));
    }
}
