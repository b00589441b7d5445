//! A scripted Extensions API for lifecycle tests: it records registration and the
//! Telemetry subscription, and hands every `/next` call to the test, which answers it
//! when the scenario says so. The extension itself runs on its own thread and runtime,
//! exactly as `main` runs it.

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};

#[derive(Default)]
pub struct State {
    pub registered_as: Option<String>,
    pub accept_feature: Option<String>,
    pub subscription: Option<serde_json::Value>,
    /// The schema version of every subscription request, in order.
    pub schemas: Vec<String>,
    /// Subscriptions with this schema version are answered 400.
    pub refused_schema: Option<&'static str>,
    /// The `events` of the registration.
    pub registered_events: Option<serde_json::Value>,
    pub next_calls: usize,
    pub register_status: Option<u16>,
    pub subscribe_status: Option<u16>,
}

pub struct FakeApi {
    pub addr: SocketAddr,
    pub state: Arc<Mutex<State>>,
    nexts: mpsc::UnboundedReceiver<oneshot::Sender<String>>,
}

impl FakeApi {
    /// `register_status`/`subscribe_status` override the normal 200 answers.
    pub async fn start(register_status: Option<u16>, subscribe_status: Option<u16>) -> FakeApi {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State {
            register_status,
            subscribe_status,
            ..State::default()
        }));
        let (tx, nexts) = mpsc::unbounded_channel();
        let server_state = state.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let state = server_state.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request| {
                        let state = state.clone();
                        let tx = tx.clone();
                        async move { Ok::<_, Infallible>(handle(request, state, tx).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        FakeApi { addr, state, nexts }
    }

    /// Waits for the extension's next `/next` call; answer it through the returned sender.
    pub async fn next_called(&mut self) -> oneshot::Sender<String> {
        tokio::time::timeout(Duration::from_secs(20), self.nexts.recv())
            .await
            .expect("the extension did not call /next in time")
            .expect("fake API stopped")
    }

    /// Whether a `/next` call is already waiting (without waiting for one).
    pub fn next_pending(&mut self) -> bool {
        !self.nexts.is_empty()
    }

    pub fn telemetry_port(&self) -> u16 {
        let state = self.state.lock().unwrap();
        let uri = state.subscription.as_ref().expect("not subscribed")["destination"]["URI"]
            .as_str()
            .unwrap()
            .to_string();
        uri.trim_end_matches('/')
            .rsplit(':')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    }
}

async fn handle(
    request: Request<Incoming>,
    state: Arc<Mutex<State>>,
    nexts: mpsc::UnboundedSender<oneshot::Sender<String>>,
) -> Response<Full<Bytes>> {
    let path = request.uri().path().to_string();
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let (name, feature, id) = (
        header("Lambda-Extension-Name"),
        header("Lambda-Extension-Accept-Feature"),
        header("Lambda-Extension-Identifier"),
    );
    let body = request.into_body().collect().await.unwrap().to_bytes();
    match path.as_str() {
        "/2020-01-01/extension/register" => {
            let mut s = state.lock().unwrap();
            if let Some(status) = s.register_status {
                return answer(status, "{}");
            }
            s.registered_as = name;
            s.accept_feature = feature;
            s.registered_events = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .map(|b| b["events"].clone());
            let mut response = answer(
                200,
                r#"{"functionName":"f","functionVersion":"$LATEST","handler":"h","accountId":"123456789012"}"#,
            );
            response
                .headers_mut()
                .insert("Lambda-Extension-Identifier", "ext-1".parse().unwrap());
            response
        }
        "/2022-07-01/telemetry" => {
            let mut s = state.lock().unwrap();
            assert_eq!(id.as_deref(), Some("ext-1"));
            let subscription: serde_json::Value = serde_json::from_slice(&body).unwrap();
            let schema = subscription["schemaVersion"].as_str().unwrap().to_string();
            s.schemas.push(schema.clone());
            if s.refused_schema == Some(schema.as_str()) {
                return answer(400, r#"{"errorType":"ValidationError"}"#);
            }
            s.subscription = Some(subscription);
            answer(s.subscribe_status.unwrap_or(200), "\"OK\"")
        }
        "/2020-01-01/extension/event/next" => {
            assert_eq!(id.as_deref(), Some("ext-1"));
            state.lock().unwrap().next_calls += 1;
            let (tx, rx) = oneshot::channel();
            if nexts.send(tx).is_err() {
                return answer(500, "{}");
            }
            match rx.await {
                Ok(event) => answer(200, &event),
                Err(_) => answer(500, "{}"),
            }
        }
        _ => answer(404, "{}"),
    }
}

fn answer(status: u16, body: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = StatusCode::from_u16(status).unwrap();
    response
}

fn epoch_ms_in(d: Duration) -> u128 {
    (SystemTime::now() + d)
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
}

pub fn invoke(request_id: &str, timeout: Duration) -> String {
    format!(
        r#"{{"eventType":"INVOKE","deadlineMs":{},"requestId":"{request_id}","invokedFunctionArn":"arn:aws:lambda:eu-west-1:123456789012:function:f","tracing":{{"type":"X-Amzn-Trace-Id","value":"Root=1"}}}}"#,
        epoch_ms_in(timeout)
    )
}

pub fn shutdown(budget: Duration) -> String {
    format!(
        r#"{{"eventType":"SHUTDOWN","shutdownReason":"spindown","deadlineMs":{}}}"#,
        epoch_ms_in(budget)
    )
}

/// RFC 3339 time of now, for Telemetry API envelopes.
pub fn now_rfc3339() -> String {
    let ms = epoch_ms_in(Duration::ZERO) as u64;
    let (secs, millis) = (ms / 1000, ms % 1000);
    let days = secs / 86_400;
    let rem = secs % 86_400;
    // Civil date from days since the epoch (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// POSTs a Telemetry API batch to the extension's listener like Lambda does; returns the
/// status code.
pub async fn deliver(port: u16, events: &[String]) -> u16 {
    let body = format!("[{}]", events.join(","));
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: sandbox.localdomain:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer)
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

pub fn event(kind: &str, record: &str) -> String {
    format!(
        r#"{{"time":"{}","type":"{kind}","record":{record}}}"#,
        now_rfc3339()
    )
}

pub fn runtime_done(request_id: &str) -> String {
    event(
        "platform.runtimeDone",
        &format!(
            r#"{{"requestId":"{request_id}","status":"success","metrics":{{"durationMs":12.5,"producedBytes":10}}}}"#
        ),
    )
}

pub fn report(request_id: &str) -> String {
    event(
        "platform.report",
        &format!(
            r#"{{"requestId":"{request_id}","status":"success","metrics":{{"durationMs":13.0,"billedDurationMs":14,"memorySizeMB":128,"maxMemoryUsedMB":60}}}}"#
        ),
    )
}

pub fn line(text: &str) -> String {
    event("function", &serde_json::to_string(text).unwrap())
}

/// Runs the extension on its own thread with `vars` as its whole environment.
pub fn spawn_extension(vars: &[(&str, &str)]) -> std::thread::JoinHandle<()> {
    let env: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let lookup = move |name: &str| env.get(name).cloned();
        runtime.block_on(metricline::lifecycle::run(&lookup, "metricline"));
    })
}

/// Waits for the extension thread to end (it must, after SHUTDOWN).
pub async fn ended(handle: std::thread::JoinHandle<()>) {
    tokio::time::timeout(
        Duration::from_secs(20),
        tokio::task::spawn_blocking(move || handle.join().unwrap()),
    )
    .await
    .expect("the extension did not exit")
    .unwrap();
}
