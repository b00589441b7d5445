//! Flattens OTLP export requests into one [`ReceivedPoint`] per data point, so tests can
//! assert on names, kinds, units, attributes and values without walking the proto tree.

use std::collections::BTreeMap;

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value::Value as AnyValueKind, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::{metric::Data, number_data_point::Value};

/// The OTLP data type a point arrived as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PointKind {
    Sum,
    Gauge,
    Histogram,
    ExponentialHistogram,
    Summary,
}

/// One data point with its metric, resource and scope context flattened in.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedPoint {
    pub metric: String,
    pub kind: PointKind,
    pub unit: String,
    pub attributes: BTreeMap<String, String>,
    pub resource: BTreeMap<String, String>,
    pub start_time_unix_nano: u64,
    pub time_unix_nano: u64,
    /// The sum or gauge value; for histograms and summaries, their sum.
    pub value: f64,
    /// The histogram or summary count; 1 for sums and gauges.
    pub count: u64,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// OTLP `AggregationTemporality` (1 delta, 2 cumulative); 0 for gauges and summaries.
    pub temporality: i32,
    /// Only meaningful for sums.
    pub monotonic: bool,
    pub scope: String,
}

impl ReceivedPoint {
    /// The attribute's value, if the point has it.
    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).map(String::as_str)
    }
}

/// Renders an attribute value as a string: tests compare what a user would read.
pub fn any_value_to_string(value: Option<&AnyValueKind>) -> String {
    match value {
        Some(AnyValueKind::StringValue(s)) => s.clone(),
        Some(AnyValueKind::IntValue(i)) => i.to_string(),
        Some(AnyValueKind::DoubleValue(d)) => d.to_string(),
        Some(AnyValueKind::BoolValue(b)) => b.to_string(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    }
}

/// Turns key-values into a sorted map (a repeated key keeps its last value).
pub fn attributes_map(attributes: &[KeyValue]) -> BTreeMap<String, String> {
    attributes
        .iter()
        .map(|kv| {
            let value = kv.value.as_ref().and_then(|v| v.value.as_ref());
            (kv.key.clone(), any_value_to_string(value))
        })
        .collect()
}

/// Every data point of the request, in request order.
pub fn flatten(request: &ExportMetricsServiceRequest) -> Vec<ReceivedPoint> {
    let mut out = Vec::new();
    for rm in &request.resource_metrics {
        let resource = rm
            .resource
            .as_ref()
            .map(|r| attributes_map(&r.attributes))
            .unwrap_or_default();
        for sm in &rm.scope_metrics {
            let scope = sm
                .scope
                .as_ref()
                .map(|s| s.name.clone())
                .unwrap_or_default();
            for metric in &sm.metrics {
                let base = ReceivedPoint {
                    metric: metric.name.clone(),
                    kind: PointKind::Gauge,
                    unit: metric.unit.clone(),
                    attributes: BTreeMap::new(),
                    resource: resource.clone(),
                    start_time_unix_nano: 0,
                    time_unix_nano: 0,
                    value: 0.0,
                    count: 1,
                    min: None,
                    max: None,
                    temporality: 0,
                    monotonic: false,
                    scope: scope.clone(),
                };
                flatten_data(metric.data.as_ref(), &base, &mut out);
            }
        }
    }
    out
}

fn number(value: Option<Value>) -> f64 {
    match value {
        Some(Value::AsDouble(d)) => d,
        Some(Value::AsInt(i)) => i as f64,
        None => f64::NAN,
    }
}

fn flatten_data(data: Option<&Data>, base: &ReceivedPoint, out: &mut Vec<ReceivedPoint>) {
    match data {
        Some(Data::Sum(sum)) => out.extend(sum.data_points.iter().map(|p| ReceivedPoint {
            kind: PointKind::Sum,
            attributes: attributes_map(&p.attributes),
            start_time_unix_nano: p.start_time_unix_nano,
            time_unix_nano: p.time_unix_nano,
            value: number(p.value),
            temporality: sum.aggregation_temporality,
            monotonic: sum.is_monotonic,
            ..base.clone()
        })),
        Some(Data::Gauge(gauge)) => out.extend(gauge.data_points.iter().map(|p| ReceivedPoint {
            kind: PointKind::Gauge,
            attributes: attributes_map(&p.attributes),
            start_time_unix_nano: p.start_time_unix_nano,
            time_unix_nano: p.time_unix_nano,
            value: number(p.value),
            ..base.clone()
        })),
        Some(Data::Histogram(h)) => out.extend(h.data_points.iter().map(|p| ReceivedPoint {
            kind: PointKind::Histogram,
            attributes: attributes_map(&p.attributes),
            start_time_unix_nano: p.start_time_unix_nano,
            time_unix_nano: p.time_unix_nano,
            value: p.sum.unwrap_or(f64::NAN),
            count: p.count,
            min: p.min,
            max: p.max,
            temporality: h.aggregation_temporality,
            ..base.clone()
        })),
        Some(Data::ExponentialHistogram(h)) => {
            out.extend(h.data_points.iter().map(|p| ReceivedPoint {
                kind: PointKind::ExponentialHistogram,
                attributes: attributes_map(&p.attributes),
                start_time_unix_nano: p.start_time_unix_nano,
                time_unix_nano: p.time_unix_nano,
                value: p.sum.unwrap_or(f64::NAN),
                count: p.count,
                min: p.min,
                max: p.max,
                temporality: h.aggregation_temporality,
                ..base.clone()
            }))
        }
        Some(Data::Summary(s)) => out.extend(s.data_points.iter().map(|p| ReceivedPoint {
            kind: PointKind::Summary,
            attributes: attributes_map(&p.attributes),
            start_time_unix_nano: p.start_time_unix_nano,
            time_unix_nano: p.time_unix_nano,
            value: p.sum,
            count: p.count,
            ..base.clone()
        })),
        None => {}
    }
}
