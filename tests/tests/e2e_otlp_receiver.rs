//! The local OTLP receiver with the real OpenTelemetry Python SDK in the sandbox: metrics,
//! spans and logs the function force-flushes reach the backend exactly once, with the
//! Lambda resource attributes added and the SDK's own kept, before the invoke's `/next`
//! under `end`; a malformed body gets 400 and loses nothing else; a taken port leaves
//! metricline running.

use std::collections::BTreeMap;
use std::time::Instant;

use metricline_tests::expect::check_lines;
use metricline_tests::harness::{Harness, Setup};
use metricline_tests::sink::{attributes_map, Fault, Sink};
use opentelemetry_proto::tonic::common::v1::KeyValue;

/// A loopback port free right now: the SDKs' default 4318 would be shared by tests
/// running in parallel.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

/// The `otel` function, its SDK and metricline's receiver on a port of their own, over
/// OTLP/HTTP or (`grpc`) OTLP/gRPC.
fn otel_setup(grpc: bool) -> Setup {
    let port = free_port();
    let (receiver, protocol) = if grpc {
        (format!("127.0.0.1:{port},off"), "grpc")
    } else {
        (format!("off,127.0.0.1:{port}"), "http/protobuf")
    };
    Setup {
        function: "otel",
        ..Setup::default()
    }
    .env("METRICLINE_OTLP_RECEIVER", &receiver)
    .env("OTEL_RECEIVER_URL", &format!("http://127.0.0.1:{port}"))
    .env("OTEL_RECEIVER_PROTOCOL", protocol)
}

fn string_attrs(attributes: &[KeyValue]) -> BTreeMap<String, String> {
    attributes_map(attributes)
}

