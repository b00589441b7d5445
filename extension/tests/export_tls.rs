//! `https://` endpoints: TLS with the webpki roots plus `OTEL_EXPORTER_OTLP_CERTIFICATE`,
//! HTTP/2 negotiated by ALPN for gRPC, and mutual TLS (`_CLIENT_CERTIFICATE`/`_CLIENT_KEY`).
//! The server and its test CAs are in `export_support/tls_server.rs`.

mod export_support;

use export_support::tls_server::*;
use export_support::*;
use metricline::export::{ExportOutcome, Exporter, ExporterConfig};

fn https_exporter(protocol: &str, port: u16, trust_test_ca: bool) -> Exporter {
    let endpoint = format!("https://localhost:{port}");
    let ca = format!("{TLS_DIR}/ca.pem");
    let mut vars = vec![
        ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
    ];
    if trust_test_ca {
        vars.push(("OTEL_EXPORTER_OTLP_CERTIFICATE", ca.as_str()));
    }
    exporter(&vars)
}

#[tokio::test]
async fn grpc_over_tls_negotiates_h2_and_trusts_the_configured_ca() {
    let (port, seen) = start_tls_server().await;
    let exporter = https_exporter("grpc", port, true);

    let outcome = exporter.export(&sample_request(), soon()).await;

    assert_eq!(outcome, ExportOutcome::Delivered);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].0.as_deref(), Some(&b"h2"[..]));
    assert_eq!(
        seen[0].1,
        "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export"
    );
}

#[tokio::test]
async fn http_over_tls_uses_http1_and_trusts_the_configured_ca() {
    let (port, seen) = start_tls_server().await;
    let exporter = https_exporter("http/protobuf", port, true);

    let outcome = exporter.export(&sample_request(), soon()).await;

    assert_eq!(outcome, ExportOutcome::Delivered);
    let seen = seen.lock().unwrap().clone();
    // hyper-rustls offers no ALPN for HTTP/1.1 only, which servers read as HTTP/1.1.
    assert_eq!(seen, vec![(None, "/v1/metrics".to_string())]);
}

#[tokio::test]
async fn an_untrusted_server_certificate_is_never_sent_data() {
    let (port, seen) = start_tls_server().await;
    for protocol in PROTOCOLS {
        let exporter = https_exporter(protocol, port, false);

        let outcome = exporter.export(&sample_request(), in_secs(0.5)).await;

        assert!(is_failed(&outcome), "{protocol}: {outcome:?}");
    }
    assert!(seen.lock().unwrap().is_empty());
}

#[test]
fn an_unreadable_certificate_file_stops_the_exporter_with_a_reason() {
    let (config, _) = ExporterConfig::from_env(&|name: &str| {
        (name == "OTEL_EXPORTER_OTLP_CERTIFICATE").then(|| "/nonexistent/ca.pem".to_string())
    });
    let error = Exporter::new(config).err().expect("an error");
    assert!(error.contains("/nonexistent/ca.pem"), "{error}");
}

#[tokio::test]
async fn mutual_tls_presents_the_configured_client_certificate() {
    let (port, seen) = start_tls_server_with(true).await;
    let endpoint = format!("https://localhost:{port}");
    let ca = format!("{TLS_DIR}/ca.pem");
    let client_cert = format!("{TLS_DIR}/client.pem");
    let client_key = format!("{TLS_DIR}/client.key");
    for protocol in PROTOCOLS {
        let base = [
            ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", ca.as_str()),
        ];
        let anonymous = exporter(&base);
        let outcome = anonymous.export(&sample_request(), in_secs(0.5)).await;
        assert!(
            is_failed(&outcome),
            "{protocol} without a client certificate: {outcome:?}"
        );
        assert!(
            seen.lock().unwrap().is_empty(),
            "{protocol}: nothing reached the server"
        );

        let mut vars = base.to_vec();
        vars.push((
            "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
            client_cert.as_str(),
        ));
        vars.push(("OTEL_EXPORTER_OTLP_CLIENT_KEY", client_key.as_str()));
        let outcome = exporter(&vars).export(&sample_request(), soon()).await;
        assert_eq!(outcome, ExportOutcome::Delivered, "{protocol}");
        assert_eq!(seen.lock().unwrap().len(), 1, "{protocol}");
        seen.lock().unwrap().clear();
    }
}

#[test]
fn a_client_key_without_its_certificate_is_a_warning_and_neither_is_used() {
    let (config, warnings) = ExporterConfig::from_env(&|name: &str| {
        (name == "OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY").then(|| "/k.pem".to_string())
    });
    assert!(config.client_certificate.is_none());
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0].starts_with("OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY is set without its pair"),
        "{warnings:?}"
    );
}
