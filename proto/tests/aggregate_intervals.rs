//! Time buckets and intervals of delta streams (docs/metrics.md, "Time buckets and temporality").

mod common;

use common::{intervals, points};
use metricline_proto::aggregate::{
    AggregationConfig, Aggregator, HistogramAggregation, Temporality, Value,
};
use metricline_proto::model::{Kind, Point, StreamKey};

const S: u64 = 1_000_000_000;
/// 2025-11-26T10:00:00Z, a multiple of 10 s.
const T0: u64 = 1_764_151_200 * S;

fn delta() -> Aggregator {
    Aggregator::new(AggregationConfig {
        temporality: Temporality::Delta,
        histograms: HistogramAggregation::Exponential,
        start_time_unix_nano: T0,
    })
}

fn key(name: &str, kind: Kind) -> StreamKey {
    StreamKey::new(name, "", kind, vec![("env".into(), "prod".into())])
}

fn point(name: &str, kind: Kind, t: u64, value: f64) -> Point {
    Point {
        key: key(name, kind),
        time_unix_nano: t,
        value,
    }
}

#[test]
fn values_of_one_10s_window_make_one_point_with_the_aligned_bucket() {
    let mut agg = delta();
    agg.record(point("orders", Kind::Sum, T0 + 3 * S, 2.0));
    agg.record(point("orders", Kind::Sum, T0 + 7 * S, 3.0));
    agg.record(point("orders", Kind::Sum, T0 + 12 * S, 4.0));
    assert_eq!(agg.pending_points(), 2);
    let export = agg.take_until(T0 + 20 * S);
    assert_eq!(
        intervals(&points(&export, "orders")),
        vec![(T0, T0 + 10 * S, 5.0), (T0 + 10 * S, T0 + 20 * S, 4.0)]
    );
    assert_eq!(agg.pending_points(), 0);
}

#[test]
fn a_value_on_a_10s_boundary_belongs_to_the_bucket_ending_there() {
    // Intervals are (start, end]: whole-second epochs like `MONITORING|1764151200|...`
    // end a bucket rather than start one.
    let mut agg = delta();
    agg.record(point("orders", Kind::Sum, T0, 1.0));
    let export = agg.take_until(T0 + 60 * S);
    assert_eq!(
        intervals(&points(&export, "orders")),
        vec![(T0 - 10 * S, T0, 1.0)]
    );
}

#[test]
fn a_flush_closes_the_open_bucket_at_the_flush_instant() {
    let mut agg = delta();
    agg.record(point("orders", Kind::Sum, T0 + S, 1.0));
    let first = agg.take_until(T0 + 4 * S);
    agg.record(point("orders", Kind::Sum, T0 + 6 * S, 2.0));
    let second = agg.take_until(T0 + 30 * S);
    assert_eq!(
        intervals(&points(&first, "orders")),
        vec![(T0, T0 + 4 * S, 1.0)]
    );
    assert_eq!(
        intervals(&points(&second, "orders")),
        vec![(T0 + 4 * S, T0 + 10 * S, 2.0)]
    );
}

#[test]
fn values_stamped_after_the_flush_instant_stay_pending() {
    let mut agg = delta();
    agg.record(point("orders", Kind::Sum, T0 + 3 * S, 1.0));
    agg.record(point("orders", Kind::Sum, T0 + 7 * S, 10.0));
    agg.record(point("orders", Kind::Sum, T0 + 25 * S, 100.0));
    let first = agg.take_until(T0 + 5 * S);
    assert_eq!(
        intervals(&points(&first, "orders")),
        vec![(T0, T0 + 5 * S, 1.0)]
    );
    assert_eq!(agg.pending_points(), 2);
    let second = agg.take_until(T0 + 30 * S);
    assert_eq!(
        intervals(&points(&second, "orders")),
        vec![
            (T0 + 5 * S, T0 + 10 * S, 10.0),
            (T0 + 10 * S, T0 + 30 * S, 100.0)
        ]
    );
}

#[test]
fn a_late_value_goes_into_the_next_interval() {
    let mut agg = delta();
    agg.record(point("orders", Kind::Sum, T0 + 2 * S, 1.0));
    let first = agg.take_until(T0 + 5 * S);
    // Stamped inside the interval already exported: it must not reopen it.
    agg.record(point("orders", Kind::Sum, T0 + 3 * S, 2.0));
    let second = agg.take_until(T0 + 8 * S);
    assert_eq!(
        intervals(&points(&first, "orders")),
        vec![(T0, T0 + 5 * S, 1.0)]
    );
    assert_eq!(
        intervals(&points(&second, "orders")),
        vec![(T0 + 5 * S, T0 + 8 * S, 2.0)]
    );
}

#[test]
fn a_flush_at_the_previous_end_exports_no_zero_size_interval() {
    let mut agg = delta();
    agg.record(point("orders", Kind::Sum, T0 + 2 * S, 1.0));
    let first = agg.take_until(T0 + 5 * S);
    agg.record(point("orders", Kind::Sum, T0 + 4 * S, 1.0));
    let again = agg.take_until(T0 + 5 * S);
    assert_eq!(first.point_count(), 1);
    assert!(again.is_empty(), "{again:?}");
    assert_eq!(agg.pending_points(), 1, "the late value waits, not lost");
    let later = agg.take_until(T0 + 6 * S);
    assert_eq!(
        intervals(&points(&later, "orders")),
        vec![(T0 + 5 * S, T0 + 6 * S, 1.0)]
    );
}

