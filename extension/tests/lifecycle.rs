//! The lifecycle against a scripted Extensions API and a real OTLP sink: registration and
//! subscription, each flush strategy's promise about what reached the backend before the
//! next `/next`, the SHUTDOWN flush, and idling on our own faults.

mod lifecycle_fake;

use lifecycle_fake::*;
use metricline_tests::sink::{Fault, Sink};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::oneshot;

const SECOND: Duration = Duration::from_secs(1);

fn env<'a>(api: &FakeApi, sink: &'a Sink, flush: &'a str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_LAMBDA_RUNTIME_API", api.addr.to_string()),
        ("AWS_LAMBDA_FUNCTION_NAME", "orders".to_string()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_string()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128".to_string()),
        ("AWS_REGION", "eu-west-1".to_string()),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", sink.http_endpoint()),
        ("METRICLINE_FLUSH", flush.to_string()),
        // In-process tests run in parallel: none may take the machine's 4317/4318
        // (docs/otlp-receiver.md; the receiver has tests of its own).
        ("METRICLINE_OTLP_RECEIVER", "off".to_string()),
    ]
}

fn start(vars: &[(&'static str, String)], extra: &[(&'static str, &str)]) -> JoinHandle<()> {
    let mut all: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    all.extend_from_slice(extra);
    spawn_extension(&all)
}

