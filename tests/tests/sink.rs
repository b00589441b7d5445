//! The OTLP sink itself: each protocol records and flattens what a client sends, and each
//! injected fault is answered the way the OTLP spec describes.

use std::io::Write;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use metricline_tests::sink::{ExportMetricsServiceRequest, Fault, PointKind, Protocol, Sink};
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_client::MetricsServiceClient;
use prost::Message;

/// The OTLP/JSON example shape from the specification: string int64s, lowerCamelCase.
const OTLP_JSON: &str = r#"{"resourceMetrics":[{"resource":{"attributes":[
  {"key":"service.name","value":{"stringValue":"checkout"}},
  {"key":"faas.max_memory","value":{"intValue":"134217728"}}]},
 "scopeMetrics":[{"scope":{"name":"metricline","version":"0.1.0"},"metrics":[
  {"name":"orders.placed","unit":"{order}","sum":{"aggregationTemporality":1,"isMonotonic":true,
   "dataPoints":[{"attributes":[{"key":"env","value":{"stringValue":"prod"}}],
     "startTimeUnixNano":"1764151200000000000","timeUnixNano":"1764151210000000000","asInt":"3"}]}},
  {"name":"queue.depth","gauge":{"dataPoints":[{"timeUnixNano":"1764151205000000000","asDouble":7.5}]}},
  {"name":"faas.invoke_duration","unit":"s","exponentialHistogram":{"aggregationTemporality":1,
   "dataPoints":[{"startTimeUnixNano":"1764151200000000000","timeUnixNano":"1764151210000000000",
     "count":"2","sum":0.3,"min":0.1,"max":0.2,"scale":3,"zeroCount":"0",
     "positive":{"offset":-27,"bucketCounts":["1","0","1"]}}]}}]}]}]}"#;

