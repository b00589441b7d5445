//! Histogram aggregation: explicit bounds and base-2 exponential buckets.

use metricline_proto::aggregate::{
    bucket_index, AggregationConfig, Aggregator, ExplicitHistogram, ExponentialHistogram,
    HistogramAggregation, Temporality, Value, DEFAULT_BOUNDS, MAX_SCALE, MAX_SIZE, SECONDS_BOUNDS,
};
use metricline_proto::model::{Kind, Point, StreamKey};

const S: u64 = 1_000_000_000;
const T0: u64 = 1_764_151_200 * S;

fn histogram_of(unit: &str, aggregation: HistogramAggregation, samples: &[f64]) -> Value {
    let mut agg = Aggregator::new(AggregationConfig {
        temporality: Temporality::Delta,
        histograms: aggregation,
        start_time_unix_nano: T0,
    });
    for &value in samples {
        agg.record(Point {
            key: StreamKey::new("h", unit, Kind::Histogram, vec![]),
            time_unix_nano: T0 + S,
            value,
        });
    }
    let mut export = agg.take_until(T0 + 10 * S);
    export.streams.remove(0).1.remove(0).value
}

fn explicit(unit: &str, samples: &[f64]) -> ExplicitHistogram {
    match histogram_of(unit, HistogramAggregation::ExplicitBuckets, samples) {
        Value::Histogram(h) => *h,
        other => panic!("expected an explicit histogram, got {other:?}"),
    }
}

fn exponential(samples: &[f64]) -> ExponentialHistogram {
    match histogram_of("ms", HistogramAggregation::Exponential, samples) {
        Value::ExponentialHistogram(h) => *h,
        other => panic!("expected an exponential histogram, got {other:?}"),
    }
}

#[test]
fn seconds_use_the_semantic_convention_bounds_upper_inclusive() {
    let h = explicit("s", &[0.005, 0.0051, 10.0, 11.0, 0.3]);
    assert_eq!(h.bounds, SECONDS_BOUNDS);
    let mut want = vec![0u64; 15];
    want[0] = 1; // 0.005 is in (-inf, 0.005]
    want[1] = 1; // 0.0051 in (0.005, 0.01]
    want[7] = 1; // 0.3 in (0.25, 0.5]
    want[13] = 1; // 10 in (7.5, 10]
    want[14] = 1; // 11 in (10, +inf)
    assert_eq!(h.bucket_counts(), want.as_slice());
    assert_eq!((h.count, h.min, h.max), (5, 0.005, 11.0));
    assert!((h.sum - 21.3101).abs() < 1e-9);
}

#[test]
fn other_units_use_the_sdk_default_bounds() {
    let h = explicit("ms", &[0.0, -1.0, 5.0, 10001.0]);
    assert_eq!(h.bounds, DEFAULT_BOUNDS);
    let mut want = vec![0u64; 16];
    want[0] = 2; // 0 and -1 in (-inf, 0]
    want[1] = 1; // 5 in (0, 5]
    want[15] = 1;
    assert_eq!(h.bucket_counts(), want.as_slice());
}

#[test]
fn exponential_starts_at_scale_20_and_keeps_count_sum_min_max() {
    // 1.5 and 1.5001 are about 100 buckets apart at scale 20: no need to downscale.
    let h = exponential(&[1.5, 1.5000001, 1.5001]);
    assert_eq!(h.scale, MAX_SCALE);
    assert_eq!((h.count, h.min, h.max), (3, 1.5, 1.5001));
    assert!((h.sum - 4.5001001).abs() < 1e-9);
    assert_eq!(h.positive.counts.iter().sum::<u64>(), 3);
}

#[test]
fn exponential_downscales_to_fit_160_buckets() {
    let h = exponential(&[1.0, 1000.0, 1e6]);
    assert!(h.scale < MAX_SCALE);
    assert!(h.positive.counts.len() <= MAX_SIZE);
    // At the chosen scale the range must not fit one scale higher.
    let high_low = |scale: i32| {
        (
            bucket_index(1e6, scale) as i64,
            bucket_index(1.0, scale) as i64,
        )
    };
    let (hi, lo) = high_low(h.scale + 1);
    assert!(
        hi - lo + 1 > MAX_SIZE as i64,
        "scale {} was lowered too far",
        h.scale
    );
    assert_eq!(h.positive.counts.iter().sum::<u64>(), 3);
    assert_every_sample_in_its_bucket(&h, &[1.0, 1000.0, 1e6]);
}

