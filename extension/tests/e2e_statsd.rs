//! StatsD/DogStatsD datagrams from real clients (pip `datadog` and `statsd`, npm
//! `hot-shots` under Node) reach the backend exactly once, in the flush of the invoke that
//! sent them: totals exact with sample rates, malformed lines rejected by reason without
//! losing their neighbours, a burst sent just before the invoke returns in that invoke's
//! `end` flush, and a taken port leaving the extension running without the listener.

use std::net::UdpSocket;

use metricline_tests::harness::{Harness, Setup};
use metricline_tests::sandbox::{crate_dir, installed_or_skip, InvokeStatus};
use metricline_tests::sink::{PointKind, ReceivedPoint};

/// One stream the `statsd` sample function sends per invoke (see its handler): metric,
/// kind, unit, attributes, the sum (histogram sum) per invoke or a gauge's value, and the
/// histogram samples per invoke.
struct Stream(
    &'static str,
    PointKind,
    &'static str,
    &'static [(&'static str, &'static str)],
    f64,
    Option<u64>,
);

use PointKind::{ExponentialHistogram as Histogram, Gauge, Sum};
const ENV: &[(&str, &str)] = &[("env", "test")];

const DATADOG: &[Stream] = &[
    Stream(
        "shop.dd.orders",
        Sum,
        "",
        &[("env", "test"), ("vip", "")],
        2.0,
        None,
    ),
    Stream("shop.dd.stock", Sum, "", ENV, -1.0, None),
    Stream("shop.dd.sampled", Sum, "", ENV, 2.0, None),
    Stream("shop.dd.latency", Histogram, "", ENV, 20.0, Some(2)),
    Stream("shop.dd.size", Histogram, "", &[], 12.0, Some(4)),
    Stream("shop.dd.step", Histogram, "ms", &[], 40.0, Some(1)),
    Stream("shop.dd.depth", Gauge, "", &[], 42.0, None),
];
/// Metric lines per invoke (the event and the service check are counted apart).
const DATADOG_LINES: f64 = 8.0;

const STATSD: &[Stream] = &[
    Stream("shop.py.orders", Sum, "", &[], 3.0, None),
    Stream("shop.py.stock", Sum, "", &[], -2.0, None),
    Stream("shop.py.sampled", Sum, "", &[], 4.0, None),
    Stream("shop.py.latency", Histogram, "ms", &[], 12.0, Some(1)),
    Stream("shop.py.depth", Gauge, "", &[], 5.0, None),
    Stream("shop.py.level", Gauge, "", &[], -3.0, None),
    Stream("shop.py.batched", Sum, "", &[], 2.0, None),
    Stream("shop.py.batched_time", Histogram, "ms", &[], 5.0, Some(1)),
];
/// Accepted metric lines per invoke; the set is rejected.
const STATSD_LINES: f64 = 10.0;

const HOT_SHOTS: &[Stream] = &[
    Stream("shop.node.orders", Sum, "", ENV, 4.0, None),
    Stream("shop.node.stock", Sum, "", &[], -1.0, None),
    Stream("shop.node.sampled", Sum, "", &[], 2.0, None),
    Stream("shop.node.latency", Histogram, "", &[], 20.0, Some(1)),
    Stream("shop.node.size", Histogram, "", &[], 4.0, Some(2)),
    Stream("shop.node.step", Histogram, "ms", &[], 15.0, Some(1)),
    Stream("shop.node.depth", Gauge, "", &[], 9.0, None),
];
const HOT_SHOTS_LINES: f64 = 7.0;

fn setup(port: u16) -> Setup {
    Setup {
        function: "statsd",
        ..Setup::default()
    }
    .env("METRICLINE_STATSD", &format!("127.0.0.1:{port}"))
    .env("STATSD_PORT", &port.to_string())
}

