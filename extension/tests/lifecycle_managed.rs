//! The lifecycle on Lambda Managed Instances (docs/lmi.md) and the Telemetry schema, against
//! the scripted Extensions API and a real OTLP sink: SHUTDOWN-only registration, exports on
//! a timer while `/next` waits, the SHUTDOWN wait for every open request's report, and the
//! one retry at schema 2022-12-13.

// Shared with tests/lifecycle.rs, which uses the helpers this file does not.
#[allow(dead_code)]
mod lifecycle_fake;

use lifecycle_fake::*;
use metricline_tests::sink::Sink;
use std::sync::Arc;
use std::time::Duration;

const SECOND: Duration = Duration::from_secs(1);

fn vars(api: &FakeApi, sink: &Sink) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_LAMBDA_RUNTIME_API", api.addr.to_string()),
        ("AWS_LAMBDA_FUNCTION_NAME", "orders".to_string()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "2048".to_string()),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", sink.http_endpoint()),
    ]
}

fn spawn(
    vars: &[(&'static str, String)],
    extra: &[(&'static str, &str)],
) -> std::thread::JoinHandle<()> {
    let mut all: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    all.extend_from_slice(extra);
    spawn_extension(&all)
}

/// A JSON function record of request `id`, as Lambda Managed Instances write them.
fn json_line(id: &str, message: &str) -> String {
    let record = serde_json::json!({
        "timestamp": now_rfc3339(), "level": "INFO", "requestId": id, "message": message,
    });
    event("function", &record.to_string())
}

fn start(request_id: &str) -> String {
    event(
        "platform.start",
        &format!(r#"{{"requestId":"{request_id}"}}"#),
    )
}

/// The thin report of Lambda Managed Instances: a duration, a status and maybe an error
/// type, nothing else.
fn thin_report(request_id: &str, status: &str, error_type: Option<&str>) -> String {
    let mut record = serde_json::json!({
        "requestId": request_id, "status": status, "metrics": { "durationMs": 13.0 },
    });
    if let Some(error_type) = error_type {
        record["errorType"] = error_type.into();
    }
    event("platform.report", &record.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribes_with_2025_01_29_and_retries_once_with_2022_12_13_on_400() {
    let sink = Sink::start();
    let mut api = FakeApi::start(None, None).await;
    api.state.lock().unwrap().refused_schema = Some("2025-01-29");
    let extension = spawn(&vars(&api, &sink), &[("METRICLINE_FLUSH", "end")]);
    let first = api.next_called().await;
    assert_eq!(
        api.state.lock().unwrap().schemas,
        ["2025-01-29", "2022-12-13"]
    );
    // The fallback subscription works: an invoke's line reaches the backend.
    first.send(invoke("r1", 10 * SECOND)).unwrap();
    let port = api.telemetry_port();
    let batch = [
        line("MONITORING|0|3|count|orders.placed"),
        runtime_done("r1"),
    ];
    assert_eq!(deliver(port, &batch).await, 200);
    let second = api.next_called().await;
    assert_eq!(sink.total("orders.placed", &[]), 3.0);
    second.send(shutdown(2 * SECOND)).unwrap();
    ended(extension).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn managed_instances_register_for_shutdown_only_and_export_on_a_timer() {
    let sink = Arc::new(Sink::start());
    let mut api = FakeApi::start(None, None).await;
    let extension = spawn(
        &vars(&api, &sink),
        &[
            ("AWS_LAMBDA_INITIALIZATION_TYPE", "lambda-managed-instances"),
            ("OTEL_METRIC_EXPORT_INTERVAL", "50"),
            ("METRICLINE_FLUSH", "end"),
        ],
    );
    let next = api.next_called().await;
    {
        let state = api.state.lock().unwrap();
        assert_eq!(
            state.registered_events,
            Some(serde_json::json!(["SHUTDOWN"]))
        );
        assert_eq!(state.schemas, ["2025-01-29"]);
    }
    // Two requests run at once; r1 ends, r2 is still running.
    let port = api.telemetry_port();
    let batch = [
        start("r1"),
        start("r2"),
        json_line("r2", "MONITORING|0|3|count|orders.placed"),
        json_line("r1", "MemoryError"),
        thin_report("r1", "error", Some("Runtime.OutOfMemory")),
    ];
    assert_eq!(deliver(port, &batch).await, 200);
    // `/next` is still waiting: only the timer can have exported this.
    let waiting = sink.clone();
    let exported = tokio::task::spawn_blocking(move || {
        waiting.wait_until(20 * SECOND, |points| {
            points.iter().any(|p| p.metric == "orders.placed")
                && points.iter().any(|p| p.metric == "faas.errors")
        })
    })
    .await
    .unwrap();
    assert!(exported, "timer export while /next waits");
    assert!(!api.next_pending(), "no second /next call before SHUTDOWN");

    // SHUTDOWN waits for the report of r2, still open, which arrives after it.
    next.send(shutdown(2 * SECOND)).unwrap();
    assert_eq!(
        deliver(port, &[thin_report("r2", "success", None)]).await,
        200
    );
    ended(extension).await;
    assert_eq!(sink.total("orders.placed", &[]), 3.0, "counted once");
    assert_eq!(sink.total("faas.invocations", &[]), 1.0);
    assert_eq!(sink.total("faas.errors", &[]), 1.0);
    // The MemoryError line belongs to r1 (not to r2, the latest start), whose report says
    // out of memory too: one request, counted once.
    assert_eq!(sink.total("aws.lambda.out_of_memory", &[]), 1.0);
    assert_eq!(sink.count("aws.lambda.duration", &[]), 2);
    // The thin report has no billed duration or memory: absent, not zero.
    for absent in [
        "aws.lambda.billed_duration",
        "faas.mem_usage",
        "aws.lambda.estimated_cost",
    ] {
        assert_eq!(sink.count(absent, &[]), 0, "{absent}");
    }
    assert_eq!(api.state.lock().unwrap().next_calls, 1);
}
