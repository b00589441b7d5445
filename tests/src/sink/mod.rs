//! An OTLP metrics receiver on loopback (gRPC, HTTP protobuf and HTTP JSON) that records
//! every request, flattens its data points, and injects faults on demand.
//!
//! It runs its own tokio runtime on a background thread, so sync and async tests use it
//! alike; [`Sink::wait_until`] blocks on a condition variable notified per request.

mod grpc;
mod http;
mod points;
mod signals;
mod state;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
pub use points::{attributes_map, flatten, PointKind, ReceivedPoint};
pub use signals::SignalRequest;
pub use state::{Fault, Protocol, Received};

use state::Shared;

/// The running receiver. Dropping it stops the servers.
pub struct Sink {
    shared: Arc<Shared>,
    grpc_addr: SocketAddr,
    http_addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Sink {
    /// Binds 127.0.0.1:0 for gRPC and for HTTP and serves both from a background thread.
    pub fn start() -> Sink {
        let grpc = std::net::TcpListener::bind("127.0.0.1:0").expect("bind gRPC sink");
        let http = std::net::TcpListener::bind("127.0.0.1:0").expect("bind HTTP sink");
        let grpc_addr = grpc.local_addr().expect("gRPC sink address");
        let http_addr = http.local_addr().expect("HTTP sink address");
        grpc.set_nonblocking(true)
            .expect("nonblocking gRPC listener");
        http.set_nonblocking(true)
            .expect("nonblocking HTTP listener");
        let shared = Arc::new(Shared::default());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread_shared = shared.clone();
        std::thread::Builder::new()
            .name("otlp-sink".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("sink runtime");
                runtime.block_on(async move {
                    let grpc = tokio::net::TcpListener::from_std(grpc).expect("gRPC listener");
                    let http = tokio::net::TcpListener::from_std(http).expect("HTTP listener");
                    tokio::spawn(grpc::serve(grpc, thread_shared.clone()));
                    tokio::spawn(http::serve(http, thread_shared));
                    let _ = stopped.await;
                });
            })
            .expect("spawn sink thread");
        Sink {
            shared,
            grpc_addr,
            http_addr,
            stop: Some(stop),
        }
    }

    /// `http://127.0.0.1:PORT` of the gRPC server.
    pub fn grpc_endpoint(&self) -> String {
        format!("http://{}", self.grpc_addr)
    }

    /// `http://127.0.0.1:PORT` of the HTTP server, which serves `POST /v1/metrics`.
    pub fn http_endpoint(&self) -> String {
        format!("http://{}", self.http_addr)
    }

    /// Every accepted request (partial successes included), in arrival order.
    pub fn requests(&self) -> Vec<Received> {
        self.shared.lock().requests.clone()
    }

    /// Every accepted traces request (`POST /v1/traces`), in arrival order.
    pub fn traces(
        &self,
    ) -> Vec<opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest> {
        let inner = self.shared.lock();
        let traces = inner.signal_requests.iter().filter_map(|r| match r {
            SignalRequest::Traces(t) => Some(t.clone()),
            SignalRequest::Logs(_) => None,
        });
        traces.collect()
    }

    /// Every accepted logs request (`POST /v1/logs`), in arrival order.
    pub fn logs(
        &self,
    ) -> Vec<opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest> {
        let inner = self.shared.lock();
        let logs = inner.signal_requests.iter().filter_map(|r| match r {
            SignalRequest::Logs(l) => Some(l.clone()),
            SignalRequest::Traces(_) => None,
        });
        logs.collect()
    }

    /// Blocks until `cond` holds for the accepted traces and logs requests or `timeout`
    /// passes; returns whether it held.
    pub fn wait_for_signals(
        &self,
        timeout: Duration,
        cond: impl Fn(&[SignalRequest]) -> bool,
    ) -> bool {
        self.shared
            .wait(timeout, |inner| cond(&inner.signal_requests))
    }

    /// Every data point of every accepted request, flattened, in arrival order.
    pub fn points(&self) -> Vec<ReceivedPoint> {
        self.shared.lock().points().to_vec()
    }

    /// Points of one metric, in arrival order.
    pub fn points_named(&self, metric: &str) -> Vec<ReceivedPoint> {
        self.shared
            .lock()
            .points()
            .iter()
            .filter(|p| p.metric == metric)
            .cloned()
            .collect()
    }

    /// Blocks until `cond` holds for the received points or `timeout` passes; returns
    /// whether it held. Re-checked on every request the sink answers.
    pub fn wait_until(&self, timeout: Duration, cond: impl Fn(&[ReceivedPoint]) -> bool) -> bool {
        self.shared.wait(timeout, |inner| cond(inner.points()))
    }

    /// Blocks until at least `n` requests (failed ones included) have been seen.
    pub fn wait_for_attempts(&self, timeout: Duration, n: usize) -> bool {
        self.shared.wait(timeout, |inner| inner.attempts >= n)
    }

    /// The next `n` requests are answered with `fault` (queued after faults already set).
    pub fn fail_next(&self, n: usize, fault: Fault) {
        let mut inner = self.shared.lock();
        inner.faults.extend(std::iter::repeat_n(fault, n));
    }

    /// Drops the faults not yet used: the backend has recovered.
    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    /// Every answer is delayed by `d` from now on.
    pub fn set_latency(&self, d: Duration) {
        self.shared.lock().latency = d;
    }

    /// Every request seen, failed ones included.
    pub fn attempts(&self) -> usize {
        self.shared.lock().attempts
    }

    /// Every request seen, failed ones included, in order: when its handling began and when
    /// its answer was ready (`None`: not yet).
    pub fn exchanges(&self) -> Vec<(Instant, Option<Instant>)> {
        self.shared.lock().exchanges.clone()
    }

    /// Bodies the sink could not decode, with the reason (answered 400 / INVALID_ARGUMENT).
    pub fn decode_errors(&self) -> Vec<String> {
        self.shared.lock().decode_errors.clone()
    }

    /// Sum of the values (histogram sums included) of every point of `metric` whose
    /// attributes contain all of `attrs`.
    pub fn total(&self, metric: &str, attrs: &[(&str, &str)]) -> f64 {
        self.matching(metric, attrs).iter().map(|p| p.value).sum()
    }

    /// Total count (1 per sum or gauge point, the histogram count otherwise) of `metric`
    /// points whose attributes contain all of `attrs`.
    pub fn count(&self, metric: &str, attrs: &[(&str, &str)]) -> u64 {
        self.matching(metric, attrs).iter().map(|p| p.count).sum()
    }

    fn matching(&self, metric: &str, attrs: &[(&str, &str)]) -> Vec<ReceivedPoint> {
        self.shared
            .lock()
            .points()
            .iter()
            .filter(|p| p.metric == metric && has_attributes(&p.attributes, attrs))
            .cloned()
            .collect()
    }
}

/// Whether `attributes` contains every pair of `wanted`.
pub fn has_attributes(attributes: &BTreeMap<String, String>, wanted: &[(&str, &str)]) -> bool {
    wanted
        .iter()
        .all(|(k, v)| attributes.get(*k).map(String::as_str) == Some(*v))
}

impl Drop for Sink {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The deadline helper shared by the waits: how long is left until `deadline`.
pub(crate) fn remaining(deadline: Instant) -> Option<Duration> {
    deadline
        .checked_duration_since(Instant::now())
        .filter(|d| !d.is_zero())
}
