//! The aggregator's bounds: the cardinality limit with its overflow point, the metric
//! limit, delta streams let go after their export, and the retry buffer in bytes.

mod common;

use common::{intervals, points};
use metricline_proto::aggregate::{
    AggregationConfig, Aggregator, Budget, DataPoint, Export, HistogramAggregation, Limits,
    Overflowed, Recorded, Temporality, Value, OVERFLOW_ATTRIBUTE,
};
use metricline_proto::model::{AttributeRef, KeyRef, Kind, Point, PointRef, StreamKey};
use std::borrow::Cow;

const S: u64 = 1_000_000_000;
const T0: u64 = 1_764_151_200 * S;

fn aggregator(temporality: Temporality, cardinality: usize, metrics: usize) -> Aggregator {
    let config = AggregationConfig {
        temporality,
        histograms: HistogramAggregation::Exponential,
        start_time_unix_nano: T0 - 100 * S,
    };
    Aggregator::with_limits(
        config,
        Limits {
            cardinality,
            metrics,
        },
    )
}

fn user(name: &str, kind: Kind, user: &str, t: u64, value: f64) -> Point {
    let attributes = vec![("user".to_string(), user.to_string())];
    Point {
        key: StreamKey::new(name, "", kind, attributes),
        time_unix_nano: t,
        value,
    }
}

