//! What every OpenTelemetry SDK function (`functions/otel` in Python, `functions/otel-node`
//! in Node) must show end to end, whichever runtime client runs it: each invoke's signals
//! arrive once and enriched before its `/next` under `end`, and a failed invoke still
//! delivers what it flushed, its records preceding its `runtimeDone`.

use serde_json::Value;

use crate::harness::{Harness, Setup};
use crate::otel_function::{logs_of, nothing_in_flight_across_next, resources, spans_of};
use crate::sandbox::InvokeStatus;

/// Three invokes of 3 spans, 2 orders and one metric line each: after each, that invoke's
/// spans, log record, metric point and metric line have reached the sink exactly once
/// (`invoke` returns once the sandbox froze again, so what arrived went out before the
/// extension's `/next`) and no request was in flight across `/next`. Every resource keeps
/// the SDK's attributes (telemetry.sdk.language = `language`) and carries Lambda's.
pub fn signals_arrive_once_enriched_before_next(test: &str, setup: Setup, language: &str) {
    let mut h = Harness::start(test, setup);
    let mut request_ids = Vec::new();
    for n in 1..=3u64 {
        let invoke = h.sandbox.invoke(r#"{"spans":3,"orders":2,"line":true}"#);
        h.check(
            invoke.response.is_some(),
            &format!("invoke {n}: {invoke:?}\n{:?}", h.sandbox.function_log()),
        );
        let id = invoke.request_id.clone();
        let spans = spans_of(&h.sink, &id);
        h.check(spans == 3, &format!("invoke {n}: 3 spans, got {spans}"));
        let logs = logs_of(&h.sink, &id);
        h.check(logs == 1, &format!("invoke {n}: 1 log record, got {logs}"));
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
        // The line the function printed through the runtime client, read by metricline
        // from the Telemetry API: it preceded runtimeDone.
        let logged = h.sink.total("orders.logged", &[]);
        h.check(
            logged == n as f64,
            &format!("invoke {n}: orders.logged {logged}"),
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
            has("telemetry.sdk.language", language),
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

/// An invoke whose handler throws after force-flushing: the runtime client posts the
/// error (of `error_type`, the language's own name for it), the invoke's spans and log record still arrive once before its `/next`, the
/// error the runtime client logged is a function record before the invoke's
/// `runtimeDone`, and the next invoke is served by the same process.
pub fn a_failed_invoke_delivers_what_it_flushed(test: &str, setup: Setup, error_type: &str) {
    let mut h = Harness::start(test, setup);
    let failed = h.sandbox.invoke(r#"{"fail":true}"#);
    let id = failed.request_id.clone();
    h.check(
        failed.status == InvokeStatus::Error && failed.error_type.as_deref() == Some(error_type),
        &format!("the invoke failed: {failed:?}"),
    );
    h.check(
        failed
            .error_body
            .as_deref()
            .is_some_and(|b| b.contains(&format!("order failed {id}"))),
        &format!("the error's message was posted: {failed:?}"),
    );
    h.check(
        spans_of(&h.sink, &id) == 2 && logs_of(&h.sink, &id) == 1,
        "the failed invoke's spans and log record, once",
    );
    let events = h.sandbox.events();
    let position = |wanted: &dyn Fn(&Value) -> bool| events.iter().position(wanted);
    let logged = position(&|e| {
        e["type"] == "function"
            && e["record"]
                .to_string()
                .contains(&format!("order failed {id}"))
    });
    let done = position(&|e| e["type"] == "platform.runtimeDone" && e["record"]["requestId"] == id);
    h.check(
        matches!((logged, done), (Some(l), Some(d)) if l < d),
        &format!(
            "the logged error ({logged:?}) precedes runtimeDone ({done:?}):\n{:#?}",
            h.sandbox.function_log()
        ),
    );
    let next = h.sandbox.invoke("{}");
    h.check(
        next.response.is_some() && spans_of(&h.sink, &next.request_id) == 2,
        &format!("the next invoke: {next:?}"),
    );
    h.sandbox.shutdown();
}
