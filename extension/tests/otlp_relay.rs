//! What the receiver passes through: enriched, merged into one request per signal, sent
//! once; for an http/json backend, batches within the JSON value budget and a request past
//! it refused when received; an outage keeps what fits the buffer and counts what it sheds;
//! a refused batch is counted, not retried; a taken port or an exporter aimed at the
//! receiver leaves it off.

mod otlp_support;
mod pipeline_support;

use metricline::flush::flusher::Attempt;

use otlp_support::*;

use std::time::Duration;

use metricline::otlp_receiver::{self};
use metricline_tests::sink::{Fault, Sink};
use opentelemetry_proto::tonic::trace::v1::ScopeSpans;
use prost::Message;
use tokio::time::Instant;

#[tokio::test]
async fn requests_pass_through_enriched_and_merged_into_one_request_per_signal() {
    let sink = Sink::start();
    let (relay, addr, _) = receiver(&sink, 1 << 20).await;
    for service in ["a", "b", "c"] {
        accepted(addr, "/v1/traces", traces(service, 2).encode_to_vec()).await;
    }
    let json = serde_json::to_vec(&logs("paid")).unwrap();
    assert_eq!(post(addr, "/v1/logs", &[JSON], json).await.status, 200);
    let metrics = gauge("shop.queue.depth", 7.0).encode_to_vec();
    accepted(addr, "/v1/metrics", metrics).await;
    assert_eq!(sink.attempts(), 0, "nothing leaves before a flush");

    relay.flush(soon(), Attempt::UnlessBackingOff).await;
    let traces = sink.traces();
    assert_eq!(traces.len(), 1, "one request for the three: {traces:?}");
    let services: Vec<String> = traces[0]
        .resource_spans
        .iter()
        .map(|r| attributes(&r.resource)[0].1.clone())
        .collect();
    assert_eq!(services, ["a", "b", "c"]);
    let want = |service: &str| {
        [
            ("service.name", service),
            ("telemetry.sdk.language", "python"),
            ("cloud.provider", "aws"),
            ("faas.name", "checkout"),
            (
                "service.instance.id",
                "0b8e7c1e-1111-4222-8333-444455556666",
            ),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .to_vec()
    };
    assert_eq!(attributes(&traces[0].resource_spans[2].resource), want("c"));
    assert_eq!(traces[0].resource_spans[1].scope_spans, traces_spans("b"));

    let logs = sink.logs();
    assert_eq!(logs.len(), 1);
    assert_eq!(
        attributes(&logs[0].resource_logs[0].resource),
        want("orders")
    );
    let requests = sink.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].request.resource_metrics[0].scope_metrics,
        gauge("x", 7.0).resource_metrics[0]
            .scope_metrics
            .iter()
            .map(|s| {
                let mut s = s.clone();
                s.metrics[0].name = "shop.queue.depth".into();
                s
            })
            .collect::<Vec<_>>()
    );

    // Sent once: a second flush has nothing to send.
    relay.flush(soon(), Attempt::UnlessBackingOff).await;
    assert_eq!(
        (
            sink.traces().len(),
            sink.logs().len(),
            sink.requests().len()
        ),
        (1, 1, 1)
    );
}

fn traces_spans(service: &str) -> Vec<ScopeSpans> {
    traces_of(service, 2)
}

#[tokio::test]
async fn a_json_backend_gets_batches_within_the_value_budget_and_past_it_is_refused() {
    let sink = Sink::start();
    let json = [("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/json")];
    let (relay, addr, shared) = receiver_with(&sink, 4 << 20, &json).await;
    // Each about 9 000 objects and array elements as JSON: two do not fit one batch.
    for service in ["a", "b"] {
        accepted(addr, "/v1/traces", traces(service, 9_000).encode_to_vec()).await;
    }
    // One request that could not be written within the budget is refused, with the reason.
    let past = post(
        addr,
        "/v1/traces",
        &[PROTOBUF],
        traces("c", 17_000).encode_to_vec(),
    )
    .await;
    assert_eq!(
        past.status, 413,
        "a size bound, answered as the body size limit is"
    );
    let status = status_message(&past.body);
    assert!(
        status.contains("the traces backend is configured for http/json")
            && status.contains("over the 16384"),
        "{status}"
    );
    // Logs go to an http/protobuf backend: no value budget.
    let many_logs = logs_of(20_000);
    accepted(addr, "/v1/logs", many_logs.encode_to_vec()).await;

    relay.flush(soon(), Attempt::UnlessBackingOff).await;
    let traces = sink.traces();
    assert_eq!(traces.len(), 2, "split by the value budget");
    let spans: Vec<usize> = traces
        .iter()
        .map(|t| t.resource_spans[0].scope_spans[0].spans.len())
        .collect();
    assert_eq!(spans, [9_000, 9_000]);
    assert_eq!(
        traces[1].resource_spans[0].scope_spans,
        self::traces_of("b", 9_000)
    );
    assert_eq!(sink.logs().len(), 1);
    assert_eq!(dropped(&shared, "traces", "rejected"), 0.0);
}

