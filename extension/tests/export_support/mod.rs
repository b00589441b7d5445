//! Shared by the exporter tests: an exporter configured the way a user would (environment
//! variables), a sample OTLP request, the checks that it arrived intact, and the success
//! answer of the tests' own OTLP servers.

#![allow(dead_code)]

pub mod tls_server;

use std::time::Duration;

use bytes::Bytes;
use http::Response;
use http_body_util::Full;
use metricline::export::{ExportOutcome, Exporter, ExporterConfig};
use metricline_tests::sink::{PointKind, ReceivedPoint, Sink};
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::{
    metric::Data, number_data_point, Histogram, HistogramDataPoint, Metric, NumberDataPoint,
    ResourceMetrics, ScopeMetrics, Sum,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use tokio::time::Instant;

pub const PROTOCOLS: [&str; 3] = ["grpc", "http/protobuf", "http/json"];

/// An exporter built from `OTEL_EXPORTER_OTLP_*` variables, as the extension builds it.
pub fn exporter(vars: &[(&str, &str)]) -> Exporter {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let (config, warnings) = ExporterConfig::from_env(&move |name: &str| {
        vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    });
    assert!(warnings.is_empty(), "unexpected warnings: {warnings:?}");
    Exporter::new(config).expect("exporter")
}

/// An exporter sending to `sink` with `protocol`, plus extra variables.
pub fn exporter_for(sink: &Sink, protocol: &str, extra: &[(&str, &str)]) -> Exporter {
    let endpoint = if protocol == "grpc" {
        sink.grpc_endpoint()
    } else {
        sink.http_endpoint()
    };
    let mut vars = vec![
        ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
    ];
    vars.extend_from_slice(extra);
    exporter(&vars)
}

pub fn in_secs(secs: f64) -> Instant {
    Instant::now() + Duration::from_secs_f64(secs)
}

/// A generous deadline for exports that should succeed.
pub fn soon() -> Instant {
    in_secs(10.0)
}

fn string_kv(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.into())),
        }),
        ..Default::default()
    }
}

pub const TIME: u64 = 1_764_151_210_000_000_000;
pub const START: u64 = 1_764_151_200_000_000_000;

/// A resource, a delta sum `orders.placed` = 3 and a histogram `orders.latency`
/// (count 2, sum 20, min 5, max 15).
pub fn sample_request() -> ExportMetricsServiceRequest {
    let sum = Metric {
        name: "orders.placed".into(),
        unit: "{order}".into(),
        data: Some(Data::Sum(Sum {
            data_points: vec![NumberDataPoint {
                attributes: vec![string_kv("env", "prod")],
                start_time_unix_nano: START,
                time_unix_nano: TIME,
                value: Some(number_data_point::Value::AsDouble(3.0)),
                ..Default::default()
            }],
            aggregation_temporality: 1,
            is_monotonic: true,
        })),
        ..Default::default()
    };
    let histogram = Metric {
        name: "orders.latency".into(),
        unit: "ms".into(),
        data: Some(Data::Histogram(Histogram {
            data_points: vec![HistogramDataPoint {
                attributes: vec![string_kv("env", "prod")],
                start_time_unix_nano: START,
                time_unix_nano: TIME,
                count: 2,
                sum: Some(20.0),
                bucket_counts: vec![1, 1, 0],
                explicit_bounds: vec![10.0, 100.0],
                min: Some(5.0),
                max: Some(15.0),
                ..Default::default()
            }],
            aggregation_temporality: 1,
        })),
        ..Default::default()
    };
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: Some(Resource {
                attributes: vec![
                    string_kv("service.name", "checkout"),
                    string_kv("cloud.provider", "aws"),
                ],
                ..Default::default()
            }),
            scope_metrics: vec![ScopeMetrics {
                scope: Some(InstrumentationScope {
                    name: "metricline".into(),
                    version: "0.1.0".into(),
                    ..Default::default()
                }),
                metrics: vec![sum, histogram],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

/// The sink's points are exactly those of [`sample_request`], `times` over.
pub fn assert_sample_received(points: &[ReceivedPoint], times: usize) {
    let sums: Vec<_> = points
        .iter()
        .filter(|p| p.metric == "orders.placed")
        .collect();
    let histograms: Vec<_> = points
        .iter()
        .filter(|p| p.metric == "orders.latency")
        .collect();
    assert_eq!(sums.len(), times, "sum points: {points:?}");
    assert_eq!(histograms.len(), times, "histogram points: {points:?}");
    assert_eq!(points.len(), 2 * times);
    for sum in sums {
        assert_eq!(sum.kind, PointKind::Sum);
        assert_eq!(sum.unit, "{order}");
        assert_eq!(sum.value, 3.0);
        assert_eq!(sum.attr("env"), Some("prod"));
        assert_eq!(
            sum.resource.get("service.name").map(String::as_str),
            Some("checkout")
        );
        assert_eq!(
            (sum.start_time_unix_nano, sum.time_unix_nano),
            (START, TIME)
        );
        assert!(sum.monotonic);
    }
    for h in histograms {
        assert_eq!(h.kind, PointKind::Histogram);
        assert_eq!(
            (h.count, h.value, h.min, h.max),
            (2, 20.0, Some(5.0), Some(15.0))
        );
        assert_eq!(
            h.resource.get("cloud.provider").map(String::as_str),
            Some("aws")
        );
    }
}

pub fn is_failed(outcome: &ExportOutcome) -> bool {
    matches!(outcome, ExportOutcome::Failed { .. })
}

/// An OTLP success answer with an empty body: for gRPC a trailers-only answer (status OK in
/// the headers), for HTTP an empty protobuf `ExportMetricsServiceResponse`.
pub fn ok_response(grpc: bool) -> Response<Full<Bytes>> {
    let builder = Response::builder().status(200);
    let builder = if grpc {
        builder
            .header("content-type", "application/grpc")
            .header("grpc-status", "0")
    } else {
        builder.header("content-type", "application/x-protobuf")
    };
    builder.body(Full::new(Bytes::new())).unwrap()
}
