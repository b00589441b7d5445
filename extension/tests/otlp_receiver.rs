//! The OTLP receiver in-process, against the tests' OTLP sink: its answers (200 with an
//! empty response of the request's encoding, 400 with a reason, 413, gzip, JSON), the
//! pass-through with the Lambda resource attributes, batching per signal, the outage and
//! overflow rules, and a taken port.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use metricline::otlp_receiver::{self, Addresses, ReceiverSettings, Relay, MAX_BODY};
use metricline::pipeline::{Pipeline, PipelineConfig, Shared};
use metricline_proto::aggregate::{AggregationConfig, HistogramAggregation, Temporality, Value};
use metricline_proto::lines::Formats;
use metricline_proto::platform::{Arch, PlatformConfig};
use metricline_proto::resource::{AttributeValue, Resource};
use metricline_tests::sink::{Fault, Sink};
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
use prost::Message;
use tokio::net::TcpStream;
use tokio::time::Instant;

fn shared() -> Arc<Shared> {
    Arc::new(Shared::new(Pipeline::new(PipelineConfig {
        formats: Formats::default(),
        platform_metrics: true,
        platform: PlatformConfig {
            arch: Arch::X86_64,
            memory_size_mb: Some(128),
        },
        aggregation: AggregationConfig {
            temporality: Temporality::Delta,
            histograms: HistogramAggregation::Exponential,
            start_time_unix_nano: 0,
        },
    })))
}

fn lambda_resource() -> Resource {
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

fn settings(http: &str, buffer_bytes: usize) -> ReceiverSettings {
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
async fn receiver(sink: &Sink, buffer_bytes: usize) -> (Relay, SocketAddr, Arc<Shared>) {
    let endpoint = sink.http_endpoint();
    let env = move |name: &str| (name == "OTEL_EXPORTER_OTLP_ENDPOINT").then(|| endpoint.clone());
    let shared = shared();
    let relay = otlp_receiver::start(
        &settings("127.0.0.1:0", buffer_bytes),
        &env,
        &lambda_resource(),
        shared.clone(),
    )
    .await
    .expect("the receiver starts");
    let addr = relay.http_addr().expect("an HTTP address");
    (relay, addr, shared)
}

struct Answer {
    status: u16,
    content_type: String,
    body: Bytes,
}

async fn post(addr: SocketAddr, path: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Answer {
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

/// Posts a protobuf request that the receiver must accept.
async fn accepted(addr: SocketAddr, path: &str, body: Vec<u8>) {
    let answer = post(addr, path, &[PROTOBUF], body).await;
    assert_eq!(answer.status, 200, "{path}: {:?}", answer.body);
}

const PROTOBUF: (&str, &str) = ("content-type", "application/x-protobuf");
const JSON: (&str, &str) = ("content-type", "application/json");

fn string(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.into())),
        }),
        ..Default::default()
    }
}

fn sdk_resource(service: &str) -> Option<OtlpResource> {
    Some(OtlpResource {
        attributes: vec![
            string("service.name", service),
            string("telemetry.sdk.language", "python"),
        ],
        ..Default::default()
    })
}

