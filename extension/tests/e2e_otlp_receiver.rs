//! The local OTLP receiver with the real OpenTelemetry Python SDK in the sandbox: metrics,
//! spans and logs the function force-flushes reach the backend exactly once, with the
//! Lambda resource attributes added and the SDK's own kept, before the invoke's `/next`
//! under `end`; a malformed body gets 400 and loses nothing else; a taken port leaves
//! metricline running.

use metricline_tests::expect::check_lines;
use metricline_tests::harness::{Harness, Setup};
use metricline_tests::otel_function::*;
use metricline_tests::sdk_checks::signals_arrive_once_enriched_before_next;

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
    signals_arrive_once_enriched_before_next(test, otel_setup(grpc), "python");
}

#[test]
fn a_malformed_body_gets_400_and_loses_nothing_else() {
    let mut h = Harness::start("otlp_receiver_malformed", otel_setup(false));
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
    let mut h = Harness::start("otlp_receiver_taken_port", setup);
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

#[test]
fn every_flush_strategy_delivers_each_signal_once_and_nothing_across_next() {
    for flush in ["periodic,1", "continuous,50", "adaptive"] {
        let setup = otel_setup(false).env("METRICLINE_FLUSH", flush);
        let mut h = Harness::start("otlp_receiver_strategies", setup);
        let ids: Vec<String> = (0..4)
            .map(|_| h.sandbox.invoke(r#"{"spans":3}"#).request_id)
            .collect();
        nothing_in_flight_across_next(&h);
        let shutdown = h.sandbox.shutdown();
        h.check(
            shutdown.extension_exited_before_deadline,
            &format!("{flush}: clean shutdown"),
        );
        for id in &ids {
            let (spans, logs) = (spans_of(&h.sink, id), logs_of(&h.sink, id));
            h.check(
                spans == 3 && logs == 1,
                &format!("{flush}, {id}: {spans} spans, {logs} log records"),
            );
        }
        let points = h.sink.points_named("orders.placed").len();
        h.check(
            points == ids.len(),
            &format!("{flush}: {points} metric points"),
        );
    }
}
