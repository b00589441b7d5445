//! The Telemetry API listener (docs/decisions.md): an HTTP/1 server on `sandbox.localdomain`
//! that decodes each POSTed batch and feeds it to the pipeline. It answers 200 to every
//! batch it can read, 413 to bodies over 8 MiB, 400 to a body that is not a JSON array,
//! serves connections concurrently and keeps listening whatever happens.

use crate::pipeline::{Now, Shared};
use bytes::Bytes;
use http::{header, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::{Body as _, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};

/// Largest body accepted; Lambda's own limit is 2 × maxBytes plus metadata, far below.
pub const MAX_BODY: usize = 8 * 1024 * 1024;

const SANDBOX_HOST: &str = "sandbox.localdomain";

/// Binds the address `sandbox.localdomain` has in `/etc/hosts` (where Lambda puts it), else
/// 127.0.0.1, on an ephemeral port. Reading the file costs microseconds; a DNS query for a
/// name that is not there costs milliseconds before the first `/next`, so that lookup
/// happens afterwards in [`serve_resolved`]. The second value: whether the name was found.
pub async fn bind() -> std::io::Result<(TcpListener, bool)> {
    let from_hosts = std::fs::read_to_string("/etc/hosts")
        .ok()
        .and_then(|hosts| hosts_lookup(&hosts, SANDBOX_HOST));
    let ip = from_hosts.unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
    Ok((bind_to(ip).await?, from_hosts.is_some()))
}

/// The address of `name` in an `/etc/hosts` text, IPv4 preferred.
pub fn hosts_lookup(hosts: &str, name: &str) -> Option<IpAddr> {
    let mut found: Option<IpAddr> = None;
    for line in hosts.lines() {
        let line = line.split('#').next().unwrap_or("");
        let mut fields = line.split_whitespace();
        let Some(ip) = fields.next().and_then(|ip| ip.parse::<IpAddr>().ok()) else {
            continue;
        };
        if fields.any(|alias| alias.eq_ignore_ascii_case(name)) {
            if ip.is_ipv4() {
                return Some(ip);
            }
            found = found.or(Some(ip));
        }
    }
    found
}

/// When `/etc/hosts` did not know `sandbox.localdomain`, asks the resolver in the
/// background; should the name resolve elsewhere than `bound`, listens there too, on the
/// same port, so the subscribed URI reaches us whichever way Lambda resolves it.
pub async fn serve_resolved(bound: SocketAddr, shared: Arc<Shared>) {
    // The lookup needs a thread of its own: let the first `/next` go out before it starts.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let resolved = tokio::time::timeout(
        Duration::from_secs(2),
        tokio::net::lookup_host((SANDBOX_HOST, bound.port())),
    )
    .await;
    let Ok(Ok(addrs)) = resolved else {
        return;
    };
    let addrs: Vec<SocketAddr> = addrs.collect();
    let Some(addr) = addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or(addrs.first())
        .copied()
    else {
        return;
    };
    if addr.ip() == bound.ip() {
        return;
    }
    match TcpListener::bind(addr).await {
        Ok(listener) => {
            crate::info!(
                "{SANDBOX_HOST} resolves to {}: listening there too",
                addr.ip()
            );
            serve(listener, shared).await
        }
        Err(e) => crate::warn!("{SANDBOX_HOST} resolves to {addr} but binding it failed: {e}"),
    }
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

/// The most hyper reads from the socket at once (its default is ~400 KiB). A batch that
/// fits, head included, usually arrives in one read and so as one body frame, which is
/// then read where hyper put it, with no copy (a 1000-line batch is ~190 KiB; one cut at
/// `maxBytes`, 256 KiB of records, is just over and is gathered: docs/cpu-rounds.md). Its read
/// buffer grows by doubling and is freed with each batch; at 256 KiB the blocks it goes
/// through all fit in what the allocator keeps for reuse (`allocator.rs`).
const READ_BUFFER: usize = 256 * 1024;

async fn serve_connection(stream: TcpStream, shared: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let service = service_fn(move |request| {
        let shared = shared.clone();
        async move { Ok::<_, Infallible>(handle(request, &shared).await) }
    });
    if let Err(e) = http1::Builder::new()
        .max_buf_size(READ_BUFFER)
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
    let mut buffer = shared.take_body_buffer();
    let read = read_body(request.into_body(), &mut buffer).await;
    let (ingested, length) = match &read {
        Ok(Batch::Whole(body)) => (Ok(shared.ingest(body, Now::read())), body.len()),
        Ok(Batch::Gathered) => (Ok(shared.ingest(&buffer, Now::read())), buffer.len()),
        Err(status) => (Err(*status), buffer.len()),
    };
    shared.return_body_buffer(buffer);
    match ingested {
        Err(status) => answer(status),
        Ok(Ok(())) => answer(StatusCode::OK),
        Ok(Err(e)) => {
            crate::warn!("Telemetry batch of {length} bytes is not a JSON array ({e:?}); refused");
            answer(StatusCode::BAD_REQUEST)
        }
    }
}

/// Where a read batch is.
enum Batch {
    /// It came in one frame: hyper's own bytes, read in place.
    Whole(Bytes),
    /// In the buffer passed to [`read_body`].
    Gathered,
}

/// Reads the body. One that arrives in a single frame is kept as hyper's bytes; otherwise
/// its data is appended to `buffer` as it arrives, so that hyper can reuse its read buffer
/// and no copy of the whole body is allocated per batch. Capped while reading: chunked
/// bodies declare no length.
async fn read_body(mut body: Incoming, buffer: &mut Vec<u8>) -> Result<Batch, StatusCode> {
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            crate::debug!("Telemetry batch could not be read: {e}");
            StatusCode::BAD_REQUEST
        })?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        if buffer.len() + data.len() > MAX_BODY {
            crate::warn!("Telemetry batch over {MAX_BODY} bytes refused");
            return Err(StatusCode::PAYLOAD_TOO_LARGE);
        }
        if buffer.is_empty() && body.is_end_stream() {
            return Ok(Batch::Whole(data));
        }
        buffer.extend_from_slice(&data);
    }
    Ok(Batch::Gathered)
}

fn answer(status: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_sandbox_name_in_hosts_files() {
        let hosts = "127.0.0.1 localhost\n# 10.0.0.1 sandbox.localdomain\n\
                     ::1 Sandbox.LocalDomain\n169.254.100.1\tsandbox sandbox.localdomain # lambda\n";
        assert_eq!(
            hosts_lookup(hosts, SANDBOX_HOST),
            Some("169.254.100.1".parse().unwrap())
        );
        assert_eq!(
            hosts_lookup("::1 sandbox.localdomain\n", SANDBOX_HOST),
            Some("::1".parse().unwrap())
        );
        assert_eq!(
            hosts_lookup("127.0.0.1 localhost\ngarbage line\n", SANDBOX_HOST),
            None
        );
    }
}
