//! OTLP/gRPC on loopback: the unary `Export` method of the metrics, trace and logs services,
//! served by hand over hyper's HTTP/2 server with gRPC's length-prefixed framing (the
//! exporter's `export/grpc.rs` is the client side of the same), so no tonic in the binary.
//! The status goes in the trailers: OK with an empty response message once the request is
//! queued; INVALID_ARGUMENT with the reason for a malformed message; RESOURCE_EXHAUSTED
//! (without RetryInfo, so not retried) past [`MAX_BODY`] or another size bound of the
//! receiver; UNIMPLEMENTED for another method.

use std::convert::Infallible;

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderValue, Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http2;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use metricline_proto::relay::{Encoding, Refused, Signal};
use tokio::net::TcpListener;

use super::accept::{accept_loop, read_body, BodyError, Intake};
use super::http::MAX_BODY;
use super::inbox::Inbox;
use crate::export::gzip;

type Body = http_body_util::combinators::WithTrailers<
    Full<Bytes>,
    std::future::Ready<Option<Result<HeaderMap, Infallible>>>,
>;

const OK: u32 = 0;
const INVALID_ARGUMENT: u32 = 3;
const RESOURCE_EXHAUSTED: u32 = 8;
const UNIMPLEMENTED: u32 = 12;

/// Serves `listener` until the process ends.
pub async fn serve(listener: TcpListener, intake: Intake) {
    accept_loop(listener, "OTLP/gRPC", intake, |stream, intake| {
        let service = service_fn(move |request| {
            let intake = intake.clone();
            async move {
                let answer = intake.one_at_a_time(handle(request, &intake.inbox));
                Ok::<_, Infallible>(answer.await)
            }
        });
        http2::Builder::new(TokioExecutor::new()).serve_connection(TokioIo::new(stream), service)
    })
    .await
}

async fn handle(request: Request<Incoming>, inbox: &Inbox) -> Response<Body> {
    let path = request.uri().path();
    let Some(signal) = Signal::ALL.into_iter().find(|s| s.grpc_path() == path) else {
        let message = format!("unknown method {path}: the OTLP Export methods only");
        return status(UNIMPLEMENTED, &message);
    };
    let gzipped = request
        .headers()
        .get("grpc-encoding")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|e| e.trim().eq_ignore_ascii_case("gzip"));
    let body = match read_body(request.into_body(), MAX_BODY + 5, None).await {
        Ok(body) => body,
        Err(BodyError::TooLarge) => return too_large(signal),
        Err(BodyError::Broken(e)) => {
            let message = format!("the request could not be read: {e}");
            return status(INVALID_ARGUMENT, &message);
        }
    };
    let message = match unframe(body, gzipped) {
        Ok(message) if message.len() > MAX_BODY => return too_large(signal),
        Ok(message) => message,
        Err(why) => return status(INVALID_ARGUMENT, &why),
    };
    let size = message.len();
    match inbox.accept(signal, Encoding::Protobuf, message) {
        Ok(()) => ok(),
        Err(refused) => {
            crate::warn!(
                "OTLP/gRPC receiver refused a {} request of {size} bytes: {refused}",
                signal.as_str()
            );
            let code = match refused {
                Refused::Malformed(_) => INVALID_ARGUMENT,
                Refused::TooLarge(_) => RESOURCE_EXHAUSTED,
            };
            status(code, refused.message())
        }
    }
}

/// The one length-prefixed message of a unary call, inflated if flagged compressed.
fn unframe(mut body: Vec<u8>, gzipped: bool) -> Result<Vec<u8>, String> {
    let Some(&flag) = body.first() else {
        return Err("empty gRPC request: no message".into());
    };
    let len = body
        .get(1..5)
        .map(|l| u32::from_be_bytes([l[0], l[1], l[2], l[3]]) as usize)
        .ok_or("gRPC message prefix cut short")?;
    let payload = body.len() - 5;
    if payload != len {
        return Err(format!(
            "gRPC message of {payload} bytes where its prefix says {len}; a unary call carries one"
        ));
    }
    match flag {
        0 => {
            // In place: a large message is not copied.
            body.drain(..5);
            Ok(body)
        }
        1 if gzipped => gzip::decompress(&body[5..], MAX_BODY + 1)
            .map_err(|e| format!("gRPC message flagged gzip but not gzip: {e}")),
        1 => Err("compressed gRPC message without grpc-encoding: gzip".into()),
        _ => Err(format!("gRPC message flag {flag} is not 0 or 1")),
    }
}

fn too_large(signal: Signal) -> Response<Body> {
    crate::warn!(
        "OTLP/gRPC receiver refused a {} request over {MAX_BODY} bytes",
        signal.as_str()
    );
    let message = format!("message over {MAX_BODY} bytes: export smaller batches");
    status(RESOURCE_EXHAUSTED, &message)
}

/// OK with the empty response message (every signal's encodes to zero bytes).
fn ok() -> Response<Body> {
    respond(Bytes::from_static(&[0, 0, 0, 0, 0]), OK, "")
}

fn status(code: u32, message: &str) -> Response<Body> {
    respond(Bytes::new(), code, message)
}

fn respond(body: Bytes, code: u32, message: &str) -> Response<Body> {
    let mut trailers = HeaderMap::new();
    trailers.insert("grpc-status", HeaderValue::from(code));
    if !message.is_empty() {
        if let Ok(value) = HeaderValue::from_str(&percent_encode(message)) {
            trailers.insert("grpc-message", value);
        }
    }
    let body = Full::new(body).with_trailers(std::future::ready(Some(Ok(trailers))));
    let mut response = Response::new(body);
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/grpc"));
    response
}

/// gRPC's `grpc-message` encoding: printable ASCII except `%` as is, every other byte `%XX`.
fn percent_encode(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for byte in message.bytes() {
        if (0x20..0x7f).contains(&byte) && byte != b'%' {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framed(flag: u8, payload: &[u8]) -> Vec<u8> {
        let mut body = vec![flag];
        body.extend_from_slice(&(payload.len() as u32).to_be_bytes());
        body.extend_from_slice(payload);
        body
    }

    #[test]
    fn one_message_is_unframed_and_inflated_when_flagged() {
        assert_eq!(&unframe(framed(0, b"abc"), false).unwrap()[..], b"abc");
        let packed = gzip::compress(b"abc");
        assert_eq!(&unframe(framed(1, &packed), true).unwrap()[..], b"abc");
        assert!(unframe(framed(1, &packed), false).is_err());
        assert!(unframe(Vec::new(), false).is_err());
        assert!(unframe(vec![0, 0, 0], false).is_err());
        let mut two = framed(0, b"a");
        two.extend(framed(0, b"b"));
        assert!(unframe(two, false).unwrap_err().contains("carries one"));
    }

    #[test]
    fn messages_are_percent_encoded() {
        assert_eq!(percent_encode("bad 100% ü"), "bad 100%25 %C3%BC");
    }
}
