//! metricline on Lambda Managed Instances (docs/lmi.md) in the sandbox: concurrent requests,
//! timer exports while the environment runs, thin reports, an outage; and on on-demand
//! Lambda, the Telemetry subscription at schema 2025-01-29 or, when refused, 2022-12-13.

use std::collections::BTreeMap;
use std::time::Duration;

use metricline_tests::expect::{check_lines, check_stream, count, total, LINES};
use metricline_tests::harness::{Harness, Setup};
use metricline_tests::sandbox::{InvokeResult, InvokeStatus};
use metricline_tests::sink::{Fault, ReceivedPoint};

const WAIT: Duration = Duration::from_secs(30);
const BUCKET_NANOS: u64 = 10_000_000_000;

/// The `lines` function on Lambda Managed Instances, exporting every 100 ms.
fn managed(workers: usize) -> Setup {
    Setup::default()
        .managed_instances(workers)
        .env("OTEL_METRIC_EXPORT_INTERVAL", "100")
}

/// Every line stream of `reps` repetitions of the `lines` function, exactly (the Powertools
/// `ColdStart` metric is left out: it counts worker processes, not requests).
fn lines_exact(points: &[ReceivedPoint], reps: u64) -> Result<(), String> {
    let problems: Vec<String> = LINES
        .iter()
        .filter_map(|e| check_stream(points, e, reps).err())
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// Per stream, delta intervals never overlap and never run backwards; a point that does not
/// continue the previous one starts a new 10 s bucket (after a stretch without values).
fn intervals_ok(points: &[ReceivedPoint]) -> Result<(), String> {
    let mut streams: BTreeMap<String, Vec<(u64, u64)>> = BTreeMap::new();
    for p in points.iter().filter(|p| p.temporality == 1) {
        let key = format!("{} {:?}", p.metric, p.attributes);
        streams
            .entry(key)
            .or_default()
            .push((p.start_time_unix_nano, p.time_unix_nano));
    }
    for (key, mut intervals) in streams {
        intervals.sort_unstable();
        for pair in intervals.windows(2) {
            let ((_, end), (start, next_end)) = (pair[0], pair[1]);
            let continues = start == end;
            let new_bucket = start > end && start % BUCKET_NANOS == 0;
            if !(continues || new_bucket) || start >= next_end {
                return Err(format!("{key}: {intervals:?}"));
            }
        }
    }
    Ok(())
}

/// No request id in any attribute name or value, of the points or their resource.
fn no_request_ids(points: &[ReceivedPoint], results: &[InvokeResult]) -> bool {
    points.iter().all(|p| {
        p.attributes.iter().chain(&p.resource).all(|(k, v)| {
            results
                .iter()
                .all(|r| !k.contains(&r.request_id) && !v.contains(&r.request_id))
        })
    })
}

#[test]
fn every_line_arrives_once_and_reaches_the_backend_while_the_environment_runs() {
    // `end` needs INVOKE events: it is explained in a warning and replaced by the timer.
    let mut h = Harness::start("lmi_lines", managed(4));
    let mut results = h.sandbox.invoke_concurrently(&["{}"; 8]);
    let invocations = |p: &[ReceivedPoint]| total(p, "faas.invocations", &[]);
    let arrived = h
        .sink
        .wait_until(WAIT, |p| lines_exact(p, 8).is_ok() && invocations(p) == 8.0);
    h.check(arrived, "8 requests' lines and reports before SHUTDOWN");
    results.extend(h.sandbox.invoke_concurrently(&[r#"{"repeat":2}"#; 4]));
    let arrived = h.sink.wait_until(WAIT, |p| {
        lines_exact(p, 16).is_ok() && invocations(p) == 12.0
    });
    h.check(arrived, "the second round before SHUTDOWN too");
    h.check(
        results.iter().all(|r| r.status == InvokeStatus::Success),
        "every request succeeded",
    );
    let shutdown = h.sandbox.shutdown();
    h.check(
        shutdown.extension_exited_before_deadline && !shutdown.killed,
        "clean shutdown",
    );
    let points = h.sink.points();
    let verdict = lines_exact(&points, 16);
    h.check(verdict.is_ok(), &format!("exactly once: {verdict:?}"));
    h.check(invocations(&points) == 12.0, "12 invocations, once each");
    h.check(
        no_request_ids(&points, &results),
        "no request id in any attribute",
    );
    let intervals = intervals_ok(&points);
    h.check(
        intervals.is_ok(),
        &format!("delta intervals: {intervals:?}"),
    );
    let warnings = h
        .sandbox
        .extension_log()
        .matches("METRICLINE_FLUSH=end needs INVOKE events")
        .count();
    h.check(warnings == 1, "one warning about METRICLINE_FLUSH=end");
}

#[test]
fn invocations_errors_timeouts_and_out_of_memory_match_the_requests() {
    let setup = Setup {
        function: "simple",
        ..managed(3).timeout(Duration::from_secs(2))
    };
    let mut h = Harness::start("lmi_platform", setup);
    let payloads = [
        "{}",
        r#"{"action":"oom"}"#,
        r#"{"action":"fail"}"#,
        r#"{"action":"sleep","seconds":6}"#,
        "{}",
        r#"{"action":"fail"}"#,
        r#"{"action":"oom"}"#,
        "{}",
        "{}",
        r#"{"action":"fail"}"#,
    ];
    let results = h.sandbox.invoke_concurrently(&payloads);
    h.sandbox.shutdown();
    let with = |status: InvokeStatus| results.iter().filter(|r| r.status == status).count();
    let oom = results
        .iter()
        .filter(|r| r.error_type.as_deref() == Some("Runtime.OutOfMemory"))
        .count();
    h.check(
        (
            with(InvokeStatus::Success),
            with(InvokeStatus::Error),
            with(InvokeStatus::Timeout),
            oom,
        ) == (4, 5, 1, 2),
        &format!("the sandbox's outcomes: {results:#?}"),
    );
    let p = h.sink.points();
    let expect = |metric: &str, want: usize| {
        let got = total(&p, metric, &[]);
        h.check(got == want as f64, &format!("{metric}: {got}, want {want}"));
    };
    expect("faas.invocations", with(InvokeStatus::Success));
    expect("faas.errors", with(InvokeStatus::Error));
    expect("faas.timeouts", with(InvokeStatus::Timeout));
    expect("aws.lambda.out_of_memory", oom);
    expect("faas.coldstarts", 0);
    h.check(count(&p, "faas.init_duration") == 1, "one init duration");
    for metric in ["aws.lambda.duration", "faas.invoke_duration"] {
        let n = count(&p, metric);
        h.check(
            n == 10,
            &format!("{metric}: {n} samples, want one per request"),
        );
    }
    for absent in [
        "aws.lambda.billed_duration",
        "faas.mem_usage",
        "aws.lambda.estimated_cost",
        "aws.lambda.post_runtime_duration",
    ] {
        h.check(count(&p, absent) == 0, &format!("{absent} is absent"));
    }
    h.check(
        no_request_ids(&p, &results),
        "no request id in any attribute",
    );
}

#[test]
fn an_outage_during_the_run_loses_nothing() {
    let mut h = Harness::start("lmi_outage", managed(2));
    h.sink.fail_next(100_000, Fault::Unavailable);
    h.sandbox.invoke_concurrently(&["{}"; 4]);
    h.check(
        h.sink.wait_for_attempts(WAIT, 1),
        "the timer tried during the outage",
    );
    h.sandbox.invoke_concurrently(&[r#"{"repeat":2}"#; 2]);
    h.check(
        h.sink.points().is_empty(),
        "nothing accepted during the outage",
    );
    h.sink.clear_faults();
    // Once the backoff ends, the timer delivers what was kept, before SHUTDOWN.
    let recovered = h.sink.wait_until(WAIT, |p| lines_exact(p, 8).is_ok());
    h.check(recovered, "everything kept arrives after the outage");
    h.sandbox.shutdown();
    let points = h.sink.points();
    let verdict = lines_exact(&points, 8);
    h.check(verdict.is_ok(), &format!("exactly once: {verdict:?}"));
    h.check(
        total(&points, "faas.invocations", &[]) == 6.0,
        "6 invocations",
    );
    h.check(
        total(&points, "metricline.points.dropped", &[]) == 0.0,
        "nothing dropped",
    );
}

#[test]
fn on_demand_subscribes_with_schema_2025_01_29() {
    let mut h = Harness::start("schema_2025", Setup::default());
    h.check(
        h.sandbox.subscriptions() == [("2025-01-29".to_owned(), 200)],
        &format!("subscriptions: {:?}", h.sandbox.subscriptions()),
    );
    h.sandbox.invoke("{}");
    let verdict = check_lines(&h.sink.points(), 1, 1);
    h.check(verdict.is_ok(), &format!("lines: {verdict:?}"));
    h.sandbox.shutdown();
}

#[test]
fn a_sandbox_refusing_2025_01_29_still_gets_a_working_subscription() {
    let setup = Setup::default().refuse_schema("2025-01-29");
    let mut h = Harness::start("schema_fallback", setup);
    let subscriptions = h.sandbox.subscriptions();
    h.check(
        subscriptions
            == [
                ("2025-01-29".to_owned(), 400),
                ("2022-12-13".to_owned(), 200),
            ],
        &format!("one retry at 2022-12-13: {subscriptions:?}"),
    );
    h.sandbox.invoke("{}");
    let verdict = check_lines(&h.sink.points(), 1, 1);
    h.check(verdict.is_ok(), &format!("lines: {verdict:?}"));
    h.check(
        h.sandbox
            .extension_log()
            .contains("subscribing with 2022-12-13"),
        "the fallback is logged",
    );
    h.sandbox.shutdown();
}