/// Per received resource of any signal, its attributes.
fn resources(sink: &Sink) -> Vec<BTreeMap<String, String>> {
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
fn spans_of(sink: &Sink, request_id: &str) -> usize {
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
fn logs_of(sink: &Sink, request_id: &str) -> usize {
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
fn nothing_in_flight_across_next(h: &Harness) {
    for (i, (arrived, answered)) in h.sink.exchanges().into_iter().enumerate() {
        let answered = answered.unwrap_or_else(Instant::now);
        h.check(
            !h.sandbox.extension_parked_at(arrived) && !h.sandbox.extension_parked_at(answered),
            &format!("request {i} was in flight while the extension waited in /next"),
        );
    }
}

#[test]
fn sdk_signals_over_http_arrive_once_enriched_before_the_invokes_next() {
    sdk_signals_arrive_once_enriched_before_the_invokes_next(false);
}

#[test]
fn sdk_signals_over_grpc_arrive_once_enriched_before_the_invokes_next() {
    sdk_signals_arrive_once_enriched_before_the_invokes_next(true);
}

fn sdk_signals_arrive_once_enriched_before_the_invokes_next(grpc: bool) {
    let test = if grpc {
        "otlp_receiver_sdk_grpc"
    } else {
        "otlp_receiver_sdk_http"
    };
    let Some(mut h) = Harness::start(test, otel_setup(grpc)) else {
        return;
    };
    let mut request_ids = Vec::new();
    for n in 1..=3u64 {
        let invoke = h.sandbox.invoke(r#"{"spans":3,"orders":2}"#);
        h.check(
            invoke.response.is_some(),
            &format!("invoke {n}: {invoke:?}\n{:?}", h.sandbox.function_log()),
        );
        // `invoke` returns once the sandbox froze again: what arrived is what went out
        // before the extension's `/next`.
        let id = invoke.request_id.clone();
        h.check(
            spans_of(&h.sink, &id) == 3,
            &format!("invoke {n}: 3 spans, got {}", spans_of(&h.sink, &id)),
        );
        h.check(
            logs_of(&h.sink, &id) == 1,
            &format!("invoke {n}: 1 log record, got {}", logs_of(&h.sink, &id)),
        );
        let placed = h.sink.points_named("orders.placed");
        h.check(
            placed.len() as u64 == n,
            &format!("invoke {n}: one orders.placed point per force-flush: {placed:?}"),
        );
        // The SDK's counter is cumulative: the last point holds every invoke's orders.
        h.check(
            placed.last().map(|p| p.value) == Some(2.0 * n as f64),
            &format!("invoke {n}: {placed:?}"),
        );
        nothing_in_flight_across_next(&h);
        request_ids.push(id);
    }
    h.sandbox.shutdown();
    for id in &request_ids {
        h.check(
            spans_of(&h.sink, id) == 3 && logs_of(&h.sink, id) == 1,
            &format!("{id}: sent once"),
        );
    }
    let resources = resources(&h.sink);
    h.check(
        resources.len() >= 9,
        &format!("three signals, three invokes: {resources:?}"),
    );
    for resource in &resources {
        let has = |k: &str, v: &str| resource.get(k).map(String::as_str) == Some(v);
        // The SDK's own, kept (metricline's service.name would be "checkout").
        h.check(has("service.name", "otel-orders"), &format!("{resource:?}"));
        h.check(
            has("deployment.environment", "test"),
            &format!("{resource:?}"),
        );
        h.check(
            has("telemetry.sdk.language", "python"),
            &format!("{resource:?}"),
        );
        // Lambda's, added.
        h.check(
            has("cloud.provider", "aws") && has("cloud.platform", "aws_lambda"),
            &format!("{resource:?}"),
        );
        for key in [
            "faas.name",
            "faas.max_memory",
            "service.instance.id",
            "host.arch",
            "cloud.region",
        ] {
            h.check(
                resource.contains_key(key),
                &format!("{key} missing: {resource:?}"),
            );
        }
    }
}

#[test]
fn a_malformed_body_gets_400_and_loses_nothing_else() {
    let Some(mut h) = Harness::start("otlp_receiver_malformed", otel_setup(false)) else {
        return;
    };
    let invoke = h.sandbox.invoke(r#"{"malformed":true}"#);
    let response = invoke.response.clone().unwrap_or_default();
    h.check(
        response.contains(r#""malformed_status": 400"#),
        &format!("the function saw: {response}"),
    );
    h.check(
        spans_of(&h.sink, &invoke.request_id) == 2,
        "the invoke's spans, once",
    );
    h.check(
        logs_of(&h.sink, &invoke.request_id) == 1,
        "the invoke's log record, once",
    );
    h.check(
        h.sink.points_named("orders.placed").len() == 1,
        "the invoke's metric point",
    );
    h.check(
        h.sandbox
            .extension_log()
            .contains("refused a traces request"),
        "the refusal is logged",
    );
    h.sandbox.shutdown();
}

#[test]
fn a_taken_port_leaves_metricline_running_without_the_receiver() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a port to take");
    let port = taken.local_addr().expect("its address").port();
    let setup = Setup::default().env("METRICLINE_OTLP_RECEIVER", &format!("off,127.0.0.1:{port}"));
    let Some(mut h) = Harness::start("otlp_receiver_taken_port", setup) else {
        return;
    };
    for n in 1..=2 {
        h.sandbox.invoke("{}");
        let verdict = check_lines(&h.sink.points(), n, 1);
        h.check(
            verdict.is_ok(),
            &format!("invoke {n}: the log lines still arrive: {verdict:?}"),
        );
    }
    let log = h.sandbox.extension_log();
    h.check(
        log.matches("cannot listen on").count() == 1,
        "the taken port is logged once",
    );
    let shutdown = h.sandbox.shutdown();
    h.check(shutdown.extension_exited_before_deadline, "clean shutdown");
    drop(taken);
}

/// Spans, log records and metric points of the function that reached the sink, and the
/// items metricline counted as dropped, per signal.
fn delivered_and_dropped(sink: &Sink) -> [(usize, f64); 3] {
    let spans = sink
        .traces()
        .iter()
        .flat_map(|t| &t.resource_spans)
        .flat_map(|r| &r.scope_spans)
        .map(|s| s.spans.len())
        .sum();
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

#[test]
fn an_outage_loses_nothing_within_the_buffer_and_counts_what_it_sheds() {
    for (buffer_bytes, must_shed) in [("4194304", false), ("2500", true)] {
        // A short export timeout: each failing flush gives up quickly and backs off.
        let setup = otel_setup(false)
            .env("METRICLINE_OTLP_BUFFER_BYTES", buffer_bytes)
            .env("OTEL_EXPORTER_OTLP_TIMEOUT", "300");
        let Some(mut h) = Harness::start("otlp_receiver_outage", setup) else {
            return;
        };
        // The backend is down for every attempt of the first invokes' flushes.
        h.sink.fail_next(100_000, Fault::Unavailable);
        let invokes = 4;
        for _ in 0..invokes {
            h.sandbox.invoke(r#"{"spans":3,"orders":1}"#);
        }
        h.check(h.sink.traces().is_empty(), "nothing got through the outage");
        h.sink.clear_faults();
        let shutdown = h.sandbox.shutdown();
        h.check(shutdown.extension_exited_before_deadline, "clean shutdown");
        let [metrics, traces, logs] = delivered_and_dropped(&h.sink);
        let sent = [
            (metrics, invokes as f64),
            (traces, 3.0 * invokes as f64),
            (logs, invokes as f64),
        ];
        for ((delivered, dropped), expected) in [metrics, traces, logs]
            .into_iter()
            .zip(sent.map(|(_, n)| n))
        {
            h.check(
                delivered as f64 + dropped == expected,
                &format!("buffer {buffer_bytes}: {delivered} delivered + {dropped} dropped != {expected}"),
            );
            if !must_shed {
                h.check(
                    dropped == 0.0,
                    &format!("buffer {buffer_bytes}: nothing shed, {dropped} were"),
                );
            }
        }
        if must_shed {
            let shed: f64 = [metrics, traces, logs].iter().map(|(_, d)| d).sum();
            h.check(shed > 0.0, "a small buffer sheds");
            h.check(
                h.sandbox
                    .extension_log()
                    .contains("OTLP receiver buffer full"),
                "and says so",
            );
        }
    }
}