/// Outside CI, a missing `node_modules` skips the test (after saying so); under CI it
/// fails it. `scripts/setup-node.sh` installs it.
fn require_hot_shots(test: &str) -> bool {
    let hot_shots = crate_dir().join("functions/statsd/node_modules/hot-shots");
    installed_or_skip(test, &hot_shots, "hot-shots")
}

/// Why the points differ from `invokes` invokes' worth of `streams`, if they do.
fn check(points: &[ReceivedPoint], streams: &[Stream], invokes: u32) -> Result<(), String> {
    for Stream(metric, kind, unit, attributes, per_invoke, samples) in streams {
        let of: Vec<&ReceivedPoint> = points
            .iter()
            .filter(|p| p.metric == *metric)
            .filter(|p| attributes.iter().all(|(k, v)| p.attr(k) == Some(*v)))
            .collect();
        let Some(last) = of.last() else {
            return Err(format!("{metric}: no points"));
        };
        for p in &of {
            if p.kind != *kind || p.unit != *unit || p.attributes.len() != attributes.len() {
                return Err(format!("{metric}: {p:?}"));
            }
            if p.kind == Sum && p.monotonic {
                return Err(format!("{metric}: a StatsD counter must not be monotonic"));
            }
        }
        let (total, want) = match kind {
            Gauge => (last.value, *per_invoke),
            _ => (
                of.iter().map(|p| p.value).sum(),
                per_invoke * f64::from(invokes),
            ),
        };
        if total != want {
            return Err(format!("{metric}: total {total}, expected {want}"));
        }
        if let Some(samples) = samples {
            let count: u64 = of.iter().map(|p| p.count).sum();
            if count != samples * u64::from(invokes) {
                return Err(format!(
                    "{metric}: {count} samples, {samples}×{invokes} sent"
                ));
            }
        }
    }
    Ok(())
}

fn statsd_lines(h: &Harness, outcome: &str, reason: Option<&str>) -> f64 {
    let mut attrs = vec![
        ("metricline.format", "statsd"),
        ("metricline.outcome", outcome),
    ];
    attrs.extend(reason.map(|r| ("metricline.reason", r)));
    h.sink.total("metricline.lines", &attrs)
}

#[test]
fn real_clients_arrive_exactly_once_with_sample_rates_applied() {
    let test = "statsd_real_clients";
    if !require_hot_shots(test) {
        return;
    }
    let mut h = Harness::start(test, setup(metricline_tests::ports::udp()));
    let event = r#"{"clients":["datadog","statsd","hotshots"]}"#;
    for invoke in 1..=2 {
        let result = h.sandbox.invoke(event);
        h.check(result.status == InvokeStatus::Success, "invoke succeeds");
        // `end` flushing: everything the invoke sent is at the backend before the freeze.
        let points = h.sink.points();
        for (client, streams) in [
            ("datadog", DATADOG),
            ("statsd", STATSD),
            ("hot-shots", HOT_SHOTS),
        ] {
            let verdict = check(&points, streams, invoke);
            h.check(
                verdict.is_ok(),
                &format!("{client}, invoke {invoke}: {verdict:?}"),
            );
        }
        let lines = f64::from(invoke) * (DATADOG_LINES + STATSD_LINES + HOT_SHOTS_LINES);
        h.check(
            statsd_lines(&h, "accepted", None) == lines,
            "accepted lines counted",
        );
        let sets = statsd_lines(&h, "rejected", Some("set_unsupported"));
        h.check(sets == f64::from(invoke), "the pip statsd set is rejected");
        for skipped in ["event", "service_check"] {
            let counted = statsd_lines(&h, "skipped", Some(skipped));
            h.check(counted == f64::from(invoke), &format!("{skipped} counted"));
        }
        // The function's log lines go in the same export.
        let calls = h.sink.total("shop.fn.calls", &[]);
        h.check(
            calls == f64::from(invoke),
            "the MONITORING| line arrives too",
        );
    }
    assert!(h.sandbox.shutdown().extension_exited_before_deadline);
    // The shutdown flush adds no second copy.
    let verdict = check(&h.sink.points(), DATADOG, 2);
    h.check(verdict.is_ok(), &format!("after shutdown: {verdict:?}"));
}

