//! Requests of every signal for the property tests, built as SDKs (and odd clients) write
//! them: resources absent, present with some of the Lambda keys or none, written as one
//! field or split in two (which a decode merges), unknown fields at the request, entry and
//! resource levels, and metrics of every data kind, including a metric whose data field is
//! written twice.

use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::metrics::v1::exponential_histogram_data_point::Buckets;
use opentelemetry_proto::tonic::metrics::v1::summary_data_point::ValueAtQuantile;
use opentelemetry_proto::tonic::metrics::v1::{
    metric::Data, number_data_point, ExponentialHistogram, ExponentialHistogramDataPoint, Gauge,
    Histogram, HistogramDataPoint, Metric, NumberDataPoint, Sum, Summary, SummaryDataPoint,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{span, ResourceSpans, ScopeSpans, Span, Status};
use proptest::collection::vec;
use proptest::prelude::*;
use prost::Message;

use crate::relay::Signal;

/// Keys shared with the enrichment of the tests, so that some are present, some missing.
const KEYS: [&str; 5] = ["service.name", "cloud.region", "faas.name", "app.tier", ""];

pub fn kv(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.into())),
        }),
        ..Default::default()
    }
}

fn attributes() -> impl Strategy<Value = Vec<KeyValue>> {
    vec((0..KEYS.len(), "[a-z]{0,3}"), 0..4)
        .prop_map(|pairs| pairs.iter().map(|(k, v)| kv(KEYS[*k], v)).collect())
}

/// An unknown field: a varint, a 64-bit value or a length-delimited run, numbered past
/// every OTLP field.
fn unknown() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(vec![]),
        Just(vec![0xb8, 0x06, 0x2a]), // field 103, varint 42
        Just(vec![0xc1, 0x06, 1, 2, 3, 4, 5, 6, 7, 8]), // field 104, fixed64
        Just(vec![0xca, 0x06, 3, b'a', b'b', b'c']), // field 105, 3 bytes
    ]
}

/// How one entry's resource is written.
#[derive(Debug, Clone)]
pub struct ResourceShape {
    pub resource: Option<Resource>,
    /// Split into two fields: the attributes after this index go in the second.
    pub split: Option<usize>,
    pub unknown: Vec<u8>,
}

fn resource() -> impl Strategy<Value = ResourceShape> {
    let present = (attributes(), 0..3u32).prop_map(|(attributes, dropped)| Resource {
        attributes,
        dropped_attributes_count: dropped,
        ..Default::default()
    });
    (
        proptest::option::of(present),
        proptest::option::of(0..4usize),
        unknown(),
    )
        .prop_map(|(resource, split, unknown)| ResourceShape {
            split: split.filter(|_| resource.is_some()),
            unknown: if resource.is_some() { unknown } else { vec![] },
            resource,
        })
}

fn spans() -> impl Strategy<Value = Vec<ScopeSpans>> {
    let span =
        (attributes(), "[a-z]{0,4}", any::<bool>()).prop_map(|(attributes, name, ok)| Span {
            trace_id: vec![7; 16],
            span_id: vec![1; 8],
            name,
            kind: 2,
            start_time_unix_nano: 1,
            attributes,
            events: vec![span::Event {
                name: "e".into(),
                ..Default::default()
            }],
            status: ok.then(|| Status {
                code: 1,
                ..Default::default()
            }),
            ..Default::default()
        });
    vec(vec(span, 0..4), 0..3).prop_map(|scopes| {
        scopes
            .into_iter()
            .map(|spans| ScopeSpans {
                spans,
                ..Default::default()
            })
            .collect()
    })
}

fn logs() -> impl Strategy<Value = Vec<ScopeLogs>> {
    let record = (attributes(), "[a-z]{0,4}").prop_map(|(attributes, body)| LogRecord {
        severity_number: 9,
        body: Some(AnyValue {
            value: Some(any_value::Value::StringValue(body)),
        }),
        attributes,
        ..Default::default()
    });
    vec(vec(record, 0..4), 0..3).prop_map(|scopes| {
        scopes
            .into_iter()
            .map(|log_records| ScopeLogs {
                log_records,
                ..Default::default()
            })
            .collect()
    })
}

