//! A [`Request`] as an OTLP protobuf body, written field by field from the aggregator's
//! data points (field numbers from opentelemetry-proto's `metrics/v1`, `common/v1` and
//! `collector/metrics/v1` messages), in field-number order as prost writes them. It decodes to exactly what [`Request::to_message`]
//! builds; `proto/tests/otlp_encode.rs` checks that for every metric type.

use super::groups::{metric_groups, MetricGroup};
use super::points::{finite, histogram_sum};
use super::wire::Writer;
use super::{Request, SCOPE_NAME, SCOPE_VERSION};
use crate::aggregate::{DataPoint, ExponentialBuckets, Temporality, Value};
use crate::model::Kind;
use crate::resource::AttributeValue;

/// `AggregationTemporality` enum values.
const DELTA: u64 = 1;
const CUMULATIVE: u64 = 2;

pub(super) fn write(request: &Request<'_>) -> Vec<u8> {
    let groups = metric_groups(request.export);
    if groups.is_empty() {
        return Vec::new();
    }
    let temporality = match request.config.temporality {
        Temporality::Delta => DELTA,
        Temporality::Cumulative => CUMULATIVE,
    };
    let points: usize = groups.iter().map(|g| g.points.len()).sum();
    let mut w = Writer::with_capacity(512 + 160 * points);
    // ExportMetricsServiceRequest.resource_metrics
    w.message(1, |w| {
        // ResourceMetrics.resource
        w.message(1, |w| {
            for (key, value) in &request.resource.attributes {
                key_value(w, 1, key, |w| match value {
                    AttributeValue::Str(s) => w.string_always(1, s),
                    AttributeValue::Int(i) => w.uint_always(3, *i as u64),
                });
            }
        });
        // ResourceMetrics.scope_metrics
        w.message(2, |w| {
            w.message(1, |w| {
                w.string(1, SCOPE_NAME);
                w.string(2, SCOPE_VERSION);
            });
            for group in &groups {
                w.message(2, |w| metric(w, group, temporality));
            }
        });
    });
    w.out
}

/// A `KeyValue` as field `field`; `value` writes the `AnyValue`'s one field.
fn key_value(w: &mut Writer, field: u32, key: &str, value: impl FnOnce(&mut Writer)) {
    w.message(field, |w| {
        w.string(1, key);
        w.message(2, value);
    });
}

fn attributes(w: &mut Writer, field: u32, attributes: &[(String, String)]) {
    for (key, value) in attributes {
        key_value(w, field, key, |w| w.string_always(1, value));
    }
}

fn metric(w: &mut Writer, group: &MetricGroup<'_>, temporality: u64) {
    w.string(1, &group.key.name);
    w.string(3, &group.key.unit);
    // Metric.data: gauge = 5, sum = 7, histogram = 9, exponential_histogram = 10; the data
    // point field is 1 in each.
    let (field, temporality) = match &group.points[0].1.value {
        Value::Gauge(_) => (5, None),
        Value::Sum(_) => (7, Some(temporality)),
        Value::Histogram(_) => (9, Some(temporality)),
        Value::ExponentialHistogram(_) => (10, Some(temporality)),
    };
    w.message(field, |w| {
        for &(attrs, point) in &group.points {
            w.message(1, |w| data_point(w, attrs, point));
        }
        if let Some(temporality) = temporality {
            w.uint(2, temporality);
        }
        if field == 7 && group.key.kind != Kind::UpDownSum {
            // Sum.is_monotonic: every sum but a StatsD counter's (docs/statsd.md).
            w.uint(3, 1);
        }
    });
}

fn data_point(w: &mut Writer, attrs: &[(String, String)], point: &DataPoint) {
    match &point.value {
        Value::Sum(v) | Value::Gauge(v) => {
            // NumberDataPoint
            w.fixed64(2, point.start_time_unix_nano);
            w.fixed64(3, point.time_unix_nano);
            w.double_always(4, finite(*v));
            attributes(w, 7, attrs);
        }
        Value::Histogram(h) => {
            // HistogramDataPoint
            w.fixed64(2, point.start_time_unix_nano);
            w.fixed64(3, point.time_unix_nano);
            w.fixed64(4, h.count);
            w.optional_double(5, histogram_sum(h.count, h.sum, h.min));
            w.packed_fixed64(6, h.bucket_counts().iter().copied());
            w.packed_fixed64(7, h.bounds.iter().map(|b| b.to_bits()));
            attributes(w, 9, attrs);
            w.optional_double(11, (h.count > 0).then_some(h.min));
            w.optional_double(12, (h.count > 0).then_some(h.max));
        }
        Value::ExponentialHistogram(h) => {
            // ExponentialHistogramDataPoint
            attributes(w, 1, attrs);
            w.fixed64(2, point.start_time_unix_nano);
            w.fixed64(3, point.time_unix_nano);
            w.fixed64(4, h.count);
            w.optional_double(5, histogram_sum(h.count, h.sum, h.min));
            w.sint32(6, h.scale);
            w.fixed64(7, h.zero_count);
            w.message(8, |w| buckets(w, &h.positive));
            w.message(9, |w| buckets(w, &h.negative));
            w.optional_double(12, (h.count > 0).then_some(h.min));
            w.optional_double(13, (h.count > 0).then_some(h.max));
        }
    }
}

fn buckets(w: &mut Writer, buckets: &ExponentialBuckets) {
    w.sint32(1, buckets.offset);
    w.packed_uint64(2, &buckets.counts);
}
