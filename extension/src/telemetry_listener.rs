//! The Telemetry API listener (DESIGN.md §7): an HTTP/1 server on `sandbox.localdomain`
//! that decodes each POSTed batch and feeds it to the pipeline. It answers 200 to every
//! batch it can read, 413 to bodies over 8 MiB, 400 to a body that is not a JSON array,
//! serves connections concurrently and keeps listening whatever happens.

use crate::pipeline::{Now, Shared};
use bytes::Bytes;
use http::{header, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use metricline_proto::telemetry::parse_batch;
use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};

/// Largest body accepted; Lambda's own limit is 2 × maxBytes plus metadata, far below.
pub const MAX_BODY: usize = 8 * 1024 * 1024;

/// The address `sandbox.localdomain` resolves to in the sandbox, else 127.0.0.1 (local
/// runs and tests), with an ephemeral port.
pub async fn bind() -> std::io::Result<TcpListener> {
    let ip = tokio::time::timeout(
        Duration::from_millis(200),
        tokio::net::lookup_host("sandbox.localdomain:0"),
    )
    .await
    .ok()
    .and_then(|found| found.ok())
    .and_then(|mut addrs| addrs.find(SocketAddr::is_ipv4))
    .map(|addr| addr.ip())
    .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
    bind_to(ip).await
}

/// Binds `ip` on an ephemeral port.
pub async fn bind_to(ip: IpAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(SocketAddr::new(ip, 0)).await
}

/// Serves `listener` forever, feeding `shared`. Accept errors (e.g. out of file
/// descriptors) are logged and retried after a short pause.
pub async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                tokio::spawn(serve_connection(stream, shared.clone()));
            }
            Err(e) => {
                crate::warn!("Telemetry listener accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

async fn serve_connection(stream: TcpStream, shared: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let service = service_fn(move |request| {
        let shared = shared.clone();
        async move { Ok::<_, Infallible>(handle(request, &shared).await) }
    });
    if let Err(e) = http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await
    {
        crate::debug!("Telemetry connection ended: {e}");
    }
}

async fn handle(request: Request<Incoming>, shared: &Shared) -> Response<Full<Bytes>> {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        crate::warn!(
            "Telemetry batch of {} bytes refused (limit {MAX_BODY})",
            declared.unwrap_or(0)
        );
        return answer(StatusCode::PAYLOAD_TOO_LARGE);
    }
    // Also capped while reading: chunked bodies declare no length.
    let body = match Limited::new(request.into_body(), MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => {
            crate::warn!("Telemetry batch over {MAX_BODY} bytes refused");
            return answer(StatusCode::PAYLOAD_TOO_LARGE);
        }
        Err(e) => {
            crate::debug!("Telemetry batch could not be read: {e}");
            return answer(StatusCode::BAD_REQUEST);
        }
    };
    match parse_batch(&body) {
        Ok(batch) => {
            shared.ingest(batch, Now::read());
            answer(StatusCode::OK)
        }
        Err(e) => {
            crate::warn!(
                "Telemetry batch of {} bytes is not a JSON array ({e:?}); refused",
                body.len()
            );
            answer(StatusCode::BAD_REQUEST)
        }
    }
}

fn answer(status: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    response
}
