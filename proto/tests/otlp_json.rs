//! OTLP/JSON follows the protobuf JSON mapping as the OTLP specification restricts it:
//! lowerCamelCase keys, enums as integers, 64-bit integers as decimal strings.

use metricline_proto::aggregate::{
    AggregationConfig, Aggregator, HistogramAggregation, Temporality,
};
use metricline_proto::model::{Kind, Point, StreamKey};
use metricline_proto::otlp::{encode, encode_json, ExportMetricsServiceRequest};
use metricline_proto::resource::{AttributeValue, Resource};
use serde_json::Value as Json;

const S: u64 = 1_000_000_000;
const T0: u64 = 1_764_151_200 * S;

fn request(histograms: HistogramAggregation) -> ExportMetricsServiceRequest {
    let config = AggregationConfig {
        temporality: Temporality::Delta,
        histograms,
        start_time_unix_nano: T0,
    };
    let mut agg = Aggregator::new(config);
    let attrs = vec![("env".to_string(), "prod".to_string())];
    for (name, kind, value) in [
        ("orders", Kind::Sum, 3.0),
        ("queue", Kind::Gauge, 4.0),
        ("latency", Kind::Histogram, 0.25),
        ("latency", Kind::Histogram, 0.0),
    ] {
        agg.record(Point {
            key: StreamKey::new(name, "s", kind, attrs.clone()),
            time_unix_nano: T0 + S,
            value,
        });
    }
    let resource = Resource {
        attributes: vec![
            (
                "service.name".into(),
                AttributeValue::Str("checkout".into()),
            ),
            ("faas.max_memory".into(), AttributeValue::Int(134_217_728)),
        ],
    };
    encode(&resource, &agg.take_until(T0 + 5 * S), &config)
}

fn json(histograms: HistogramAggregation) -> Json {
    serde_json::from_slice(&encode_json(&request(histograms))).unwrap()
}

fn metric<'a>(doc: &'a Json, name: &str) -> &'a Json {
    doc["resourceMetrics"][0]["scopeMetrics"][0]["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .unwrap()
}

fn all_keys(doc: &Json, out: &mut Vec<String>) {
    match doc {
        Json::Object(map) => {
            for (k, v) in map {
                out.push(k.clone());
                all_keys(v, out);
            }
        }
        Json::Array(items) => items.iter().for_each(|v| all_keys(v, out)),
        _ => {}
    }
}

#[test]
fn every_key_is_lower_camel_case() {
    for histograms in [
        HistogramAggregation::Exponential,
        HistogramAggregation::ExplicitBuckets,
    ] {
        let mut keys = Vec::new();
        all_keys(&json(histograms), &mut keys);
        assert!(keys.contains(&"resourceMetrics".to_string()));
        assert!(keys.contains(&"startTimeUnixNano".to_string()));
        for key in keys {
            let first = key.chars().next().unwrap();
            assert!(
                first.is_ascii_lowercase() && key.chars().all(|c| c.is_ascii_alphanumeric()),
                "key {key:?} is not lowerCamelCase"
            );
        }
    }
}

#[test]
fn sums_have_string_times_integer_temporality_and_a_boolean_monotonic_flag() {
    let doc = json(HistogramAggregation::Exponential);
    let sum = &metric(&doc, "orders")["sum"];
    assert_eq!(sum["aggregationTemporality"], Json::from(1));
    assert_eq!(sum["isMonotonic"], Json::Bool(true));
    let point = &sum["dataPoints"][0];
    assert_eq!(point["timeUnixNano"], Json::from((T0 + 5 * S).to_string()));
    assert_eq!(point["startTimeUnixNano"], Json::from(T0.to_string()));
    assert_eq!(point["asDouble"], Json::from(3.0));
    assert_eq!(
        point["attributes"][0],
        serde_json::json!({"key": "env", "value": {"stringValue": "prod"}})
    );
}

