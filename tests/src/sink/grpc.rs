//! The gRPC front end: opentelemetry-proto's generated `MetricsService` served over h2c,
//! gzip accepted, with faults mapped to the gRPC status codes the OTLP spec names.

use std::sync::Arc;

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsPartialSuccess, ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use prost::Message;
use tonic::codec::CompressionEncoding;
use tonic::codegen::Service;

use super::state::{Answer, Fault, Protocol, Received, Shared};

/// What the wire said about a request before tonic decoded it.
#[derive(Clone)]
struct Wire {
    gzip: bool,
    headers: Vec<(String, String)>,
}

struct Receiver {
    shared: Arc<Shared>,
}

#[tonic::async_trait]
impl MetricsService for Receiver {
    async fn export(
        &self,
        request: tonic::Request<ExportMetricsServiceRequest>,
    ) -> Result<tonic::Response<ExportMetricsServiceResponse>, tonic::Status> {
        let wire = request.extensions().get::<Wire>().cloned();
        let wire = wire.unwrap_or(Wire {
            gzip: false,
            headers: Vec::new(),
        });
        let received = Received {
            protocol: Protocol::Grpc,
            gzip: wire.gzip,
            headers: wire.headers,
            request: request.into_inner(),
        };
        match self.shared.handle(received).await {
            Answer::Accepted => Ok(tonic::Response::new(ExportMetricsServiceResponse {
                partial_success: None,
            })),
            Answer::Partial { rejected } => {
                Ok(tonic::Response::new(ExportMetricsServiceResponse {
                    partial_success: Some(ExportMetricsPartialSuccess {
                        rejected_data_points: rejected,
                        error_message: "sink: injected partial success".into(),
                    }),
                }))
            }
            Answer::Fault(fault) => Err(status_for(fault)),
        }
    }
}

fn status_for(fault: Fault) -> tonic::Status {
    match fault {
        Fault::Unavailable => tonic::Status::unavailable("sink: injected outage"),
        Fault::BadRequest => tonic::Status::invalid_argument("sink: injected bad request"),
        Fault::RetryAfter(secs) => tonic::Status::with_details(
            tonic::Code::ResourceExhausted,
            "sink: injected throttling",
            retry_info_status(secs).into(),
        ),
        // Partial success is an accepted request, never a status.
        Fault::PartialSuccess { .. } => tonic::Status::internal("unreachable fault"),
    }
}

/// `google.rpc.Status` with one `google.rpc.RetryInfo` detail, as the OTLP spec describes
/// for throttling; declared here to avoid a dependency for three small messages.
fn retry_info_status(secs: u64) -> Vec<u8> {
    #[derive(Clone, PartialEq, prost::Message)]
    struct ProtoDuration {
        #[prost(int64, tag = "1")]
        seconds: i64,
        #[prost(int32, tag = "2")]
        nanos: i32,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    struct RetryInfo {
        #[prost(message, optional, tag = "1")]
        retry_delay: Option<ProtoDuration>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    struct Any {
        #[prost(string, tag = "1")]
        type_url: String,
        #[prost(bytes = "vec", tag = "2")]
        value: Vec<u8>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    struct RpcStatus {
        #[prost(int32, tag = "1")]
        code: i32,
        #[prost(string, tag = "2")]
        message: String,
        #[prost(message, repeated, tag = "3")]
        details: Vec<Any>,
    }
    let info = RetryInfo {
        retry_delay: Some(ProtoDuration {
            seconds: secs as i64,
            nanos: 0,
        }),
    };
    RpcStatus {
        code: tonic::Code::ResourceExhausted as i32,
        message: "sink: injected throttling".into(),
        details: vec![Any {
            type_url: "type.googleapis.com/google.rpc.RetryInfo".into(),
            value: info.encode_to_vec(),
        }],
    }
    .encode_to_vec()
}

/// Accepts connections until the runtime stops.
pub(super) async fn serve(listener: tokio::net::TcpListener, shared: Arc<Shared>) {
    let service = MetricsServiceServer::new(Receiver {
        shared: shared.clone(),
    })
    .accept_compressed(CompressionEncoding::Gzip)
    .send_compressed(CompressionEncoding::Gzip);
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let service = service.clone();
        let shared = shared.clone();
        tokio::spawn(async move {
            let handler = hyper::service::service_fn(move |mut req: http::Request<_>| {
                let wire = Wire {
                    gzip: req
                        .headers()
                        .get("grpc-encoding")
                        .is_some_and(|v| v.as_bytes() == b"gzip"),
                    headers: super::http::header_pairs(req.headers()),
                };
                req.extensions_mut().insert(wire);
                let mut service = service.clone();
                let shared = shared.clone();
                async move {
                    let exchange = shared.arrived();
                    let response = service.call(req).await;
                    shared.answered(exchange);
                    response
                }
            });
            let _ = auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), handler)
                .await;
        });
    }
}
