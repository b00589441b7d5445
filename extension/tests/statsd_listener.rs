//! The StatsD listener in-process, over loopback: datagrams reach the aggregator with their
//! line outcomes counted, a flush drains what the listener has not read yet, a taken port
//! leaves metricline without the listener, and datagrams the kernel drops are counted.

mod pipeline_support;

use metricline::pipeline::{Now, Shared};
use metricline::statsd_listener::{start, StatsdListener};
use metricline_proto::aggregate::{Export, Value};
use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

fn shared() -> Arc<Shared> {
    pipeline_support::shared_pipeline(false)
}

fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

fn send(to: SocketAddr, datagrams: &[&[u8]]) {
    let client = UdpSocket::bind(loopback()).unwrap();
    for datagram in datagrams {
        client.send_to(datagram, to).unwrap();
    }
}

fn take(shared: &Shared) -> Export {
    shared.lock().aggregator().take_all(Now::read().unix_nano)
}

/// The sum of a metric's values over its streams whose attributes include `attrs`; for
/// a histogram, (count, sum).
fn total(export: &Export, name: &str, attrs: &[(&str, &str)]) -> (u64, f64) {
    let mut total = (0, 0.0);
    for (key, points) in &export.streams {
        let matches = attrs
            .iter()
            .all(|(k, v)| key.attributes.iter().any(|(ak, av)| ak == k && av == v));
        if key.name != name || !matches {
            continue;
        }
        for point in points {
            match &point.value {
                Value::Sum(v) | Value::Gauge(v) => total = (total.0 + 1, total.1 + v),
                Value::ExponentialHistogram(h) => total = (total.0 + h.count, total.1 + h.sum),
                Value::Histogram(h) => total = (total.0 + h.count, total.1 + h.sum),
            }
        }
    }
    total
}

fn lines(export: &Export, outcome: &str, reason: Option<&str>) -> f64 {
    let mut attrs = vec![
        ("metricline.format", "statsd"),
        ("metricline.outcome", outcome),
    ];
    attrs.extend(reason.map(|r| ("metricline.reason", r)));
    total(export, "metricline.lines", &attrs).1
}

async fn wait_for_lines(shared: &Shared, count: u64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let seen = shared
        .wait_until(deadline, |p| p.statsd_lines_pending() >= count)
        .await;
    assert!(seen, "the listener did not read {count} lines");
}

#[tokio::test]
async fn datagrams_reach_the_aggregator_with_every_line_counted() {
    let shared = shared();
    let listener = start(Some(loopback()), &shared).expect("bound");
    let to = listener.local_addr().unwrap();
    send(
        to,
        &[
            b"jobs:1|c|#env:prod\njobs:-3|c|#env:prod",
            b"latency:5|ms|@0.5",
            b"queue:7|g\nnot a metric\nusers:alice|s",
            b"_e{5,4}:title|text\n_sc|db|0",
        ],
    );
    wait_for_lines(&shared, 8).await;
    listener.drain_for_flush(&shared);
    let export = take(&shared);
    assert_eq!(total(&export, "jobs", &[("env", "prod")]), (1, -2.0));
    assert_eq!(total(&export, "latency", &[]), (2, 10.0));
    assert_eq!(total(&export, "queue", &[]), (1, 7.0));
    assert_eq!(lines(&export, "accepted", None), 4.0);
    assert_eq!(lines(&export, "rejected", Some("statsd_syntax")), 1.0);
    assert_eq!(lines(&export, "rejected", Some("set_unsupported")), 1.0);
    assert_eq!(lines(&export, "skipped", Some("event")), 1.0);
    assert_eq!(lines(&export, "skipped", Some("service_check")), 1.0);
}

/// Nothing reads the socket here: only the flush's own drain can find the datagram. On
/// loopback, `send_to` has queued it at the receiver by the time it returns.
#[tokio::test]
async fn a_flush_drains_what_the_listener_has_not_read() {
    let shared = shared();
    let listener = StatsdListener::bind(loopback()).unwrap();
    send(listener.local_addr().unwrap(), &[b"late:1|c", b"late:2|c"]);
    assert_eq!(total(&take(&shared), "late", &[]), (0, 0.0));
    listener.drain_for_flush(&shared);
    let export = take(&shared);
    assert_eq!(total(&export, "late", &[]), (1, 3.0));
    assert_eq!(lines(&export, "accepted", None), 2.0);
}

#[tokio::test]
async fn a_taken_port_leaves_metricline_without_the_listener() {
    let holder = UdpSocket::bind(loopback()).unwrap();
    let taken = holder.local_addr().unwrap();
    assert!(start(Some(taken), &shared()).is_none());
    assert!(start(None, &shared()).is_none());
}

/// A burst larger than the receive buffer while nothing reads: every datagram is either
/// counted as a line or as a kernel drop.
#[tokio::test]
async fn datagrams_the_kernel_drops_are_counted() {
    const SENT: u32 = 30_000;
    let shared = shared();
    let listener = start(Some(loopback()), &shared).expect("bound");
    let to = listener.local_addr().unwrap();
    let client = UdpSocket::bind(loopback()).unwrap();
    // A blocking loop: the listener task cannot run until it ends, so the buffer fills.
    for _ in 0..SENT {
        client.send_to(b"burst:1|c", to).unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let accounted = shared
        .wait_until(deadline, |p| {
            let dropped = listener.kernel_drops().expect("Linux reports drops");
            p.statsd_lines_pending() + u64::from(dropped) == u64::from(SENT)
        })
        .await;
    assert!(accounted, "lines + drops never reached {SENT}");
    listener.drain_for_flush(&shared);
    let export = take(&shared);
    let received = total(&export, "burst", &[]).1;
    let dropped = total(&export, "metricline.statsd.datagrams.dropped", &[]).1;
    assert!(dropped > 0.0, "the burst fit the buffer: make it larger");
    assert_eq!(received + dropped, f64::from(SENT));
    assert_eq!(lines(&export, "accepted", None), received);
    // Reported once: the next flush has no drops to add.
    listener.drain_for_flush(&shared);
    let again = take(&shared);
    assert_eq!(
        total(&again, "metricline.statsd.datagrams.dropped", &[]),
        (0, 0.0)
    );
}