#[test]
fn gauges_are_under_gauge_with_string_time() {
    let doc = json(HistogramAggregation::Exponential);
    let point = &metric(&doc, "queue")["gauge"]["dataPoints"][0];
    assert_eq!(point["timeUnixNano"], Json::from((T0 + S).to_string()));
    assert_eq!(point["asDouble"], Json::from(4.0));
}

#[test]
fn histogram_counts_are_decimal_strings() {
    let doc = json(HistogramAggregation::ExplicitBuckets);
    let point = &metric(&doc, "latency")["histogram"]["dataPoints"][0];
    assert_eq!(point["count"], Json::from("2"));
    let counts = point["bucketCounts"].as_array().unwrap();
    assert_eq!(counts.len(), 15);
    assert!(counts.iter().all(Json::is_string), "{counts:?}");
    assert!(point["explicitBounds"][0].is_f64());
    assert_eq!(point["min"], Json::from(0.0));
    assert_eq!(point["max"], Json::from(0.25));

    let doc = json(HistogramAggregation::Exponential);
    let h = &metric(&doc, "latency")["exponentialHistogram"];
    assert_eq!(h["aggregationTemporality"], Json::from(1));
    let point = &h["dataPoints"][0];
    assert_eq!(point["count"], Json::from("2"));
    assert_eq!(point["zeroCount"], Json::from("1"));
    assert!(point["scale"].is_i64());
    assert!(point["positive"]["offset"].is_i64());
    assert!(point["positive"]["bucketCounts"][0].is_string());
}

#[test]
fn int_resource_attributes_are_decimal_strings() {
    let doc = json(HistogramAggregation::Exponential);
    let attrs = doc["resourceMetrics"][0]["resource"]["attributes"]
        .as_array()
        .unwrap();
    let memory = attrs
        .iter()
        .find(|kv| kv["key"] == "faas.max_memory")
        .unwrap();
    assert_eq!(
        memory["value"],
        serde_json::json!({"intValue": "134217728"})
    );
    let scope = &doc["resourceMetrics"][0]["scopeMetrics"][0]["scope"];
    assert_eq!(scope["name"], Json::from("metricline"));
}

#[test]
fn the_json_reads_back_as_the_same_request() {
    for histograms in [
        HistogramAggregation::Exponential,
        HistogramAggregation::ExplicitBuckets,
    ] {
        let original = request(histograms);
        let back: ExportMetricsServiceRequest =
            serde_json::from_slice(&encode_json(&original)).unwrap();
        assert_eq!(back, original);
    }
}

#[test]
fn an_unset_histogram_sum_is_left_out_not_null() {
    let config = AggregationConfig {
        temporality: Temporality::Delta,
        histograms: HistogramAggregation::ExplicitBuckets,
        start_time_unix_nano: T0,
    };
    let mut agg = Aggregator::new(config);
    for value in [-3.0, 2.0] {
        agg.record(Point {
            key: StreamKey::new("delta", "", Kind::Histogram, vec![]),
            time_unix_nano: T0 + S,
            value,
        });
    }
    let request = encode(&Resource::default(), &agg.take_until(T0 + 5 * S), &config);
    let body = encode_json(&request);
    assert!(!String::from_utf8_lossy(&body).contains("null"));
    let doc: Json = serde_json::from_slice(&body).unwrap();
    let point = &metric(&doc, "delta")["histogram"]["dataPoints"][0];
    assert!(point.get("sum").is_none(), "{point}");
    assert_eq!(point["min"], Json::from(-3.0));
    let back: ExportMetricsServiceRequest = serde_json::from_slice(&body).unwrap();
    assert_eq!(back, request);
}

