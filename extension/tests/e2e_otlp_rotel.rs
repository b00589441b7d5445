//! rotel-agent (a collector none of us wrote) as the backend of all three signals the OTLP
//! receiver passes through: it decodes the spans, log records and metric points the
//! Python SDK sent, with the Lambda resource attributes metricline added, over OTLP/HTTP
//! and OTLP/gRPC.

use metricline_tests::harness::Otlp;
use metricline_tests::otel_function::otel_setup;
use metricline_tests::rotel::Rotel;
use metricline_tests::sandbox::{self, Sandbox};

#[test]
fn rotel_decodes_every_signal_the_receiver_passes_through() {
    let python = sandbox::require_python("otlp receiver → rotel");
    for protocol in [Otlp::HttpProtobuf, Otlp::Grpc] {
        let rotel = Rotel::start_logging(&python, &["traces", "logs", "metrics"]).unwrap();
        let (endpoint, name) = match protocol {
            Otlp::Grpc => (rotel.grpc_endpoint(), "grpc"),
            _ => (rotel.http_endpoint(), "http/protobuf"),
        };
        let setup = otel_setup(false);
        let mut builder = Sandbox::builder()
            .extension(sandbox::extension_binary())
            .function_dir(sandbox::sample_function(setup.function))
            .python(&python);
        for (k, v) in setup.env {
            builder = builder.env(k, v);
        }
        let mut sandbox = builder
            .env("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
            .env("OTEL_EXPORTER_OTLP_PROTOCOL", name)
            .env("METRICLINE_LOG", "debug")
            .start()
            .expect("sandbox starts");
        let invoke = sandbox.invoke(r#"{"spans":2}"#);
        sandbox.shutdown();
        let log = rotel.log_text();
        let ext_log = sandbox.extension_log();
        let context = format!("{name}:\n--- rotel ---\n{log}\n--- extension ---\n{ext_log}");
        assert!(
            log.contains("Name           : handle"),
            "the span: {context}"
        );
        let record = format!("Body: Str(order paid {})", invoke.request_id);
        assert!(log.contains(&record), "the log record: {context}");
        assert!(
            log.contains("-> Name: orders.placed"),
            "the metric: {context}"
        );
        // metricline's own metrics, and each of the three signals it passed through.
        let lambda = log.matches("-> faas.name: Str(metricline-sandbox)").count();
        assert!(
            lambda >= 4,
            "the Lambda resource on every signal: {context}"
        );
        assert!(
            !ext_log.contains("WARN") && !ext_log.contains("ERROR"),
            "{context}"
        );
    }
}
