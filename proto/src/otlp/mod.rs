//! OTLP encoding of an [`Export`]: one `ExportMetricsServiceRequest` with one resource, one
//! scope (`metricline`) and one metric per (name, unit, kind), as protobuf or OTLP/JSON.
//!
//! A flush sends a [`Request`] ([`OtlpBody`]): protobuf written straight from the export
//! (`request_protobuf.rs`), or OTLP/JSON of the message [`encode`] builds. [`encode_protobuf`]
//! serves only messages built by hand (tests, benchmarks); see docs/architecture.md.

mod groups;
mod json;
mod json_points;
mod points;
mod protobuf;
mod request;
mod request_protobuf;
mod wire;

use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::{Metric, ResourceMetrics, ScopeMetrics};
use opentelemetry_proto::tonic::resource::v1::Resource as OtlpResource;

pub use json::encode_json;
pub(crate) use json::metric_json;
pub use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
pub use protobuf::encode_protobuf;
pub use request::{OtlpBody, Request};

use crate::aggregate::{AggregationConfig, Export};
use crate::model::Kind;
use crate::resource::{AttributeValue, Resource};
use groups::metric_groups;

/// The instrumentation scope of every metric metricline exports.
pub const SCOPE_NAME: &str = "metricline";
const SCOPE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Builds the request for `export`; metrics without data points are left out.
pub fn encode(
    resource: &Resource,
    export: &Export,
    config: &AggregationConfig,
) -> ExportMetricsServiceRequest {
    let mut metrics: Vec<Metric> = Vec::new();
    for group in metric_groups(export) {
        let (_, first) = group.points[0];
        let monotonic = group.key.kind != Kind::UpDownSum;
        let mut data = points::empty_data(&first.value, config.temporality, monotonic);
        for (attributes, point) in group.points {
            points::push(&mut data, attribute_values(attributes), point);
        }
        metrics.push(Metric {
            name: group.key.name.clone(),
            unit: group.key.unit.clone(),
            data: Some(data),
            ..Default::default()
        });
    }
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
                    version: SCOPE_VERSION.to_string(),
                    ..Default::default()
                }),
                metrics,
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    }
}

fn attribute_values(attributes: &[(String, String)]) -> Vec<KeyValue> {
    attributes
        .iter()
        .map(|(k, v)| key_value(k, any_value::Value::StringValue(v.clone())))
        .collect()
}

pub(crate) fn resource_attributes(resource: &Resource) -> Vec<KeyValue> {
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