#[test]
fn fields_metricline_never_sets_still_follow_the_mapping() {
    use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, ArrayValue, KeyValue};
    use opentelemetry_proto::tonic::metrics::v1::{
        metric, number_data_point, summary_data_point::ValueAtQuantile, Exemplar, Gauge, Metric,
        NumberDataPoint, ResourceMetrics, ScopeMetrics, Summary, SummaryDataPoint,
    };
    let kv = |key: &str, value: any_value::Value| KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    };
    let attributes = vec![
        kv("flag", any_value::Value::BoolValue(true)),
        kv("ratio", any_value::Value::DoubleValue(0.5)),
        kv("raw", any_value::Value::BytesValue(vec![1, 2, 255])),
        kv("quote", any_value::Value::StringValue("a \"b\"\n".into())),
        kv(
            "list",
            any_value::Value::ArrayValue(ArrayValue {
                values: vec![AnyValue {
                    value: Some(any_value::Value::IntValue(-7)),
                }],
            }),
        ),
    ];
    let request = ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            scope_metrics: vec![ScopeMetrics {
                metrics: vec![
                    Metric {
                        name: "ints".into(),
                        description: "with \\ backslash".into(),
                        data: Some(metric::Data::Gauge(Gauge {
                            data_points: vec![NumberDataPoint {
                                attributes,
                                time_unix_nano: T0,
                                value: Some(number_data_point::Value::AsInt(-3)),
                                exemplars: vec![Exemplar {
                                    time_unix_nano: T0,
                                    trace_id: vec![0xab; 16],
                                    span_id: vec![0xcd; 8],
                                    ..Default::default()
                                }],
                                flags: 1,
                                ..Default::default()
                            }],
                        })),
                        ..Default::default()
                    },
                    Metric {
                        name: "summary".into(),
                        data: Some(metric::Data::Summary(Summary {
                            data_points: vec![SummaryDataPoint {
                                count: 2,
                                sum: 3.0,
                                quantile_values: vec![ValueAtQuantile {
                                    quantile: 0.5,
                                    value: 1.5,
                                }],
                                ..Default::default()
                            }],
                        })),
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    let body = encode_json(&request);
    let doc: Json = serde_json::from_slice(&body).unwrap();
    let point = &metric(&doc, "ints")["gauge"]["dataPoints"][0];
    assert_eq!(point["asInt"], Json::from("-3"));
    assert_eq!(
        point["exemplars"][0]["traceId"],
        Json::from("ab".repeat(16))
    );
    assert_eq!(point["exemplars"][0]["spanId"], Json::from("cd".repeat(8)));
    let back: ExportMetricsServiceRequest = serde_json::from_slice(&body).unwrap();
    assert_eq!(back, request);
}

#[test]
fn extreme_integers_are_written_exactly() {
    use opentelemetry_proto::tonic::metrics::v1::{
        exponential_histogram_data_point::Buckets, metric, ExponentialHistogram,
        ExponentialHistogramDataPoint, Metric, ResourceMetrics, ScopeMetrics,
    };
    let point = ExponentialHistogramDataPoint {
        time_unix_nano: u64::MAX,
        count: 0,
        zero_count: 10,
        scale: -10,
        positive: Some(Buckets {
            offset: i32::MIN,
            bucket_counts: vec![0, 9, 10, 1_234_567_890_123, u64::MAX],
        }),
        ..Default::default()
    };
    let request = ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            scope_metrics: vec![ScopeMetrics {
                metrics: vec![Metric {
                    name: "edge".into(),
                    data: Some(metric::Data::ExponentialHistogram(ExponentialHistogram {
                        data_points: vec![point],
                        aggregation_temporality: 2,
                    })),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    let body = encode_json(&request);
    let doc: Json = serde_json::from_slice(&body).unwrap();
    let p = &metric(&doc, "edge")["exponentialHistogram"]["dataPoints"][0];
    assert_eq!(p["timeUnixNano"], Json::from(u64::MAX.to_string()));
    assert_eq!(p["scale"], Json::from(-10));
    assert_eq!(p["positive"]["offset"], Json::from(i32::MIN));
    assert_eq!(
        p["positive"]["bucketCounts"],
        serde_json::json!(["0", "9", "10", "1234567890123", u64::MAX.to_string()])
    );
    let back: ExportMetricsServiceRequest = serde_json::from_slice(&body).unwrap();
    assert_eq!(back, request);
}
