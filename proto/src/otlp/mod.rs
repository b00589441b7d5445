//! OTLP encoding of an [`Export`]: one `ExportMetricsServiceRequest` with one resource, one
//! scope (`metricline`) and one metric per (name, unit, kind), as protobuf or OTLP/JSON.

mod json;
mod json_points;
mod points;
mod protobuf;

use std::collections::HashMap;

use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::{metric, Metric, ResourceMetrics, ScopeMetrics};
use opentelemetry_proto::tonic::resource::v1::Resource as OtlpResource;

pub use json::encode_json;
pub use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
pub use protobuf::encode_protobuf;

use crate::aggregate::{AggregationConfig, Export};
use crate::resource::{AttributeValue, Resource};

/// The instrumentation scope of every metric metricline exports.
pub const SCOPE_NAME: &str = "metricline";

/// Builds the request for `export`; metrics without data points are left out.
pub fn encode(
    resource: &Resource,
    export: &Export,
    config: &AggregationConfig,
) -> ExportMetricsServiceRequest {
    let mut metrics: Vec<Metric> = Vec::new();
    // (name, unit, kind, data shape) → position in `metrics`, in first-seen order.
    let mut by_identity: HashMap<(&str, &str, crate::model::Kind, u8), usize> = HashMap::new();
    for (key, data_points) in &export.streams {
        for point in data_points {
            let shape = points::shape(&point.value);
            let at = *by_identity
                .entry((&key.name, &key.unit, key.kind, shape))
                .or_insert_with(|| {
                    metrics.push(Metric {
                        name: key.name.clone(),
                        unit: key.unit.clone(),
                        data: Some(points::empty_data(&point.value, config.temporality)),
                        ..Default::default()
                    });
                    metrics.len() - 1
                });
            let data = metrics[at].data.as_mut().expect("set on insert");
            points::push(data, attributes(&key.attributes), point);
        }
    }
    metrics.retain(|m| !is_empty(m));
    if metrics.is_empty() {
        return ExportMetricsServiceRequest::default();
    }
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: Some(OtlpResource {
                attributes: resource_attributes(resource),
                ..Default::default()
            }),
            scope_metrics: vec![ScopeMetrics {
                scope: Some(InstrumentationScope {
                    name: SCOPE_NAME.to_string(),
                    version: env!("CARGO_PKG_VERSION").to_string(),
                    ..Default::default()
                }),
                metrics,
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    }
}

fn is_empty(metric: &Metric) -> bool {
    match &metric.data {
        Some(metric::Data::Sum(s)) => s.data_points.is_empty(),
        Some(metric::Data::Gauge(g)) => g.data_points.is_empty(),
        Some(metric::Data::Histogram(h)) => h.data_points.is_empty(),
        Some(metric::Data::ExponentialHistogram(h)) => h.data_points.is_empty(),
        Some(metric::Data::Summary(s)) => s.data_points.is_empty(),
        None => true,
    }
}

fn attributes(attributes: &[(String, String)]) -> Vec<KeyValue> {
    attributes
        .iter()
        .map(|(k, v)| key_value(k, any_value::Value::StringValue(v.clone())))
        .collect()
}

fn resource_attributes(resource: &Resource) -> Vec<KeyValue> {
    resource
        .attributes
        .iter()
        .map(|(k, v)| {
            let value = match v {
                AttributeValue::Str(s) => any_value::Value::StringValue(s.clone()),
                AttributeValue::Int(i) => any_value::Value::IntValue(*i),
            };
            key_value(k, value)
        })
        .collect()
}

fn key_value(key: &str, value: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.to_string(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}
