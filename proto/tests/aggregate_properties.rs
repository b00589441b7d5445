//! Property tests: any interleaving of record / take_until / take_all / put_back of the
//! last take keeps every value exactly once and every delta stream's intervals contiguous,
//! also when random attribute sets go past the cardinality limit (the overflow point's
//! values plus the sets' equal what was recorded).

use std::collections::HashMap;

use metricline_proto::aggregate::{
    AggregationConfig, Aggregator, DataPoint, Export, HistogramAggregation, Limits, Temporality,
    Value,
};
use metricline_proto::model::{Kind, Point, StreamKey};
use proptest::prelude::*;

const S: u64 = 1_000_000_000;
const T0: u64 = 1_764_151_200 * S;

#[derive(Debug, Clone)]
enum Op {
    /// Metric number, attribute set number, offset of the value's timestamp from the
    /// current flush instant (may be negative: a late value), value.
    Record(usize, usize, i64, u32),
    /// Advance the flush instant by this many ns, then take_until it.
    Take(u64),
    /// Advance the flush instant by this many ns, then take_all at it (a final flush).
    TakeAll(u64),
    /// The last take's export failed: put it back.
    PutBack,
}

/// Operations on 4 metrics with `sets` attribute sets each.
fn op(sets: usize) -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..4usize, 0..sets, -25_000i64..25_000, 0..1000u32)
            .prop_map(|(s, set, off, v)| Op::Record(s, set, off * 1_000_000, v)),
        2 => prop_oneof![0..3u64, 0..30_000u64].prop_map(|ms| Op::Take(ms * 1_000_000)),
        1 => (0..5_000u64).prop_map(|ms| Op::TakeAll(ms * 1_000_000)),
        1 => Just(Op::PutBack),
    ]
}

const KINDS: [Kind; 4] = [Kind::Sum, Kind::Histogram, Kind::Sum, Kind::Gauge];

/// Metric `m`'s stream for attribute set `set` (set 0: no attributes).
fn key(m: usize, set: usize) -> StreamKey {
    let attributes = match set {
        0 => vec![],
        n => vec![("user".to_string(), format!("u{n}"))],
    };
    StreamKey::new(format!("m{m}"), "s", KINDS[m], attributes)
}

/// What arrived at the backend, per stream.
#[derive(Default)]
struct Delivered(HashMap<StreamKey, Vec<DataPoint>>);

impl Delivered {
    fn add(&mut self, export: Export) {
        for (key, points) in export.streams {
            self.0
                .entry(StreamKey::clone(&key))
                .or_default()
                .extend(points);
        }
    }
}

fn run(ops: &[Op], temporality: Temporality, histograms: HistogramAggregation, limits: Limits) {
    let config = AggregationConfig {
        temporality,
        histograms,
        start_time_unix_nano: T0 - 3600 * S,
    };
    let mut agg = Aggregator::with_limits(config, limits);
    let mut now = T0;
    let mut recorded: HashMap<StreamKey, (f64, u64)> = HashMap::new();
    let mut last: Option<Export> = None;
    let mut delivered = Delivered::default();
    // Latest end exported so far: a final flush may close past `now` (values stamped ahead).
    let mut horizon = 0;
    for op in ops {
        match *op {
            Op::Record(m, set, offset, value) => {
                let key = key(m, set);
                let entry = recorded.entry(key.clone()).or_default();
                entry.0 += f64::from(value);
                entry.1 += 1;
                let t = now.checked_add_signed(offset).unwrap();
                agg.record(Point {
                    key,
                    time_unix_nano: t,
                    value: f64::from(value),
                });
            }
            Op::Take(advance) | Op::TakeAll(advance) => {
                delivered.add(last.take().unwrap_or_default());
                now += advance;
                let export = match op {
                    Op::Take(_) => agg.take_until(now),
                    _ => agg.take_all(now),
                };
                let times = export
                    .streams
                    .iter()
                    .flat_map(|(_, p)| p)
                    .map(|p| p.time_unix_nano);
                let latest = times.max().unwrap_or(0);
                if let Op::Take(_) = op {
                    // Past `now` only just after a final flush's future end, for late values.
                    assert!(latest <= now.max(horizon + 1), "{latest} after {now}");
                }
                horizon = horizon.max(latest);
                last = Some(export);
            }
            Op::PutBack => {
                if let Some(export) = last.take() {
                    agg.put_back(export);
                }
            }
        }
    }
    delivered.add(last.take().unwrap_or_default());
    delivered.add(agg.take_all(now + 60 * S));
    assert_eq!(agg.pending_points(), 0);

    for (key, points) in &delivered.0 {
        check_intervals(key, points, temporality);
    }
    // Per metric: the overflow point and the sets together hold every value once.
    let mut per_metric: HashMap<(String, Kind), (f64, u64)> = HashMap::new();
    for (key, &(total, count)) in &recorded {
        let entry = per_metric.entry((key.name.clone(), key.kind)).or_default();
        entry.0 += total;
        entry.1 += count;
    }
    for ((name, kind), (total, count)) in per_metric {
        let streams = delivered.0.iter().filter(|(k, _)| k.name == name);
        let (mut sum, mut n) = (0.0, 0);
        for (key, points) in streams {
            let (s, c) = exported_total(key, points, temporality);
            sum += s;
            n += c;
        }
        if kind == Kind::Gauge {
            continue;
        }
        assert!((sum - total).abs() < 1e-6, "{name}: sum {sum} != {total}");
        if kind == Kind::Histogram {
            assert_eq!(n, count, "{name}: histogram count");
        }
    }
    if limits.cardinality >= SETS {
        for (key, &(total, count)) in &recorded {
            let points = delivered.0.get(key).map(Vec::as_slice).unwrap_or(&[]);
            check_totals(key, points, total, count, temporality);
        }
    }
}

