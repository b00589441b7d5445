//! A small HTTP/1 client for the Lambda Extensions API, over
//! `AWS_LAMBDA_RUNTIME_API` (plain HTTP on the sandbox's loopback); the Telemetry API
//! subscription uses it too ([`crate::telemetry_subscription`]).
//!
//! Hand-written on hyper rather than the `lambda-extension` crate: that crate fails whole
//! batches on unknown events and posts errors that fail the function.

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use std::fmt;
use tokio::net::TcpStream;

const REGISTER: &str = "/2020-01-01/extension/register";
const NEXT: &str = "/2020-01-01/extension/event/next";
const IDENTIFIER: &str = "Lambda-Extension-Identifier";

#[derive(Debug)]
pub struct ApiError(pub String);

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ApiError {}

pub(crate) fn err(what: &str, e: impl fmt::Display) -> ApiError {
    ApiError(format!("{what}: {e}"))
}

/// What registration returns.
#[derive(Debug, Clone)]
pub struct Registration {
    pub extension_id: String,
    pub account_id: Option<String>,
}

/// The lifecycle events to register for. Lambda Managed Instances refuse `INVOKE` (and a
/// refused registration fails the function's init), so there it is `SHUTDOWN` only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Events {
    InvokeAndShutdown,
    ShutdownOnly,
}

impl Events {
    fn body(self) -> &'static [u8] {
        match self {
            Events::InvokeAndShutdown => br#"{"events":["INVOKE","SHUTDOWN"]}"#,
            Events::ShutdownOnly => br#"{"events":["SHUTDOWN"]}"#,
        }
    }
}

