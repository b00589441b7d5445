//! One request per signal with every field of every OTLP message set to a value that is
//! written on the wire, then changed one byte at a time (each key's wire type, text made
//! invalid UTF-8, lengths broken): the check must refuse exactly what prost refuses. A
//! field the schema tables get wrong fails here.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{
    any_value::Value as Any, AnyValue, ArrayValue, EntityRef, InstrumentationScope, KeyValue,
    KeyValueList,
};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::metrics::v1::exponential_histogram_data_point::Buckets;
use opentelemetry_proto::tonic::metrics::v1::summary_data_point::ValueAtQuantile;
use opentelemetry_proto::tonic::metrics::v1::*;
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{span, ResourceSpans, ScopeSpans, Span, Status};
use prost::Message;

use super::super::{check, values};
use crate::relay::Signal;

fn any(value: Any) -> Option<AnyValue> {
    Some(AnyValue { value: Some(value) })
}

/// Attributes whose values take every kind an AnyValue has, nested ones included.
fn attributes() -> Vec<KeyValue> {
    let kv = |key: &str, value| KeyValue {
        key: key.into(),
        value: any(value),
        key_strindex: 3,
    };
    let list = KeyValueList {
        values: vec![kv("in", Any::IntValue(-1))],
    };
    vec![
        kv("s", Any::StringValue("é".into())),
        kv("b", Any::BoolValue(true)),
        kv("i", Any::IntValue(7)),
        kv("d", Any::DoubleValue(0.5)),
        kv(
            "a",
            Any::ArrayValue(ArrayValue {
                values: vec![AnyValue {
                    value: Some(Any::BytesValue(vec![1, 2])),
                }],
            }),
        ),
        kv("l", Any::KvlistValue(list)),
        kv("x", Any::StringValueStrindex(4)),
    ]
}

fn scope() -> Option<InstrumentationScope> {
    Some(InstrumentationScope {
        name: "n".into(),
        version: "v".into(),
        attributes: attributes(),
        dropped_attributes_count: 1,
    })
}

fn resource() -> Option<Resource> {
    Some(Resource {
        attributes: attributes(),
        dropped_attributes_count: 2,
        entity_refs: vec![EntityRef {
            schema_url: "u".into(),
            r#type: "t".into(),
            id_keys: vec!["k".into()],
            description_keys: vec!["d".into()],
        }],
    })
}

fn traces() -> Vec<u8> {
    let span = Span {
        trace_id: vec![1; 16],
        span_id: vec![2; 8],
        trace_state: "ts".into(),
        parent_span_id: vec![3; 8],
        flags: 0x101,
        name: "s".into(),
        kind: 2,
        start_time_unix_nano: 1,
        end_time_unix_nano: 2,
        attributes: attributes(),
        dropped_attributes_count: 1,
        events: vec![span::Event {
            time_unix_nano: 3,
            name: "e".into(),
            attributes: attributes(),
            dropped_attributes_count: 1,
        }],
        dropped_events_count: 1,
        links: vec![span::Link {
            trace_id: vec![4; 16],
            span_id: vec![5; 8],
            trace_state: "lt".into(),
            attributes: attributes(),
            dropped_attributes_count: 1,
            flags: 0x100,
        }],
        dropped_links_count: 1,
        status: Some(Status {
            message: "m".into(),
            code: 2,
        }),
    };
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: resource(),
            scope_spans: vec![ScopeSpans {
                scope: scope(),
                spans: vec![span],
                schema_url: "u".into(),
            }],
            schema_url: "u".into(),
        }],
    }
    .encode_to_vec()
}

fn logs() -> Vec<u8> {
    let record = LogRecord {
        time_unix_nano: 1,
        observed_time_unix_nano: 2,
        severity_number: 9,
        severity_text: "INFO".into(),
        body: any(Any::StringValue("b".into())),
        attributes: attributes(),
        dropped_attributes_count: 1,
        flags: 1,
        trace_id: vec![1; 16],
        span_id: vec![2; 8],
        event_name: "ev".into(),
    };
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: resource(),
            scope_logs: vec![ScopeLogs {
                scope: scope(),
                log_records: vec![record],
                schema_url: "u".into(),
            }],
            schema_url: "u".into(),
        }],
    }
    .encode_to_vec()
}

fn exemplars() -> Vec<Exemplar> {
    let exemplar = |value| Exemplar {
        filtered_attributes: attributes(),
        time_unix_nano: 1,
        span_id: vec![1; 8],
        trace_id: vec![2; 16],
        value: Some(value),
    };
    vec![
        exemplar(exemplar::Value::AsDouble(1.5)),
        exemplar(exemplar::Value::AsInt(-2)),
    ]
}

