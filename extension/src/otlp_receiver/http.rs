//! OTLP/HTTP on loopback: `POST /v1/metrics`, `/v1/traces` and `/v1/logs`, protobuf or
//! JSON, plain or gzip. Answers per the OTLP spec: 200 with an empty response of the
//! request's encoding once the request is queued; 400 with a `google.rpc.Status` saying why
//! for a body that is not a request of its signal; 413 past [`MAX_BODY`] or another of the
//! receiver's size bounds; never a 5xx, which an SDK would retry.

use std::convert::Infallible;

use bytes::Bytes;
use http::header::{CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE};
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use metricline_proto::relay::{Encoding, Refused, Signal};
use tokio::net::TcpListener;

use super::accept::{accept_loop, read_body, BodyError, Intake};
use super::inbox::Inbox;
use super::status;
use crate::export::gzip;

/// Largest request body, before and after decompression. A protobuf request is held
/// with its enriched copy (never decoded), beside the queue: 2 MiB keeps a flood of the
/// largest requests within the extension's memory budget (docs/otlp-receiver.md), and is
/// far above what the SDKs' default batches (512 spans or log records) weigh.
pub const MAX_BODY: usize = 2 << 20;

const PROTOBUF: &str = "application/x-protobuf";
const JSON: &str = "application/json";

/// Serves `listener` until the process ends.
pub async fn serve(listener: TcpListener, intake: Intake) {
    accept_loop(listener, "OTLP/HTTP", intake, |stream, intake| {
        let service = service_fn(move |request| {
            let intake = intake.clone();
            async move {
                let answer = intake.one_at_a_time(handle(request, &intake.inbox));
                Ok::<_, Infallible>(answer.await)
            }
        });
        http1::Builder::new().serve_connection(TokioIo::new(stream), service)
    })
    .await
}

fn signal_of(path: &str) -> Option<Signal> {
    Signal::ALL
        .into_iter()
        .find(|s| path.strip_prefix('/') == Some(s.http_path()))
}

fn header(headers: &HeaderMap, name: http::header::HeaderName) -> Option<&str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

async fn handle(request: Request<Incoming>, inbox: &Inbox) -> Response<Full<Bytes>> {
    let Some(signal) = signal_of(request.uri().path()) else {
        let message = format!(
            "no OTLP signal at {}: POST to /v1/metrics, /v1/traces or /v1/logs",
            request.uri().path()
        );
        return plain(StatusCode::NOT_FOUND, message);
    };
    if request.method() != Method::POST {
        return plain(
            StatusCode::METHOD_NOT_ALLOWED,
            "OTLP/HTTP takes POST".into(),
        );
    }
    let headers = request.headers();
    let content_type = header(headers, CONTENT_TYPE)
        .unwrap_or("")
        .to_ascii_lowercase();
    let encoding = if content_type.starts_with(PROTOBUF) {
        Encoding::Protobuf
    } else if content_type.starts_with(JSON) {
        Encoding::Json
    } else {
        let message =
            format!("unsupported Content-Type {content_type:?}: send {PROTOBUF} or {JSON}");
        return plain(StatusCode::UNSUPPORTED_MEDIA_TYPE, message);
    };
    let gzipped = match header(headers, CONTENT_ENCODING).map(str::to_ascii_lowercase) {
        None => false,
        Some(e) if e == "identity" || e.is_empty() => false,
        Some(e) if e == "gzip" => true,
        Some(e) => {
            let message = format!("unsupported Content-Encoding {e:?}: send gzip or none");
            return status::http(StatusCode::UNSUPPORTED_MEDIA_TYPE, encoding, &message);
        }
    };
    let declared = header(headers, CONTENT_LENGTH).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return too_large(signal, encoding);
    }
    let body = match read_body(request.into_body(), MAX_BODY, declared).await {
        Ok(body) => body,
        Err(BodyError::TooLarge) => return too_large(signal, encoding),
        Err(BodyError::Broken(e)) => {
            let message = format!("the request body could not be read: {e}");
            return status::http(StatusCode::BAD_REQUEST, encoding, &message);
        }
    };
    let body = if gzipped {
        match gzip::decompress(&body, MAX_BODY + 1) {
            Ok(inflated) if inflated.len() > MAX_BODY => return too_large(signal, encoding),
            Ok(inflated) => inflated,
            Err(e) => {
                let message = format!("Content-Encoding is gzip but the body is not: {e}");
                return status::http(StatusCode::BAD_REQUEST, encoding, &message);
            }
        }
    } else {
        body
    };
    let size = body.len();
    match inbox.accept(signal, encoding, body) {
        Ok(()) => status::http_ok(encoding),
        Err(refused) => {
            crate::warn!(
                "OTLP/HTTP receiver refused a {} request of {size} bytes: {refused}",
                signal.as_str()
            );
            let code = match refused {
                Refused::Malformed(_) => StatusCode::BAD_REQUEST,
                Refused::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            };
            status::http(code, encoding, refused.message())
        }
    }
}

fn too_large(signal: Signal, encoding: Encoding) -> Response<Full<Bytes>> {
    crate::warn!(
        "OTLP/HTTP receiver refused a {} request over {MAX_BODY} bytes",
        signal.as_str()
    );
    let message = format!("request body over {MAX_BODY} bytes: export smaller batches");
    status::http(StatusCode::PAYLOAD_TOO_LARGE, encoding, &message)
}

fn plain(code: StatusCode, message: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(message)));
    *response.status_mut() = code;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, http::HeaderValue::from_static("text/plain"));
    response
}
