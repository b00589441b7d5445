//! The one HTTP server behind `AWS_LAMBDA_RUNTIME_API`: routes to the Runtime, Extensions
//! and Telemetry API handlers.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::json;

use super::state::Shared;
use super::{extensions_api, runtime_api, telemetry_api};

/// What the APIs answer about the function.
pub struct ApiConfig {
    pub function_name: String,
    pub function_version: String,
    pub handler: String,
    pub account_id: String,
    pub region: String,
    pub telemetry_api: bool,
    /// Lambda Managed Instances: `INVOKE` registration refused, runtime workers.
    pub managed: bool,
    /// Schema versions the Telemetry API answers 400 to.
    pub refused_schemas: Vec<String>,
}

impl ApiConfig {
    pub fn function_arn(&self) -> String {
        format!(
            "arn:aws:lambda:{}:{}:function:{}",
            self.region, self.account_id, self.function_name
        )
    }
}

pub type Reply = Response<Full<Bytes>>;

pub fn reply(status: StatusCode, body: impl Into<Bytes>) -> Reply {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(body.into()))
        .expect("static response parts")
}

pub fn error_reply(status: StatusCode, error_type: &str, message: &str) -> Reply {
    let body = json!({ "errorType": error_type, "errorMessage": message });
    reply(status, body.to_string())
}

/// A request's method, path, headers and collected body.
pub struct ApiRequest {
    pub method: Method,
    pub path: String,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

impl ApiRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

async fn route(shared: Arc<Shared>, config: Arc<ApiConfig>, req: Request<Incoming>) -> Reply {
    let (parts, body) = req.into_parts();
    let body = match body.collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return error_reply(StatusCode::BAD_REQUEST, "InvalidRequest", "body"),
    };
    let req = ApiRequest {
        method: parts.method,
        path: parts.uri.path().to_owned(),
        headers: parts.headers,
        body,
    };
    if let Some(rest) = req.path.strip_prefix("/2018-06-01/runtime/") {
        let rest = rest.to_owned();
        return runtime_api::handle(&shared, &config, &req, &rest).await;
    }
    if let Some(rest) = req.path.strip_prefix("/2020-01-01/extension/") {
        let rest = rest.to_owned();
        return extensions_api::handle(&shared, &config, &req, &rest).await;
    }
    if req.path.trim_end_matches('/') == "/2022-07-01/telemetry" && req.method == Method::PUT {
        return telemetry_api::subscribe(&shared, &config, &req);
    }
    error_reply(StatusCode::NOT_FOUND, "NotFound", &req.path)
}

/// Serves the APIs until the runtime stops.
pub async fn serve(listener: tokio::net::TcpListener, shared: Arc<Shared>, config: Arc<ApiConfig>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let (shared, config) = (shared.clone(), config.clone());
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let (shared, config) = (shared.clone(), config.clone());
                async move { Ok::<_, Infallible>(route(shared, config, req).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
