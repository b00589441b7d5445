//! The OTLP/HTTP receiver's answers per the OTLP spec: 200 with an empty response of the
//! request's encoding, 400 with the reason, 413, 415, 404, gzip and JSON.

mod otlp_support;
mod pipeline_support;

use metricline::flush::flusher::Attempt;

use otlp_support::*;

use metricline::otlp_receiver::MAX_BODY;
use metricline_tests::sink::Sink;
use prost::Message;

#[tokio::test]
async fn answers_200_with_an_empty_response_in_the_requests_encoding() {
    let sink = Sink::start();
    let (_relay, addr, _) = receiver(&sink, 1 << 20).await;
    let answer = post(
        addr,
        "/v1/traces",
        &[PROTOBUF],
        traces("a", 1).encode_to_vec(),
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.content_type, "application/x-protobuf");
    assert!(answer.body.is_empty());
    let json = serde_json::to_vec(&logs("paid")).unwrap();
    let answer = post(addr, "/v1/logs", &[JSON], json).await;
    assert_eq!(
        (answer.status, answer.content_type.as_str()),
        (200, "application/json")
    );
    assert_eq!(&answer.body[..], b"{}");
}

#[tokio::test]
async fn a_malformed_body_gets_400_with_the_reason_and_loses_nothing_else() {
    let sink = Sink::start();
    let (relay, addr, _) = receiver(&sink, 1 << 20).await;
    accepted(addr, "/v1/traces", traces("a", 1).encode_to_vec()).await;
    let bad = post(
        addr,
        "/v1/traces",
        &[PROTOBUF],
        b"\x0a\xff\xff\xff\x0f".to_vec(),
    )
    .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.content_type, "application/x-protobuf");
    let message = status_message(&bad.body);
    assert!(
        message.starts_with("not an OTLP traces protobuf request"),
        "{message}"
    );
    let bad_json = post(addr, "/v1/logs", &[JSON], b"{\"resourceLogs\":[{]".to_vec()).await;
    assert_eq!(bad_json.status, 400);
    let message: serde_json::Value = serde_json::from_slice(&bad_json.body).unwrap();
    assert!(message["message"]
        .as_str()
        .unwrap()
        .starts_with("not an OTLP/JSON logs request"));
    let unknown = post(
        addr,
        "/v1/metrics",
        &[("content-type", "text/plain")],
        b"x".to_vec(),
    )
    .await;
    assert_eq!(unknown.status, 415);
    assert_eq!(
        post(addr, "/v1/spans", &[PROTOBUF], Vec::new())
            .await
            .status,
        404
    );
    accepted(addr, "/v1/traces", traces("b", 1).encode_to_vec()).await;

    relay.flush(soon(), Attempt::UnlessBackingOff).await;
    let spans: usize = sink.traces().iter().flat_map(|t| &t.resource_spans).count();
    assert_eq!(spans, 2, "both good requests, once each");
}

#[tokio::test]
async fn gzip_bodies_are_read_and_oversized_ones_get_413() {
    let sink = Sink::start();
    let (relay, addr, _) = receiver(&sink, 1 << 20).await;
    let gzip = ("content-encoding", "gzip");
    let packed = compress(&traces("zipped", 3).encode_to_vec());
    assert_eq!(
        post(addr, "/v1/traces", &[PROTOBUF, gzip], packed)
            .await
            .status,
        200
    );
    let not_gzip = post(addr, "/v1/traces", &[PROTOBUF, gzip], b"plain".to_vec()).await;
    assert_eq!(not_gzip.status, 400);

    let big = vec![0u8; MAX_BODY + 1];
    assert_eq!(
        post(addr, "/v1/logs", &[PROTOBUF], big.clone())
            .await
            .status,
        413
    );
    // Small on the wire, over the limit once inflated.
    let bomb = compress(&big);
    assert!(bomb.len() < MAX_BODY / 100);
    assert_eq!(
        post(addr, "/v1/logs", &[PROTOBUF, gzip], bomb).await.status,
        413
    );

    relay.flush(soon(), Attempt::UnlessBackingOff).await;
    let traces = sink.traces();
    assert_eq!(traces.len(), 1);
    assert_eq!(traces[0].resource_spans[0].scope_spans[0].spans.len(), 3);
    assert!(sink.logs().is_empty());
}
