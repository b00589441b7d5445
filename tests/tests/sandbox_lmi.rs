//! The sandbox as Lambda Managed Instances, checked with the stand-in Python extension:
//! INVOKE registration refused, only schema 2025-01-29, concurrent workers, JSON records
//! with their request id, thin reports and no `runtimeDone`, and the schema refusal option
//! of the on-demand mode.

use std::collections::HashSet;
use std::path::Path;

use metricline_tests::sandbox::{self, Builder, InvokeStatus};
use serde_json::Value;

fn fake_extension(python: &Path, out: &tempfile::NamedTempFile) -> Builder {
    sandbox::with_fake_extension(python, out.path())
}

#[test]
fn registering_for_invoke_fails_the_init() {
    let python = sandbox::require_python("lmi register");
    let out = tempfile::NamedTempFile::new().unwrap();
    let refused = fake_extension(&python, &out)
        .managed_instances(2)
        .start()
        .err()
        .expect("INVOKE registration must fail the init");
    assert!(
        refused.contains("INVOKE: ErrorInvalidEventType"),
        "{refused}"
    );
}

#[test]
fn concurrent_requests_get_thin_reports_json_records_and_no_invoke_event() {
    let python = sandbox::require_python("lmi requests");
    let out = tempfile::NamedTempFile::new().unwrap();
    let mut sandbox = fake_extension(&python, &out)
        .managed_instances(3)
        .env("FAKE_EXTENSION_EVENTS", "SHUTDOWN")
        .start()
        .expect("sandbox starts");
    // The stand-in extension subscribes with 2022-12-13, which is refused here.
    assert_eq!(sandbox.subscriptions(), [("2022-12-13".to_owned(), 400)]);
    let payloads = [
        r#"{}"#,
        r#"{}"#,
        r#"{}"#,
        r#"{"action":"fail"}"#,
        r#"{"action":"oom"}"#,
    ];
    let results = sandbox.invoke_concurrently(&payloads);
    let statuses: Vec<_> = results.iter().map(|r| r.status).collect();
    use InvokeStatus::*;
    assert_eq!(statuses, [Success, Success, Success, Error, Error]);
    assert_eq!(
        results[4].error_type.as_deref(),
        Some("Runtime.OutOfMemory")
    );
    // The first three went to the three idle workers at once.
    let pids: HashSet<i64> = results
        .iter()
        .filter_map(|r| r.response.as_ref())
        .filter_map(|body| serde_json::from_str::<Value>(body).ok()?["pid"].as_i64())
        .collect();
    assert!(
        pids.len() >= 2,
        "one process per concurrent request: {pids:?}"
    );

    let events = sandbox.events();
    let ids: Vec<&str> = results.iter().map(|r| r.request_id.as_str()).collect();
    let of_type = |t: &'static str| events.iter().filter(move |e| e["type"] == t);
    assert_eq!(of_type("platform.runtimeDone").count(), 0);
    assert_eq!(
        of_type("platform.initStart").next().unwrap()["record"]["initializationType"],
        "lambda-managed-instances"
    );
    for report in of_type("platform.report") {
        let metrics = report["record"]["metrics"].as_object().unwrap();
        assert_eq!(metrics.keys().collect::<Vec<_>>(), ["durationMs"]);
        assert!(report["record"]["spans"][0]["name"] == "responseLatency");
    }
    // Every record of a request is a JSON object with its id, before its report.
    for (i, id) in ids.iter().enumerate() {
        let at = |pred: &dyn Fn(&Value) -> bool| events.iter().position(pred);
        let report = at(&|e| e["type"] == "platform.report" && e["record"]["requestId"] == *id)
            .expect("a report per request");
        let handled = at(&|e| {
            e["type"] == "function"
                && e["record"]["requestId"] == *id
                && e["record"]["message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with("MONITORING|"))
        })
        .unwrap_or_else(|| panic!("request {i}: no JSON record with its id"));
        assert!(handled < report, "request {i}: record after its report");
    }
    let oom = events.iter().find(|e| {
        e["type"] == "function" && e["record"]["message"].as_str() == Some("MemoryError")
    });
    assert_eq!(oom.unwrap()["record"]["requestId"], ids[4]);

    let shutdown = sandbox.shutdown();
    assert!(shutdown.extension_exited_before_deadline, "{shutdown:?}");
    let log = sandbox.extension_log();
    assert!(
        log.contains("event SHUTDOWN") && !log.contains("event INVOKE"),
        "{log}"
    );
}

#[test]
fn on_demand_can_refuse_a_schema_version() {
    let python = sandbox::require_python("refused schema");
    let out = tempfile::NamedTempFile::new().unwrap();
    let mut sandbox = fake_extension(&python, &out)
        .env("FAKE_EXTENSION_SCHEMA", "2025-01-29")
        .refuse_schema("2025-01-29")
        .start()
        .expect("sandbox starts");
    assert_eq!(sandbox.subscriptions(), [("2025-01-29".to_owned(), 400)]);
    assert_eq!(sandbox.invoke("{}").status, InvokeStatus::Success);
    sandbox.shutdown();
}
