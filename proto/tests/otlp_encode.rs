//! OTLP encoding: resource, scope, one metric per (name, unit, kind), metric types,
//! temporality and monotonicity, histogram fields.

use metricline_proto::aggregate::{
    AggregationConfig, Aggregator, Export, HistogramAggregation, Temporality,
};
use metricline_proto::model::{Kind, Point, StreamKey};
use metricline_proto::otlp::{
    encode, encode_protobuf, ExportMetricsServiceRequest, OtlpBody, Request,
};
use metricline_proto::resource::{AttributeValue, Resource};
use opentelemetry_proto::tonic::common::v1::{any_value, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::{metric, AggregationTemporality, Metric};
use prost::Message;

const S: u64 = 1_000_000_000;
const T0: u64 = 1_764_151_200 * S;

fn config(temporality: Temporality, histograms: HistogramAggregation) -> AggregationConfig {
    AggregationConfig {
        temporality,
        histograms,
        start_time_unix_nano: T0 - 60 * S,
    }
}

fn resource() -> Resource {
    Resource {
        attributes: vec![
            (
                "service.name".into(),
                AttributeValue::Str("checkout".into()),
            ),
            ("faas.max_memory".into(), AttributeValue::Int(134_217_728)),
        ],
    }
}

fn point(name: &str, unit: &str, kind: Kind, attrs: &[(&str, &str)], value: f64) -> Point {
    let attributes = attrs.iter().map(|(k, v)| (k.to_string(), v.to_string()));
    Point {
        key: StreamKey::new(name, unit, kind, attributes.collect()),
        time_unix_nano: T0 + S,
        value,
    }
}

fn export_of(points: Vec<Point>, config: AggregationConfig) -> Export {
    let mut agg = Aggregator::new(config);
    points.into_iter().for_each(|p| agg.record(p));
    agg.take_until(T0 + 5 * S)
}

fn metrics(request: &ExportMetricsServiceRequest) -> &[Metric] {
    &request.resource_metrics[0].scope_metrics[0].metrics
}

fn metric<'a>(request: &'a ExportMetricsServiceRequest, name: &str) -> &'a Metric {
    metrics(request)
        .iter()
        .find(|m| m.name == name)
        .unwrap_or_else(|| panic!("no metric {name}"))
}

fn string_attr(attrs: &[KeyValue], key: &str) -> Option<String> {
    attrs.iter().find(|kv| kv.key == key).and_then(|kv| {
        match kv.value.as_ref()?.value.as_ref()? {
            any_value::Value::StringValue(s) => Some(s.clone()),
            _ => None,
        }
    })
}

#[test]
fn resource_and_scope_are_set_once() {
    let cfg = config(Temporality::Delta, HistogramAggregation::Exponential);
    let export = export_of(vec![point("orders", "", Kind::Sum, &[], 1.0)], cfg);
    let request = encode(&resource(), &export, &cfg);
    assert_eq!(request.resource_metrics.len(), 1);
    let rm = &request.resource_metrics[0];
    let attrs = &rm.resource.as_ref().unwrap().attributes;
    assert_eq!(
        string_attr(attrs, "service.name").as_deref(),
        Some("checkout")
    );
    let memory = attrs.iter().find(|kv| kv.key == "faas.max_memory").unwrap();
    assert_eq!(
        memory.value.as_ref().unwrap().value,
        Some(any_value::Value::IntValue(134_217_728))
    );
    assert_eq!(rm.scope_metrics.len(), 1);
    let scope = rm.scope_metrics[0].scope.as_ref().unwrap();
    assert_eq!(scope.name, "metricline");
    assert_eq!(scope.version, env!("CARGO_PKG_VERSION"));
}