fn sample() -> ExportMetricsServiceRequest {
    serde_json::from_str(OTLP_JSON).expect("spec OTLP/JSON decodes")
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// POSTs a body to `/v1/metrics`, returning the status and the Retry-After header.
async fn post(
    sink: &Sink,
    content_type: &str,
    gzipped: bool,
    body: Vec<u8>,
) -> (u16, Option<String>) {
    let addr = sink
        .http_endpoint()
        .trim_start_matches("http://")
        .to_owned();
    let stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(conn);
    let mut request = http::Request::post(format!("http://{addr}/v1/metrics"))
        .header("content-type", content_type)
        .header("api-key", "s3cret");
    if gzipped {
        request = request.header("content-encoding", "gzip");
    }
    let response = sender
        .send_request(request.body(Full::new(Bytes::from(body))).unwrap())
        .await
        .unwrap();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let status = response.status().as_u16();
    let _ = response.into_body().collect().await;
    (status, retry_after)
}

#[test]
fn otlp_json_from_the_spec_flattens_to_every_point() {
    let points = metricline_tests::sink::flatten(&sample());
    assert_eq!(points.len(), 3);
    let sum = &points[0];
    assert_eq!(
        (sum.metric.as_str(), sum.kind, sum.value, sum.count),
        ("orders.placed", PointKind::Sum, 3.0, 1)
    );
    assert_eq!(sum.attr("env"), Some("prod"));
    assert_eq!(sum.resource["faas.max_memory"], "134217728");
    assert_eq!(sum.start_time_unix_nano, 1_764_151_200_000_000_000);
    assert!(sum.monotonic);
    assert_eq!(points[1].kind, PointKind::Gauge);
    assert_eq!(points[1].value, 7.5);
    let hist = &points[2];
    assert_eq!(
        (hist.kind, hist.count, hist.min, hist.max),
        (PointKind::ExponentialHistogram, 2, Some(0.1), Some(0.2))
    );
    assert_eq!(hist.scope, "metricline");
}

#[tokio::test]
async fn http_protobuf_and_json_with_and_without_gzip_are_recorded() {
    let sink = Sink::start();
    let proto = sample().encode_to_vec();
    assert_eq!(
        post(&sink, "application/x-protobuf", false, proto.clone())
            .await
            .0,
        200
    );
    assert_eq!(
        post(&sink, "application/x-protobuf", true, gzip(&proto))
            .await
            .0,
        200
    );
    assert_eq!(
        post(&sink, "application/json", true, gzip(OTLP_JSON.as_bytes()))
            .await
            .0,
        200
    );
    let requests = sink.requests();
    let seen: Vec<_> = requests.iter().map(|r| (r.protocol, r.gzip)).collect();
    assert_eq!(
        seen,
        [
            (Protocol::HttpProtobuf, false),
            (Protocol::HttpProtobuf, true),
            (Protocol::HttpJson, true)
        ]
    );
    assert_eq!(requests[0].header("api-key"), Some("s3cret"));
    assert_eq!(sink.total("orders.placed", &[("env", "prod")]), 9.0);
    assert_eq!(sink.points().len(), 9);
}

#[tokio::test]
async fn http_faults_answer_503_400_429_and_partial_success() {
    let sink = Sink::start();
    sink.fail_next(2, Fault::Unavailable);
    sink.fail_next(1, Fault::BadRequest);
    sink.fail_next(1, Fault::RetryAfter(3));
    sink.fail_next(1, Fault::PartialSuccess { rejected: 1 });
    let body = sample().encode_to_vec();
    let mut answers = Vec::new();
    for _ in 0..6 {
        answers.push(post(&sink, "application/x-protobuf", false, body.clone()).await);
    }
    let statuses: Vec<u16> = answers.iter().map(|a| a.0).collect();
    assert_eq!(statuses, [503, 503, 400, 429, 200, 200]);
    assert_eq!(answers[3].1.as_deref(), Some("3"));
    assert_eq!(sink.attempts(), 6);
    assert_eq!(
        sink.requests().len(),
        2,
        "partial success and the last request are kept"
    );
    assert_eq!(
        post(&sink, "application/x-protobuf", false, b"\xff\xff".to_vec())
            .await
            .0,
        400
    );
    assert_eq!(sink.decode_errors().len(), 1);
}

#[tokio::test]
async fn grpc_gzip_requests_and_status_codes() {
    let sink = Sink::start();
    let mut client = MetricsServiceClient::connect(sink.grpc_endpoint())
        .await
        .unwrap()
        .send_compressed(tonic::codec::CompressionEncoding::Gzip)
        .accept_compressed(tonic::codec::CompressionEncoding::Gzip);
    client.export(sample()).await.unwrap();
    sink.fail_next(1, Fault::Unavailable);
    sink.fail_next(1, Fault::BadRequest);
    sink.fail_next(1, Fault::RetryAfter(2));
    sink.fail_next(1, Fault::PartialSuccess { rejected: 4 });
    let mut seen = Vec::new();
    for _ in 0..3 {
        seen.push(client.export(sample()).await.unwrap_err().code());
    }
    assert_eq!(
        seen,
        [
            tonic::Code::Unavailable,
            tonic::Code::InvalidArgument,
            tonic::Code::ResourceExhausted
        ]
    );
    let partial = client.export(sample()).await.unwrap().into_inner();
    assert_eq!(partial.partial_success.unwrap().rejected_data_points, 4);
    let requests = sink.requests();
    assert_eq!(requests.len(), 2);
    assert!(requests
        .iter()
        .all(|r| r.protocol == Protocol::Grpc && r.gzip));
    assert_eq!(sink.attempts(), 5);
}

#[test]
fn wait_until_wakes_on_a_request_from_another_thread() {
    let sink = Sink::start();
    let endpoint = sink.grpc_endpoint();
    let sender = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let mut client = MetricsServiceClient::connect(endpoint).await.unwrap();
            client.export(sample()).await.unwrap();
        });
    });
    assert!(sink.wait_until(Duration::from_secs(10), |points| points
        .iter()
        .any(|p| p.metric == "queue.depth")));
    sender.join().unwrap();
    assert!(!sink.wait_until(Duration::from_millis(1), |points| points.len() > 3));
}
