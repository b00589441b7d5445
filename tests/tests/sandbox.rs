//! The local Lambda sandbox itself, checked with a stand-in Python extension: Lambda's event
//! order, freeze between invokes, errors, timeouts, out of memory and the shutdown deadline.

use std::path::Path;
use std::time::Duration;

use metricline_tests::sandbox::{self, Builder, InvokeStatus, LogFormat, Sandbox};
use serde_json::Value;

struct Fixture {
    sandbox: Sandbox,
    out: tempfile::NamedTempFile,
}

/// The stand-in extension beside the `simple` function, writing what it saw to `out`.
fn fake_extension(python: &Path, out: &tempfile::NamedTempFile) -> Builder {
    sandbox::with_fake_extension(python, out.path())
}

fn start(python: &Path, format: LogFormat, timeout: Duration) -> Fixture {
    let out = tempfile::NamedTempFile::new().unwrap();
    let sandbox = fake_extension(python, &out)
        .log_format(format)
        .timeout(timeout)
        .start()
        .expect("sandbox starts");
    Fixture { sandbox, out }
}

fn types(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}

/// What the extension wrote at SHUTDOWN: `received` events and its `env`.
fn written(out: &tempfile::NamedTempFile) -> Value {
    serde_json::from_slice(&std::fs::read(out.path()).unwrap()).unwrap()
}

/// What the extension received over the Telemetry API, once it has exited.
fn received(out: &tempfile::NamedTempFile) -> Vec<Value> {
    written(out)["received"].as_array().unwrap().clone()
}

