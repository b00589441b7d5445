//! The Extensions API: register (name checked against the file name, `accountId` feature),
//! `event/next` long polls, init and exit errors.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use http::{Method, StatusCode};
use serde_json::json;
use tokio::sync::oneshot;

use super::server::{error_reply, reply, ApiConfig, ApiRequest, Reply};
use super::state::Shared;

pub async fn handle(shared: &Shared, config: &ApiConfig, req: &ApiRequest, rest: &str) -> Reply {
    match (&req.method, rest) {
        (&Method::POST, "register") => register(shared, config, req),
        (&Method::GET, "event/next") => next(shared, req).await,
        (&Method::POST, "init/error") | (&Method::POST, "exit/error") => {
            let Some(id) = req.header("lambda-extension-identifier") else {
                return error_reply(StatusCode::FORBIDDEN, "Extension.MissingIdentifier", "");
            };
            let error_type = req
                .header("lambda-extension-function-error-type")
                .unwrap_or("")
                .to_owned();
            let init = rest == "init/error";
            let known = shared.update(|s| match s.extension_by_id(id) {
                Some((_, ext)) => {
                    if init {
                        ext.init_error = Some(error_type);
                    } else {
                        ext.exit_error = Some(error_type);
                    }
                    true
                }
                None => false,
            });
            if !known {
                return error_reply(
                    StatusCode::FORBIDDEN,
                    "Extension.UnknownExtensionIdentifier",
                    id,
                );
            }
            reply(StatusCode::ACCEPTED, r#"{"status":"OK"}"#)
        }
        _ => error_reply(StatusCode::NOT_FOUND, "NotFound", rest),
    }
}

fn new_identifier() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(1);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!(
        "0e5b6c4a-{:04x}-4000-8000-{:012x}",
        std::process::id() & 0xffff,
        n
    )
}

fn register(shared: &Shared, config: &ApiConfig, req: &ApiRequest) -> Reply {
    let name = req.header("lambda-extension-name").unwrap_or("").to_owned();
    let events: Vec<String> = serde_json::from_slice::<serde_json::Value>(&req.body)
        .ok()
        .and_then(|v| v["events"].as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|e| e.as_str().map(str::to_owned))
        .collect();
    if events.iter().any(|e| e != "INVOKE" && e != "SHUTDOWN") {
        return error_reply(
            StatusCode::BAD_REQUEST,
            "InvalidEventType",
            &format!("{events:?}"),
        );
    }
    if config.managed && events.iter().any(|e| e == "INVOKE") {
        // As Lambda Managed Instances answer it; the refusal fails the function's init.
        let message = "INVOKE: ErrorInvalidEventType";
        shared.update(|s| {
            if let Some(ext) = s.extensions.iter_mut().find(|e| e.name == name) {
                ext.register_error = Some(message.to_owned());
            }
        });
        return error_reply(StatusCode::FORBIDDEN, "Extension.InvalidEventType", message);
    }
    let id = new_identifier();
    let registered = shared.update(|s| {
        let ext = s
            .extensions
            .iter_mut()
            .find(|e| e.name == name && e.id.is_none())?;
        ext.id = Some(id.clone());
        ext.events = events;
        Some(())
    });
    if registered.is_none() {
        // Lambda answers 403 when the name is not the file name in /opt/extensions.
        let message = format!("extension name {name:?} is not a file in /opt/extensions");
        return error_reply(
            StatusCode::FORBIDDEN,
            "Extension.InvalidExtensionName",
            &message,
        );
    }
    let mut body = json!({
        "functionName": config.function_name,
        "functionVersion": config.function_version,
        "handler": config.handler,
    });
    let features = req.header("lambda-extension-accept-feature").unwrap_or("");
    if features.split(',').any(|f| f.trim() == "accountId") {
        body["accountId"] = json!(config.account_id);
    }
    let mut response = reply(StatusCode::OK, body.to_string());
    response
        .headers_mut()
        .insert("lambda-extension-identifier", id.parse().expect("ascii id"));
    response
}

async fn next(shared: &Shared, req: &ApiRequest) -> Reply {
    let Some(id) = req.header("lambda-extension-identifier") else {
        return error_reply(StatusCode::FORBIDDEN, "Extension.MissingIdentifier", "");
    };
    let (tx, rx) = oneshot::channel();
    let found = shared.update(|s| {
        let (_, ext) = s.extension_by_id(id)?;
        let now = Instant::now();
        ext.first_next.get_or_insert(now);
        ext.last_next = Some(now);
        if let Some(event) = ext.pending.pop_front() {
            return Some(Some(event));
        }
        ext.waiting = true;
        ext.waiter = Some(tx);
        ext.parked.push((now, None));
        Some(None)
    });
    let event = match found {
        None => {
            return error_reply(
                StatusCode::FORBIDDEN,
                "Extension.UnknownExtensionIdentifier",
                id,
            )
        }
        Some(Some(event)) => event,
        Some(None) => match rx.await {
            Ok(event) => event,
            Err(_) => return error_reply(StatusCode::GONE, "SandboxGone", "shutting down"),
        },
    };
    let mut response = reply(StatusCode::OK, event.to_string());
    response.headers_mut().insert(
        "lambda-extension-event-identifier",
        new_identifier().parse().expect("ascii id"),
    );
    response
}
