//! The Telemetry API listener in-process: good events reach the pipeline, bad ones are
//! skipped and counted, oversized bodies get 413, garbage 400, and connections are served
//! concurrently.

mod pipeline_support;

use metricline::pipeline::Shared;
use metricline::telemetry_listener::{bind_to, serve, MAX_BODY};
use metricline_proto::aggregate::Value;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn start() -> (SocketAddr, Arc<Shared>) {
    let shared = pipeline_support::shared_pipeline(true);
    let listener = bind_to(IpAddr::V4(Ipv4Addr::LOCALHOST)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(listener, shared.clone()));
    (addr, shared)
}

/// Sends one raw HTTP/1.1 request and returns the status code of the answer.
async fn post(addr: SocketAddr, head_extra: &str, body: &[u8]) -> u16 {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: sandbox.localdomain\r\nContent-Type: application/json\r\n\
         Connection: close\r\n{head_extra}\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    // The server may answer (and close) before reading everything: ignore write errors.
    let _ = stream.write_all(body).await;
    status(&mut stream).await
}

async fn status(stream: &mut TcpStream) -> u16 {
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&answer);
    text.split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

fn sized(body: &str) -> String {
    format!("Content-Length: {}\r\n", body.len())
}

const MIXED: &str = r#"[
 {"time":"2026-11-26T10:00:00.000Z","type":"platform.start","record":{"requestId":"r1"}},
 {"time":"2026-11-26T10:00:00.001Z","type":"platform.somethingNew","record":{}},
 {"time":"2026-11-26T10:00:00.002Z","type":"function","record":"MONITORING|1764151200|3|count|orders.placed|#env:prod"},
 {"time":"not a time","type":"platform.runtimeDone","record":{"requestId":"r0","status":"success"}},
 {"time":"2026-11-26T10:00:00.003Z","type":"platform.runtimeDone","record":{"requestId":"r1","status":"success","metrics":{"durationMs":2.0}}}
]"#;

/// The summed value of every data point of the sum stream `name` with `reason`.
fn sum_of(shared: &Shared, name: &str, reason: Option<&str>) -> f64 {
    let export = shared.lock().aggregator().take_all(u64::MAX / 2);
    export
        .streams
        .iter()
        .filter(|(key, _)| key.name == name)
        .filter(|(key, _)| {
            reason.is_none_or(|r| {
                key.attributes
                    .iter()
                    .any(|(k, v)| k == "metricline.reason" && v == r)
            })
        })
        .flat_map(|(_, points)| points)
        .map(|p| match p.value {
            Value::Sum(v) => v,
            _ => 0.0,
        })
        .sum()
}

#[tokio::test(flavor = "current_thread")]
async fn a_mixed_batch_is_accepted_and_its_good_events_reach_the_pipeline() {
    let (addr, shared) = start().await;
    assert_eq!(post(addr, &sized(MIXED), MIXED.as_bytes()).await, 200);
    assert!(shared.lock().runtime_done_seen("r1"));
    assert!(!shared.lock().runtime_done_seen("r0"));
    let export = shared.lock().aggregator().take_all(u64::MAX / 2);
    let names: Vec<&str> = export
        .streams
        .iter()
        .map(|(k, _)| k.name.as_str())
        .collect();
    assert!(names.contains(&"orders.placed"), "{names:?}");
    assert!(names.contains(&"faas.invocations"), "{names:?}");
    let skipped = |reason: &str| {
        export
            .streams
            .iter()
            .filter(|(k, _)| k.name == "metricline.telemetry.events.skipped")
            .filter(|(k, _)| k.attributes.iter().any(|(_, v)| v == reason))
            .flat_map(|(_, points)| points)
            .map(|p| match p.value {
                Value::Sum(v) => v,
                _ => 0.0,
            })
            .sum::<f64>()
    };
    assert_eq!(skipped("unknown_type"), 1.0);
    assert_eq!(skipped("malformed"), 1.0);
}

