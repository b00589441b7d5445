//! Platform metrics on Lambda Managed Instances (concurrent requests, thin reports, no
//! `runtimeDone`) and for durable functions (init events after the first invoke):
//! docs/lmi.md.

use metricline_proto::platform::{Arch, Platform, PlatformConfig};
use metricline_proto::telemetry::parse_event;
use metricline_proto::Point;

fn platform() -> Platform {
    Platform::new(PlatformConfig {
        arch: Arch::X86_64,
        memory_size_mb: Some(2048),
    })
}

/// Feeds `(type, record)` events in order and returns every point, as `(name, value)`.
fn run(events: &[(&str, &str)]) -> Vec<(String, f64)> {
    let mut platform = platform();
    let mut out: Vec<Point> = Vec::new();
    for (kind, record) in events {
        let json =
            format!(r#"{{"time":"2026-01-01T00:00:10.250Z","type":"{kind}","record":{record}}}"#);
        let event = parse_event(&json).unwrap_or_else(|skip| panic!("{skip:?}: {json}"));
        platform.on_event(&event, &mut out);
    }
    out.into_iter().map(|p| (p.key.name, p.value)).collect()
}

fn total(points: &[(String, f64)], name: &str) -> f64 {
    points
        .iter()
        .filter(|(n, _)| n == name)
        .map(|(_, v)| v)
        .sum()
}

fn count(points: &[(String, f64)], name: &str) -> usize {
    points.iter().filter(|(n, _)| n == name).count()
}

const LMI_INIT_START: &str = r#"{"initializationType":"lambda-managed-instances","phase":"init","runtimeVersion":"python:3.13","functionName":"f","functionVersion":"1","instanceId":"i-0abc","instanceMaxMemory":8589934592}"#;
const LMI_INIT_REPORT: &str = r#"{"initializationType":"lambda-managed-instances","phase":"init","status":"success","metrics":{"durationMs":812.5}}"#;

fn thin_report(id: &str, status: &str, error_type: Option<&str>) -> String {
    let error = error_type.map_or(String::new(), |e| format!(r#","errorType":"{e}""#));
    format!(
        r#"{{"requestId":"{id}","status":"{status}"{error},"metrics":{{"durationMs":21.25}},"spans":[{{"name":"responseLatency","start":"2026-01-01T00:00:10.100Z","durationMs":20.5}},{{"name":"responseDuration","start":"2026-01-01T00:00:10.120Z","durationMs":0.25}}]}}"#
    )
}

fn json_line(id: &str, message: &str) -> String {
    format!(
        r#"{{"timestamp":"2026-01-01T00:00:10.200Z","level":"ERROR","requestId":"{id}","message":"{message}"}}"#
    )
}

#[test]
fn concurrent_requests_are_counted_from_their_thin_reports() {
    let (r1, r2, r3) = (
        thin_report("r1", "success", None),
        thin_report("r2", "error", Some("Runtime.OutOfMemory")),
        thin_report("r3", "timeout", Some("Sandbox.Timedout")),
    );
    let oom_line = json_line("r2", "MemoryError");
    let points = run(&[
        ("platform.initStart", LMI_INIT_START),
        ("platform.initReport", LMI_INIT_REPORT),
        (
            "platform.start",
            r#"{"requestId":"r1","functionArn":"arn:aws:lambda:us-east-1:123456789012:function:f"}"#,
        ),
        ("platform.start", r#"{"requestId":"r2"}"#),
        ("platform.start", r#"{"requestId":"r3"}"#),
        // r2's out-of-memory line arrives after r3 started: its requestId decides.
        ("function", &oom_line),
        ("platform.report", &r1),
        ("platform.report", &r2),
        ("platform.report", &r3),
    ]);
    assert_eq!(total(&points, "faas.invocations"), 1.0);
    assert_eq!(total(&points, "faas.errors"), 1.0);
    assert_eq!(total(&points, "faas.timeouts"), 1.0);
    assert_eq!(
        total(&points, "aws.lambda.out_of_memory"),
        1.0,
        "{points:?}"
    );
    // Init of a managed environment: measured, but no request waited for it.
    assert_eq!(count(&points, "faas.coldstarts"), 0);
    assert_eq!(count(&points, "faas.init_duration"), 1);
    for name in [
        "aws.lambda.duration",
        "faas.invoke_duration",
        "aws.lambda.response_latency",
        "aws.lambda.response_duration",
    ] {
        assert_eq!(count(&points, name), 3, "{name}");
    }
    assert_eq!(total(&points, "aws.lambda.response_latency"), 3.0 * 0.0205);
    // Fields the thin report does not carry: absent, never zero.
    for name in [
        "aws.lambda.billed_duration",
        "faas.mem_usage",
        "aws.lambda.estimated_cost",
        "aws.lambda.post_runtime_duration",
        "aws.lambda.produced_bytes",
        "aws.lambda.runtime_overhead",
    ] {
        assert_eq!(count(&points, name), 0, "{name}");
    }
}

#[test]
fn an_out_of_memory_line_without_request_id_belongs_to_the_latest_start() {
    let points = run(&[
        ("platform.start", r#"{"requestId":"r1"}"#),
        ("function", r#""MemoryError""#),
        (
            "platform.report",
            &thin_report("r1", "error", Some("Runtime.OutOfMemory")),
        ),
    ]);
    assert_eq!(total(&points, "aws.lambda.out_of_memory"), 1.0);
}

/// The same on-demand invoke with its init events first, or (durable functions) after the
/// invoke's own events.
#[test]
fn init_events_after_the_first_invoke_change_nothing() {
    const INIT_START: &str = r#"{"initializationType":"on-demand","phase":"init"}"#;
    const INIT_REPORT: &str = r#"{"initializationType":"on-demand","phase":"init","status":"success","metrics":{"durationMs":234.75}}"#;
    const START: &str = r#"{"requestId":"r1"}"#;
    const RUNTIME_DONE: &str = r#"{"requestId":"r1","status":"success","metrics":{"durationMs":17.125,"producedBytes":50}}"#;
    const REPORT: &str = r#"{"requestId":"r1","status":"success","metrics":{"durationMs":17.5,"billedDurationMs":18,"maxMemoryUsedMB":75,"memorySizeMB":128,"initDurationMs":235.0}}"#;
    let sorted = |mut points: Vec<(String, f64)>| {
        points.sort_by(|a, b| a.partial_cmp(b).unwrap());
        points
    };
    let in_order = sorted(run(&[
        ("platform.initStart", INIT_START),
        ("platform.initReport", INIT_REPORT),
        ("platform.start", START),
        ("platform.runtimeDone", RUNTIME_DONE),
        ("platform.report", REPORT),
    ]));
    let init_late = sorted(run(&[
        ("platform.start", START),
        ("platform.runtimeDone", RUNTIME_DONE),
        ("platform.initStart", INIT_START),
        ("platform.initReport", INIT_REPORT),
        ("platform.report", REPORT),
    ]));
    let init_last = run(&[
        ("platform.start", START),
        ("platform.runtimeDone", RUNTIME_DONE),
        ("platform.report", REPORT),
        ("platform.initStart", INIT_START),
        ("platform.initReport", INIT_REPORT),
    ]);
    assert_eq!(in_order, init_late);
    assert_eq!(total(&in_order, "faas.coldstarts"), 1.0);
    assert_eq!(count(&in_order, "faas.init_duration"), 1);
    // The report's initDurationMs came first here: the late initReport adds no second one.
    assert_eq!(total(&init_last, "faas.coldstarts"), 1.0);
    assert_eq!(count(&init_last, "faas.init_duration"), 1);
    assert_eq!(total(&init_last, "faas.invocations"), 1.0);
}

#[test]
fn schema_2025_01_29_fields_decode() {
    use metricline_proto::telemetry::Body;
    let event = |kind: &str, record: &str| {
        let json =
            format!(r#"{{"time":"2026-01-01T00:00:10.250Z","type":"{kind}","record":{record}}}"#);
        parse_event(&json).unwrap().body
    };
    let Body::InitStart(init) = event("platform.initStart", LMI_INIT_START) else {
        panic!("initStart");
    };
    assert_eq!(init.instance_id.as_deref(), Some("i-0abc"));
    assert_eq!(init.instance_max_memory, Some(8589934592.0));
    let start = r#"{"requestId":"r1","functionArn":"arn:aws:lambda:us-east-1:1:function:f","tracing":{"type":"X-Amzn-Trace-Id","value":"Root=1"},"somethingNewer":{"x":1}}"#;
    let Body::Start(start) = event("platform.start", start) else {
        panic!("start");
    };
    assert_eq!(
        start.function_arn.as_deref(),
        Some("arn:aws:lambda:us-east-1:1:function:f")
    );
}
