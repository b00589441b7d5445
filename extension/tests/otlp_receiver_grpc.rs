//! The OTLP/gRPC receiver: the three Export methods over HTTP/2 with gRPC framing, their
//! statuses (OK with an empty response, INVALID_ARGUMENT with the reason, RESOURCE_EXHAUSTED
//! past the size limit, UNIMPLEMENTED), gzip-compressed messages, and the pass-through.

mod otlp_support;
mod pipeline_support;

use metricline::flush::flusher::Attempt;

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use metricline::otlp_receiver::MAX_BODY;
use metricline_tests::sink::Sink;
use otlp_support::*;
use prost::Message;
use tokio::net::TcpStream;

const TRACES: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
const LOGS: &str = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";

struct Status {
    code: Option<u32>,
    message: String,
    body: Bytes,
}

fn framed(flag: u8, payload: &[u8]) -> Vec<u8> {
    let mut body = vec![flag];
    body.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    body.extend_from_slice(payload);
    body
}

/// One unary call, as a gRPC client makes it; the status is read from the trailers.
async fn call(addr: SocketAddr, path: &str, gzip: bool, body: Vec<u8>) -> Status {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut sender, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(connection);
    let mut request = http::Request::post(format!("http://{addr}{path}"))
        .header("content-type", "application/grpc")
        .header("te", "trailers");
    if gzip {
        request = request.header("grpc-encoding", "gzip");
    }
    let response = sender
        .send_request(request.body(Full::new(Bytes::from(body))).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "gRPC answers in HTTP 200");
    assert_eq!(response.headers()["content-type"], "application/grpc");
    let collected = response.into_body().collect().await.unwrap();
    let trailers = collected.trailers().cloned().unwrap_or_default();
    let header = |name: &str| trailers.get(name).map(|v| v.to_str().unwrap().to_string());
    Status {
        code: header("grpc-status").map(|c| c.parse().unwrap()),
        message: header("grpc-message").unwrap_or_default(),
        body: collected.to_bytes(),
    }
}

#[tokio::test]
async fn export_calls_get_ok_with_an_empty_response_and_pass_through() {
    let sink = Sink::start();
    let (relay, _, _) = receiver(&sink, 1 << 20).await;
    let addr = relay.bound().grpc.expect("a gRPC address");
    let answer = call(
        addr,
        TRACES,
        false,
        framed(0, &traces("a", 2).encode_to_vec()),
    )
    .await;
    assert_eq!(answer.code, Some(0), "{}", answer.message);
    assert_eq!(
        &answer.body[..],
        &[0, 0, 0, 0, 0],
        "one empty response message"
    );
    let packed = compress(&logs("paid").encode_to_vec());
    let answer = call(addr, LOGS, true, framed(1, &packed)).await;
    assert_eq!(answer.code, Some(0), "{}", answer.message);

    relay.flush(soon(), Attempt::UnlessBackingOff).await;
    let traces = sink.traces();
    assert_eq!(traces.len(), 1);
    let attrs = attributes(&traces[0].resource_spans[0].resource);
    assert!(
        attrs.contains(&("faas.name".into(), "checkout".into())),
        "{attrs:?}"
    );
    assert!(
        attrs.contains(&("service.name".into(), "a".into())),
        "{attrs:?}"
    );
    assert_eq!(sink.logs().len(), 1);
}

#[tokio::test]
async fn bad_calls_get_their_status_and_lose_nothing_else() {
    let sink = Sink::start();
    let (relay, _, _) = receiver(&sink, 1 << 20).await;
    let addr = relay.bound().grpc.expect("a gRPC address");
    let bad = call(addr, TRACES, false, framed(0, b"\x0a\xff\xff\xff\x0f")).await;
    assert_eq!(bad.code, Some(3), "INVALID_ARGUMENT");
    assert!(
        bad.message
            .starts_with("not an OTLP traces protobuf request"),
        "{}",
        bad.message
    );
    let unknown = "/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export";
    assert_eq!(
        call(addr, unknown, false, framed(0, b"")).await.code,
        Some(12)
    );
    let huge = framed(0, &vec![0u8; MAX_BODY + 1]);
    assert_eq!(
        call(addr, LOGS, false, huge).await.code,
        Some(8),
        "RESOURCE_EXHAUSTED"
    );
    let good = call(
        addr,
        TRACES,
        false,
        framed(0, &traces("b", 1).encode_to_vec()),
    )
    .await;
    assert_eq!(good.code, Some(0));

    relay.flush(soon(), Attempt::UnlessBackingOff).await;
    let spans: usize = sink.traces().iter().flat_map(|t| &t.resource_spans).count();
    assert_eq!(spans, 1);
    assert!(sink.logs().is_empty());
}