#[test]
fn after_a_quiet_gap_the_next_point_starts_at_the_previous_end() {
    let mut agg = delta();
    agg.record(point("orders", Kind::Sum, T0 + 2 * S, 1.0));
    agg.take_until(T0 + 5 * S);
    agg.record(point("orders", Kind::Sum, T0 + 42 * S, 1.0));
    let export = agg.take_until(T0 + 45 * S);
    assert_eq!(
        intervals(&points(&export, "orders")),
        vec![(T0 + 5 * S, T0 + 45 * S, 1.0)]
    );
}

#[test]
fn take_all_takes_future_values_and_later_late_values_keep_start_before_end() {
    let mut agg = delta();
    agg.record(point("orders", Kind::Sum, T0 + 2 * S, 1.0));
    // A user's clock an hour ahead.
    agg.record(point("orders", Kind::Sum, T0 + 3600 * S, 5.0));
    let all = agg.take_all(T0 + 4 * S);
    assert_eq!(
        intervals(&points(&all, "orders")),
        vec![(T0, T0 + 10 * S, 1.0), (T0 + 10 * S, T0 + 3600 * S, 5.0)]
    );
    assert_eq!(agg.pending_points(), 0);
    // Now a value stamped before everything exported arrives.
    agg.record(point("orders", Kind::Sum, T0 + 5 * S, 2.0));
    let timer = agg.take_until(T0 + 6 * S);
    assert_eq!(
        intervals(&points(&timer, "orders")),
        vec![(T0 + 3600 * S, T0 + 3600 * S + 1, 2.0)]
    );
}

#[test]
fn a_gauge_keeps_the_last_value_of_each_bucket_with_its_own_timestamp() {
    let mut agg = delta();
    agg.record(point("queue", Kind::Gauge, T0 + 6 * S, 6.0));
    agg.record(point("queue", Kind::Gauge, T0 + 2 * S, 2.0)); // older: not last
    agg.record(point("queue", Kind::Gauge, T0 + 4 * S, 4.0));
    agg.record(point("queue", Kind::Gauge, T0 + 14 * S, 14.0));
    agg.record(point("queue", Kind::Gauge, T0 + 14 * S, 15.0)); // tie: last recorded wins
    let export = agg.take_until(T0 + 20 * S);
    let got: Vec<(u64, Value)> = points(&export, "queue")
        .into_iter()
        .map(|p| (p.time_unix_nano, p.value))
        .collect();
    assert_eq!(
        got,
        vec![
            (T0 + 6 * S, Value::Gauge(6.0)),
            (T0 + 14 * S, Value::Gauge(15.0))
        ]
    );
}

#[test]
fn a_gauge_tie_is_won_by_the_last_recorded_even_among_many_values() {
    let mut agg = delta();
    for k in 0..10 {
        agg.record(point("queue", Kind::Gauge, T0 + 5 * S, k as f64));
    }
    let export = agg.take_until(T0 + 10 * S);
    assert_eq!(points(&export, "queue")[0].value, Value::Gauge(9.0));
}

#[test]
fn streams_are_told_apart_by_name_unit_kind_and_attributes() {
    let mut agg = delta();
    agg.record(point("orders", Kind::Sum, T0 + S, 1.0));
    agg.record(point("orders", Kind::Gauge, T0 + S, 1.0));
    agg.record(Point {
        key: StreamKey::new("orders", "", Kind::Sum, vec![("env".into(), "dev".into())]),
        time_unix_nano: T0 + S,
        value: 1.0,
    });
    agg.record(Point {
        key: StreamKey::new(
            "orders",
            "{order}",
            Kind::Sum,
            vec![("env".into(), "prod".into())],
        ),
        time_unix_nano: T0 + S,
        value: 1.0,
    });
    agg.record(point("orders", Kind::Sum, T0 + 2 * S, 1.0));
    let export = agg.take_until(T0 + 10 * S);
    assert_eq!(export.streams.len(), 4);
    assert_eq!(export.point_count(), 4);
}

#[test]
fn non_finite_values_are_ignored() {
    let mut agg = delta();
    agg.record(point("orders", Kind::Sum, T0 + S, f64::NAN));
    agg.record(point("orders", Kind::Sum, T0 + S, f64::INFINITY));
    assert_eq!(agg.pending_points(), 0);
}

#[test]
fn values_pushed_together_aggregate_as_if_pushed_one_by_one() {
    use metricline_proto::model::{KeyRef, PointRef, PointSink};
    use std::borrow::Cow;
    let attributes = [(Cow::Borrowed("env"), Cow::Borrowed("prod"))];
    let key = |name, kind| KeyRef {
        name,
        unit: "ms",
        kind,
        attributes: &attributes,
    };
    let (mut together, mut one_by_one) = (delta(), delta());
    let batches: [(&str, Kind, &[f64]); 5] = [
        ("latency", Kind::Histogram, &[12.5, 8.25, 30.0]),
        ("orders", Kind::Sum, &[1.0, f64::NAN, 2.0]),
        ("depth", Kind::Gauge, &[3.0, 7.0, 5.0]),
        ("latency", Kind::Histogram, &[0.5, 1e6]),
        ("empty", Kind::Sum, &[]),
    ];
    // Three intervals: new streams, then streams left idle by the export, then woken.
    for interval in 0..3u64 {
        let t = T0 + interval * 10 * S + S;
        for &(name, kind, values) in &batches {
            together.push_values(key(name, kind), t, values);
            for &value in values {
                let key = key(name, kind);
                one_by_one.push_point(PointRef {
                    key,
                    time_unix_nano: t,
                    value,
                });
            }
        }
        assert_eq!(together.pending_points(), one_by_one.pending_points());
        let (a, b) = (together.take_all(t + S), one_by_one.take_all(t + S));
        assert_eq!(a.point_count(), 3, "interval {interval}");
        for name in ["latency", "orders", "depth", "empty"] {
            assert_eq!(
                points(&a, name),
                points(&b, name),
                "{name}, interval {interval}"
            );
        }
    }
}
