//! The Runtime API the function's bootstrap talks to: `/next`, response, error, init error.

use std::time::Instant;

use http::{Method, StatusCode};
use tokio::sync::oneshot;

use super::server::{error_reply, reply, ApiConfig, ApiRequest, Reply};
use super::state::{Answer, RuntimeInvoke, Shared};
use super::workers;

pub async fn handle(shared: &Shared, config: &ApiConfig, req: &ApiRequest, rest: &str) -> Reply {
    match (&req.method, rest) {
        (&Method::GET, "invocation/next") if config.managed => workers::next(shared, config).await,
        (&Method::GET, "invocation/next") => next(shared, config).await,
        (&Method::POST, "init/error") => {
            let body = String::from_utf8_lossy(&req.body).into_owned();
            shared.update(|s| s.runtime.init_error = Some(body));
            reply(StatusCode::ACCEPTED, r#"{"status":"OK"}"#)
        }
        (&Method::POST, path) => {
            let Some((id, what)) = path
                .strip_prefix("invocation/")
                .and_then(|p| p.rsplit_once('/'))
            else {
                return error_reply(StatusCode::NOT_FOUND, "NotFound", path);
            };
            let body = String::from_utf8_lossy(&req.body).into_owned();
            let answer = match what {
                "response" => Answer::Response(body),
                "error" => {
                    let from_body = serde_json::from_str::<serde_json::Value>(&body)
                        .ok()
                        .and_then(|v| v["errorType"].as_str().map(str::to_owned));
                    let error_type = req
                        .header("lambda-runtime-function-error-type")
                        .map(str::to_owned)
                        .or(from_body)
                        .unwrap_or_else(|| "Unhandled".into());
                    Answer::Error { error_type, body }
                }
                _ => return error_reply(StatusCode::NOT_FOUND, "NotFound", path),
            };
            shared.update(|s| {
                if config.managed {
                    s.workers
                        .answers
                        .insert(id.to_owned(), (answer, Instant::now()));
                } else {
                    s.runtime.answer = Some((id.to_owned(), answer, Instant::now()));
                }
            });
            reply(StatusCode::ACCEPTED, r#"{"status":"OK"}"#)
        }
        _ => error_reply(StatusCode::NOT_FOUND, "NotFound", rest),
    }
}

async fn next(shared: &Shared, config: &ApiConfig) -> Reply {
    let (tx, rx) = oneshot::channel();
    let ready = shared.update(|s| {
        if let Some(invoke) = s.runtime.pending.take() {
            return Some(invoke);
        }
        s.runtime.waiting = true;
        s.runtime.next_at = Some(Instant::now());
        s.runtime.waiter = Some(tx);
        None
    });
    let invoke = match ready {
        Some(invoke) => invoke,
        // A dropped sender means the sandbox is gone: the runtime is about to be killed.
        None => match rx.await {
            Ok(invoke) => invoke,
            Err(_) => return error_reply(StatusCode::GONE, "SandboxGone", "shutting down"),
        },
    };
    invocation(config, invoke)
}

/// The answer to a runtime's `/next`: the invocation's payload and headers.
pub fn invocation(config: &ApiConfig, invoke: RuntimeInvoke) -> Reply {
    http::Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/json")
        .header("lambda-runtime-aws-request-id", &invoke.request_id)
        .header("lambda-runtime-deadline-ms", invoke.deadline_ms.to_string())
        .header("lambda-runtime-invoked-function-arn", config.function_arn())
        .header(
            "lambda-runtime-trace-id",
            "Root=1-00000000-000000000000000000000000;Sampled=0",
        )
        .body(http_body_util::Full::new(invoke.payload.into()))
        .expect("static response parts")
}

/// Hands an invocation to the runtime's `/next`, now or when it next asks.
pub fn dispatch(shared: &Shared, invoke: RuntimeInvoke) {
    shared.update(|s| match s.runtime.waiter.take() {
        Some(waiter) => {
            s.runtime.waiting = false;
            if let Err(invoke) = waiter.send(invoke) {
                s.runtime.pending = Some(invoke);
            }
        }
        None => s.runtime.pending = Some(invoke),
    });
}
