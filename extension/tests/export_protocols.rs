//! Each protocol, plain and gzip: the sink receives the request intact, with the
//! configured headers and metricline's User-Agent.

mod export_support;

use export_support::*;
use metricline::export::ExportOutcome;
use metricline_tests::sink::{Protocol, Sink};

async fn delivers_intact(protocol: &str, gzip: bool) {
    let sink = Sink::start();
    let compression = if gzip { "gzip" } else { "none" };
    let exporter = exporter_for(
        &sink,
        protocol,
        &[
            ("OTEL_EXPORTER_OTLP_COMPRESSION", compression),
            (
                "OTEL_EXPORTER_OTLP_HEADERS",
                "x-api-key=s3cr%3Dt,X-Tenant = acme ",
            ),
        ],
    );

    let outcome = exporter.export(&sample_request(), soon()).await;

    assert_eq!(outcome, ExportOutcome::Delivered);
    let requests = sink.requests();
    assert_eq!(requests.len(), 1);
    let received = &requests[0];
    let expected_protocol = match protocol {
        "grpc" => Protocol::Grpc,
        "http/protobuf" => Protocol::HttpProtobuf,
        _ => Protocol::HttpJson,
    };
    assert_eq!(received.protocol, expected_protocol);
    assert_eq!(received.gzip, gzip);
    assert_eq!(received.header("x-api-key"), Some("s3cr=t"));
    assert_eq!(received.header("x-tenant"), Some("acme"));
    let agent = received.header("user-agent").unwrap_or_default();
    assert!(agent.starts_with("metricline/"), "user-agent {agent:?}");
    assert_eq!(received.request, sample_request());
    assert_sample_received(&sink.points(), 1);
    assert_eq!(sink.attempts(), 1);
}

#[tokio::test]
async fn grpc_delivers_intact() {
    delivers_intact("grpc", false).await;
}

#[tokio::test]
async fn grpc_gzip_delivers_intact() {
    delivers_intact("grpc", true).await;
}

#[tokio::test]
async fn http_protobuf_delivers_intact() {
    delivers_intact("http/protobuf", false).await;
}

#[tokio::test]
async fn http_protobuf_gzip_delivers_intact() {
    delivers_intact("http/protobuf", true).await;
}

#[tokio::test]
async fn http_json_delivers_intact() {
    delivers_intact("http/json", false).await;
}

#[tokio::test]
async fn http_json_gzip_delivers_intact() {
    delivers_intact("http/json", true).await;
}

#[tokio::test]
async fn consecutive_exports_reuse_the_exporter() {
    for protocol in PROTOCOLS {
        let sink = Sink::start();
        let exporter = exporter_for(&sink, protocol, &[]);
        for _ in 0..3 {
            assert_eq!(
                exporter.export(&sample_request(), soon()).await,
                ExportOutcome::Delivered
            );
        }
        assert_sample_received(&sink.points(), 3);
    }
}