#[test]
fn one_metric_per_name_unit_and_kind_with_a_point_per_attribute_set() {
    let cfg = config(Temporality::Delta, HistogramAggregation::Exponential);
    let export = export_of(
        vec![
            point("orders", "{order}", Kind::Sum, &[("env", "prod")], 1.0),
            point("orders", "{order}", Kind::Sum, &[("env", "dev")], 2.0),
            point("orders", "{order}", Kind::Gauge, &[], 3.0),
            point("latency", "ms", Kind::Histogram, &[], 12.5),
        ],
        cfg,
    );
    let request = encode(&resource(), &export, &cfg);
    let mut identities: Vec<(String, String, &str)> = metrics(&request)
        .iter()
        .map(|m| {
            let kind = match m.data {
                Some(metric::Data::Sum(_)) => "sum",
                Some(metric::Data::Gauge(_)) => "gauge",
                Some(metric::Data::ExponentialHistogram(_)) => "exponential",
                _ => "other",
            };
            (m.name.clone(), m.unit.clone(), kind)
        })
        .collect();
    identities.sort();
    assert_eq!(
        identities,
        vec![
            ("latency".into(), "ms".into(), "exponential"),
            ("orders".into(), "{order}".into(), "gauge"),
            ("orders".into(), "{order}".into(), "sum"),
        ]
    );
    let Some(metric::Data::Sum(sum)) = &metric_of_kind(&request, "orders", true).data else {
        unreachable!()
    };
    let mut envs: Vec<(String, f64)> = sum
        .data_points
        .iter()
        .map(|p| {
            let value = match p.value {
                Some(
                    opentelemetry_proto::tonic::metrics::v1::number_data_point::Value::AsDouble(v),
                ) => v,
                _ => f64::NAN,
            };
            (string_attr(&p.attributes, "env").unwrap(), value)
        })
        .collect();
    envs.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(envs, vec![("dev".into(), 2.0), ("prod".into(), 1.0)]);
}

fn metric_of_kind<'a>(
    request: &'a ExportMetricsServiceRequest,
    name: &str,
    sum: bool,
) -> &'a Metric {
    metrics(request)
        .iter()
        .find(|m| m.name == name && matches!(m.data, Some(metric::Data::Sum(_))) == sum)
        .unwrap()
}

#[test]
fn sums_are_monotonic_with_the_configured_temporality() {
    for (temporality, want) in [
        (Temporality::Delta, AggregationTemporality::Delta),
        (Temporality::Cumulative, AggregationTemporality::Cumulative),
    ] {
        let cfg = config(temporality, HistogramAggregation::Exponential);
        let export = export_of(
            vec![
                point("orders", "", Kind::Sum, &[], 1.0),
                point("latency", "s", Kind::Histogram, &[], 0.2),
            ],
            cfg,
        );
        let request = encode(&resource(), &export, &cfg);
        let Some(metric::Data::Sum(sum)) = &metric(&request, "orders").data else {
            panic!("orders is not a sum")
        };
        assert!(sum.is_monotonic);
        assert_eq!(sum.aggregation_temporality, want as i32);
        let Some(metric::Data::ExponentialHistogram(h)) = &metric(&request, "latency").data else {
            panic!("latency is not an exponential histogram")
        };
        assert_eq!(h.aggregation_temporality, want as i32);
        let p = &sum.data_points[0];
        let want_start = match temporality {
            Temporality::Delta => T0,
            Temporality::Cumulative => T0 - 60 * S,
        };
        assert_eq!(
            (p.start_time_unix_nano, p.time_unix_nano),
            (want_start, T0 + 5 * S)
        );
    }
}

#[test]
fn statsd_counters_are_non_monotonic_sums_that_keep_negative_totals() {
    let cfg = config(Temporality::Delta, HistogramAggregation::Exponential);
    let export = export_of(
        vec![
            point("jobs", "", Kind::UpDownSum, &[], 1.0),
            point("jobs", "", Kind::UpDownSum, &[], -3.0),
            point("orders", "", Kind::Sum, &[], 1.0),
        ],
        cfg,
    );
    let request = encode(&resource(), &export, &cfg);
    let Some(metric::Data::Sum(jobs)) = &metric(&request, "jobs").data else {
        panic!("jobs is not a sum")
    };
    assert!(!jobs.is_monotonic);
    let total = match jobs.data_points[0].value {
        Some(opentelemetry_proto::tonic::metrics::v1::number_data_point::Value::AsDouble(v)) => v,
        _ => f64::NAN,
    };
    assert_eq!(total, -2.0);
    let Some(metric::Data::Sum(orders)) = &metric(&request, "orders").data else {
        panic!("orders is not a sum")
    };
    assert!(orders.is_monotonic);
}

