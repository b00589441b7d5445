//! The sandbox with AWS's Python runtime interface client (pip `awslambdaric`) in place of
//! its own loop: the client's Runtime API calls are served (success, error, the respawn
//! after a timeout), and every record of init and of each invoke, the client's own error
//! report included, precedes the `runtimeDone` that ends it, by the marker the sandbox
//! writes into the client's output (`sandbox/client.rs`).

use std::time::Duration;

use metricline_tests::sandbox::{self, InvokeStatus, RuntimeClient};
use serde_json::Value;

/// Index of the first event that `wanted` accepts.
fn position(events: &[Value], wanted: impl Fn(&Value) -> bool) -> usize {
    events
        .iter()
        .position(wanted)
        .unwrap_or_else(|| panic!("not among the events:\n{events:#?}"))
}

/// Index of the first function record containing `text`.
fn record(events: &[Value], text: &str) -> usize {
    position(events, |e| {
        e["type"] == "function" && e["record"].as_str().is_some_and(|r| r.contains(text))
    })
}

fn runtime_done(events: &[Value], request_id: &str) -> usize {
    position(events, |e| {
        e["type"] == "platform.runtimeDone" && e["record"]["requestId"] == request_id
    })
}

#[test]
fn awslambdaric_is_served_and_its_records_precede_runtime_done() {
    let python = sandbox::require_python("sandbox under awslambdaric");
    let out = tempfile::NamedTempFile::new().unwrap();
    let mut sandbox = sandbox::with_fake_extension(&python, out.path())
        .runtime_client(RuntimeClient::Awslambdaric)
        .timeout(Duration::from_millis(1500))
        .start()
        .expect("sandbox starts");
    let ok = sandbox.invoke(r#"{"action":"ok"}"#);
    assert_eq!(ok.status, InvokeStatus::Success, "{ok:?}");
    let response: Value = serde_json::from_str(ok.response.as_deref().unwrap()).unwrap();
    assert_eq!(response["request"], ok.request_id.as_str());
    let failed = sandbox.invoke(r#"{"action":"fail"}"#);
    assert_eq!(
        (failed.status, failed.error_type.as_deref()),
        (InvokeStatus::Error, Some("ValueError")),
        "{failed:?}"
    );
    let timed_out = sandbox.invoke(r#"{"action":"sleep","seconds":30}"#);
    assert_eq!(timed_out.status, InvokeStatus::Timeout);
    let after = sandbox.invoke(r#"{"action":"ok"}"#);
    assert_eq!(
        after.status,
        InvokeStatus::Success,
        "a new client after the timeout"
    );
    let pid = |r: &str| serde_json::from_str::<Value>(r).unwrap()["pid"].clone();
    assert_ne!(
        pid(ok.response.as_deref().unwrap()),
        pid(after.response.as_deref().unwrap())
    );

    let events = sandbox.events();
    let init_done = position(&events, |e| e["type"] == "platform.initRuntimeDone");
    assert!(record(&events, "init: module loaded") < init_done);
    let ok_done = runtime_done(&events, &ok.request_id);
    assert!(record(&events, "sandbox.calls|#action:ok") < ok_done);
    let failed_done = runtime_done(&events, &failed.request_id);
    assert!(record(&events, "sandbox.calls|#action:fail") < failed_done);
    // The client logs the error itself, after the handler, before posting it.
    let error_logged = record(&events, "asked to fail");
    assert!(ok_done < error_logged && error_logged < failed_done);
    assert!(sandbox.shutdown().extension_exited_before_deadline);
}