#[test]
fn invokes_follow_lambdas_event_order_and_shutdown_delivers_everything() {
    let python = sandbox::require_python("sandbox event order");
    let mut f = start(&python, LogFormat::Text, Duration::from_secs(10));
    let ok = f.sandbox.invoke(r#"{"action":"ok"}"#);
    assert_eq!(
        ok.status,
        InvokeStatus::Success,
        "{}",
        f.sandbox.extension_log()
    );
    assert!(ok.response.unwrap().contains(&ok.request_id));
    let failed = f.sandbox.invoke(r#"{"action":"fail"}"#);
    assert_eq!(
        (failed.status, failed.error_type.as_deref()),
        (InvokeStatus::Error, Some("ValueError"))
    );
    let events = f.sandbox.events();
    let order: Vec<String> = types(&events)
        .into_iter()
        .filter(|t| t.starts_with("platform."))
        .collect();
    assert_eq!(
        order,
        [
            "platform.initStart",
            "platform.initRuntimeDone",
            "platform.initReport",
            "platform.start",
            "platform.runtimeDone",
            "platform.report",
            "platform.start",
            "platform.runtimeDone",
            "platform.report",
        ]
    );
    let records: Vec<&str> = events
        .iter()
        .filter(|e| e["type"] == "function")
        .filter_map(|e| e["record"].as_str())
        .collect();
    assert!(records.contains(&"init: module loaded"));
    assert!(records
        .iter()
        .any(|r| r.starts_with("[INFO]\t")
            && r.ends_with(&format!("\t{}\thandling ok", ok.request_id))));
    let shutdown = f.sandbox.shutdown();
    assert!(
        shutdown.extension_exited_before_deadline && !shutdown.killed,
        "{shutdown:?}"
    );
    assert!(shutdown.extensions[0].peak_rss_kb > 0);
    // The extension saw every function record of an invoke before that invoke's runtimeDone.
    let seen = received(&f.out);
    let seen_types = types(&seen);
    let monitoring = seen
        .iter()
        .position(|e| {
            e["record"]
                .as_str()
                .is_some_and(|r| r.contains("action:fail"))
        })
        .unwrap();
    let done = seen
        .iter()
        .position(|e| {
            e["type"] == "platform.runtimeDone"
                && e["record"]["requestId"] == failed.request_id.as_str()
        })
        .unwrap();
    assert!(monitoring < done);
    assert_eq!(
        seen_types
            .iter()
            .filter(|t| *t == "platform.runtimeDone")
            .count(),
        2
    );
    let report = seen
        .iter()
        .find(|e| e["type"] == "platform.report")
        .unwrap();
    // Extensions see the function's identity but not its log group or stream (§2).
    let env = &written(&f.out)["env"];
    assert_eq!(env["AWS_LAMBDA_FUNCTION_NAME"], "metricline-sandbox");
    assert_eq!(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "128");
    assert_eq!(env["AWS_LAMBDA_INITIALIZATION_TYPE"], "on-demand");
    assert!(env["AWS_REGION"].is_string() && env["AWS_LAMBDA_RUNTIME_API"].is_string());
    assert!(env.get("AWS_LAMBDA_LOG_GROUP_NAME").is_none() && env.get("_HANDLER").is_none());
    assert_eq!(report["record"]["metrics"]["memorySizeMB"], 128);
    assert!(report["record"]["metrics"]["initDurationMs"].is_number());
}

#[test]
fn timeouts_oom_and_json_log_format() {
    let python = sandbox::require_python("sandbox timeouts");
    let mut f = start(&python, LogFormat::Json, Duration::from_millis(1500));
    let timed_out = f.sandbox.invoke(r#"{"action":"sleep","seconds":30}"#);
    assert_eq!(timed_out.status, InvokeStatus::Timeout);
    let oom = f.sandbox.invoke(r#"{"action":"oom"}"#);
    assert_eq!(oom.error_type.as_deref(), Some("Runtime.OutOfMemory"));
    let after = f.sandbox.invoke(r#"{"action":"ok"}"#);
    assert_eq!(
        after.status,
        InvokeStatus::Success,
        "the runtime was restarted after the timeout"
    );
    let events = f.sandbox.events();
    let report = |id: &str| {
        events
            .iter()
            .find(|e| e["type"] == "platform.report" && e["record"]["requestId"] == id)
            .cloned()
            .unwrap()
    };
    assert_eq!(report(&timed_out.request_id)["record"]["status"], "timeout");
    assert_eq!(
        report(&oom.request_id)["record"]["metrics"]["maxMemoryUsedMB"],
        128
    );
    let wrapped = events.iter().find(|e| {
        e["type"] == "function"
            && e["record"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("MONITORING|"))
            && e["record"]["requestId"] == after.request_id.as_str()
    });
    assert!(
        wrapped.is_some(),
        "a printed line is wrapped with the request id"
    );
    let logged = events
        .iter()
        .find(|e| e["type"] == "function" && e["record"]["message"] == "handling ok");
    assert_eq!(logged.unwrap()["record"]["level"], "INFO");
    assert!(f.sandbox.shutdown().extension_exited_before_deadline);
}

#[test]
fn without_the_telemetry_api_subscriptions_get_202_and_nothing_is_delivered() {
    let python = sandbox::require_python("sandbox without telemetry");
    let out = tempfile::NamedTempFile::new().unwrap();
    let mut sandbox = fake_extension(&python, &out)
        .telemetry_api(false)
        .start()
        .expect("sandbox starts");
    assert_eq!(sandbox.invoke("{}").status, InvokeStatus::Success);
    assert!(sandbox.shutdown().extension_exited_before_deadline);
    assert!(received(&out).is_empty());
}

#[test]
fn registration_with_a_name_other_than_the_file_name_gets_403() {
    let python = sandbox::require_python("sandbox registration");
    let out = tempfile::NamedTempFile::new().unwrap();
    let mut sandbox = fake_extension(&python, &out)
        .env("FAKE_EXTENSION_NAME", "metricline")
        .start()
        .expect("the function starts without the extension");
    assert!(
        sandbox.extension_log().contains("HTTP Error 403"),
        "{}",
        sandbox.extension_log()
    );
    // The function still runs; the failed extension is simply gone.
    assert_eq!(sandbox.invoke("{}").status, InvokeStatus::Success);
    sandbox.shutdown();
}

#[test]
fn subscriptions_below_the_buffering_minimum_are_refused() {
    let python = sandbox::require_python("sandbox subscription check");
    let out = tempfile::NamedTempFile::new().unwrap();
    let mut sandbox = fake_extension(&python, &out)
        .env("FAKE_EXTENSION_TIMEOUT_MS", "10")
        .start()
        .expect("sandbox starts");
    let log = sandbox.extension_log();
    assert!(
        log.contains("subscribe failed 400") && log.contains("timeoutMs"),
        "{log}"
    );
    assert_eq!(sandbox.invoke("{}").status, InvokeStatus::Success);
    sandbox.shutdown();
    assert!(received(&out).is_empty());
}
