//! The aggregator's bounds seen from the backend, with the real binary under Lambda's
//! limits for a 128 MB function (where the machine allows a cgroup): a unique tag on every
//! line fills the cardinality limit and the rest arrives in one overflow point per invoke,
//! every value exactly once; a new metric name on every line is refused past the metric
//! limit, and the refused lines are counted.

use std::collections::BTreeSet;

use metricline_tests::expect::total;
use metricline_tests::harness::{Harness, Setup};
use metricline_tests::sandbox::{cgroup, InvokeStatus};
use metricline_tests::sink::ReceivedPoint;

const OVERFLOW: (&str, &str) = ("otel.metric.overflow", "true");

/// The function's rule for the value of tagged line `i`.
fn value(i: u64) -> f64 {
    (1 + i % 7) as f64
}

fn setup() -> Setup {
    Setup {
        function: "unique_tags",
        ..Setup::default()
            .env("METRICLINE_PLATFORM_METRICS", "false")
            .lambda_limits(128)
    }
}

/// Invoke number `invoke`, printing `lines` lines of the kind `field` names.
fn run(h: &mut Harness, invoke: u64, field: &str, lines: u64) {
    let payload = format!(r#"{{"invoke":{invoke},"{field}":{lines}}}"#);
    let result = h.sandbox.invoke(&payload);
    h.check(result.status == InvokeStatus::Success, "invoke succeeds");
}

fn rejected_too_many_metrics(points: &[ReceivedPoint]) -> f64 {
    let reason = [
        ("metricline.outcome", "rejected"),
        ("metricline.reason", "too_many_metrics"),
    ];
    total(points, "metricline.lines", &reason)
}

#[test]
fn unique_tags_past_the_cardinality_limit_arrive_exactly_once() {
    let Some(mut h) = Harness::start("unique_tags_cardinality", setup()) else {
        return;
    };
    let (invokes, per_invoke, limit) = (3u64, 2500u64, 2000u64);
    for invoke in 1..=invokes {
        run(&mut h, invoke, "tagged", per_invoke);
        // `end` flushing: this invoke's interval has reached the backend.
        let signups = h.sink.points_named("signups");
        let own: Vec<&ReceivedPoint> = signups
            .iter()
            .filter(|p| p.attr(OVERFLOW.0).is_none())
            .collect();
        let sets: BTreeSet<&str> = own
            .iter()
            .filter_map(|p| p.attr("user"))
            .filter(|u| u.starts_with(&format!("u{invoke}-")))
            .collect();
        // No early overflow: exactly the first `limit` sets of the invoke got their own.
        let want: BTreeSet<String> = (0..limit).map(|i| format!("u{invoke}-{i}")).collect();
        let got: BTreeSet<String> = sets.iter().map(|s| s.to_string()).collect();
        h.check(
            got == want,
            &format!("invoke {invoke}: the first {limit} sets"),
        );
    }
    let shutdown = h.sandbox.shutdown();
    assert!(shutdown.extension_exited_before_deadline, "{shutdown:?}");
    let signups = h.sink.points_named("signups");
    let overflow: Vec<&ReceivedPoint> = signups
        .iter()
        .filter(|p| p.attr(OVERFLOW.0) == Some(OVERFLOW.1))
        .collect();
    // One overflow point per interval, holding exactly the values past the limit.
    assert_eq!(overflow.len() as u64, invokes, "{overflow:?}");
    assert!(overflow.iter().all(|p| p.attributes.len() == 1));
    let past: f64 = (limit..per_invoke).map(value).sum();
    for p in &overflow {
        assert_eq!(p.value, past, "{p:?}");
    }
    let printed: f64 = invokes as f64 * (0..per_invoke).map(value).sum::<f64>();
    let arrived: f64 = signups.iter().map(|p| p.value).sum();
    assert_eq!(arrived, printed, "every printed value arrives once");
    let accepted = total(
        &h.sink.points(),
        "metricline.lines",
        &[("metricline.outcome", "accepted")],
    );
    assert_eq!(accepted, (invokes * per_invoke) as f64);
    // One warn line per metric per minute, naming the metric and the limit.
    let log = h.sandbox.extension_log();
    let warned = log
        .lines()
        .filter(|l| l.contains("METRICLINE_CARDINALITY_LIMIT"))
        .count();
    assert_eq!(warned, 1, "{log}");
    assert!(
        log.contains("signups has more than 2000 attribute sets"),
        "{log}"
    );
    match h.sandbox.cgroup() {
        Some(cgroup) => assert_eq!(cgroup.usage().oom_kills, 0, "{:?}", cgroup.usage()),
        None => assert!(
            cgroup::available().is_err(),
            "limits available but not applied"
        ),
    }
}

#[test]
fn new_metric_names_past_the_limit_are_rejected_and_counted() {
    let setup = setup().env("METRICLINE_METRIC_LIMIT", "50");
    let Some(mut h) = Harness::start("too_many_metrics", setup) else {
        return;
    };
    let (invokes, per_invoke, limit) = (2u64, 80u64, 50u64);
    for invoke in 1..=invokes {
        run(&mut h, invoke, "named", per_invoke);
    }
    h.sandbox.shutdown();
    let points = h.sink.points();
    let names: BTreeSet<&str> = points
        .iter()
        .map(|p| p.metric.as_str())
        .filter(|m| m.starts_with("user."))
        .collect();
    // Each invoke's interval is exported and let go, so each invoke gets `limit` names.
    let want: BTreeSet<String> = (1..=invokes)
        .flat_map(|k| (0..limit).map(move |i| format!("user.{k}-{i}.clicks")))
        .collect();
    let got: BTreeSet<String> = names.iter().map(|s| s.to_string()).collect();
    assert_eq!(got, want);
    let refused = (invokes * (per_invoke - limit)) as f64;
    assert_eq!(rejected_too_many_metrics(&points), refused);
    let accepted = total(
        &points,
        "metricline.lines",
        &[("metricline.outcome", "accepted")],
    );
    assert_eq!(accepted, (invokes * limit) as f64);
    let log = h.sandbox.extension_log();
    assert!(log.contains("too_many_metrics"), "{log}");
}
