//! All three OTLP protocols, gzip-compressed, with headers: every line arrives once, the
//! requests are what the configuration asked for, and header values never reach the log.

use metricline_tests::expect::check_lines;
use metricline_tests::harness::{Harness, Otlp, Setup};
use metricline_tests::sink::Protocol;

fn protocol_with_gzip(test: &str, otlp: Otlp, want: Protocol) {
    let setup = Setup::default()
        .protocol(otlp)
        .env("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")
        .env("OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=very-secret-value");
    let mut h = Harness::start(test, setup);
    h.sandbox.invoke(r#"{"repeat":3}"#);
    h.sandbox.invoke("{}");
    h.sandbox.shutdown();
    let verdict = check_lines(&h.sink.points(), 4, 1);
    h.check(verdict.is_ok(), &format!("{test}: {verdict:?}"));
    let requests = h.sink.requests();
    h.check(!requests.is_empty(), "requests arrived");
    for r in &requests {
        assert_eq!((r.protocol, r.gzip), (want, true), "{test}");
        assert_eq!(r.header("x-api-key"), Some("very-secret-value"), "{test}");
    }
    let resource = &h.sink.points()[0].resource;
    assert_eq!(
        resource.get("service.name").map(String::as_str),
        Some("checkout")
    );
    assert_eq!(
        resource.get("cloud.provider").map(String::as_str),
        Some("aws")
    );
    assert_eq!(
        resource.get("faas.name").map(String::as_str),
        Some("metricline-sandbox")
    );
    assert_eq!(
        resource.get("cloud.account.id").map(String::as_str),
        Some("123456789012")
    );
    assert!(
        !h.sandbox.extension_log().contains("very-secret-value"),
        "a header value was logged"
    );
}

#[test]
fn grpc_gzip() {
    protocol_with_gzip("grpc_gzip", Otlp::Grpc, Protocol::Grpc);
}

#[test]
fn http_protobuf_gzip() {
    protocol_with_gzip(
        "http_protobuf_gzip",
        Otlp::HttpProtobuf,
        Protocol::HttpProtobuf,
    );
}

#[test]
fn http_json_gzip() {
    protocol_with_gzip("http_json_gzip", Otlp::HttpJson, Protocol::HttpJson);
}
