//! Each platform metric of docs/metrics.md: name, kind, unit, value and time.

use metricline_proto::platform::{Arch, Platform, PlatformConfig};
use metricline_proto::telemetry::parse_event;
use metricline_proto::{Kind, Point};

const T: &str = "2026-01-01T00:00:10.250Z";
const T_NANOS: u64 = 1_767_225_610_250_000_000;

fn platform() -> Platform {
    Platform::new(PlatformConfig {
        arch: Arch::X86_64,
        memory_size_mb: Some(128),
    })
}

/// Feeds one event of `kind` with `record` at time `T`, returning the points it yields.
fn feed(platform: &mut Platform, kind: &str, record: &str) -> Vec<Point> {
    let json = format!(r#"{{"time":"{T}","type":"{kind}","record":{record}}}"#);
    let event = parse_event(&json).unwrap_or_else(|skip| panic!("{skip:?}: {json}"));
    let mut out = Vec::new();
    platform.on_event(&event, &mut out);
    out
}

/// The only point named `name`, checked against its documented kind and unit.
fn only<'a>(points: &'a [Point], name: &str, kind: Kind, unit: &str) -> &'a Point {
    let found: Vec<&Point> = points.iter().filter(|p| p.key.name == name).collect();
    assert_eq!(found.len(), 1, "{name} in {points:#?}");
    let p = found[0];
    assert_eq!((p.key.kind, p.key.unit.as_str()), (kind, unit), "{name}");
    assert!(p.key.attributes.is_empty(), "{name} has attributes");
    assert_eq!(p.time_unix_nano, T_NANOS, "{name}");
    p
}

/// The value of the only histogram `name`, in seconds (see [`only`]).
fn seconds(points: &[Point], name: &str) -> f64 {
    only(points, name, Kind::Histogram, "s").value
}

fn assert_close(got: f64, want: f64) {
    assert!(
        (got - want).abs() <= want.abs() * 1e-12,
        "got {got}, want {want}"
    );
}

const RUNTIME_DONE: &str = r#"{"requestId":"r1","status":"success","metrics":{"durationMs":17.12,"producedBytes":50},"spans":[{"durationMs":1.613,"name":"responseLatency","start":"2026-01-01T00:00:10.100Z"},{"durationMs":0.064,"name":"responseDuration","start":"2026-01-01T00:00:10.110Z"},{"durationMs":15.246,"name":"runtimeOverhead","start":"2026-01-01T00:00:10.110Z"}]}"#;
const REPORT: &str = r#"{"requestId":"r1","status":"success","metrics":{"durationMs":17.493,"billedDurationMs":18,"maxMemoryUsedMB":75,"memorySizeMB":128},"spans":[{"durationMs":0.373,"name":"extensionOverhead","start":"2026-01-01T00:00:10.125Z"}]}"#;

#[test]
fn init_start_counts_a_coldstart() {
    let points = feed(
        &mut platform(),
        "platform.initStart",
        r#"{"initializationType":"on-demand","phase":"init"}"#,
    );
    let p = only(&points, "faas.coldstarts", Kind::Sum, "{coldstart}");
    assert_eq!(p.value, 1.0);
    assert_eq!(points.len(), 1);
}

