//! The aggregated value of one data point: a sum, a gauge's last value, or a histogram.

use super::explicit::ExplicitHistogram;
use super::exponential::ExponentialHistogram;
use super::{AggregationConfig, HistogramAggregation};
use crate::model::Kind;

/// What a data point carries; the variant follows the stream's [`Kind`] and, for
/// histograms, the configured [`HistogramAggregation`]. Histograms are boxed so that a
/// sum's or a gauge's bucket is 16 bytes of value, not the size of a histogram.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Sum(f64),
    /// The last value; the data point's `time_unix_nano` is that value's own timestamp.
    Gauge(f64),
    Histogram(Box<ExplicitHistogram>),
    ExponentialHistogram(Box<ExponentialHistogram>),
}

impl Value {
    /// The empty value of a stream.
    pub fn empty(kind: Kind, unit: &str, config: &AggregationConfig) -> Value {
        match kind {
            Kind::Sum | Kind::UpDownSum => Value::Sum(0.0),
            Kind::Gauge => Value::Gauge(0.0),
            Kind::Histogram => match config.histograms {
                HistogramAggregation::Exponential => Value::ExponentialHistogram(Box::default()),
                HistogramAggregation::ExplicitBuckets => {
                    Value::Histogram(Box::new(ExplicitHistogram::for_unit(unit)))
                }
            },
        }
    }

    /// Adds one sample; a gauge simply takes it (the caller decides which value is last).
    pub fn record(&mut self, sample: f64) {
        match self {
            Value::Sum(total) => *total += sample,
            Value::Gauge(last) => *last = sample,
            Value::Histogram(h) => h.record(sample),
            Value::ExponentialHistogram(h) => h.record(sample),
        }
    }

    /// Adds `later`, which comes after `self` in time; a gauge keeps the later value.
    pub fn merge(&mut self, later: &Value) {
        match (self, later) {
            (Value::Sum(a), Value::Sum(b)) => *a += b,
            (Value::Histogram(a), Value::Histogram(b)) => a.merge(b),
            (Value::ExponentialHistogram(a), Value::ExponentialHistogram(b)) => a.merge(b),
            (this, later) => *this = later.clone(),
        }
    }

    /// Bytes this value holds on the heap (a histogram and its bucket counts).
    pub fn heap_bytes(&self) -> usize {
        match self {
            Value::Sum(_) | Value::Gauge(_) => 0,
            Value::Histogram(_) => size_of::<ExplicitHistogram>(),
            Value::ExponentialHistogram(h) => {
                let counts = h.positive.counts.capacity() + h.negative.counts.capacity();
                size_of::<ExponentialHistogram>() + counts * size_of::<u64>()
            }
        }
    }

    /// The total of a sum, or the sum of a histogram's samples; the gauge's value.
    pub fn sum(&self) -> f64 {
        match self {
            Value::Sum(v) | Value::Gauge(v) => *v,
            Value::Histogram(h) => h.sum,
            Value::ExponentialHistogram(h) => h.sum,
        }
    }

    /// How many samples a histogram holds; 1 for sums and gauges.
    pub fn count(&self) -> u64 {
        match self {
            Value::Sum(_) | Value::Gauge(_) => 1,
            Value::Histogram(h) => h.count,
            Value::ExponentialHistogram(h) => h.count,
        }
    }
}
