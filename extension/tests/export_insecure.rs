//! `OTEL_EXPORTER_OTLP_[<SIGNAL>_]INSECURE` with gRPC endpoints written without a scheme
//! (`host:port`): `true` sends in plain text, `false` or unset over TLS. Each case is
//! checked against a server of the other kind too, so a test passes only when the
//! exporter really spoke the protocol it should: a plain-text request to the TLS server
//! or a TLS handshake to the plain-text sink delivers nothing.

mod export_support;
mod otlp_support;
mod pipeline_support;

use export_support::tls_server::*;
use export_support::*;
use metricline::export::ExportOutcome;
use metricline::flush::flusher::Attempt;
use metricline::otlp_receiver;
use metricline_tests::sink::Sink;
use otlp_support::{accepted, gauge, lambda_resource, logs, settings, shared, traces};
use prost::Message;

const TRACES_EXPORT: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
const LOGS_EXPORT: &str = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";

fn scheme_less(endpoint: &str) -> String {
    endpoint.trim_start_matches("http://").to_string()
}

#[tokio::test]
async fn insecure_true_sends_plain_text_to_a_scheme_less_grpc_endpoint() {
    let sink = Sink::start();
    let (tls_port, tls_seen) = start_tls_server().await;
    let plain = scheme_less(&sink.grpc_endpoint());
    let tls = format!("localhost:{tls_port}");
    for endpoint in [&plain, &tls] {
        let exporter = exporter(&[
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint),
            ("OTEL_EXPORTER_OTLP_INSECURE", "true"),
        ]);
        let deadline = if endpoint == &plain {
            soon()
        } else {
            in_secs(0.5)
        };
        let outcome = exporter.export(&sample_request(), deadline).await;
        if endpoint == &plain {
            assert_eq!(outcome, ExportOutcome::Delivered);
        } else {
            assert!(is_failed(&outcome), "plain text to TLS: {outcome:?}");
        }
    }
    assert_sample_received(&sink.points(), 1);
    assert!(tls_seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn insecure_false_or_unset_speaks_tls_to_a_scheme_less_grpc_endpoint() {
    let sink = Sink::start();
    let (tls_port, tls_seen) = start_tls_server().await;
    let ca = format!("{TLS_DIR}/ca.pem");
    let plain = scheme_less(&sink.grpc_endpoint());
    let tls = format!("localhost:{tls_port}");
    for insecure in [None, Some("false")] {
        for endpoint in [&tls, &plain] {
            let mut vars = vec![
                ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
                ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
                ("OTEL_EXPORTER_OTLP_CERTIFICATE", ca.as_str()),
            ];
            if let Some(value) = insecure {
                vars.push(("OTEL_EXPORTER_OTLP_METRICS_INSECURE", value));
            }
            let exporter = exporter(&vars);
            if endpoint == &tls {
                let outcome = exporter.export(&sample_request(), soon()).await;
                assert_eq!(outcome, ExportOutcome::Delivered, "{insecure:?}");
            } else {
                let outcome = exporter.export(&sample_request(), in_secs(0.5)).await;
                assert!(is_failed(&outcome), "TLS to plain text: {outcome:?}");
            }
        }
    }
    let seen = tls_seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "{seen:?}");
    for (alpn, path) in seen {
        assert_eq!(alpn.as_deref(), Some(&b"h2"[..]));
        assert_eq!(
            path,
            "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export"
        );
    }
    assert_eq!(sink.attempts(), 0, "no request reached the plain-text sink");
}

/// The receiver's pass-through reads the same variables per signal: here metrics go in
/// plain text to the sink, traces and logs over TLS to the TLS server.
#[tokio::test]
async fn the_receiver_forwards_each_signal_as_its_own_insecure_says() {
    let sink = Sink::start();
    let (tls_port, tls_seen) = start_tls_server().await;
    let vars = [
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc".to_string()),
        (
            "OTEL_EXPORTER_OTLP_CERTIFICATE",
            format!("{TLS_DIR}/ca.pem"),
        ),
        (
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            format!("localhost:{tls_port}"),
        ),
        ("OTEL_EXPORTER_OTLP_LOGS_INSECURE", "false".to_string()),
        (
            "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
            scheme_less(&sink.grpc_endpoint()),
        ),
        ("OTEL_EXPORTER_OTLP_METRICS_INSECURE", "true".to_string()),
    ];
    let env = move |name: &str| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    };
    let relay = otlp_receiver::start(
        &settings("127.0.0.1:0", 1 << 20),
        &env,
        &lambda_resource(),
        shared(),
    )
    .await
    .expect("the receiver starts");
    let addr = relay.bound().http.expect("an HTTP address");
    accepted(addr, "/v1/traces", traces("a", 2).encode_to_vec()).await;
    accepted(addr, "/v1/logs", logs("paid").encode_to_vec()).await;
    accepted(addr, "/v1/metrics", gauge("queue", 3.0).encode_to_vec()).await;

    relay.flush(soon(), Attempt::Always).await;

    let metrics = sink.points();
    assert_eq!(metrics.len(), 1, "{metrics:?}");
    assert_eq!(metrics[0].metric, "queue");
    let mut seen = tls_seen.lock().unwrap().clone();
    seen.sort();
    let h2 = Some(b"h2".to_vec());
    assert_eq!(
        seen,
        [
            (h2.clone(), LOGS_EXPORT.to_string()),
            (h2, TRACES_EXPORT.to_string())
        ]
    );
}