#[test]
fn exponential_has_a_zero_bucket_and_a_negative_range() {
    let h = exponential(&[0.0, -2.5, -2.5, 3.0]);
    assert_eq!(h.zero_count, 1);
    assert_eq!(h.negative.counts.iter().sum::<u64>(), 2);
    assert_eq!(h.positive.counts.iter().sum::<u64>(), 1);
    assert_eq!((h.min, h.max, h.count), (-2.5, 3.0, 4));
}

#[test]
fn exact_powers_of_two_close_their_bucket() {
    // (base^i, base^(i+1)]: 2^k is the upper edge of bucket k·2^scale − 1.
    for scale in [-3, 0, 1, 5, 20] {
        for k in [-10i32, 0, 1, 7] {
            let v = 2f64.powi(k);
            let want = if scale >= 0 {
                (k << scale) - 1
            } else {
                (k - 1) >> -scale
            };
            assert_eq!(bucket_index(v, scale), want, "2^{k} at scale {scale}");
        }
    }
}

#[test]
fn bucket_index_brackets_the_value() {
    for scale in [-2, 0, 3, 10, 20] {
        for v in [1e-300, 3.7e-5, 0.3, 1.1, 7.0, 123.456, 6.02e23, 5e-324] {
            let i = f64::from(bucket_index(v, scale));
            let base_log2 = 2f64.powi(-scale);
            let (lower, upper) = (i * base_log2, (i + 1.0) * base_log2);
            let tolerance = 1e-9 * v.log2().abs().max(1.0);
            assert!(
                lower - tolerance <= v.log2() && v.log2() <= upper + tolerance,
                "{v} at scale {scale}: index {i}"
            );
        }
    }
}

#[test]
fn merging_equals_recording_everything_into_one() {
    let a_samples = [0.001, 0.5, 2.0, -3.0];
    let b_samples = [1e5, 7.0, 0.0];
    let mut a = ExponentialHistogram::default();
    a_samples.iter().for_each(|&v| a.record(v));
    let mut b = ExponentialHistogram::default();
    b_samples.iter().for_each(|&v| b.record(v));
    a.merge(&b);
    let mut all = ExponentialHistogram::default();
    a_samples
        .iter()
        .chain(b_samples.iter())
        .for_each(|&v| all.record(v));
    assert_eq!(a, all);
}

fn assert_every_sample_in_its_bucket(h: &ExponentialHistogram, samples: &[f64]) {
    for &v in samples {
        let at = bucket_index(v, h.scale) - h.positive.offset;
        assert!(
            at >= 0 && h.positive.counts[at as usize] > 0,
            "{v} not counted in bucket {at} at scale {}",
            h.scale
        );
    }
}

fn sample() -> impl proptest::strategy::Strategy<Value = f64> {
    use proptest::prelude::*;
    prop_oneof![
        Just(0.0),
        (-1e6f64..1e6),
        (1e-12f64..1e-3),
        (1.0f64..1e300),
        (-1e300f64..-1.0),
    ]
}

proptest::proptest! {
    #[test]
    fn exponential_histograms_fit_160_buckets_and_count_every_sample(
        a in proptest::collection::vec(sample(), 0..60),
        b in proptest::collection::vec(sample(), 0..60),
    ) {
        let mut merged = ExponentialHistogram::default();
        a.iter().for_each(|&v| merged.record(v));
        let mut other = ExponentialHistogram::default();
        b.iter().for_each(|&v| other.record(v));
        merged.merge(&other);
        let all: Vec<f64> = a.iter().chain(b.iter()).copied().collect();
        let mut direct = ExponentialHistogram::default();
        all.iter().for_each(|&v| direct.record(v));
        for h in [&merged, &direct] {
            assert!(h.positive.counts.len() <= MAX_SIZE && h.negative.counts.len() <= MAX_SIZE);
            let counted = h.zero_count
                + h.positive.counts.iter().sum::<u64>()
                + h.negative.counts.iter().sum::<u64>();
            assert_eq!(counted, all.len() as u64);
            assert_eq!(h.count, all.len() as u64);
            for &v in &all {
                let range = if v > 0.0 { &h.positive } else { &h.negative };
                if v != 0.0 {
                    let at = bucket_index(v.abs(), h.scale) - range.offset;
                    assert!(at >= 0 && range.counts[at as usize] > 0, "{v} at scale {}", h.scale);
                }
            }
        }
        // Both settle on the highest scale at which every sample fits.
        assert_eq!(merged.scale, direct.scale);
        assert_eq!(merged.count, direct.count);
        // The buckets do not depend on the order of the samples, whichever way the scale
        // was lowered on the way (the buckets are merged in place when it is).
        let mut reversed = ExponentialHistogram::default();
        all.iter().rev().for_each(|&v| reversed.record(v));
        assert_eq!((reversed.scale, &reversed.positive, &reversed.negative),
            (direct.scale, &direct.positive, &direct.negative));
    }
}
