//! The `otel` sample function (the real OpenTelemetry Python SDK exporting to metricline's
//! OTLP receiver) in the sandbox, and what the tests read of what it sent.

use std::collections::BTreeMap;
use std::time::Instant;

use opentelemetry_proto::tonic::common::v1::KeyValue;

use crate::harness::{Harness, Setup};
use crate::sandbox::{installed_or_skip, sample_function, RuntimeClient};
use crate::sink::{attributes_map, Sink};

/// The `otel` function, its SDK and metricline's receiver on a port of their own, over
/// OTLP/HTTP or (`grpc`) OTLP/gRPC.
pub fn otel_setup(grpc: bool) -> Setup {
    receiver_setup("otel", grpc)
}

/// The `otel` function under AWS's Python runtime interface client (pip `awslambdaric`).
pub fn awslambdaric_setup(grpc: bool) -> Setup {
    otel_setup(grpc).runtime_client(RuntimeClient::Awslambdaric)
}

/// The `otel-node` function (the OpenTelemetry JS SDK, OTLP/HTTP protobuf) under AWS's
/// Node runtime interface client (npm `aws-lambda-ric`).
pub fn node_setup() -> Setup {
    receiver_setup("otel-node", false).runtime_client(RuntimeClient::AwsLambdaRic)
}

/// Whether `scripts/setup-node.sh` installed the `otel-node` function's packages (its
/// native runtime client built). Outside CI their absence skips the test, saying so, as
/// for the other npm-dependent tests; under CI it fails it.
pub fn node_function_installed(test: &str) -> bool {
    let client =
        sample_function("otel-node").join("node_modules/aws-lambda-ric/dist/rapid-client.node");
    installed_or_skip(test, &client, "the otel-node function's npm packages")
}

/// A sample function exporting to metricline's receiver on a port of its own.
fn receiver_setup(function: &'static str, grpc: bool) -> Setup {
    // Not the SDKs' default 4318: tests run in parallel.
    let port = crate::ports::tcp();
    let (receiver, protocol) = if grpc {
        (format!("127.0.0.1:{port},off"), "grpc")
    } else {
        (format!("off,127.0.0.1:{port}"), "http/protobuf")
    };
    Setup {
        function,
        ..Setup::default()
    }
    .env("METRICLINE_OTLP_RECEIVER", &receiver)
    .env("OTEL_RECEIVER_URL", &format!("http://127.0.0.1:{port}"))
    .env("OTEL_RECEIVER_PROTOCOL", protocol)
}

pub fn string_attrs(attributes: &[KeyValue]) -> BTreeMap<String, String> {
    attributes_map(attributes)
}

/// Per received resource of any signal, its attributes.
pub fn resources(sink: &Sink) -> Vec<BTreeMap<String, String>> {
    let traces = sink.traces().into_iter().flat_map(|t| t.resource_spans);
    let traces = traces
        .filter_map(|r| r.resource)
        .map(|r| string_attrs(&r.attributes));
    let logs = sink.logs().into_iter().flat_map(|l| l.resource_logs);
    let logs = logs
        .filter_map(|r| r.resource)
        .map(|r| string_attrs(&r.attributes));
    let metrics = sink
        .requests()
        .into_iter()
        .flat_map(|r| r.request.resource_metrics);
    let metrics = metrics
        .filter(|r| {
            r.scope_metrics
                .iter()
                .any(|s| s.scope.as_ref().is_some_and(|s| s.name == "orders"))
        })
        .filter_map(|r| r.resource)
        .map(|r| string_attrs(&r.attributes));
    traces.chain(logs).chain(metrics).collect()
}

/// Spans carrying `request.id` = `request_id`.
pub fn spans_of(sink: &Sink, request_id: &str) -> usize {
    let traces = sink.traces();
    let spans = traces
        .iter()
        .flat_map(|t| &t.resource_spans)
        .flat_map(|r| &r.scope_spans)
        .flat_map(|s| &s.spans);
    spans
        .filter(|s| {
            string_attrs(&s.attributes)
                .get("request.id")
                .map(String::as_str)
                == Some(request_id)
        })
        .count()
}

/// Log records whose body names `request_id`.
pub fn logs_of(sink: &Sink, request_id: &str) -> usize {
    let logs = sink.logs();
    let records = logs
        .iter()
        .flat_map(|l| &l.resource_logs)
        .flat_map(|r| &r.scope_logs)
        .flat_map(|s| &s.log_records);
    records
        .filter(|r| format!("{:?}", r.body).contains(request_id))
        .count()
}

/// No request reached the backend, or was answered, while the extension waited in `/next`.
pub fn nothing_in_flight_across_next(h: &Harness) {
    for (i, (arrived, answered)) in h.sink.exchanges().into_iter().enumerate() {
        let answered = answered.unwrap_or_else(Instant::now);
        h.check(
            !h.sandbox.extension_parked_at(arrived) && !h.sandbox.extension_parked_at(answered),
            &format!("request {i} was in flight while the extension waited in /next"),
        );
    }
}

/// Spans, log records and metric points of the function that reached the sink, and the
/// items metricline counted as dropped, per signal.
pub fn delivered_and_dropped(sink: &Sink) -> [(usize, f64); 3] {
    let spans = spans_delivered(sink);
    let records = sink
        .logs()
        .iter()
        .flat_map(|l| &l.resource_logs)
        .flat_map(|r| &r.scope_logs)
        .map(|s| s.log_records.len())
        .sum();
    let points = sink.points_named("orders.placed").len();
    let dropped = |signal: &str| {
        sink.total(
            "metricline.otlp.dropped",
            &[
                ("metricline.signal", signal),
                ("metricline.reason", "buffer_full"),
            ],
        )
    };
    [
        (points, dropped("metrics")),
        (spans, dropped("traces")),
        (records, dropped("logs")),
    ]
}

/// The spans of every traces request the sink accepted.
pub fn spans_delivered(sink: &Sink) -> usize {
    sink.traces()
        .iter()
        .flat_map(|t| &t.resource_spans)
        .flat_map(|r| &r.scope_spans)
        .map(|s| s.spans.len())
        .sum()
}