fn traces(service: &str, spans: usize) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: sdk_resource(service),
            scope_spans: vec![ScopeSpans {
                spans: (0..spans)
                    .map(|i| Span {
                        trace_id: vec![9; 16],
                        span_id: vec![i as u8 + 1; 8],
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

fn logs(message: &str) -> ExportLogsServiceRequest {
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

fn gauge(name: &str, value: f64) -> ExportMetricsServiceRequest {
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

fn attributes(resource: &Option<OtlpResource>) -> Vec<(String, String)> {
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

fn soon() -> Instant {
    Instant::now() + Duration::from_secs(10)
}

/// How many received items of `signal` the extension counts as dropped for `reason`.
fn dropped(shared: &Shared, signal: &str, reason: &str) -> f64 {
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

#[tokio::test]
async fn answers_200_with_an_empty_response_in_the_requests_encoding() {
    let sink = Sink::start();
    let (_relay, addr, _) = receiver(&sink, 1 << 20).await;
    let answer = post(
        addr,
        "/v1/traces",
        &[PROTOBUF],
        traces("a", 1).encode_to_vec(),
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.content_type, "application/x-protobuf");
    assert!(answer.body.is_empty());
    let json = serde_json::to_vec(&logs("paid")).unwrap();
    let answer = post(addr, "/v1/logs", &[JSON], json).await;
    assert_eq!(
        (answer.status, answer.content_type.as_str()),
        (200, "application/json")
    );
    assert_eq!(&answer.body[..], b"{}");
}

#[tokio::test]
async fn requests_pass_through_enriched_and_merged_into_one_request_per_signal() {
    let sink = Sink::start();
    let (relay, addr, _) = receiver(&sink, 1 << 20).await;
    for service in ["a", "b", "c"] {
        accepted(addr, "/v1/traces", traces(service, 2).encode_to_vec()).await;
    }
    let json = serde_json::to_vec(&logs("paid")).unwrap();
    assert_eq!(post(addr, "/v1/logs", &[JSON], json).await.status, 200);
    let metrics = gauge("shop.queue.depth", 7.0).encode_to_vec();
    accepted(addr, "/v1/metrics", metrics).await;
    assert_eq!(sink.attempts(), 0, "nothing leaves before a flush");

    relay.flush(soon(), false).await;
    let traces = sink.traces();
    assert_eq!(traces.len(), 1, "one request for the three: {traces:?}");
    let services: Vec<String> = traces[0]
        .resource_spans
        .iter()
        .map(|r| attributes(&r.resource)[0].1.clone())
        .collect();
    assert_eq!(services, ["a", "b", "c"]);
    let want = |service: &str| {
        [
            ("service.name", service),
            ("telemetry.sdk.language", "python"),
            ("cloud.provider", "aws"),
            ("faas.name", "checkout"),
            (
                "service.instance.id",
                "0b8e7c1e-1111-4222-8333-444455556666",
            ),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .to_vec()
    };
    assert_eq!(attributes(&traces[0].resource_spans[2].resource), want("c"));
    assert_eq!(traces[0].resource_spans[1].scope_spans, traces_spans("b"));

    let logs = sink.logs();
    assert_eq!(logs.len(), 1);
    assert_eq!(
        attributes(&logs[0].resource_logs[0].resource),
        want("orders")
    );
    let requests = sink.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].request.resource_metrics[0].scope_metrics,
        gauge("x", 7.0).resource_metrics[0]
            .scope_metrics
            .iter()
            .map(|s| {
                let mut s = s.clone();
                s.metrics[0].name = "shop.queue.depth".into();
                s
            })
            .collect::<Vec<_>>()
    );

    // Sent once: a second flush has nothing to send.
    relay.flush(soon(), false).await;
    assert_eq!(
        (
            sink.traces().len(),
            sink.logs().len(),
            sink.requests().len()
        ),
        (1, 1, 1)
    );
}

fn traces_spans(service: &str) -> Vec<ScopeSpans> {
    traces(service, 2).resource_spans[0].scope_spans.clone()
}

#[tokio::test]
async fn a_malformed_body_gets_400_with_the_reason_and_loses_nothing_else() {
    let sink = Sink::start();
    let (relay, addr, _) = receiver(&sink, 1 << 20).await;
    accepted(addr, "/v1/traces", traces("a", 1).encode_to_vec()).await;
    let bad = post(
        addr,
        "/v1/traces",
        &[PROTOBUF],
        b"\x0a\xff\xff\xff\x0f".to_vec(),
    )
    .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.content_type, "application/x-protobuf");
    #[derive(Clone, PartialEq, prost::Message)]
    struct Status {
        #[prost(int32, tag = "1")]
        code: i32,
        #[prost(string, tag = "2")]
        message: String,
    }
    let status = Status::decode(&bad.body[..]).unwrap();
    assert!(
        status
            .message
            .starts_with("not an OTLP traces protobuf request"),
        "{status:?}"
    );
    let bad_json = post(addr, "/v1/logs", &[JSON], b"{\"resourceLogs\":[{]".to_vec()).await;
    assert_eq!(bad_json.status, 400);
    let message: serde_json::Value = serde_json::from_slice(&bad_json.body).unwrap();
    assert!(message["message"]
        .as_str()
        .unwrap()
        .starts_with("not an OTLP/JSON logs request"));
    let unknown = post(
        addr,
        "/v1/metrics",
        &[("content-type", "text/plain")],
        b"x".to_vec(),
    )
    .await;
    assert_eq!(unknown.status, 415);
    assert_eq!(
        post(addr, "/v1/spans", &[PROTOBUF], Vec::new())
            .await
            .status,
        404
    );
    accepted(addr, "/v1/traces", traces("b", 1).encode_to_vec()).await;

    relay.flush(soon(), false).await;
    let spans: usize = sink.traces().iter().flat_map(|t| &t.resource_spans).count();
    assert_eq!(spans, 2, "both good requests, once each");
}

#[tokio::test]
async fn gzip_bodies_are_read_and_oversized_ones_get_413() {
    let sink = Sink::start();
    let (relay, addr, _) = receiver(&sink, 1 << 20).await;
    let gzip = ("content-encoding", "gzip");
    let packed = compress(&traces("zipped", 3).encode_to_vec());
    assert_eq!(
        post(addr, "/v1/traces", &[PROTOBUF, gzip], packed)
            .await
            .status,
        200
    );
    let not_gzip = post(addr, "/v1/traces", &[PROTOBUF, gzip], b"plain".to_vec()).await;
    assert_eq!(not_gzip.status, 400);

    let big = vec![0u8; MAX_BODY + 1];
    assert_eq!(
        post(addr, "/v1/logs", &[PROTOBUF], big.clone())
            .await
            .status,
        413
    );
    // Small on the wire, over the limit once inflated.
    let bomb = compress(&big);
    assert!(bomb.len() < MAX_BODY / 100);
    assert_eq!(
        post(addr, "/v1/logs", &[PROTOBUF, gzip], bomb).await.status,
        413
    );

    relay.flush(soon(), false).await;
    let traces = sink.traces();
    assert_eq!(traces.len(), 1);
    assert_eq!(traces[0].resource_spans[0].scope_spans[0].spans.len(), 3);
    assert!(sink.logs().is_empty());
}

fn compress(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

#[tokio::test]
async fn an_outage_keeps_what_fits_the_buffer_and_counts_what_it_sheds() {
    let sink = Sink::start();
    let one = traces("x", 4).encode_to_vec().len();
    // Room for two requests once enriched, not three.
    let (relay, addr, shared) = receiver(&sink, 2 * one + 300).await;
    // Down for as many attempts as a flush can make.
    sink.fail_next(1000, Fault::Unavailable);
    accepted(addr, "/v1/traces", traces("first", 4).encode_to_vec()).await;
    relay
        .flush(Instant::now() + Duration::from_millis(300), false)
        .await;
    assert!(sink.traces().is_empty());
    assert!(relay.buffered_bytes() > 0, "kept for the next flush");

    for service in ["second", "third"] {
        accepted(addr, "/v1/traces", traces(service, 4).encode_to_vec()).await;
    }
    // The oldest request went to make room, and its spans are counted.
    assert_eq!(dropped(&shared, "traces", "buffer_full"), 4.0);
    // Backing off: an invoke's flush only waits; the shutdown flush tries anyway.
    relay.flush(soon(), false).await;
    assert!(sink.traces().is_empty());
    sink.clear_faults();
    relay.flush(soon(), true).await;
    let services: Vec<String> = sink
        .traces()
        .iter()
        .flat_map(|t| &t.resource_spans)
        .map(|r| attributes(&r.resource)[0].1.clone())
        .collect();
    assert_eq!(services, ["second", "third"]);
    assert_eq!(relay.buffered_bytes(), 0);
}

#[tokio::test]
async fn a_refused_batch_is_counted_not_retried() {
    let sink = Sink::start();
    let (relay, addr, shared) = receiver(&sink, 1 << 20).await;
    sink.fail_next(1, Fault::BadRequest);
    accepted(addr, "/v1/traces", traces("a", 5).encode_to_vec()).await;
    relay.flush(soon(), false).await;
    assert_eq!(dropped(&shared, "traces", "rejected"), 5.0);
    relay.flush(soon(), true).await;
    assert_eq!(sink.attempts(), 1);
}

#[tokio::test]
async fn a_taken_port_or_an_exporter_pointing_at_the_receiver_leaves_it_off() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let env = |name: &str| {
        (name == "OTEL_EXPORTER_OTLP_ENDPOINT").then(|| "http://127.0.0.1:9".to_string())
    };
    let address = format!("127.0.0.1:{port}");
    let started = otlp_receiver::start(
        &settings(&address, 1 << 20),
        &env,
        &lambda_resource(),
        shared(),
    )
    .await;
    assert!(started.is_none());
    drop(taken);
    // Free now, but metricline's own exporter would send there: a loop, so off too.
    let env = move |name: &str| {
        (name == "OTEL_EXPORTER_OTLP_ENDPOINT").then(|| format!("http://localhost:{port}"))
    };
    let started = otlp_receiver::start(
        &settings(&address, 1 << 20),
        &env,
        &lambda_resource(),
        shared(),
    )
    .await;
    assert!(started.is_none());
    assert!(
        std::net::TcpListener::bind(&address).is_ok(),
        "nothing was bound"
    );
}
