//! Interop with an OTLP receiver none of us wrote: rotel-agent (from the venv) accepts the
//! extension's metrics over gRPC and HTTP, as its detailed debug log shows.

use metricline_tests::harness::exporter_env;
use metricline_tests::rotel::Rotel;
use metricline_tests::sandbox::{self, InvokeStatus, Sandbox};
use metricline_tests::sink::Sink;

fn run_against(python: &std::path::Path, endpoint: String, protocol: &str) -> String {
    // The sink only lends the environment layout; the endpoint is rotel's.
    let sink = Sink::start();
    let mut builder = Sandbox::builder()
        .extension(sandbox::extension_binary())
        .function_dir(sandbox::sample_function("lines"))
        .python(python);
    for (k, v) in exporter_env(&sink, metricline_tests::harness::Otlp::Grpc) {
        builder = builder.env(k, v);
    }
    let mut sandbox = builder
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
        .env("OTEL_EXPORTER_OTLP_PROTOCOL", protocol)
        .env("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")
        .env("METRICLINE_FLUSH", "end")
        // The test wants a log without warnings: the machine's 4317/4318 and 8125 may be
        // taken (by another test's extension).
        .env("METRICLINE_OTLP_RECEIVER", "off")
        .env("METRICLINE_STATSD", "off")
        .start()
        .expect("sandbox starts");
    assert_eq!(sandbox.invoke("{}").status, InvokeStatus::Success);
    let shutdown = sandbox.shutdown();
    assert!(
        shutdown.extension_exited_before_deadline,
        "{}",
        sandbox.extension_log()
    );
    sandbox.extension_log()
}

#[test]
fn rotel_accepts_our_metrics_over_grpc_and_http() {
    let python = sandbox::require_python("rotel interop");
    let rotel = Rotel::start(&python, true).unwrap();
    let ext_log_grpc = run_against(&python, rotel.grpc_endpoint(), "grpc");
    let ext_log_http = run_against(&python, rotel.http_endpoint(), "http/protobuf");
    let log = rotel.log_text();
    let mentions = |name: &str| log.matches(&format!("-> Name: {name}\n")).count();
    // Both runs exported the MONITORING counter: rotel decoded it twice.
    assert!(
        mentions("shop.orders.placed") >= 2 && mentions("OrderLatency") >= 2,
        "rotel's log lacks our metrics:\n{log}\n--- extension (grpc) ---\n{ext_log_grpc}\n--- extension (http) ---\n{ext_log_http}"
    );
    let resources = log.matches("-> service.name: Str(checkout)").count();
    assert!(resources >= 2, "the resource's service.name reached rotel");
    for ext_log in [&ext_log_grpc, &ext_log_http] {
        assert!(
            !ext_log.contains("WARN") && !ext_log.contains("ERROR"),
            "{ext_log}"
        );
    }
}
