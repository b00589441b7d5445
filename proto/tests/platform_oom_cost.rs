//! `aws.lambda.out_of_memory` (every signal, once per request) and
//! `aws.lambda.estimated_cost` on both architectures.

use metricline_proto::platform::{Arch, Platform, PlatformConfig};
use metricline_proto::telemetry::parse_event;
use metricline_proto::Point;

const OOM: &str = "aws.lambda.out_of_memory";

fn platform(arch: Arch, memory_size_mb: Option<u64>) -> Platform {
    Platform::new(PlatformConfig {
        arch,
        memory_size_mb,
    })
}

fn feed(platform: &mut Platform, kind: &str, record: &str) -> Vec<Point> {
    let json = format!(r#"{{"time":"2026-01-01T00:00:01Z","type":"{kind}","record":{record}}}"#);
    let event = parse_event(&json).unwrap_or_else(|skip| panic!("{skip:?}: {json}"));
    let mut out = Vec::new();
    platform.on_event(&event, &mut out);
    out
}

fn oom_count(points: &[Point]) -> f64 {
    points
        .iter()
        .filter(|p| p.key.name == OOM)
        .map(|p| p.value)
        .sum()
}

fn start(request: &str) -> String {
    format!(r#"{{"requestId":"{request}"}}"#)
}

fn runtime_done(request: &str, error_type: &str) -> String {
    format!(r#"{{"requestId":"{request}","status":"error","errorType":"{error_type}"}}"#)
}

fn report(request: &str, used_mb: u32, error_type: Option<&str>) -> String {
    let error = error_type
        .map(|e| format!(r#","errorType":"{e}""#))
        .unwrap_or_default();
    format!(
        r#"{{"requestId":"{request}","status":"error"{error},"metrics":{{"durationMs":100,"billedDurationMs":100,"memorySizeMB":128,"maxMemoryUsedMB":{used_mb}}}}}"#
    )
}

#[test]
fn every_signal_of_one_request_counts_once() {
    let mut p = platform(Arch::X86_64, Some(128));
    let mut points = feed(&mut p, "platform.start", &start("r1"));
    points.extend(feed(
        &mut p,
        "function",
        r#""Traceback (most recent call last):\nMemoryError""#,
    ));
    points.extend(feed(
        &mut p,
        "platform.runtimeDone",
        &runtime_done("r1", "Runtime.OutOfMemory"),
    ));
    points.extend(feed(
        &mut p,
        "platform.report",
        &report("r1", 128, Some("Runtime.OutOfMemory")),
    ));
    assert_eq!(oom_count(&points), 1.0);
    let oom = points.iter().find(|p| p.key.name == OOM).unwrap();
    assert_eq!(oom.key.unit, "{invocation}");
    assert_eq!(oom.key.kind, metricline_proto::Kind::Sum);
    assert!(oom.key.attributes.is_empty());
}

#[test]
fn runtime_done_error_type_alone() {
    let mut p = platform(Arch::X86_64, None);
    let points = feed(
        &mut p,
        "platform.runtimeDone",
        &runtime_done("r1", "Runtime.OutOfMemory"),
    );
    assert_eq!(oom_count(&points), 1.0);
    let other = feed(
        &mut p,
        "platform.runtimeDone",
        &runtime_done("r2", "Runtime.ExitError"),
    );
    assert_eq!(oom_count(&other), 0.0);
}

#[test]
fn report_error_type_alone() {
    let mut p = platform(Arch::X86_64, None);
    assert_eq!(
        oom_count(&feed(
            &mut p,
            "platform.report",
            &report("r1", 60, Some("Runtime.OutOfMemory"))
        )),
        1.0
    );
    assert_eq!(
        oom_count(&feed(
            &mut p,
            "platform.report",
            &report("r1", 60, Some("Runtime.OutOfMemory"))
        )),
        0.0
    );
}

#[test]
fn max_memory_at_the_memory_size() {
    let mut p = platform(Arch::X86_64, None);
    assert_eq!(
        oom_count(&feed(&mut p, "platform.report", &report("r1", 127, None))),
        0.0
    );
    assert_eq!(
        oom_count(&feed(&mut p, "platform.report", &report("r2", 128, None))),
        1.0
    );
}

#[test]
fn configured_memory_size_stands_in_for_a_missing_one() {
    let mut p = platform(Arch::X86_64, Some(256));
    let record = r#"{"requestId":"r1","status":"success","metrics":{"durationMs":10,"billedDurationMs":10,"maxMemoryUsedMB":256}}"#;
    let points = feed(&mut p, "platform.report", record);
    assert_eq!(oom_count(&points), 1.0);
    let cost = points
        .iter()
        .find(|p| p.key.name == "aws.lambda.estimated_cost")
        .unwrap();
    assert!((cost.value - (0.0000002 + 0.01 * 0.25 * 0.0000166667)).abs() < 1e-18);
}

#[test]
fn each_runtimes_oom_log_line_counts_for_the_latest_started_request() {
    let lines = [
        r#""[ERROR] MemoryError\nTraceback (most recent call last):""#,
        r#""FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory""#,
        r#""Exception in thread \"main\" java.lang.OutOfMemoryError: Java heap space""#,
        r#""Unhandled exception. System.OutOfMemoryException: Insufficient memory""#,
        r#""fatal error: runtime: out of memory""#,
        r#""failed to allocate memory (NoMemoryError)""#,
        r#"{"errorType":"Runtime.OutOfMemory","errorMessage":"Runtime exited"}"#,
        // A JSON record names its request (here the one started last).
        r#"{"timestamp":"2026-01-01T00:00:01Z","level":"ERROR","requestId":"{request}","message":"MemoryError"}"#,
    ];
    for (i, template) in lines.iter().enumerate() {
        let mut p = platform(Arch::X86_64, None);
        let request = format!("r{i}");
        let line = &template.replace("{request}", &request);
        feed(&mut p, "platform.start", &start(&request));
        assert_eq!(oom_count(&feed(&mut p, "function", line)), 1.0, "{line}");
        assert_eq!(
            oom_count(&feed(&mut p, "function", line)),
            0.0,
            "{line} again"
        );
        let done = runtime_done(&request, "Runtime.OutOfMemory");
        assert_eq!(
            oom_count(&feed(&mut p, "platform.runtimeDone", &done)),
            0.0,
            "{line}"
        );
        // The next request counts again.
        feed(&mut p, "platform.start", &start("next"));
        let line = &template.replace("{request}", "next");
        assert_eq!(
            oom_count(&feed(&mut p, "function", line)),
            1.0,
            "{line} next"
        );
    }
}

#[test]
fn ordinary_lines_are_not_oom() {
    let mut p = platform(Arch::X86_64, None);
    feed(&mut p, "platform.start", &start("r1"));
    for line in [
        r#""memory is fine""#,
        r#""Memory: 75 MB""#,
        r#"{"message":"OutOfMemory"}"#,
    ] {
        assert_eq!(oom_count(&feed(&mut p, "function", line)), 0.0, "{line}");
    }
}

#[test]
fn extension_log_lines_are_not_the_functions_oom() {
    let mut p = platform(Arch::X86_64, None);
    feed(&mut p, "platform.start", &start("r1"));
    assert_eq!(
        oom_count(&feed(&mut p, "extension", r#""MemoryError""#)),
        0.0
    );
}

fn cost_of(arch: Arch, billed_ms: u32, memory_mb: u32) -> f64 {
    let mut p = platform(arch, None);
    let record = format!(
        r#"{{"requestId":"r","status":"success","metrics":{{"durationMs":1,"billedDurationMs":{billed_ms},"memorySizeMB":{memory_mb},"maxMemoryUsedMB":1}}}}"#
    );
    let points = feed(&mut p, "platform.report", &record);
    let cost: Vec<&Point> = points
        .iter()
        .filter(|p| p.key.name == "aws.lambda.estimated_cost")
        .collect();
    assert_eq!(cost.len(), 1);
    assert_eq!(cost[0].key.unit, "USD");
    cost[0].value
}

#[test]
fn estimated_cost_on_x86_64() {
    // 1 s at 1024 MB = 1 GB-s.
    assert!((cost_of(Arch::X86_64, 1000, 1024) - (0.0000002 + 0.0000166667)).abs() < 1e-18);
    let want = 0.0000002 + 0.018 * 0.125 * 0.0000166667;
    assert!((cost_of(Arch::X86_64, 18, 128) - want).abs() < 1e-18);
}

#[test]
fn estimated_cost_on_arm64() {
    assert!((cost_of(Arch::Arm64, 1000, 1024) - (0.0000002 + 0.0000133334)).abs() < 1e-18);
    let want = 0.0000002 + 2.5 * 2.0 * 0.0000133334;
    assert!((cost_of(Arch::Arm64, 2500, 2048) - want).abs() < 1e-18);
}

#[test]
fn no_cost_without_billed_duration_or_memory_size() {
    let mut p = platform(Arch::X86_64, None);
    let points = feed(
        &mut p,
        "platform.report",
        r#"{"requestId":"r","status":"success","metrics":{"durationMs":1.148}}"#,
    );
    assert!(points
        .iter()
        .all(|p| p.key.name != "aws.lambda.estimated_cost"));
}
