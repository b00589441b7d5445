//! Shared by the OTLP receiver tests: a receiver on ephemeral loopback ports forwarding to
//! the tests' OTLP sink, sample requests of each signal as an SDK sends them, and readers
//! of what arrived and what was counted as dropped.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use metricline::otlp_receiver::{self, Addresses, ReceiverSettings, Relay};
use metricline::pipeline::Shared;
use metricline_proto::aggregate::Value;
use metricline_proto::resource::{AttributeValue, Resource};
use metricline_tests::sink::Sink;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::metrics::v1::{
    metric::Data, number_data_point, Gauge, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics,
};
use opentelemetry_proto::tonic::resource::v1::Resource as OtlpResource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use tokio::net::TcpStream;
use tokio::time::Instant;

pub fn shared() -> Arc<Shared> {
    crate::pipeline_support::shared_pipeline(true)
}

pub fn lambda_resource() -> Resource {
    let s = |v: &str| AttributeValue::Str(v.into());
    Resource {
        attributes: vec![
            ("service.name".into(), s("from-metricline")),
            ("cloud.provider".into(), s("aws")),
            ("faas.name".into(), s("checkout")),
            (
                "service.instance.id".into(),
                s("0b8e7c1e-1111-4222-8333-444455556666"),
            ),
        ],
    }
}

pub fn settings(http: &str, buffer_bytes: usize) -> ReceiverSettings {
    ReceiverSettings {
        addresses: Addresses {
            grpc: None,
            http: Some(http.parse().unwrap()),
        },
        enrich: true,
        buffer_bytes,
    }
}

/// A receiver on an ephemeral loopback port, forwarding to `sink` over http/protobuf.
pub async fn receiver(sink: &Sink, buffer_bytes: usize) -> (Relay, SocketAddr, Arc<Shared>) {
    receiver_with(sink, buffer_bytes, &[]).await
}

/// [`receiver`], with more exporter variables (e.g. a signal's `_PROTOCOL`).
pub async fn receiver_with(
    sink: &Sink,
    buffer_bytes: usize,
    vars: &[(&str, &str)],
) -> (Relay, SocketAddr, Arc<Shared>) {
    let mut vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    vars.push(("OTEL_EXPORTER_OTLP_ENDPOINT".into(), sink.http_endpoint()));
    let env = move |name: &str| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let shared = shared();
    let mut settings = settings("127.0.0.1:0", buffer_bytes);
    settings.addresses.grpc = Some("127.0.0.1:0".parse().unwrap());
    let relay = otlp_receiver::start(&settings, &env, &lambda_resource(), shared.clone())
        .await
        .expect("the receiver starts");
    let addr = relay.bound().http.expect("an HTTP address");
    (relay, addr, shared)
}

pub fn string(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.into())),
        }),
        ..Default::default()
    }
}

pub fn sdk_resource(service: &str) -> Option<OtlpResource> {
    Some(OtlpResource {
        attributes: vec![
            string("service.name", service),
            string("telemetry.sdk.language", "python"),
        ],
        ..Default::default()
    })
}

pub fn traces(service: &str, spans: usize) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: sdk_resource(service),
            scope_spans: vec![ScopeSpans {
                spans: (0..spans)
                    .map(|i| Span {
                        trace_id: vec![9; 16],
                        span_id: vec![(i as u8).wrapping_add(1); 8],
                        name: format!("{service}-{i}"),
                        start_time_unix_nano: 1_764_151_200_000_000_000,
                        end_time_unix_nano: 1_764_151_200_100_000_000,
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

pub fn logs(message: &str) -> ExportLogsServiceRequest {
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: sdk_resource("orders"),
            scope_logs: vec![ScopeLogs {
                log_records: vec![LogRecord {
                    time_unix_nano: 1_764_151_200_000_000_000,
                    body: Some(AnyValue {
                        value: Some(any_value::Value::StringValue(message.into())),
                    }),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

pub fn gauge(name: &str, value: f64) -> ExportMetricsServiceRequest {
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: sdk_resource("orders"),
            scope_metrics: vec![ScopeMetrics {
                metrics: vec![Metric {
                    name: name.into(),
                    data: Some(Data::Gauge(Gauge {
                        data_points: vec![NumberDataPoint {
                            time_unix_nano: 1_764_151_200_000_000_000,
                            value: Some(number_data_point::Value::AsDouble(value)),
                            ..Default::default()
                        }],
                    })),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

pub fn attributes(resource: &Option<OtlpResource>) -> Vec<(String, String)> {
    let resource = resource.as_ref().expect("a resource");
    resource
        .attributes
        .iter()
        .map(|a| {
            let value = match a.value.as_ref().and_then(|v| v.value.as_ref()) {
                Some(any_value::Value::StringValue(s)) => s.clone(),
                other => format!("{other:?}"),
            };
            (a.key.clone(), value)
        })
        .collect()
}

pub fn soon() -> Instant {
    Instant::now() + Duration::from_secs(10)
}

/// How many received items of `signal` the extension counts as dropped for `reason`.
pub fn dropped(shared: &Shared, signal: &str, reason: &str) -> f64 {
    let export = shared.lock().aggregator().take_all(u64::MAX / 2);
    export
        .streams
        .iter()
        .filter(|(key, _)| {
            key.name == "metricline.otlp.dropped"
                && key
                    .attributes
                    .contains(&("metricline.signal".into(), signal.into()))
                && key
                    .attributes
                    .contains(&("metricline.reason".into(), reason.into()))
        })
        .flat_map(|(_, points)| points)
        .map(|p| match p.value {
            Value::Sum(v) => v,
            _ => panic!("not a sum"),
        })
        .sum()
}

pub fn compress(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: Bytes,
}

pub async fn post(addr: SocketAddr, path: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Answer {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    let mut request = http::Request::post(path).header("host", "localhost");
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = sender
        .send_request(request.body(Full::new(Bytes::from(body))).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        content_type,
        body,
    }
}

/// The `message` of a protobuf `google.rpc.Status` answer (field 2).
pub fn status_message(body: &[u8]) -> String {
    #[derive(Clone, PartialEq, prost::Message)]
    struct Status {
        #[prost(string, tag = "2")]
        message: String,
    }
    prost::Message::decode(body)
        .map(|s: Status| s.message)
        .unwrap()
}

/// Posts a protobuf request that the receiver must accept.
pub async fn accepted(addr: SocketAddr, path: &str, body: Vec<u8>) {
    let answer = post(addr, path, &[PROTOBUF], body).await;
    assert_eq!(answer.status, 200, "{path}: {:?}", answer.body);
}

pub const PROTOBUF: (&str, &str) = ("content-type", "application/x-protobuf");
pub const JSON: (&str, &str) = ("content-type", "application/json");
