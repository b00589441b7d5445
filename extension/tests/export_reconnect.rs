//! A pooled connection that died between two exports (as after a sandbox thaw) is replaced
//! at once and the data is delivered. The backend here is a small OTLP server that can drop
//! a connection on its next request without answering, or close it while idle.

mod export_support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use export_support::*;
use http::Request;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use metricline::export::ExportOutcome;
use tokio::net::TcpListener;
use tokio::sync::Notify;

/// How the server treats a connection after answering its first request.
#[derive(Clone, Copy, PartialEq)]
enum Betrayal {
    /// Keep it open, then drop it unanswered when the next request arrives on it: the
    /// client only learns it is dead by using it.
    DropOnReuse,
    /// Close it shortly after the first answer (an idle timeout), while the client holds it
    /// idle in its pool.
    CloseWhenIdle,
}

#[derive(Default)]
struct Stats {
    connections: AtomicUsize,
    requests: AtomicUsize,
    answered: AtomicUsize,
    closed: Notify,
}

async fn start_server(grpc: bool, betrayal: Betrayal) -> (String, Arc<Stats>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let stats = Arc::new(Stats::default());
    let server_stats = stats.clone();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            server_stats.connections.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(serve_connection(
                stream,
                grpc,
                betrayal,
                server_stats.clone(),
            ));
        }
    });
    (endpoint, stats)
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    grpc: bool,
    betrayal: Betrayal,
    stats: Arc<Stats>,
) {
    let on_this_connection = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(Notify::new());
    let service_done = done.clone();
    let service_stats = stats.clone();
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let seen = on_this_connection.fetch_add(1, Ordering::SeqCst);
        let (stats, done) = (service_stats.clone(), service_done.clone());
        async move {
            stats.requests.fetch_add(1, Ordering::SeqCst);
            if seen >= 1 && betrayal == Betrayal::DropOnReuse {
                done.notify_one();
                std::future::pending::<()>().await;
            }
            request.into_body().collect().await?;
            stats.answered.fetch_add(1, Ordering::SeqCst);
            if betrayal == Betrayal::CloseWhenIdle {
                done.notify_one();
            }
            Ok::<_, hyper::Error>(ok_response(grpc))
        }
    });
    let io = TokioIo::new(stream);
    if grpc {
        let connection = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
            .serve_connection(io, service);
        tokio::pin!(connection);
        if betrayal == Betrayal::DropOnReuse {
            tokio::select! { _ = &mut connection => {}, _ = done.notified() => {} }
        } else {
            // Let the answer go out first, then drop the connection.
            tokio::select! { _ = &mut connection => {}, _ = answered_then_flushed(&done) => {} }
        }
    } else {
        let connection = hyper::server::conn::http1::Builder::new().serve_connection(io, service);
        tokio::pin!(connection);
        if betrayal == Betrayal::DropOnReuse {
            tokio::select! { _ = &mut connection => {}, _ = done.notified() => {} }
        } else {
            tokio::select! { _ = &mut connection => {}, _ = answered_then_flushed(&done) => {} }
        }
    }
    stats.closed.notify_one();
}

/// The server's idle timeout: resolves a while after the first answer, once it is long out
/// (the connection future keeps running meanwhile and writes it).
async fn answered_then_flushed(done: &Notify) {
    done.notified().await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
}

async fn reconnects(protocol: &str, betrayal: Betrayal) {
    let grpc = protocol == "grpc";
    let (endpoint, stats) = start_server(grpc, betrayal).await;
    let exporter = exporter(&[
        ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
    ]);

    let first = exporter.export(&sample_request(), soon()).await;
    assert_eq!(first, ExportOutcome::Delivered, "{protocol}: first export");
    if betrayal == Betrayal::CloseWhenIdle {
        stats.closed.notified().await;
    }
    let second = exporter.export(&sample_request(), soon()).await;

    assert_eq!(
        second,
        ExportOutcome::Delivered,
        "{protocol}: second export"
    );
    assert_eq!(stats.answered.load(Ordering::SeqCst), 2, "{protocol}");
    assert_eq!(stats.connections.load(Ordering::SeqCst), 2, "{protocol}");
    if betrayal == Betrayal::DropOnReuse {
        // The request lost with the dead connection, then its resend on a fresh one.
        assert_eq!(stats.requests.load(Ordering::SeqCst), 3, "{protocol}");
    }
}

#[tokio::test]
async fn http_connection_dropped_on_reuse_is_replaced_at_once() {
    reconnects("http/protobuf", Betrayal::DropOnReuse).await;
}

#[tokio::test]
async fn grpc_connection_dropped_on_reuse_is_replaced_at_once() {
    reconnects("grpc", Betrayal::DropOnReuse).await;
}

#[tokio::test]
async fn http_connection_closed_while_idle_is_replaced() {
    reconnects("http/json", Betrayal::CloseWhenIdle).await;
}

#[tokio::test]
async fn grpc_connection_closed_while_idle_is_replaced() {
    reconnects("grpc", Betrayal::CloseWhenIdle).await;
}