fn metrics() -> Vec<u8> {
    let number = |value| NumberDataPoint {
        attributes: attributes(),
        start_time_unix_nano: 1,
        time_unix_nano: 2,
        exemplars: exemplars(),
        flags: 1,
        value: Some(value),
    };
    let metric = |data| Metric {
        name: "m".into(),
        description: "d".into(),
        unit: "u".into(),
        metadata: attributes(),
        data: Some(data),
    };
    let buckets = || {
        Some(Buckets {
            offset: -3,
            bucket_counts: vec![1, 300, 70000],
        })
    };
    let metrics = vec![
        metric(metric::Data::Gauge(Gauge {
            data_points: vec![number(number_data_point::Value::AsDouble(1.0))],
        })),
        metric(metric::Data::Sum(Sum {
            data_points: vec![number(number_data_point::Value::AsInt(-1))],
            aggregation_temporality: 1,
            is_monotonic: true,
        })),
        metric(metric::Data::Histogram(Histogram {
            data_points: vec![HistogramDataPoint {
                attributes: attributes(),
                start_time_unix_nano: 1,
                time_unix_nano: 2,
                count: 3,
                sum: Some(4.0),
                bucket_counts: vec![1, 2],
                explicit_bounds: vec![0.5],
                exemplars: exemplars(),
                flags: 1,
                min: Some(0.1),
                max: Some(9.0),
            }],
            aggregation_temporality: 2,
        })),
        metric(metric::Data::ExponentialHistogram(ExponentialHistogram {
            data_points: vec![ExponentialHistogramDataPoint {
                attributes: attributes(),
                start_time_unix_nano: 1,
                time_unix_nano: 2,
                count: 3,
                sum: Some(4.0),
                scale: -2,
                zero_count: 1,
                positive: buckets(),
                negative: buckets(),
                flags: 1,
                exemplars: exemplars(),
                min: Some(0.1),
                max: Some(9.0),
                zero_threshold: 0.01,
            }],
            aggregation_temporality: 1,
        })),
        metric(metric::Data::Summary(Summary {
            data_points: vec![SummaryDataPoint {
                attributes: attributes(),
                start_time_unix_nano: 1,
                time_unix_nano: 2,
                count: 3,
                sum: 4.0,
                quantile_values: vec![ValueAtQuantile {
                    quantile: 0.5,
                    value: 1.0,
                }],
                flags: 1,
            }],
        })),
    ];
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: resource(),
            scope_metrics: vec![ScopeMetrics {
                scope: scope(),
                metrics,
                schema_url: "u".into(),
            }],
            schema_url: "u".into(),
        }],
    }
    .encode_to_vec()
}

/// A request of each signal with every field set.
fn every_signal() -> [(Signal, Vec<u8>); 3] {
    [
        (Signal::Traces, traces()),
        (Signal::Logs, logs()),
        (Signal::Metrics, metrics()),
    ]
}

fn prost_decodes(signal: Signal, body: &[u8]) -> bool {
    match signal {
        Signal::Metrics => ExportMetricsServiceRequest::decode(body).is_ok(),
        Signal::Traces => ExportTraceServiceRequest::decode(body).is_ok(),
        Signal::Logs => ExportLogsServiceRequest::decode(body).is_ok(),
    }
}

#[test]
fn every_one_byte_change_is_refused_exactly_when_prost_refuses_it() {
    for (signal, body) in every_signal() {
        assert!(check(signal, &body).is_ok(), "{signal:?}");
        let mut refused = 0;
        for i in 0..body.len() {
            let original = body[i];
            // Every wire type in place of this byte's low bits (for a key, its wire type),
            // a byte that is never UTF-8, a varint continuation, and one past a length.
            let mut changes: Vec<u8> = (0..8).map(|wire| original & !7 | wire).collect();
            changes.extend([0xff, 0x80, original.wrapping_add(1)]);
            let mut changed = body.clone();
            for byte in changes {
                changed[i] = byte;
                let want = prost_decodes(signal, &changed);
                let got = check(signal, &changed);
                assert_eq!(
                    got.is_ok(),
                    want,
                    "{signal:?} byte {i} = {byte:#x}: {got:?}"
                );
                refused += usize::from(!want);
            }
        }
        assert!(
            refused > body.len(),
            "{signal:?}: the changes must break things"
        );
    }
}

/// Every field, written as OTLP/JSON item by item, means what the whole request written
/// the way before meant: traces and logs through a `serde_json::Value` (less its `null`s),
/// metrics through `encode_json` (whose items are written the same way still; its
/// resources and scopes left out their rarer fields, which now go through the serde
/// derives). Not quite the protobuf: opentelemetry-proto's serde derives leave out
/// `AnyValue.string_value_strindex`, both ways.
#[test]
fn every_field_written_as_json_means_what_it_meant_before() {
    // The value tree's `null`s read back as unset fields: dropping them changed nothing.
    fn through_value(request: impl serde::Serialize) -> Vec<u8> {
        let value = serde_json::to_value(request).unwrap();
        serde_json::to_vec(&value).unwrap()
    }
    for (signal, body) in [(Signal::Traces, traces()), (Signal::Logs, logs())] {
        let before = match signal {
            Signal::Traces => through_value(ExportTraceServiceRequest::decode(&*body).unwrap()),
            _ => through_value(ExportLogsServiceRequest::decode(&*body).unwrap()),
        };
        assert_eq!(
            super::json_meaning(signal, &body),
            super::read_back(signal, &before),
            "{signal:?}"
        );
    }
    let body = metrics();
    let request = ExportMetricsServiceRequest::decode(&*body).unwrap();
    let read = |json: &[u8]| {
        ExportMetricsServiceRequest::decode(&*super::read_back(Signal::Metrics, json)).unwrap()
    };
    let mut want = read(&crate::otlp::encode_json(&request));
    let full = read(&through_value(&request));
    for (entry, full) in want.resource_metrics.iter_mut().zip(full.resource_metrics) {
        entry.resource = full.resource;
        for (scope, full) in entry.scope_metrics.iter_mut().zip(full.scope_metrics) {
            scope.scope = full.scope;
        }
    }
    assert_eq!(
        super::json_meaning(Signal::Metrics, &body),
        want.encode_to_vec()
    );
}

/// Packed numbers, repeated strings, every message: counted as the JSON holds them.
#[test]
fn every_field_is_counted_as_the_json_holds_it() {
    for (signal, body) in every_signal() {
        let canonical = super::meaning(signal, &body);
        assert_eq!(
            values(signal, &canonical),
            super::json_count(signal, &canonical),
            "{signal:?}"
        );
    }
}