#[test]
fn malformed_datagrams_are_rejected_by_reason_and_nothing_else_is_lost() {
    let mut h = Harness::start("statsd_malformed", setup(metricline_tests::ports::udp()));
    let result = h
        .sandbox
        .invoke(r#"{"clients":["datadog"],"malformed":true}"#);
    h.check(result.status == InvokeStatus::Success, "invoke succeeds");
    let verdict = check(&h.sink.points(), DATADOG, 1);
    h.check(
        verdict.is_ok(),
        &format!("the client's datagrams: {verdict:?}"),
    );
    let good = h.sink.total("shop.raw.good", &[]);
    h.check(
        good == 6.0,
        "the good lines of the malformed datagrams arrive",
    );
    for (reason, count) in [
        ("bad_value", 1.0),
        ("statsd_syntax", 2.0),
        ("bad_sample_rate", 1.0),
        ("invalid_name", 1.0),
        ("bad_tags", 1.0),
    ] {
        let counted = statsd_lines(&h, "rejected", Some(reason));
        h.check(
            counted == count,
            &format!("{reason}: {counted}, expected {count}"),
        );
    }
    let log = h.sandbox.extension_log();
    h.check(
        log.contains("rejected statsd line (bad_value): shop.raw.bad:x|c"),
        "a rejection is logged with its reason and line",
    );
    assert!(h.sandbox.shutdown().extension_exited_before_deadline);
}

#[test]
fn datagrams_sent_just_before_the_invoke_returns_are_in_its_flush() {
    const BURST: u32 = 5000;
    let mut h = Harness::start("statsd_burst", setup(metricline_tests::ports::udp()));
    for invoke in 1..=2 {
        let result = h.sandbox.invoke(&format!(r#"{{"burst":{BURST}}}"#));
        h.check(result.status == InvokeStatus::Success, "invoke succeeds");
        // Where `net.core.rmem_max` is small (212,992 bytes by default: 512 datagrams) the
        // kernel may drop part of a burst the extension has not read yet; those are
        // counted in the same flush. A datagram left for a later flush is neither.
        let burst = h.sink.total("shop.burst", &[]);
        let dropped = h.sink.total("metricline.statsd.datagrams.dropped", &[]);
        let want = f64::from(BURST * invoke);
        h.check(
            burst + dropped == want && burst > 0.0,
            &format!("invoke {invoke}: {burst} arrived and {dropped} dropped of {want}"),
        );
    }
    assert!(h.sandbox.shutdown().extension_exited_before_deadline);
}

#[test]
fn a_taken_port_leaves_the_extension_running_without_the_listener() {
    // Another agent holds the port, as Datadog's extension would hold 8125.
    let holder = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = holder.local_addr().unwrap().port();
    let mut h = Harness::start("statsd_taken_port", setup(port));
    for invoke in 1..=2 {
        let result = h.sandbox.invoke(r#"{"clients":["datadog"]}"#);
        h.check(result.status == InvokeStatus::Success, "invoke succeeds");
        let calls = h.sink.total("shop.fn.calls", &[]);
        h.check(calls == f64::from(invoke), "log lines still arrive");
    }
    h.check(
        h.sink.points_named("shop.dd.orders").is_empty(),
        "the holder, not metricline, got the datagrams",
    );
    holder
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let mut datagram = [0u8; 512];
    let (len, _) = holder.recv_from(&mut datagram).unwrap();
    assert!(datagram[..len].starts_with(b"shop.dd.orders:2|c"));
    let log = h.sandbox.extension_log();
    let warnings = log.matches("cannot listen for StatsD").count();
    h.check(warnings == 1, &format!("logged once, not {warnings} times"));
    assert!(h.sandbox.shutdown().extension_exited_before_deadline);
}
