//! Put-back after a failed export, shedding, cumulative totals and forgetting idle streams.

mod common;

use common::{intervals, points};
use metricline_proto::aggregate::{
    AggregationConfig, Aggregator, HistogramAggregation, Temporality, Value,
};
use metricline_proto::model::{Kind, Point, StreamKey};

const S: u64 = 1_000_000_000;
const T0: u64 = 1_764_151_200 * S;

fn aggregator(temporality: Temporality) -> Aggregator {
    Aggregator::new(AggregationConfig {
        temporality,
        histograms: HistogramAggregation::Exponential,
        start_time_unix_nano: T0 - 100 * S,
    })
}

fn point(name: &str, kind: Kind, t: u64, value: f64) -> Point {
    Point {
        key: StreamKey::new(name, "", kind, vec![]),
        time_unix_nano: t,
        value,
    }
}

#[test]
fn a_put_back_export_goes_out_again_exactly_once_before_newer_data() {
    let mut agg = aggregator(Temporality::Delta);
    agg.record(point("orders", Kind::Sum, T0 + S, 1.0));
    agg.record(point("orders", Kind::Sum, T0 + 12 * S, 2.0));
    let failed = agg.take_until(T0 + 15 * S);
    assert_eq!(agg.pending_points(), 0);
    agg.put_back(failed.clone());
    assert_eq!(agg.pending_points(), 2);
    agg.record(point("orders", Kind::Sum, T0 + 17 * S, 4.0));
    let retry = agg.take_until(T0 + 18 * S);
    assert_eq!(
        intervals(&points(&retry, "orders")),
        vec![
            (T0, T0 + 10 * S, 1.0),
            (T0 + 10 * S, T0 + 15 * S, 2.0),
            (T0 + 15 * S, T0 + 18 * S, 4.0)
        ]
    );
    assert!(agg.take_until(T0 + 19 * S).is_empty());
}

#[test]
fn repeated_failures_within_one_bucket_merge_into_one_point() {
    let mut agg = aggregator(Temporality::Delta);
    for k in 1..=5 {
        agg.record(point("orders", Kind::Sum, T0 + k * S, 1.0));
        let failed = agg.take_until(T0 + k * S + S / 2);
        agg.put_back(failed);
    }
    assert_eq!(agg.pending_points(), 1);
    let retry = agg.take_until(T0 + 6 * S);
    assert_eq!(
        intervals(&points(&retry, "orders")),
        vec![(T0, T0 + 5 * S + S / 2, 5.0)]
    );
}

#[test]
fn shed_oldest_drops_the_oldest_points_and_counts_them() {
    let mut agg = aggregator(Temporality::Delta);
    for k in 0..5 {
        agg.record(point("old", Kind::Sum, T0 + k * 10 * S + S, 1.0));
    }
    agg.record(point("new", Kind::Sum, T0 + 45 * S, 7.0));
    assert_eq!(agg.pending_points(), 6);
    assert_eq!(agg.shed_oldest(10), 0);
    assert_eq!(agg.shed_oldest(2), 4);
    assert_eq!(agg.pending_points(), 2);
    let export = agg.take_until(T0 + 60 * S);
    let old: Vec<f64> = points(&export, "old")
        .iter()
        .map(|p| p.value.sum())
        .collect();
    assert_eq!(old, vec![1.0], "only the newest bucket of `old` is left");
    assert_eq!(points(&export, "new")[0].value, Value::Sum(7.0));
}

#[test]
fn shed_oldest_also_drops_put_back_points_first() {
    let mut agg = aggregator(Temporality::Delta);
    agg.record(point("orders", Kind::Sum, T0 + S, 1.0));
    let failed = agg.take_until(T0 + 2 * S);
    agg.put_back(failed);
    agg.record(point("orders", Kind::Sum, T0 + 15 * S, 2.0));
    assert_eq!(agg.shed_oldest(1), 1);
    let export = agg.take_until(T0 + 20 * S);
    assert_eq!(
        intervals(&points(&export, "orders")),
        vec![(T0 + 2 * S, T0 + 20 * S, 2.0)]
    );
}

#[test]
fn cumulative_points_carry_running_totals_from_the_start_time() {
    let mut agg = aggregator(Temporality::Cumulative);
    agg.record(point("orders", Kind::Sum, T0 + S, 1.0));
    agg.record(point("orders", Kind::Sum, T0 + 12 * S, 2.0));
    let first = agg.take_until(T0 + 15 * S);
    agg.record(point("orders", Kind::Sum, T0 + 16 * S, 4.0));
    let second = agg.take_until(T0 + 20 * S);
    let start = T0 - 100 * S;
    assert_eq!(
        intervals(&points(&first, "orders")),
        vec![(start, T0 + 10 * S, 1.0), (start, T0 + 15 * S, 3.0)]
    );
    assert_eq!(
        intervals(&points(&second, "orders")),
        vec![(start, T0 + 20 * S, 7.0)]
    );
}

#[test]
fn cumulative_histograms_keep_merging() {
    let mut agg = aggregator(Temporality::Cumulative);
    agg.record(point("latency", Kind::Histogram, T0 + S, 1.0));
    agg.take_until(T0 + 2 * S);
    agg.record(point("latency", Kind::Histogram, T0 + 3 * S, 3.0));
    let export = agg.take_until(T0 + 4 * S);
    match &points(&export, "latency")[0].value {
        Value::ExponentialHistogram(h) => {
            assert_eq!((h.count, h.sum, h.min, h.max), (2, 4.0, 1.0, 3.0));
        }
        other => panic!("expected an exponential histogram, got {other:?}"),
    }
}

#[test]
fn cumulative_values_before_the_start_time_end_after_it() {
    let mut agg = aggregator(Temporality::Cumulative);
    agg.record(point("orders", Kind::Sum, T0 - 500 * S, 1.0));
    let export = agg.take_until(T0);
    let p = &points(&export, "orders")[0];
    assert!(p.start_time_unix_nano < p.time_unix_nano, "{p:?}");
    assert_eq!(p.value, Value::Sum(1.0));
}

#[test]
fn a_failed_cumulative_export_is_not_counted_twice() {
    let mut agg = aggregator(Temporality::Cumulative);
    agg.record(point("orders", Kind::Sum, T0 + S, 1.0));
    let failed = agg.take_until(T0 + 2 * S);
    agg.put_back(failed);
    agg.record(point("orders", Kind::Sum, T0 + 3 * S, 1.0));
    let export = agg.take_until(T0 + 4 * S);
    let totals: Vec<f64> = points(&export, "orders")
        .iter()
        .map(|p| p.value.sum())
        .collect();
    assert_eq!(totals, vec![1.0, 2.0]);
}

#[test]
fn an_idle_delta_stream_is_forgotten_without_ever_overlapping_its_past() {
    let mut agg = aggregator(Temporality::Delta);
    agg.record(point("orders", Kind::Sum, T0 + S, 1.0));
    agg.take_until(T0 + 5 * S);
    // Another stream's flush an hour later lets `orders` be forgotten.
    agg.record(point("other", Kind::Sum, T0 + 3600 * S, 1.0));
    agg.take_until(T0 + 3601 * S);
    // A very late value of the forgotten stream still cannot reach back before T0+5s.
    agg.record(point("orders", Kind::Sum, T0 + 2 * S, 1.0));
    let export = agg.take_until(T0 + 3602 * S);
    let p = &points(&export, "orders")[0];
    assert!(p.start_time_unix_nano >= T0 + 5 * S, "{p:?}");
    assert!(p.start_time_unix_nano < p.time_unix_nano);
}
