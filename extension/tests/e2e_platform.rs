//! Platform metrics from the sandbox's Telemetry API events: success, error, timeout, cold
//! start and out of memory, each counted once, with the report metrics of every invoke.

use std::time::Duration;

use metricline_tests::expect::{count, total};
use metricline_tests::harness::{Harness, Setup};
use metricline_tests::sandbox::InvokeStatus;

#[test]
fn success_error_timeout_coldstart_and_out_of_memory() {
    let setup = Setup::default().timeout(Duration::from_secs(2));
    let mut h = Harness::start("platform_metrics", setup);
    let statuses: Vec<InvokeStatus> = [
        r#"{}"#,
        r#"{"action":"fail"}"#,
        r#"{"action":"oom"}"#,
        r#"{"action":"sleep","seconds":30}"#,
        r#"{}"#,
    ]
    .iter()
    .map(|payload| h.sandbox.invoke(payload).status)
    .collect();
    use InvokeStatus::*;
    assert_eq!(statuses, [Success, Error, Error, Timeout, Success]);
    let shutdown = h.sandbox.shutdown();
    h.check(
        shutdown.extension_exited_before_deadline && !shutdown.killed,
        "clean shutdown",
    );
    let p = h.sink.points();
    let expect = |metric: &str, want: f64| {
        let got = total(&p, metric, &[]);
        h.check(got == want, &format!("{metric}: {got}, want {want}"));
    };
    expect("faas.coldstarts", 1.0);
    expect("faas.invocations", 2.0);
    expect("faas.errors", 2.0);
    expect("faas.timeouts", 1.0);
    expect("aws.lambda.out_of_memory", 1.0);
    // One sample per invoke, the last invoke's report included (it arrives at SHUTDOWN).
    for metric in [
        "faas.invoke_duration",
        "aws.lambda.duration",
        "aws.lambda.billed_duration",
        "aws.lambda.post_runtime_duration",
        "faas.mem_usage",
    ] {
        let n = count(&p, metric);
        h.check(n == 5, &format!("{metric}: {n} samples, want 5"));
    }
    h.check(count(&p, "faas.init_duration") == 1, "one init duration");
    h.check(
        total(&p, "aws.lambda.estimated_cost", &[]) > 0.0,
        "a cost estimate",
    );
    let units_ok = p.iter().all(|pt| match pt.metric.as_str() {
        "faas.invoke_duration" | "aws.lambda.duration" | "faas.init_duration" => pt.unit == "s",
        "faas.mem_usage" => pt.unit == "By",
        _ => true,
    });
    h.check(units_ok, "durations in seconds, memory in bytes");
    // The sandbox reports the memory size as the maximum used for the out-of-memory invoke.
    let max_mem = p
        .iter()
        .filter(|pt| pt.metric == "faas.mem_usage")
        .filter_map(|pt| pt.max)
        .fold(0.0, f64::max);
    h.check(
        max_mem == 128.0 * 1048576.0,
        &format!("faas.mem_usage max {max_mem}"),
    );
}
