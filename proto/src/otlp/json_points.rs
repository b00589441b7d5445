//! OTLP/JSON of the data points (see `json.rs` for the mapping rules).

use opentelemetry_proto::tonic::metrics::v1::{
    exponential_histogram_data_point::Buckets, number_data_point, ExponentialHistogram, Histogram,
    NumberDataPoint,
};

use super::json::{key_value, Object};

pub(super) fn number_points(o: &mut Object<'_>, points: &[NumberDataPoint]) {
    o.key("dataPoints").array(points, |w, p| {
        w.object(|o| {
            common(o, &p.attributes, p.start_time_unix_nano, p.time_unix_nano);
            match p.value {
                Some(number_data_point::Value::AsDouble(x)) => o.key("asDouble").float(x),
                Some(number_data_point::Value::AsInt(n)) => o.key("asInt").i64_string(n),
                None => {}
            }
            tail(o, p.flags, &p.exemplars);
        })
    });
}

pub(super) fn histogram(o: &mut Object<'_>, h: &Histogram) {
    o.key("dataPoints").array(&h.data_points, |w, p| {
        w.object(|o| {
            common(o, &p.attributes, p.start_time_unix_nano, p.time_unix_nano);
            o.key("count").u64_string(p.count);
            optional_float(o, "sum", p.sum);
            o.key("bucketCounts")
                .array(&p.bucket_counts, |w, n| w.u64_string(*n));
            o.key("explicitBounds")
                .array(&p.explicit_bounds, |w, x| w.float(*x));
            optional_float(o, "min", p.min);
            optional_float(o, "max", p.max);
            tail(o, p.flags, &p.exemplars);
        })
    });
    o.key("aggregationTemporality")
        .int(i64::from(h.aggregation_temporality));
}

pub(super) fn exponential_histogram(o: &mut Object<'_>, h: &ExponentialHistogram) {
    o.key("dataPoints").array(&h.data_points, |w, p| {
        w.object(|o| {
            common(o, &p.attributes, p.start_time_unix_nano, p.time_unix_nano);
            o.key("count").u64_string(p.count);
            optional_float(o, "sum", p.sum);
            o.key("scale").int(i64::from(p.scale));
            o.key("zeroCount").u64_string(p.zero_count);
            for (name, buckets) in [("positive", &p.positive), ("negative", &p.negative)] {
                if let Some(buckets) = buckets {
                    o.key(name).object(|b| bucket_range(b, buckets));
                }
            }
            optional_float(o, "min", p.min);
            optional_float(o, "max", p.max);
            if p.zero_threshold != 0.0 {
                o.key("zeroThreshold").float(p.zero_threshold);
            }
            tail(o, p.flags, &p.exemplars);
        })
    });
    o.key("aggregationTemporality")
        .int(i64::from(h.aggregation_temporality));
}

fn bucket_range(o: &mut Object<'_>, buckets: &Buckets) {
    o.key("offset").int(i64::from(buckets.offset));
    o.key("bucketCounts")
        .array(&buckets.bucket_counts, |w, n| w.u64_string(*n));
}

/// Attributes and times, shared by every data point type.
fn common(
    o: &mut Object<'_>,
    attributes: &[opentelemetry_proto::tonic::common::v1::KeyValue],
    start: u64,
    time: u64,
) {
    if !attributes.is_empty() {
        o.key("attributes").array(attributes, key_value);
    }
    if start != 0 {
        o.key("startTimeUnixNano").u64_string(start);
    }
    o.key("timeUnixNano").u64_string(time);
}

fn optional_float(o: &mut Object<'_>, name: &str, value: Option<f64>) {
    if let Some(x) = value {
        o.key(name).float(x);
    }
}

fn tail(
    o: &mut Object<'_>,
    flags: u32,
    exemplars: &[opentelemetry_proto::tonic::metrics::v1::Exemplar],
) {
    if flags != 0 {
        o.key("flags").int(i64::from(flags));
    }
    if !exemplars.is_empty() {
        o.key("exemplars").serde(exemplars);
    }
}
