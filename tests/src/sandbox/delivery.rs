//! Telemetry delivery to one subscriber: batches by maxItems/maxBytes/timeoutMs, POSTs one
//! batch at a time, redelivers with backoff on a non-2xx answer or a connection error, and
//! never sends to a frozen sandbox.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::sync::mpsc::UnboundedReceiver;

use super::state::{Delivery, Shared};

pub struct Buffering {
    pub max_items: usize,
    pub max_bytes: usize,
    pub timeout_ms: u64,
}

/// `127.0.0.1:port` and the path of a destination URI; `sandbox.localdomain` is loopback.
pub fn target(uri: &str) -> Option<(String, String)> {
    let rest = uri.strip_prefix("http://")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = authority.rsplit_once(':')?;
    let port: u16 = port.parse().ok()?;
    let host = if host == "sandbox.localdomain" {
        "127.0.0.1"
    } else {
        host
    };
    Some((format!("{host}:{port}"), path.to_owned()))
}

/// Collects the next batch: one raw body alone, or events up to the buffering limits.
async fn next_batch(
    rx: &mut UnboundedReceiver<Delivery>,
    held: &mut Option<Delivery>,
    buffering: &Buffering,
) -> Option<(Vec<u8>, Vec<Value>)> {
    let first = match held.take() {
        Some(item) => item,
        None => rx.recv().await?,
    };
    let first = match first {
        Delivery::Raw(body) => return Some((body, Vec::new())),
        Delivery::Event(event) => event,
    };
    let deadline = tokio::time::Instant::now() + Duration::from_millis(buffering.timeout_ms);
    let mut bytes = first.to_string().len();
    let mut events = vec![first];
    while events.len() < buffering.max_items && bytes < buffering.max_bytes {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(Delivery::Event(event))) => {
                bytes += event.to_string().len() + 1;
                events.push(event);
            }
            Ok(Some(raw)) => {
                *held = Some(raw);
                break;
            }
            Ok(None) | Err(_) => break,
        }
    }
    Some((batch_body(&events), events))
}

/// A batch as Lambda writes it: each event's members in its order (`time`, `type`,
/// `record`, then any other), where serde_json's map would sort them by name.
fn batch_body(events: &[Value]) -> Vec<u8> {
    const LAMBDA_ORDER: [&str; 3] = ["time", "type", "record"];
    let mut body = vec![b'['];
    for (i, event) in events.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        let Some(members) = event.as_object() else {
            serde_json::to_writer(&mut body, event).expect("events serialize");
            continue;
        };
        let first = LAMBDA_ORDER
            .iter()
            .filter_map(|&k| members.get_key_value(k));
        let rest = members
            .iter()
            .filter(|(k, _)| !LAMBDA_ORDER.contains(&k.as_str()));
        body.push(b'{');
        for (j, (key, value)) in first.chain(rest).enumerate() {
            if j > 0 {
                body.push(b',');
            }
            serde_json::to_writer(&mut body, key).expect("keys serialize");
            body.push(b':');
            serde_json::to_writer(&mut body, value).expect("events serialize");
        }
        body.push(b'}');
    }
    body.push(b']');
    body
}

async fn connect(authority: &str) -> Option<SendRequest<Full<Bytes>>> {
    let stream = tokio::net::TcpStream::connect(authority).await.ok()?;
    let _ = stream.set_nodelay(true);
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .ok()?;
    tokio::spawn(conn);
    Some(sender)
}

/// One POST; the answer's status code, `None` for a connection failure or no answer.
async fn post(
    sender: &mut Option<SendRequest<Full<Bytes>>>,
    authority: &str,
    path: &str,
    body: &[u8],
) -> Option<u16> {
    if !sender.as_ref().is_some_and(|s| s.is_ready()) {
        *sender = connect(authority).await;
    }
    let s = sender.as_mut()?;
    let request = http::Request::post(format!("http://{authority}{path}"))
        .header("host", authority)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::copy_from_slice(body)))
        .expect("static request parts");
    let answer = tokio::time::timeout(Duration::from_secs(5), async {
        let response = s.send_request(request).await.ok()?;
        let status = response.status();
        let _ = response.into_body().collect().await;
        Some(status.as_u16())
    })
    .await;
    match answer {
        Ok(Some(status)) => Some(status),
        _ => {
            *sender = None;
            None
        }
    }
}

/// Counts this delivery as in flight once the sandbox runs: at once when it is thawed,
/// else at the next thaw, which admits every batch that fell due while frozen in the same
/// step as it thaws, so the freeze after it waits for them however soon it comes.
async fn enter(shared: &Shared) {
    let mut thaws = shared.thaws.subscribe();
    let frozen_since = shared.update(|s| {
        if s.frozen {
            s.due_at_thaw += 1;
            return Some(s.thaws);
        }
        s.in_flight += 1;
        None
    });
    if let Some(seen) = frozen_since {
        let _ = thaws.wait_for(|n| *n > seen).await;
    }
}

pub async fn run(
    shared: Arc<Shared>,
    extension: usize,
    authority: String,
    path: String,
    buffering: Buffering,
    mut rx: UnboundedReceiver<Delivery>,
) {
    let mut held = None;
    let mut sender = None;
    while let Some((body, events)) = next_batch(&mut rx, &mut held, &buffering).await {
        let mut backoff = Duration::from_millis(20);
        loop {
            if !shared.lock().extensions[extension].alive() {
                return;
            }
            enter(&shared).await;
            let status = post(&mut sender, &authority, &path, &body).await;
            let delivered = status.is_some_and(|c| (200..300).contains(&c));
            let now = Instant::now();
            // An injected raw body is a test device: sent once, its answer recorded.
            let injected = events.is_empty();
            shared.update(|s| {
                s.in_flight -= 1;
                if injected {
                    s.injected_answers.push(status);
                }
                if delivered {
                    let ext = &mut s.extensions[extension];
                    for e in events
                        .iter()
                        .filter(|e| e["type"] == "platform.runtimeDone")
                    {
                        let id = e["record"]["requestId"].as_str().unwrap_or("").to_owned();
                        ext.runtime_done_delivered.insert(id, now);
                    }
                }
            });
            if delivered || injected {
                break;
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(1));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn batches_keep_lambdas_member_order() {
        let events = [
            json!({"type": "function", "record": "a", "time": "t", "extra": 1}),
            json!(7),
        ];
        let body = String::from_utf8(batch_body(&events)).unwrap();
        assert_eq!(
            body,
            r#"[{"time":"t","type":"function","record":"a","extra":1},7]"#
        );
        let parsed: Vec<Value> = serde_json::from_str(&body).unwrap();
        assert_eq!(parsed, events);
    }
}