/// An event from `/next`.
#[derive(Debug, Clone, PartialEq)]
pub enum NextEvent {
    Invoke {
        request_id: String,
        deadline_ms: u64,
    },
    Shutdown {
        reason: String,
        deadline_ms: u64,
    },
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEvent {
    event_type: String,
    #[serde(default)]
    request_id: String,
    #[serde(default)]
    deadline_ms: f64,
    #[serde(default)]
    shutdown_reason: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRegistration {
    #[serde(default)]
    account_id: Option<String>,
}

/// One keep-alive connection to the Extensions API, reopened when it breaks.
pub struct ExtensionsApi {
    authority: String,
    sender: Option<SendRequest<Full<Bytes>>>,
    extension_id: Option<String>,
}

impl ExtensionsApi {
    /// `runtime_api` is `AWS_LAMBDA_RUNTIME_API` (`host:port`).
    pub fn new(runtime_api: &str) -> Self {
        ExtensionsApi {
            authority: runtime_api.trim().trim_start_matches("http://").to_string(),
            sender: None,
            extension_id: None,
        }
    }

    /// Registers for `events` under `name` (the binary's file name).
    pub async fn register(&mut self, name: &str, events: Events) -> Result<Registration, ApiError> {
        let request = self
            .request(Method::POST, REGISTER)
            .header("Lambda-Extension-Name", name)
            .header("Lambda-Extension-Accept-Feature", "accountId")
            .header("Content-Type", "application/json")
            .body(Full::new(Bytes::from_static(events.body())))
            .map_err(|e| err("register request", e))?;
        let (status, headers, body) = self.send(request).await?;
        if status != StatusCode::OK {
            return Err(ApiError(format!(
                "register answered {status}: {}",
                excerpt(&body)
            )));
        }
        let extension_id = headers
            .get(IDENTIFIER)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
            .ok_or_else(|| ApiError(format!("register answered without {IDENTIFIER}")))?
            .to_string();
        let account_id = serde_json::from_slice::<RawRegistration>(&body)
            .ok()
            .and_then(|r| r.account_id)
            .filter(|a| !a.is_empty());
        self.extension_id = Some(extension_id.clone());
        Ok(Registration {
            extension_id,
            account_id,
        })
    }

    /// Blocks until the next INVOKE or SHUTDOWN (no timeout: the sandbox may stay frozen
    /// for hours in between).
    pub async fn next(&mut self) -> Result<NextEvent, ApiError> {
        let request = self
            .request(Method::GET, NEXT)
            .body(Full::new(Bytes::new()))
            .map_err(|e| err("next request", e))?;
        let (status, _, body) = self.send(request).await?;
        if status != StatusCode::OK {
            return Err(ApiError(format!(
                "/next answered {status}: {}",
                excerpt(&body)
            )));
        }
        parse_event(&body)
    }

    pub(crate) fn request(&self, method: Method, path: &str) -> http::request::Builder {
        let mut builder = Request::builder()
            .method(method)
            .uri(path)
            .header("Host", &self.authority);
        if let Some(id) = &self.extension_id {
            builder = builder.header(IDENTIFIER, id);
        }
        builder
    }

    pub(crate) async fn send(
        &mut self,
        request: Request<Full<Bytes>>,
    ) -> Result<(StatusCode, http::HeaderMap, Bytes), ApiError> {
        let sender = self.connection().await?;
        let result = async {
            let response = sender
                .send_request(request)
                .await
                .map_err(|e| err("Extensions API request", e))?;
            let (parts, body) = response.into_parts();
            let body = body
                .collect()
                .await
                .map_err(|e| err("Extensions API response", e))?
                .to_bytes();
            Ok((parts.status, parts.headers, body))
        }
        .await;
        if result.is_err() {
            // A broken connection is reopened on the next call.
            self.sender = None;
        }
        result
    }

    async fn connection(&mut self) -> Result<&mut SendRequest<Full<Bytes>>, ApiError> {
        if let Some(sender) = &mut self.sender {
            if sender.ready().await.is_err() {
                self.sender = None;
            }
        }
        if self.sender.is_none() {
            let stream = TcpStream::connect(&self.authority)
                .await
                .map_err(|e| err(&format!("connect to {}", self.authority), e))?;
            let _ = stream.set_nodelay(true);
            let (sender, connection) = http1::handshake(TokioIo::new(stream))
                .await
                .map_err(|e| err("Extensions API handshake", e))?;
            tokio::spawn(async move {
                if let Err(e) = connection.await {
                    crate::debug!("Extensions API connection closed: {e}");
                }
            });
            self.sender = Some(sender);
        }
        self.sender
            .as_mut()
            .ok_or_else(|| ApiError("no Extensions API connection".into()))
    }
}

/// Decodes a `/next` body.
pub fn parse_event(body: &[u8]) -> Result<NextEvent, ApiError> {
    let raw: RawEvent = serde_json::from_slice(body).map_err(|e| err("/next body", e))?;
    let deadline_ms = if raw.deadline_ms.is_finite() && raw.deadline_ms > 0.0 {
        raw.deadline_ms as u64
    } else {
        0
    };
    match raw.event_type.to_ascii_uppercase().as_str() {
        "INVOKE" => Ok(NextEvent::Invoke {
            request_id: raw.request_id,
            deadline_ms,
        }),
        "SHUTDOWN" => Ok(NextEvent::Shutdown {
            reason: raw.shutdown_reason,
            deadline_ms,
        }),
        other => Err(ApiError(format!(
            "/next returned an unknown event type {other:?}"
        ))),
    }
}

pub(crate) fn excerpt(body: &[u8]) -> String {
    String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_invoke_and_shutdown() {
        let invoke = br#"{"eventType":"INVOKE","deadlineMs":1614115570609,"requestId":"dcaba70b","invokedFunctionArn":"arn","tracing":{"type":"X-Amzn-Trace-Id","value":"Root=1"}}"#;
        assert_eq!(
            parse_event(invoke).unwrap(),
            NextEvent::Invoke {
                request_id: "dcaba70b".into(),
                deadline_ms: 1614115570609
            }
        );
        let shutdown =
            br#"{"eventType":"SHUTDOWN","shutdownReason":"spindown","deadlineMs":1614115572609.0}"#;
        assert_eq!(
            parse_event(shutdown).unwrap(),
            NextEvent::Shutdown {
                reason: "spindown".into(),
                deadline_ms: 1614115572609
            }
        );
    }

    #[test]
    fn rejects_unknown_events_and_garbage() {
        assert!(parse_event(br#"{"eventType":"RESTORE"}"#).is_err());
        assert!(parse_event(b"not json").is_err());
    }
}