fn data(kind: usize, points: usize) -> Data {
    let number = || NumberDataPoint {
        value: Some(number_data_point::Value::AsInt(3)),
        attributes: vec![kv("k", "v")],
        ..Default::default()
    };
    match kind {
        0 => Data::Gauge(Gauge {
            data_points: (0..points).map(|_| number()).collect(),
        }),
        1 => Data::Sum(Sum {
            data_points: (0..points).map(|_| number()).collect(),
            aggregation_temporality: 1,
            is_monotonic: true,
        }),
        2 => Data::Histogram(Histogram {
            data_points: (0..points)
                .map(|_| HistogramDataPoint {
                    count: 2,
                    bucket_counts: vec![1, 1],
                    explicit_bounds: vec![10.0],
                    ..Default::default()
                })
                .collect(),
            aggregation_temporality: 1,
        }),
        3 => Data::ExponentialHistogram(ExponentialHistogram {
            data_points: (0..points)
                .map(|_| ExponentialHistogramDataPoint {
                    scale: -2,
                    positive: Some(Buckets {
                        offset: -1,
                        bucket_counts: vec![1, 300, 0],
                    }),
                    ..Default::default()
                })
                .collect(),
            aggregation_temporality: 1,
        }),
        _ => Data::Summary(Summary {
            data_points: (0..points)
                .map(|_| SummaryDataPoint {
                    quantile_values: vec![ValueAtQuantile {
                        quantile: 0.5,
                        value: 1.0,
                    }],
                    ..Default::default()
                })
                .collect(),
        }),
    }
}

/// Metrics, each with its data and, sometimes, a second data field written after it.
fn metrics() -> impl Strategy<Value = Vec<(Metric, Option<Data>)>> {
    let metric = (
        0..5usize,
        0..4usize,
        proptest::option::of((0..5usize, 0..3usize)),
    )
        .prop_map(|(kind, points, again)| {
            let metric = Metric {
                name: "m".into(),
                data: Some(data(kind, points)),
                ..Default::default()
            };
            (metric, again.map(|(kind, points)| data(kind, points)))
        });
    vec(metric, 0..4)
}

/// One entry's bytes (without its key): the entry encoded without its resource, then the
/// resource field(s), then an unknown field.
fn entry_bytes(without_resource: Vec<u8>, shape: &ResourceShape, unknown: &[u8]) -> Vec<u8> {
    let mut out = without_resource;
    if let Some(resource) = &shape.resource {
        let mut parts = vec![resource.clone()];
        if let Some(split) = shape.split {
            let mut second = resource.clone();
            let at = split.min(resource.attributes.len());
            parts[0].attributes.truncate(at);
            second.attributes.drain(..at);
            parts.push(second);
        }
        for (i, part) in parts.iter().enumerate() {
            let mut bytes = part.encode_to_vec();
            if i == 0 {
                bytes.extend_from_slice(&shape.unknown);
            }
            prost::encoding::bytes::encode(1, &bytes, &mut out);
        }
    }
    out.extend_from_slice(unknown);
    out
}

/// The scope entries of one resource entry, per signal, encoded.
fn scopes(signal: Signal) -> BoxedStrategy<Vec<u8>> {
    match signal {
        Signal::Traces => spans()
            .prop_map(|scope_spans| {
                ResourceSpans {
                    scope_spans,
                    schema_url: "s".into(),
                    ..Default::default()
                }
                .encode_to_vec()
            })
            .boxed(),
        Signal::Logs => logs()
            .prop_map(|scope_logs| {
                ResourceLogs {
                    scope_logs,
                    ..Default::default()
                }
                .encode_to_vec()
            })
            .boxed(),
        Signal::Metrics => metrics()
            .prop_map(|metrics| {
                let mut scope = Vec::new();
                for (metric, again) in metrics {
                    let mut bytes = metric.encode_to_vec();
                    if let Some(data) = again {
                        data.encode(&mut bytes);
                    }
                    prost::encoding::bytes::encode(2, &bytes, &mut scope);
                }
                let mut entry = Vec::new();
                if !scope.is_empty() {
                    prost::encoding::bytes::encode(2, &scope, &mut entry);
                }
                entry
            })
            .boxed(),
    }
}

/// A whole request of `signal`: 0–3 entries and perhaps an unknown top-level field.
pub fn request(signal: Signal) -> impl Strategy<Value = Vec<u8>> {
    let entry = (scopes(signal), resource(), unknown())
        .prop_map(|(scopes, shape, unknown)| entry_bytes(scopes, &shape, &unknown));
    (vec(entry, 0..4), unknown()).prop_map(|(entries, unknown)| {
        let mut out = Vec::new();
        for entry in entries {
            prost::encoding::bytes::encode(1, &entry, &mut out);
        }
        out.extend_from_slice(&unknown);
        out
    })
}

pub fn signal() -> impl Strategy<Value = Signal> {
    prop_oneof![
        Just(Signal::Metrics),
        Just(Signal::Traces),
        Just(Signal::Logs)
    ]
}