/// Records like a line parser does (a source: bounded by the metric limit).
fn record_line(agg: &mut Aggregator, name: &str, user: &str, t: u64, value: f64) -> Recorded {
    let attributes: [AttributeRef<'_>; 1] = [(Cow::Borrowed("user"), Cow::Borrowed(user))];
    agg.record_ref(PointRef {
        key: KeyRef {
            name,
            unit: "",
            kind: Kind::Sum,
            attributes: &attributes,
        },
        time_unix_nano: t,
        value,
    })
}

fn is_overflow(key: &StreamKey) -> bool {
    let (k, v) = OVERFLOW_ATTRIBUTE;
    key.attributes == [(k.to_string(), v.to_string())]
}

/// The user of each non-overflow stream of `name` and the overflow point's values.
fn split(export: &Export, name: &str) -> (Vec<String>, Vec<DataPoint>) {
    let mut users = Vec::new();
    let mut overflow = Vec::new();
    for (key, pts) in export.streams.iter().filter(|(k, _)| k.name == name) {
        if is_overflow(key) {
            overflow.extend(pts.iter().cloned());
        } else {
            users.push(key.attributes[0].1.clone());
        }
    }
    users.sort();
    (users, overflow)
}

/// Records `(user, seconds after T0, value)` values of `orders` as a line parser does.
fn record_users(agg: &mut Aggregator, values: &[(&str, u64, f64)]) -> Vec<Recorded> {
    let at = |s: u64| T0 + s * S;
    let record = |&(user, s, v): &(&str, u64, f64)| record_line(agg, "orders", user, at(s), v);
    values.iter().map(record).collect()
}

#[test]
fn sets_past_the_limit_go_to_one_overflow_point_and_none_before() {
    use Recorded::{Overflow, Stream};
    let mut agg = aggregator(Temporality::Delta, 3, 10);
    let within = record_users(&mut agg, &[("a", 1, 1.0), ("b", 1, 2.0), ("c", 1, 3.0)]);
    assert_eq!(within, [Stream; 3], "no set overflows within the limit");
    let past = record_users(&mut agg, &[("d", 1, 10.0), ("e", 2, 20.0)]);
    assert_eq!(past, [Overflow; 2]);
    // A set that has its stream keeps it; one that overflowed stays in the overflow point.
    let again = record_users(&mut agg, &[("a", 3, 1.0), ("d", 3, 5.0)]);
    assert_eq!(again, [Stream, Overflow]);
    let export = agg.take_until(T0 + 5 * S);
    let (users, overflow) = split(&export, "orders");
    assert_eq!(users, ["a", "b", "c"]);
    assert_eq!(intervals(&overflow), [(T0, T0 + 5 * S, 35.0)]);
    let total: f64 = export
        .streams
        .iter()
        .flat_map(|(_, p)| p)
        .map(|p| p.value.sum())
        .sum();
    assert_eq!(total, 1.0 + 2.0 + 3.0 + 10.0 + 20.0 + 1.0 + 5.0);
    assert_eq!(
        agg.take_overflows(),
        [Overflowed {
            name: "orders".into(),
            values: 3
        }]
    );
    assert!(agg.take_overflows().is_empty(), "reported once");
}

#[test]
fn the_overflow_point_of_a_histogram_and_a_gauge_is_exact() {
    let mut agg = aggregator(Temporality::Delta, 1, 10);
    agg.record(user("latency", Kind::Histogram, "a", T0 + S, 100.0));
    for (k, v) in [3.0, -2.0, 8.0].into_iter().enumerate() {
        let name = format!("u{k}");
        agg.record(user("latency", Kind::Histogram, &name, T0 + S, v));
    }
    agg.record(user("level", Kind::Gauge, "a", T0 + S, 1.0));
    agg.record(user("level", Kind::Gauge, "b", T0 + 2 * S, 7.0));
    agg.record(user("level", Kind::Gauge, "c", T0 + 4 * S, 9.0));
    agg.record(user("level", Kind::Gauge, "d", T0 + 3 * S, 8.0));
    let export = agg.take_until(T0 + 5 * S);
    let (_, overflow) = split(&export, "latency");
    let Value::ExponentialHistogram(h) = &overflow[0].value else {
        panic!("not an exponential histogram: {overflow:?}");
    };
    assert_eq!((h.count, h.sum, h.min, h.max), (3, 9.0, -2.0, 8.0));
    let (_, overflow) = split(&export, "level");
    assert_eq!(overflow.len(), 1);
    assert_eq!(
        overflow[0].value,
        Value::Gauge(9.0),
        "the latest value wins"
    );
    assert_eq!(overflow[0].time_unix_nano, T0 + 4 * S);
}

#[test]
fn delta_lets_exported_streams_go_so_the_limit_is_per_interval() {
    use Recorded::{Overflow, Stream};
    let mut agg = aggregator(Temporality::Delta, 2, 10);
    record_line(&mut agg, "orders", "a", T0 + S, 1.0);
    record_line(&mut agg, "orders", "b", T0 + S, 1.0);
    agg.take_until(T0 + 2 * S);
    assert_eq!(
        (agg.stream_count(), agg.metric_count()),
        (2, 0),
        "exported streams wait, uncounted, for the next take"
    );
    // A new interval: two new sets fit again, and a waiting set gets no room beyond them.
    let next = record_users(&mut agg, &[("c", 3, 1.0), ("d", 3, 1.0), ("a", 3, 1.0)]);
    assert_eq!(next, [Stream, Stream, Overflow]);
    // A stream with values still pending (a later bucket) is not let go.
    record_line(&mut agg, "orders", "c", T0 + 30 * S, 1.0);
    let export = agg.take_until(T0 + 4 * S);
    let (users, overflow) = split(&export, "orders");
    assert_eq!(users, ["c", "d"]);
    assert_eq!(
        overflow[0].value,
        Value::Sum(1.0),
        "a's value, counted once"
    );
    assert_eq!(
        agg.stream_count(),
        3,
        "a and b let go; c, d and the overflow stay"
    );
    agg.take_until(T0 + 5 * S);
    assert_eq!(agg.stream_count(), 1, "only c, still pending");
}

#[test]
fn a_stream_seen_every_interval_is_kept_and_counted_once() {
    use Recorded::{Overflow, Stream};
    let mut agg = aggregator(Temporality::Delta, 2, 10);
    record_users(&mut agg, &[("a", 1, 1.0), ("b", 1, 1.0)]);
    agg.take_until(T0 + 2 * S);
    let next = record_users(&mut agg, &[("a", 3, 2.0), ("b", 3, 2.0), ("c", 3, 2.0)]);
    assert_eq!(
        next,
        [Stream, Stream, Overflow],
        "a and b are counted again"
    );
    assert_eq!((agg.stream_count(), agg.metric_count()), (3, 1));
}

#[test]
fn a_stream_let_go_continues_its_intervals_when_seen_again() {
    let mut agg = aggregator(Temporality::Delta, 10, 10);
    record_line(&mut agg, "orders", "a", T0 + S, 1.0);
    let first = agg.take_all(T0 + 4 * S);
    assert!(agg.take_all(T0 + 5 * S).is_empty());
    assert_eq!(agg.stream_count(), 0, "let go at the take after its export");
    // Same bucket, after the flush: the next point starts where the last one ended.
    record_line(&mut agg, "orders", "a", T0 + 6 * S, 2.0);
    // A late value goes into the next interval too, never before the last end.
    record_line(&mut agg, "orders", "a", T0 + 2 * S, 3.0);
    let second = agg.take_all(T0 + 8 * S);
    assert_eq!(
        intervals(&points(&first, "orders")),
        [(T0, T0 + 4 * S, 1.0)]
    );
    assert_eq!(
        intervals(&points(&second, "orders")),
        [(T0 + 4 * S, T0 + 8 * S, 5.0)]
    );
}

#[test]
fn cumulative_keeps_its_sets_and_overflows_new_ones() {
    let mut agg = aggregator(Temporality::Cumulative, 2, 10);
    agg.record(user("orders", Kind::Sum, "a", T0 + S, 1.0));
    agg.record(user("orders", Kind::Sum, "b", T0 + S, 2.0));
    agg.take_until(T0 + 2 * S);
    agg.record(user("orders", Kind::Sum, "a", T0 + 3 * S, 4.0));
    agg.record(user("orders", Kind::Sum, "c", T0 + 3 * S, 8.0));
    let export = agg.take_until(T0 + 4 * S);
    let (users, overflow) = split(&export, "orders");
    assert_eq!(users, ["a"], "b had nothing new; c did not get a set");
    assert_eq!(overflow[0].value, Value::Sum(8.0));
    assert_eq!(agg.stream_count(), 3, "a, b and the overflow stream stay");
    agg.record(user("orders", Kind::Sum, "c", T0 + 5 * S, 1.0));
    let export = agg.take_until(T0 + 6 * S);
    let (_, overflow) = split(&export, "orders");
    assert_eq!(
        overflow[0].value,
        Value::Sum(9.0),
        "the overflow point's running total"
    );
    assert_eq!(overflow[0].start_time_unix_nano, T0 - 100 * S);
}

#[test]
fn new_metric_names_past_the_limit_are_refused_and_counted() {
    let mut agg = aggregator(Temporality::Delta, 10, 2);
    assert_eq!(
        record_line(&mut agg, "m1", "a", T0 + S, 1.0),
        Recorded::Stream
    );
    assert_eq!(
        record_line(&mut agg, "m2", "a", T0 + S, 1.0),
        Recorded::Stream
    );
    assert_eq!(
        record_line(&mut agg, "m3", "a", T0 + S, 1.0),
        Recorded::TooManyMetrics
    );
    assert_eq!(agg.refused_values(), 1);
    // Known names still record; the extension's own metrics are not bounded by it.
    assert_eq!(
        record_line(&mut agg, "m1", "b", T0 + S, 1.0),
        Recorded::Stream
    );
    agg.record(user("metricline.lines", Kind::Sum, "x", T0 + S, 1.0));
    let export = agg.take_until(T0 + 2 * S);
    let names: Vec<&str> = export
        .streams
        .iter()
        .map(|(k, _)| k.name.as_str())
        .collect();
    assert!(
        !names.contains(&"m3") && names.contains(&"metricline.lines"),
        "{names:?}"
    );
    // Exported delta metrics are let go: a new name fits again.
    assert_eq!(
        record_line(&mut agg, "m3", "a", T0 + 3 * S, 1.0),
        Recorded::Stream
    );
    assert_eq!(agg.refused_values(), 1);
}

#[test]
fn a_put_back_export_is_never_refused_by_the_limits() {
    let mut agg = aggregator(Temporality::Delta, 2, 1);
    record_line(&mut agg, "orders", "a", T0 + S, 1.0);
    record_line(&mut agg, "orders", "b", T0 + S, 2.0);
    let failed = agg.take_until(T0 + 2 * S);
    // Meanwhile other data filled the limits.
    record_line(&mut agg, "other", "x", T0 + 3 * S, 1.0);
    agg.put_back(failed);
    assert_eq!(agg.pending_points(), 3);
    let export = agg.take_until(T0 + 4 * S);
    assert_eq!(points(&export, "orders").len(), 2);
    assert_eq!(points(&export, "other").len(), 1);
}

/// What is left of `orders` is its buckets `buckets` (bucket k ends at T0 + k·10 s).
fn assert_kept_buckets(agg: &mut Aggregator, buckets: std::ops::RangeInclusive<u64>) {
    let export = agg.take_all(T0 + 200 * S);
    let ends = points(&export, "orders")
        .into_iter()
        .map(|p| p.time_unix_nano);
    let want: Vec<u64> = buckets.map(|k| T0 + k * 10 * S).collect();
    assert_eq!(ends.collect::<Vec<_>>(), want);
}

#[test]
fn the_retry_buffer_sheds_the_oldest_points_to_fit_its_bytes() {
    let mut agg = aggregator(Temporality::Delta, 100, 10);
    for k in 0..10 {
        record_line(&mut agg, "orders", "a", T0 + k * 10 * S + S, 1.0);
    }
    let one = agg.pending_bytes() / 10;
    assert!(one > 0);
    let budget = Budget {
        points: 100,
        bytes: 4 * one,
    };
    assert_eq!(agg.shed_to(budget), 6);
    assert!(agg.pending_bytes() <= 4 * one);
    assert_kept_buckets(&mut agg, 7..=10);
}

#[test]
fn a_bounded_buffer_sheds_while_recording_and_reports_it() {
    let mut agg = aggregator(Temporality::Delta, 100, 10);
    agg.set_buffer(Budget {
        points: 8,
        bytes: usize::MAX,
    });
    // One new bucket per value: the ninth goes past the bound, which sheds the oldest
    // down to 7 (7/8 of it) at once instead of one per new bucket.
    for k in 0..9 {
        record_line(&mut agg, "orders", "a", T0 + k * 10 * S + S, 1.0);
    }
    assert_eq!(agg.pending_points(), 7);
    assert_eq!(agg.take_shed(), 2);
    assert_eq!(agg.take_shed(), 0, "reported once");
    assert_kept_buckets(&mut agg, 3..=9);
}