/// A sink, a scripted API that accepts registration and subscription, and the extension
/// started against both with the flush strategy `flush` and the `extra` variables.
async fn started(flush: &str, extra: &[(&'static str, &str)]) -> (Sink, FakeApi, JoinHandle<()>) {
    let sink = Sink::start();
    let api = FakeApi::start(None, None).await;
    let extension = start(&env(&api, &sink, flush), extra);
    (sink, api, extension)
}

/// Answers the pending `/next` with SHUTDOWN; the extension must then exit by itself.
async fn shut_down(next: oneshot::Sender<String>, extension: JoinHandle<()>) {
    next.send(shutdown(2 * SECOND)).unwrap();
    ended(extension).await;
}

/// Answers the pending `/next` with one invoke and the one after with SHUTDOWN.
async fn invoke_once_then_shut_down(
    api: &mut FakeApi,
    first: oneshot::Sender<String>,
    extension: JoinHandle<()>,
) {
    first.send(invoke("r1", 10 * SECOND)).unwrap();
    shut_down(api.next_called().await, extension).await;
}

const ORDERS: &str = "MONITORING|0|3|count|orders.placed|#env:prod";

/// Answers the pending `/next` with invoke `r1`, whose telemetry (one `ORDERS` line, then its
/// `runtimeDone`) the listener must accept.
async fn invoke_with_orders(api: &FakeApi, next: oneshot::Sender<String>) {
    let port = api.telemetry_port();
    next.send(invoke("r1", 10 * SECOND)).unwrap();
    assert_eq!(
        deliver(port, &[line(ORDERS), runtime_done("r1")]).await,
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registers_subscribes_and_end_flushes_before_the_next_call() {
    let (sink, mut api, extension) = started("end", &[]).await;

    let first = api.next_called().await;
    {
        let state = api.state.lock().unwrap();
        assert_eq!(state.registered_as.as_deref(), Some("metricline"));
        assert_eq!(state.accept_feature.as_deref(), Some("accountId"));
        let subscription = state
            .subscription
            .as_ref()
            .expect("subscribed before /next");
        assert_eq!(subscription["schemaVersion"], "2025-01-29");
        assert_eq!(
            subscription["types"],
            serde_json::json!(["platform", "function"])
        );
        assert_eq!(subscription["buffering"]["timeoutMs"], 25);
        assert_eq!(subscription["destination"]["protocol"], "HTTP");
    }
    let port = api.telemetry_port();
    first.send(invoke("r1", 10 * SECOND)).unwrap();
    let batch = [
        event("platform.start", r#"{"requestId":"r1"}"#),
        line(ORDERS),
        runtime_done("r1"),
    ];
    assert_eq!(deliver(port, &batch).await, 200);

    // `end`: by the time the extension asks for the next event, the invoke's data is out.
    let second = api.next_called().await;
    assert_eq!(sink.total("orders.placed", &[("env", "prod")]), 3.0);
    assert_eq!(sink.total("faas.invocations", &[]), 1.0);
    let resource = &sink.points_named("orders.placed")[0].resource;
    assert_eq!(
        resource.get("cloud.account.id").map(String::as_str),
        Some("123456789012")
    );
    assert_eq!(
        resource.get("faas.name").map(String::as_str),
        Some("orders")
    );
    assert_eq!(
        resource.get("service.instance.id").map(String::len),
        Some(36)
    );

    // SHUTDOWN: the late report of r1 still makes it, and the extension exits by itself.
    second.send(shutdown(2 * SECOND)).unwrap();
    assert_eq!(deliver(port, &[report("r1")]).await, 200);
    ended(extension).await;
    assert_eq!(sink.count("aws.lambda.billed_duration", &[]), 1);
    assert!(!api.next_pending(), "no /next after SHUTDOWN");
    assert_eq!(api.state.lock().unwrap().next_calls, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn end_waits_no_longer_than_the_invoke_deadline_without_runtime_done() {
    let (sink, mut api, extension) = started("end", &[]).await;
    let port = {
        let first = api.next_called().await;
        let port = api.telemetry_port();
        first
            .send(invoke("r1", Duration::from_millis(300)))
            .unwrap();
        port
    };
    assert_eq!(deliver(port, &[line(ORDERS)]).await, 200);
    // No runtimeDone: the extension gives up at the deadline and still calls /next.
    let second = api.next_called().await;
    shut_down(second, extension).await;
    assert_eq!(
        sink.total("orders.placed", &[]),
        3.0,
        "delivered at SHUTDOWN at the latest"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn periodic_exports_at_an_invoke_once_the_interval_passed() {
    let (sink, mut api, extension) = started("periodic,1", &[]).await;
    let first = api.next_called().await;
    let port = api.telemetry_port();
    first.send(invoke("r1", 10 * SECOND)).unwrap();
    let second = api.next_called().await;
    // The extension's flush at r1 started before this /next call; the interval counts from
    // that start, so r2 must come more than 1 ms after it for the plan to flush again. On a
    // fast machine the steps below take less than that.
    let interval_passed = tokio::time::Instant::now() + Duration::from_millis(2);
    // Invoke 1's data arrives after the extension went back to /next, as it does in Lambda.
    assert_eq!(
        deliver(port, &[line(ORDERS), runtime_done("r1")]).await,
        200
    );
    tokio::time::sleep_until(interval_passed).await;
    second.send(invoke("r2", 10 * SECOND)).unwrap();
    let third = api.next_called().await;
    assert_eq!(
        sink.total("orders.placed", &[]),
        3.0,
        "exported during invoke 2"
    );
    shut_down(third, extension).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn continuous_exports_on_a_timer_while_the_function_runs() {
    let (sink, mut api, extension) = started("continuous,20", &[]).await;
    let first = api.next_called().await;
    let port = api.telemetry_port();
    first.send(invoke("r1", 30 * SECOND)).unwrap();
    assert_eq!(deliver(port, &[line(ORDERS)]).await, 200);
    // Still inside the invoke (no runtimeDone yet), the timer delivers the line.
    let sink = Arc::new(sink);
    let waiting = sink.clone();
    let ok = tokio::task::spawn_blocking(move || {
        waiting.wait_until(20 * SECOND, |points| {
            points.iter().any(|p| p.metric == "orders.placed")
        })
    })
    .await
    .unwrap();
    assert!(ok, "timer export during the invoke");
    assert!(!api.next_pending(), "the invoke is not over yet");
    assert_eq!(deliver(port, &[runtime_done("r1")]).await, 200);
    let second = api.next_called().await;
    shut_down(second, extension).await;
    assert_eq!(sink.total("orders.placed", &[]), 3.0, "counted once");
    assert_eq!(sink.total("faas.invocations", &[]), 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_backend_backs_off_and_the_data_goes_with_the_shutdown_flush() {
    let sink = Sink::start();
    // 429 with a Retry-After longer than any flush budget: the export fails at once.
    sink.fail_next(1, Fault::RetryAfter(30));
    let mut api = FakeApi::start(None, None).await;
    let extension = start(&env(&api, &sink, "end"), &[]);
    let first = api.next_called().await;
    invoke_with_orders(&api, first).await;
    let second = api.next_called().await;
    assert_eq!(sink.attempts(), 1);
    assert_eq!(sink.total("orders.placed", &[]), 0.0);

    // Backing off (honouring Retry-After): invoke 2 only buffers, no request is sent.
    second.send(invoke("r2", 10 * SECOND)).unwrap();
    assert_eq!(
        deliver(api.telemetry_port(), &[runtime_done("r2")]).await,
        200
    );
    let third = api.next_called().await;
    assert_eq!(sink.attempts(), 1);

    // SHUTDOWN always tries once: everything buffered arrives, each value once.
    shut_down(third, extension).await;
    assert_eq!(sink.attempts(), 2);
    assert_eq!(sink.total("orders.placed", &[]), 3.0);
    assert_eq!(sink.total("faas.invocations", &[]), 2.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_disabled_registers_and_idles() {
    let (sink, mut api, extension) = started("end", &[("OTEL_SDK_DISABLED", "TRUE")]).await;
    let first = api.next_called().await;
    assert!(api.state.lock().unwrap().registered_as.is_some());
    assert!(api.state.lock().unwrap().subscription.is_none());
    invoke_once_then_shut_down(&mut api, first, extension).await;
    assert_eq!(sink.attempts(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_telemetry_api_202_keeps_answering_next() {
    let sink = Sink::start();
    let mut api = FakeApi::start(None, Some(202)).await;
    let extension = start(&env(&api, &sink, "end"), &[]);
    let first = api.next_called().await;
    assert!(api.state.lock().unwrap().subscription.is_some());
    invoke_once_then_shut_down(&mut api, first, extension).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unbuildable_exporter_idles_instead_of_failing_the_function() {
    let (_sink, mut api, extension) = started(
        "end",
        &[("OTEL_EXPORTER_OTLP_CERTIFICATE", "/nonexistent/ca.pem")],
    )
    .await;
    let first = api.next_called().await;
    assert!(api.state.lock().unwrap().subscription.is_none());
    invoke_once_then_shut_down(&mut api, first, extension).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_registration_exits_quietly() {
    let sink = Sink::start();
    let api = FakeApi::start(Some(403), None).await;
    let extension = start(&env(&api, &sink, "end"), &[]);
    ended(extension).await;
    assert_eq!(api.state.lock().unwrap().next_calls, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_settings_fall_back_and_the_extension_still_works() {
    let (sink, mut api, extension) = started(
        "sometimes",
        &[
            ("METRICLINE_BUFFER_POINTS", "-3"),
            ("METRICLINE_LOG", "loud"),
        ],
    )
    .await;
    let first = api.next_called().await;
    invoke_with_orders(&api, first).await;
    // Adaptive (the fallback) ends a rare invoke like `end`.
    let second = api.next_called().await;
    assert_eq!(sink.total("orders.placed", &[]), 3.0);
    shut_down(second, extension).await;
}