#[test]
fn gauges_carry_their_own_timestamp() {
    let cfg = config(Temporality::Delta, HistogramAggregation::Exponential);
    let export = export_of(vec![point("queue", "", Kind::Gauge, &[], 7.0)], cfg);
    let request = encode(&resource(), &export, &cfg);
    let Some(metric::Data::Gauge(gauge)) = &metric(&request, "queue").data else {
        panic!("queue is not a gauge")
    };
    assert_eq!(gauge.data_points[0].time_unix_nano, T0 + S);
}

#[test]
fn explicit_histograms_carry_bounds_counts_sum_min_max() {
    let cfg = config(Temporality::Delta, HistogramAggregation::ExplicitBuckets);
    let export = export_of(
        vec![
            point("latency", "s", Kind::Histogram, &[], 0.2),
            point("latency", "s", Kind::Histogram, &[], 3.0),
        ],
        cfg,
    );
    let request = encode(&resource(), &export, &cfg);
    let Some(metric::Data::Histogram(h)) = &metric(&request, "latency").data else {
        panic!("latency is not an explicit histogram")
    };
    assert_eq!(
        h.aggregation_temporality,
        AggregationTemporality::Delta as i32
    );
    let p = &h.data_points[0];
    assert_eq!(p.explicit_bounds.len(), 14);
    assert_eq!(p.bucket_counts.len(), 15);
    assert_eq!(p.bucket_counts.iter().sum::<u64>(), 2);
    assert_eq!(
        (p.count, p.sum, p.min, p.max),
        (2, Some(3.2), Some(0.2), Some(3.0))
    );
}

#[test]
fn exponential_histograms_carry_scale_buckets_and_stats() {
    let cfg = config(Temporality::Delta, HistogramAggregation::Exponential);
    let export = export_of(
        vec![
            point("size", "By", Kind::Histogram, &[], 0.0),
            point("size", "By", Kind::Histogram, &[], 1024.0),
            point("size", "By", Kind::Histogram, &[], 4096.0),
        ],
        cfg,
    );
    let request = encode(&resource(), &export, &cfg);
    let Some(metric::Data::ExponentialHistogram(h)) = &metric(&request, "size").data else {
        panic!("size is not an exponential histogram")
    };
    let p = &h.data_points[0];
    assert_eq!((p.count, p.zero_count), (3, 1));
    assert_eq!(
        (p.sum, p.min, p.max),
        (Some(5120.0), Some(0.0), Some(4096.0))
    );
    let positive = p.positive.as_ref().unwrap();
    assert_eq!(positive.bucket_counts.iter().sum::<u64>(), 2);
    assert!(p.scale <= 20);
}

#[test]
fn a_histogram_with_negative_samples_has_no_sum() {
    let cfg = config(Temporality::Delta, HistogramAggregation::Exponential);
    let export = export_of(
        vec![
            point("delta", "", Kind::Histogram, &[], -2.0),
            point("delta", "", Kind::Histogram, &[], 5.0),
        ],
        cfg,
    );
    let request = encode(&resource(), &export, &cfg);
    let Some(metric::Data::ExponentialHistogram(h)) = &metric(&request, "delta").data else {
        panic!("delta is not an exponential histogram")
    };
    let p = &h.data_points[0];
    assert_eq!((p.sum, p.min, p.max), (None, Some(-2.0), Some(5.0)));
    assert_eq!(
        p.negative
            .as_ref()
            .unwrap()
            .bucket_counts
            .iter()
            .sum::<u64>(),
        1
    );
}