#[test]
fn a_suppressed_init_rerun_is_the_same_coldstart() {
    let mut platform = platform();
    feed(&mut platform, "platform.initStart", r#"{"phase":"init"}"#);
    assert!(feed(&mut platform, "platform.initStart", r#"{"phase":"invoke"}"#).is_empty());
}

#[test]
fn init_report_gives_the_init_duration_in_seconds() {
    let points = feed(
        &mut platform(),
        "platform.initReport",
        r#"{"status":"success","phase":"init","metrics":{"durationMs":234.766}}"#,
    );
    assert_close(seconds(&points, "faas.init_duration"), 0.234766);
}

#[test]
fn runtime_done_metrics() {
    let points = feed(&mut platform(), "platform.runtimeDone", RUNTIME_DONE);
    assert_eq!(
        only(&points, "faas.invocations", Kind::Sum, "{invocation}").value,
        1.0
    );
    assert_close(seconds(&points, "faas.invoke_duration"), 0.01712);
    assert_eq!(
        only(&points, "aws.lambda.produced_bytes", Kind::Histogram, "By").value,
        50.0
    );
    assert_close(seconds(&points, "aws.lambda.response_latency"), 0.001613);
    assert_close(seconds(&points, "aws.lambda.response_duration"), 0.000064);
    assert_close(seconds(&points, "aws.lambda.runtime_overhead"), 0.015246);
    assert_eq!(points.len(), 6);
}

#[test]
fn report_metrics() {
    let mut platform = platform();
    feed(&mut platform, "platform.runtimeDone", RUNTIME_DONE);
    let points = feed(&mut platform, "platform.report", REPORT);
    assert_close(seconds(&points, "aws.lambda.duration"), 0.017493);
    assert_close(seconds(&points, "aws.lambda.billed_duration"), 0.018);
    assert_eq!(
        only(&points, "faas.mem_usage", Kind::Histogram, "By").value,
        75.0 * 1_048_576.0
    );
    assert_close(
        seconds(&points, "aws.lambda.post_runtime_duration"),
        0.000373,
    );
    // 0.0000002 + 0.018 s × 0.125 GB × 0.0000166667
    let cost = only(&points, "aws.lambda.estimated_cost", Kind::Sum, "USD");
    assert_close(cost.value, 0.0000002 + 0.018 * 0.125 * 0.0000166667);
    // The status was already counted from runtimeDone.
    assert!(points.iter().all(|p| p.key.name != "faas.invocations"));
    assert_eq!(points.len(), 5);
}

#[test]
fn post_runtime_duration_falls_back_to_report_minus_runtime_done() {
    let mut platform = platform();
    feed(&mut platform, "platform.runtimeDone", RUNTIME_DONE);
    let report = REPORT.replace(r#""name":"extensionOverhead""#, r#""name":"other""#);
    let points = feed(&mut platform, "platform.report", &report);
    assert_close(
        seconds(&points, "aws.lambda.post_runtime_duration"),
        (17.493 - 17.12) / 1000.0,
    );
}

#[test]
fn post_runtime_duration_needs_the_same_requests_runtime_done() {
    let mut platform = platform();
    feed(
        &mut platform,
        "platform.runtimeDone",
        &RUNTIME_DONE.replace("r1", "r0"),
    );
    let report = REPORT.replace(r#""name":"extensionOverhead""#, r#""name":"other""#);
    let points = feed(&mut platform, "platform.report", &report);
    assert!(points
        .iter()
        .all(|p| p.key.name != "aws.lambda.post_runtime_duration"));
}

#[test]
fn restore_report_gives_the_restore_duration() {
    let points = feed(
        &mut platform(),
        "platform.restoreReport",
        r#"{"status":"success","metrics":{"durationMs":412.5}}"#,
    );
    assert_close(seconds(&points, "aws.lambda.restore_duration"), 0.4125);
}

#[test]
fn logs_dropped_counts_dropped_records() {
    let points = feed(
        &mut platform(),
        "platform.logsDropped",
        r#"{"droppedRecords":12,"droppedBytes":4096,"reason":"x"}"#,
    );
    assert_eq!(
        only(&points, "aws.lambda.logs_dropped", Kind::Sum, "{record}").value,
        12.0
    );
}

#[test]
fn each_status_goes_to_its_own_sum() {
    for (status, name, unit) in [
        ("success", "faas.invocations", "{invocation}"),
        ("error", "faas.errors", "{error}"),
        ("failure", "faas.errors", "{error}"),
        ("timeout", "faas.timeouts", "{timeout}"),
    ] {
        let record = format!(r#"{{"requestId":"r","status":"{status}"}}"#);
        let points = feed(&mut platform(), "platform.runtimeDone", &record);
        assert_eq!(points.len(), 1, "{status}");
        assert_eq!(only(&points, name, Kind::Sum, unit).value, 1.0, "{status}");
    }
    let unknown = feed(
        &mut platform(),
        "platform.runtimeDone",
        r#"{"requestId":"r","status":"paused"}"#,
    );
    assert!(unknown.is_empty());
}

#[test]
fn a_report_without_runtime_done_counts_its_status() {
    // Lambda Managed Instances send no runtimeDone and a report with only durationMs.
    let points = feed(
        &mut platform(),
        "platform.report",
        r#"{"requestId":"r9","status":"error","metrics":{"durationMs":1.148}}"#,
    );
    assert_eq!(
        only(&points, "faas.errors", Kind::Sum, "{error}").value,
        1.0
    );
    assert_close(seconds(&points, "aws.lambda.duration"), 0.001148);
    // No runtimeDone to time the function's work: the report's duration is it.
    assert_close(seconds(&points, "faas.invoke_duration"), 0.001148);
    assert_eq!(points.len(), 3);
}

#[test]
fn init_duration_comes_from_init_report_not_also_from_the_report() {
    let mut platform = platform();
    feed(
        &mut platform,
        "platform.initReport",
        r#"{"status":"success","metrics":{"durationMs":234.766}}"#,
    );
    feed(&mut platform, "platform.runtimeDone", RUNTIME_DONE);
    let report = REPORT.replace(
        r#""durationMs":17.493"#,
        r#""durationMs":17.493,"initDurationMs":235.086"#,
    );
    let points = feed(&mut platform, "platform.report", &report);
    assert!(points.iter().all(|p| p.key.name != "faas.init_duration"));
}

#[test]
fn init_duration_falls_back_to_the_report_once() {
    let mut platform = platform();
    let report = REPORT.replace(
        r#""durationMs":17.493"#,
        r#""durationMs":17.493,"initDurationMs":235.086"#,
    );
    let points = feed(&mut platform, "platform.report", &report);
    assert_close(seconds(&points, "faas.init_duration"), 0.235086);
    let late_init_report = feed(
        &mut platform,
        "platform.initReport",
        r#"{"status":"success","metrics":{"durationMs":234.766}}"#,
    );
    assert!(late_init_report.is_empty());
}

#[test]
fn quiet_events_yield_nothing() {
    let mut platform = platform();
    for (kind, record) in [
        ("platform.start", r#"{"requestId":"r"}"#),
        ("platform.initRuntimeDone", r#"{"status":"success"}"#),
        ("platform.restoreStart", r#"{}"#),
        ("platform.restoreRuntimeDone", r#"{"status":"success"}"#),
        (
            "platform.extension",
            r#"{"name":"metricline","state":"Ready","events":[]}"#,
        ),
        (
            "platform.telemetrySubscription",
            r#"{"name":"metricline","state":"Subscribed","types":[]}"#,
        ),
        ("function", r#""MONITORING|0|1|count|a""#),
        ("extension", r#""[metricline] out of memory? no""#),
    ] {
        assert!(feed(&mut platform, kind, record).is_empty(), "{kind}");
    }
}

#[test]
fn negative_values_are_never_emitted() {
    let points = feed(
        &mut platform(),
        "platform.logsDropped",
        r#"{"droppedRecords":-3,"droppedBytes":0,"reason":"x"}"#,
    );
    assert!(points.is_empty());
}
