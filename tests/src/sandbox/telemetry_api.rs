//! The Telemetry API subscription: validates the request like Lambda (schema, types,
//! buffering minimums, HTTP destination) and starts a delivery task for the subscriber.

use http::StatusCode;
use serde_json::Value;
use tokio::sync::mpsc;

use super::delivery::{self, Buffering};
use super::server::{error_reply, reply, ApiConfig, ApiRequest, Reply};
use super::state::{Delivery, Shared, Subscriber};

const SCHEMAS: [&str; 3] = ["2022-07-01", "2022-12-13", "2025-01-29"];
const TYPES: [&str; 3] = ["platform", "function", "extension"];

fn invalid(message: &str) -> Reply {
    error_reply(StatusCode::BAD_REQUEST, "ValidationError", message)
}

/// Reads an integer setting within Lambda's bounds, with its default.
fn bounded(buffering: &Value, key: &str, min: u64, max: u64, default: u64) -> Result<u64, String> {
    match &buffering[key] {
        Value::Null => Ok(default),
        v => match v.as_u64() {
            Some(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(format!(
                "buffering.{key} must be an integer in {min}..={max}, got {v}"
            )),
        },
    }
}

/// Lambda Managed Instances accept only this schema version.
const MANAGED_SCHEMA: &str = "2025-01-29";

/// Subscribes, and records the schema version asked for with the answer's status.
pub fn subscribe(shared: &std::sync::Arc<Shared>, config: &ApiConfig, req: &ApiRequest) -> Reply {
    let answer = subscribe_checked(shared, config, req);
    let schema = serde_json::from_slice::<Value>(&req.body)
        .ok()
        .and_then(|b| b["schemaVersion"].as_str().map(str::to_owned))
        .unwrap_or_default();
    shared.update(|s| s.subscriptions.push((schema, answer.status().as_u16())));
    answer
}

fn subscribe_checked(
    shared: &std::sync::Arc<Shared>,
    config: &ApiConfig,
    req: &ApiRequest,
) -> Reply {
    if !config.telemetry_api {
        // Local emulators answer 202 and never deliver anything.
        return reply(StatusCode::ACCEPTED, r#""Telemetry API is not supported""#);
    }
    let Some(id) = req.header("lambda-extension-identifier").map(str::to_owned) else {
        return error_reply(StatusCode::FORBIDDEN, "Extension.MissingIdentifier", "");
    };
    let Ok(body) = serde_json::from_slice::<Value>(&req.body) else {
        return invalid("body is not JSON");
    };
    let schema = body["schemaVersion"].as_str().unwrap_or("");
    let known = if config.managed {
        schema == MANAGED_SCHEMA
    } else {
        SCHEMAS.contains(&schema)
    };
    if !known || config.refused_schemas.iter().any(|r| r == schema) {
        return invalid(&format!(
            "unsupported schemaVersion {}",
            body["schemaVersion"]
        ));
    }
    let Some(types) = body["types"].as_array() else {
        return invalid("types must be an array");
    };
    let types: Vec<String> = types
        .iter()
        .filter_map(|t| t.as_str().map(str::to_owned))
        .collect();
    if types.is_empty() || types.iter().any(|t| !TYPES.contains(&t.as_str())) {
        return invalid(&format!("types must be among {TYPES:?}"));
    }
    let b = &body["buffering"];
    let buffering = match (|| {
        Ok::<_, String>(Buffering {
            max_items: bounded(b, "maxItems", 1000, 10_000, 10_000)? as usize,
            max_bytes: bounded(b, "maxBytes", 262_144, 1_048_576, 262_144)? as usize,
            timeout_ms: bounded(b, "timeoutMs", 25, 30_000, 1000)?,
        })
    })() {
        Ok(buffering) => buffering,
        Err(message) => return invalid(&message),
    };
    let destination = &body["destination"];
    if destination["protocol"].as_str() != Some("HTTP") {
        return invalid("destination.protocol must be HTTP");
    }
    let Some(uri) = destination["URI"].as_str() else {
        return invalid("destination.URI is missing");
    };
    let Some((authority, path)) = delivery::target(uri) else {
        return invalid(&format!(
            "destination.URI {uri:?} is not http://host:port/path"
        ));
    };
    let (queue, rx) = mpsc::unbounded_channel();
    let index = shared.update(|s| {
        let (index, _) = s.extension_by_id(&id)?;
        let subscriber = Subscriber {
            types: types.clone(),
            queue,
        };
        // Events since init started are delivered too, as Lambda does.
        for event in &s.events {
            if subscriber.wants(event["type"].as_str().unwrap_or("")) {
                let _ = subscriber.queue.send(Delivery::Event(event.clone()));
            }
        }
        s.subscribers.push(subscriber);
        Some(index)
    });
    let Some(index) = index else {
        return error_reply(
            StatusCode::FORBIDDEN,
            "Extension.UnknownExtensionIdentifier",
            &id,
        );
    };
    tokio::spawn(delivery::run(
        shared.clone(),
        index,
        authority,
        path,
        buffering,
        rx,
    ));
    reply(StatusCode::OK, r#""OK""#)
}
