//! The HTTP front end: `POST /v1/metrics` with OTLP protobuf or OTLP/JSON bodies, optional
//! gzip, answered in the request's content type, faults mapped to HTTP status codes.

use std::io::Read;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsPartialSuccess, ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use prost::Message;

use super::state::{Answer, Fault, Protocol, Received, Shared};

/// Header names (lowercase) and values, lossy for non-UTF-8 values.
pub(super) fn header_pairs(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

pub(super) fn reply(
    status: StatusCode,
    content_type: &str,
    body: Vec<u8>,
) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(Full::new(Bytes::from(body)))
        .expect("static response parts")
}

/// Decodes an OTLP/JSON body. opentelemetry-proto's serde mapping reads the OTLP JSON
/// encoding (lowerCamelCase names, int64 as strings or numbers, enums as integers).
pub fn decode_json(body: &[u8]) -> Result<ExportMetricsServiceRequest, String> {
    serde_json::from_slice(body).map_err(|e| format!("OTLP/JSON: {e}"))
}

fn gunzip(body: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(body)
        .read_to_end(&mut out)
        .map_err(|e| format!("gzip: {e}"))?;
    Ok(out)
}

async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_owned();
    if path != "/v1/metrics" && !super::signals::serves(&path) {
        return reply(StatusCode::NOT_FOUND, "text/plain", b"not found".to_vec());
    }
    if req.method() != Method::POST {
        return reply(StatusCode::METHOD_NOT_ALLOWED, "text/plain", Vec::new());
    }
    let headers = header_pairs(req.headers());
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.to_ascii_lowercase())
    };
    let gzip = header("content-encoding").as_deref() == Some("gzip");
    let json = header("content-type").is_some_and(|c| c.starts_with("application/json"));
    let content_type = if json {
        "application/json"
    } else {
        "application/x-protobuf"
    };
    let protocol = if json {
        Protocol::HttpJson
    } else {
        Protocol::HttpProtobuf
    };
    let body = async {
        let body = req
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        if gzip {
            gunzip(&body)
        } else {
            Ok(body.to_vec())
        }
    }
    .await;
    let decoded = body.and_then(|body| {
        if path != "/v1/metrics" {
            Ok(Err(body))
        } else if json {
            decode_json(&body).map(Ok)
        } else {
            ExportMetricsServiceRequest::decode(body.as_slice())
                .map(Ok)
                .map_err(|e| format!("protobuf: {e}"))
        }
    });
    let request = match decoded {
        Ok(Ok(request)) => request,
        // Traces and logs: their own module decodes and records them.
        Ok(Err(body)) => return super::signals::handle(&shared, &path, json, &body).await,
        Err(reason) => {
            shared.admit();
            shared.decode_error(reason.clone());
            return reply(StatusCode::BAD_REQUEST, "text/plain", reason.into_bytes());
        }
    };
    let received = Received {
        protocol,
        gzip,
        headers,
        request,
    };
    let response = match shared.handle(received).await {
        Answer::Accepted => ExportMetricsServiceResponse {
            partial_success: None,
        },
        Answer::Partial { rejected } => ExportMetricsServiceResponse {
            partial_success: Some(ExportMetricsPartialSuccess {
                rejected_data_points: rejected,
                error_message: "sink: injected partial success".into(),
            }),
        },
        Answer::Fault(fault) => return fault_reply(fault),
    };
    let body = if json {
        serde_json::to_vec(&response).expect("response serializes")
    } else {
        response.encode_to_vec()
    };
    reply(StatusCode::OK, content_type, body)
}

pub(super) fn fault_reply(fault: Fault) -> Response<Full<Bytes>> {
    match fault {
        Fault::Unavailable => reply(
            StatusCode::SERVICE_UNAVAILABLE,
            "text/plain",
            b"sink: injected outage".to_vec(),
        ),
        Fault::BadRequest => reply(
            StatusCode::BAD_REQUEST,
            "text/plain",
            b"sink: injected bad request".to_vec(),
        ),
        Fault::RetryAfter(secs) => {
            let mut response = reply(
                StatusCode::TOO_MANY_REQUESTS,
                "text/plain",
                b"sink: injected throttling".to_vec(),
            );
            response.headers_mut().insert("retry-after", secs.into());
            response
        }
        Fault::PartialSuccess { .. } => {
            reply(StatusCode::INTERNAL_SERVER_ERROR, "text/plain", Vec::new())
        }
    }
}

/// Accepts connections until the runtime stops.
pub(super) async fn serve(listener: tokio::net::TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            let handler = hyper::service::service_fn(move |req| {
                let shared = shared.clone();
                async move {
                    let exchange = shared.arrived();
                    let response = handle(shared.clone(), req).await;
                    shared.answered(exchange);
                    Ok::<_, std::convert::Infallible>(response)
                }
            });
            let _ = auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), handler)
                .await;
        });
    }
}