/// Sum and count a stream's points add up to (cumulative: its last point).
fn exported_total(key: &StreamKey, points: &[DataPoint], temporality: Temporality) -> (f64, u64) {
    match (key.kind, temporality) {
        (Kind::Gauge, _) => (0.0, 0),
        (_, Temporality::Delta) => points.iter().fold((0.0, 0), |(s, n), p| {
            (s + p.value.sum(), n + p.value.count())
        }),
        (_, Temporality::Cumulative) => {
            let last = &points.last().expect("a recorded stream exports").value;
            (last.sum(), last.count())
        }
    }
}

fn check_intervals(key: &StreamKey, points: &[DataPoint], temporality: Temporality) {
    for p in points {
        assert!(p.start_time_unix_nano < p.time_unix_nano, "{key:?}: {p:?}");
    }
    if key.kind == Kind::Gauge || temporality == Temporality::Cumulative {
        for pair in points.windows(2) {
            assert!(pair[0].time_unix_nano < pair[1].time_unix_nano, "{pair:?}");
        }
        return;
    }
    let first = &points[0];
    assert_eq!(
        first.start_time_unix_nano % (10 * S),
        0,
        "first point starts at its bucket's start: {first:?}"
    );
    for pair in points.windows(2) {
        assert_eq!(
            pair[0].time_unix_nano, pair[1].start_time_unix_nano,
            "{key:?}: intervals not contiguous: {pair:?}"
        );
    }
}

fn check_totals(key: &StreamKey, points: &[DataPoint], total: f64, count: u64, t: Temporality) {
    if key.kind == Kind::Gauge {
        return;
    }
    let (sum, n) = exported_total(key, points, t);
    assert!((sum - total).abs() < 1e-6, "{key:?}: sum {sum} != {total}");
    if key.kind == Kind::Histogram {
        assert_eq!(n, count, "{key:?}: histogram count");
    }
    if let Some(Value::Sum(_)) = points.first().map(|p| &p.value) {
        assert_eq!(key.kind, Kind::Sum);
    }
}

/// Attribute sets per metric in the limit properties; their limit is below it.
const SETS: usize = 8;

const NO_LIMIT: Limits = Limits {
    cardinality: SETS,
    metrics: 10,
};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn delta_keeps_every_value_once_in_contiguous_intervals(
        ops in prop::collection::vec(op(1), 1..120),
        explicit in any::<bool>(),
    ) {
        let histograms = if explicit {
            HistogramAggregation::ExplicitBuckets
        } else {
            HistogramAggregation::Exponential
        };
        run(&ops, Temporality::Delta, histograms, NO_LIMIT);
    }

    #[test]
    fn cumulative_totals_equal_everything_recorded(
        ops in prop::collection::vec(op(1), 1..120),
    ) {
        run(&ops, Temporality::Cumulative, HistogramAggregation::Exponential, NO_LIMIT);
    }

    #[test]
    fn sets_past_the_cardinality_limit_keep_every_value_once(
        ops in prop::collection::vec(op(SETS), 1..200),
        limit in 1..SETS,
        cumulative in any::<bool>(),
    ) {
        let temporality = if cumulative {
            Temporality::Cumulative
        } else {
            Temporality::Delta
        };
        let limits = Limits { cardinality: limit, metrics: 10 };
        run(&ops, temporality, HistogramAggregation::Exponential, limits);
    }
}