#[test]
fn an_empty_export_encodes_no_metrics() {
    let cfg = config(Temporality::Delta, HistogramAggregation::Exponential);
    let request = encode(&resource(), &Export::default(), &cfg);
    assert!(request.resource_metrics.is_empty());
}

#[test]
fn protobuf_bytes_are_prosts_own_and_decode_back_to_the_request() {
    for histograms in [
        HistogramAggregation::Exponential,
        HistogramAggregation::ExplicitBuckets,
    ] {
        let cfg = config(Temporality::Delta, histograms);
        let export = export_of(
            vec![
                point("orders", "", Kind::Sum, &[("a", "b")], 1.0),
                point("queue", "", Kind::Gauge, &[], 2.0),
                point("latency", "s", Kind::Histogram, &[("c", "d")], 0.3),
                point("latency", "s", Kind::Histogram, &[("c", "d")], 30.0),
            ],
            cfg,
        );
        let mut request = encode(&resource(), &export, &cfg);
        request.resource_metrics[0].schema_url = "https://opentelemetry.io/schemas/1.0".into();
        let bytes = encode_protobuf(&request);
        assert_eq!(bytes, request.encode_to_vec());
        assert_eq!(
            ExportMetricsServiceRequest::decode(bytes.as_slice()).unwrap(),
            request
        );
    }
}

/// Exports of every metric type and temporality, with attribute sets and histograms long
/// enough that nested lengths need more than one byte.
fn varied_exports() -> Vec<(Export, AggregationConfig)> {
    let mut out = Vec::new();
    for temporality in [Temporality::Delta, Temporality::Cumulative] {
        for histograms in [
            HistogramAggregation::Exponential,
            HistogramAggregation::ExplicitBuckets,
        ] {
            let cfg = config(temporality, histograms);
            let mut points = vec![
                point("orders", "", Kind::Sum, &[("a", "b")], 1.0),
                point("orders", "", Kind::Sum, &[("a", "c"), ("é", "\"q\"")], 0.0),
                point("overflow", "", Kind::Sum, &[], f64::MAX),
                point("overflow", "", Kind::Sum, &[], f64::MAX),
                point("jobs", "", Kind::UpDownSum, &[("a", "b")], -3.0),
                point("queue", "", Kind::Gauge, &[], 0.0),
                point("queue", "{item}", Kind::Gauge, &[], -2.5),
                point("zeros", "", Kind::Histogram, &[], 0.0),
                point("negative", "ms", Kind::Histogram, &[], -3.0),
            ];
            let long_value = "v".repeat(300);
            for i in 0..200 {
                let v = f64::from(i) * 1.7 + 0.001;
                points.push(point("latency", "s", Kind::Histogram, &[("c", "d")], v));
                points.push(point(
                    "wide",
                    "By",
                    Kind::Histogram,
                    &[("k", &long_value)],
                    -v,
                ));
            }
            out.push((export_of(points, cfg), cfg));
        }
    }
    out
}

#[test]
fn requests_written_straight_from_the_export_are_prosts_bytes_of_the_message() {
    for (export, cfg) in varied_exports() {
        let resource = resource();
        let request = Request {
            resource: &resource,
            export: &export,
            config: &cfg,
        };
        let message = request.to_message();
        assert!(!request.is_empty());
        let bytes = request.protobuf();
        assert_eq!(
            ExportMetricsServiceRequest::decode(bytes.as_slice()).unwrap(),
            message
        );
        assert_eq!(bytes, message.encode_to_vec());
        assert_eq!(request.json(), message.json());
    }
}

#[test]
fn an_empty_export_is_an_empty_request_in_every_form() {
    let cfg = config(Temporality::Delta, HistogramAggregation::Exponential);
    let resource = resource();
    let export = Export::default();
    let request = Request {
        resource: &resource,
        export: &export,
        config: &cfg,
    };
    assert!(request.is_empty());
    assert!(request.protobuf().is_empty());
    assert_eq!(request.to_message(), ExportMetricsServiceRequest::default());
}