/// A body in several chunks reaches the pipeline as a whole, as one sent in one piece does
/// (hyper hands it over in several frames, which the listener gathers).
#[tokio::test(flavor = "current_thread")]
async fn a_batch_in_chunks_reaches_the_pipeline_whole() {
    let (addr, shared) = start().await;
    let mut body = Vec::new();
    for chunk in MIXED.as_bytes().chunks(MIXED.len() / 3 + 1) {
        body.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        body.extend_from_slice(chunk);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"0\r\n\r\n");
    assert_eq!(
        post(addr, "Transfer-Encoding: chunked\r\n", &body).await,
        200
    );
    assert!(shared.lock().runtime_done_seen("r1"));
    assert_eq!(sum_of(&shared, "orders.placed", None), 3.0);
}

#[tokio::test(flavor = "current_thread")]
async fn garbage_gets_400_and_the_listener_keeps_serving() {
    let (addr, shared) = start().await;
    let garbage = "{\"not\":\"an array\"}";
    assert_eq!(post(addr, &sized(garbage), garbage.as_bytes()).await, 400);
    assert_eq!(post(addr, &sized("\u{0}\u{1}"), b"\x00\x01").await, 400);
    assert_eq!(post(addr, &sized(MIXED), MIXED.as_bytes()).await, 200);
    assert!(shared.lock().runtime_done_seen("r1"));
}

#[tokio::test(flavor = "current_thread")]
async fn a_declared_length_over_8_mib_gets_413_without_reading() {
    let (addr, _) = start().await;
    let head = format!("Content-Length: {}\r\n", MAX_BODY + 1);
    assert_eq!(post(addr, &head, b"[").await, 413);
}

#[tokio::test(flavor = "current_thread")]
async fn a_chunked_body_over_8_mib_gets_413_while_reading() {
    let (addr, shared) = start().await;
    let mut body = Vec::with_capacity(MAX_BODY + 1024 * 1024);
    let chunk = vec![b' '; 1024 * 1024];
    for _ in 0..9 {
        body.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        body.extend_from_slice(&chunk);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"0\r\n\r\n");
    let status =
        tokio::spawn(async move { post(addr, "Transfer-Encoding: chunked\r\n", &body).await });
    assert_eq!(status.await.unwrap(), 413);
    // Still listening.
    assert_eq!(post(addr, &sized(MIXED), MIXED.as_bytes()).await, 200);
    assert_eq!(sum_of(&shared, "faas.invocations", None), 1.0);
}

#[tokio::test(flavor = "current_thread")]
async fn serves_connections_concurrently() {
    let (addr, shared) = start().await;
    // A client that opened a connection and sent half a request must not block others.
    let mut stalled = TcpStream::connect(addr).await.unwrap();
    stalled
        .write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n[")
        .await
        .unwrap();
    let mut clients = Vec::new();
    for i in 0..20 {
        let batch = format!(
            r#"[{{"time":"2026-11-26T10:00:00.000Z","type":"platform.runtimeDone","record":{{"requestId":"c{i}","status":"success"}}}}]"#
        );
        clients.push(tokio::spawn(async move {
            post(addr, &sized(&batch), batch.as_bytes()).await
        }));
    }
    for client in clients {
        assert_eq!(client.await.unwrap(), 200);
    }
    assert_eq!(sum_of(&shared, "faas.invocations", None), 20.0);
    // The stalled client finishes its request and still gets its answer.
    let rest = format!("{:<99}", "]");
    stalled.write_all(rest.as_bytes()).await.unwrap();
    assert_eq!(status(&mut stalled).await, 200);
}

#[tokio::test(flavor = "current_thread")]
async fn keep_alive_connections_carry_many_batches() {
    let (addr, shared) = start().await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    for i in 0..3 {
        let batch = format!(
            r#"[{{"time":"2026-11-26T10:00:00.000Z","type":"platform.runtimeDone","record":{{"requestId":"k{i}","status":"success"}}}}]"#
        );
        let request = format!(
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{batch}",
            batch.len()
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        assert_eq!(status(&mut stream).await, 200);
    }
    assert!(shared.lock().runtime_done_seen("k2"));
}