fn traces_of(service: &str, spans: usize) -> Vec<ScopeSpans> {
    traces(service, spans).resource_spans[0].scope_spans.clone()
}

fn logs_of(
    records: usize,
) -> opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest {
    let mut request = logs("many");
    let record = request.resource_logs[0].scope_logs[0].log_records[0].clone();
    request.resource_logs[0].scope_logs[0].log_records = vec![record; records];
    request
}

#[tokio::test]
async fn an_outage_keeps_what_fits_the_buffer_and_counts_what_it_sheds() {
    let sink = Sink::start();
    let one = traces("x", 4).encode_to_vec().len();
    // Room for two requests once enriched, not three.
    let (relay, addr, shared) = receiver(&sink, 2 * one + 300).await;
    // Down for as many attempts as a flush can make.
    sink.fail_next(1000, Fault::Unavailable);
    accepted(addr, "/v1/traces", traces("first", 4).encode_to_vec()).await;
    relay
        .flush(
            Instant::now() + Duration::from_millis(300),
            Attempt::UnlessBackingOff,
        )
        .await;
    assert!(sink.traces().is_empty());
    assert!(relay.buffered_bytes() > 0, "kept for the next flush");

    for service in ["second", "third"] {
        accepted(addr, "/v1/traces", traces(service, 4).encode_to_vec()).await;
    }
    // The oldest request went to make room, and its spans are counted.
    assert_eq!(dropped(&shared, "traces", "buffer_full"), 4.0);
    // Backing off: an invoke's flush only waits; the shutdown flush tries anyway.
    relay.flush(soon(), Attempt::UnlessBackingOff).await;
    assert!(sink.traces().is_empty());
    sink.clear_faults();
    relay.flush(soon(), Attempt::Always).await;
    let services: Vec<String> = sink
        .traces()
        .iter()
        .flat_map(|t| &t.resource_spans)
        .map(|r| attributes(&r.resource)[0].1.clone())
        .collect();
    assert_eq!(services, ["second", "third"]);
    assert_eq!(relay.buffered_bytes(), 0);
}

#[tokio::test]
async fn a_refused_batch_is_counted_not_retried() {
    let sink = Sink::start();
    let (relay, addr, shared) = receiver(&sink, 1 << 20).await;
    sink.fail_next(1, Fault::BadRequest);
    accepted(addr, "/v1/traces", traces("a", 5).encode_to_vec()).await;
    relay.flush(soon(), Attempt::UnlessBackingOff).await;
    assert_eq!(dropped(&shared, "traces", "rejected"), 5.0);
    relay.flush(soon(), Attempt::Always).await;
    assert_eq!(sink.attempts(), 1);
}

#[tokio::test]
async fn a_taken_port_or_an_exporter_pointing_at_the_receiver_leaves_it_off() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let env = |name: &str| {
        (name == "OTEL_EXPORTER_OTLP_ENDPOINT").then(|| "http://127.0.0.1:9".to_string())
    };
    let address = format!("127.0.0.1:{port}");
    let started = otlp_receiver::start(
        &settings(&address, 1 << 20),
        &env,
        &lambda_resource(),
        shared(),
    )
    .await;
    assert!(started.is_none());
    drop(taken);
    // Free now, but metricline's own exporter would send there: a loop, so off too.
    let env = move |name: &str| {
        (name == "OTEL_EXPORTER_OTLP_ENDPOINT").then(|| format!("http://localhost:{port}"))
    };
    let started = otlp_receiver::start(
        &settings(&address, 1 << 20),
        &env,
        &lambda_resource(),
        shared(),
    )
    .await;
    assert!(started.is_none());
    assert!(
        std::net::TcpListener::bind(&address).is_ok(),
        "nothing was bound"
    );
}
