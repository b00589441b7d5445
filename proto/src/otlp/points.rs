//! Conversion of aggregated [`DataPoint`]s into OTLP data points of the right metric type.

use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::metrics::v1::{
    exponential_histogram_data_point::Buckets, metric, number_data_point, AggregationTemporality,
    ExponentialHistogram, ExponentialHistogramDataPoint, Gauge, Histogram, HistogramDataPoint,
    NumberDataPoint, Sum,
};

use crate::aggregate::{DataPoint, ExponentialBuckets, Temporality, Value};

/// Which OTLP metric type a value becomes (points of one metric share it).
pub(super) fn shape(value: &Value) -> u8 {
    match value {
        Value::Sum(_) => 0,
        Value::Gauge(_) => 1,
        Value::Histogram(_) => 2,
        Value::ExponentialHistogram(_) => 3,
    }
}

/// A metric body with no points yet, of the type `value` needs; `monotonic` is for sums.
pub(super) fn empty_data(value: &Value, temporality: Temporality, monotonic: bool) -> metric::Data {
    let temporality = match temporality {
        Temporality::Delta => AggregationTemporality::Delta,
        Temporality::Cumulative => AggregationTemporality::Cumulative,
    } as i32;
    match value {
        Value::Sum(_) => metric::Data::Sum(Sum {
            data_points: Vec::new(),
            aggregation_temporality: temporality,
            is_monotonic: monotonic,
        }),
        Value::Gauge(_) => metric::Data::Gauge(Gauge::default()),
        Value::Histogram(_) => metric::Data::Histogram(Histogram {
            data_points: Vec::new(),
            aggregation_temporality: temporality,
        }),
        Value::ExponentialHistogram(_) => {
            metric::Data::ExponentialHistogram(ExponentialHistogram {
                data_points: Vec::new(),
                aggregation_temporality: temporality,
            })
        }
    }
}

/// Appends `point` to `data`, which [`empty_data`] made for the same shape.
pub(super) fn push(data: &mut metric::Data, attributes: Vec<KeyValue>, point: &DataPoint) {
    let start_time_unix_nano = point.start_time_unix_nano;
    let time_unix_nano = point.time_unix_nano;
    match (data, &point.value) {
        (metric::Data::Sum(sum), Value::Sum(v)) => {
            sum.data_points.push(number(attributes, point, *v))
        }
        (metric::Data::Gauge(gauge), Value::Gauge(v)) => {
            gauge.data_points.push(number(attributes, point, *v))
        }
        (metric::Data::Histogram(histogram), Value::Histogram(h)) => {
            histogram.data_points.push(HistogramDataPoint {
                attributes,
                start_time_unix_nano,
                time_unix_nano,
                count: h.count,
                sum: histogram_sum(h.count, h.sum, h.min),
                bucket_counts: h.bucket_counts().to_vec(),
                explicit_bounds: h.bounds.to_vec(),
                min: (h.count > 0).then_some(h.min),
                max: (h.count > 0).then_some(h.max),
                ..Default::default()
            })
        }
        (metric::Data::ExponentialHistogram(histogram), Value::ExponentialHistogram(h)) => {
            histogram.data_points.push(ExponentialHistogramDataPoint {
                attributes,
                start_time_unix_nano,
                time_unix_nano,
                count: h.count,
                sum: histogram_sum(h.count, h.sum, h.min),
                scale: h.scale,
                zero_count: h.zero_count,
                positive: Some(buckets(&h.positive)),
                negative: Some(buckets(&h.negative)),
                min: (h.count > 0).then_some(h.min),
                max: (h.count > 0).then_some(h.max),
                zero_threshold: 0.0,
                ..Default::default()
            })
        }
        _ => debug_assert!(false, "a metric's points share one shape"),
    }
}

fn number(attributes: Vec<KeyValue>, point: &DataPoint, value: f64) -> NumberDataPoint {
    NumberDataPoint {
        attributes,
        start_time_unix_nano: point.start_time_unix_nano,
        time_unix_nano: point.time_unix_nano,
        value: Some(number_data_point::Value::AsDouble(finite(value))),
        ..Default::default()
    }
}

/// Only an overflowing sum can be infinite; the largest double is the honest answer that
/// every OTLP encoding can carry.
pub(super) fn finite(value: f64) -> f64 {
    value.clamp(f64::MIN, f64::MAX)
}

/// OTLP: the sum is left out when negative samples were recorded (it would not be
/// monotonic), and is 0 when there are no samples. An overflowed sum is left out too.
pub(super) fn histogram_sum(count: u64, sum: f64, min: f64) -> Option<f64> {
    match count {
        0 => Some(0.0),
        _ if min < 0.0 || !sum.is_finite() => None,
        _ => Some(sum),
    }
}

fn buckets(buckets: &ExponentialBuckets) -> Buckets {
    Buckets {
        offset: buckets.offset,
        bucket_counts: buckets.counts.clone(),
    }
}
