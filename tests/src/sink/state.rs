//! What the sink remembers and how one request is admitted: attempt counting, queued
//! faults, latency, recording and waking the waiters.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;

use super::points::{flatten, ReceivedPoint};
use super::signals::SignalRequest;

/// How a request reached the sink.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    Grpc,
    HttpProtobuf,
    HttpJson,
}

/// One accepted request.
#[derive(Debug, Clone)]
pub struct Received {
    pub protocol: Protocol,
    pub gzip: bool,
    /// Request headers (gRPC: the metadata), names lowercase.
    pub headers: Vec<(String, String)>,
    pub request: ExportMetricsServiceRequest,
}

impl Received {
    /// The first value of a header, by lowercase name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A failure the sink answers instead of accepting a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// HTTP 503 / gRPC UNAVAILABLE: retryable.
    Unavailable,
    /// HTTP 400 / gRPC INVALID_ARGUMENT: not retryable.
    BadRequest,
    /// HTTP 429 with `Retry-After: <secs>` / gRPC RESOURCE_EXHAUSTED with a RetryInfo
    /// detail of `<secs>` (the OTLP spec's retryable throttling answer).
    RetryAfter(u64),
    /// Accepted and recorded, answered with `partial_success.rejected_data_points`.
    PartialSuccess { rejected: i64 },
}

/// What the protocol front end answers.
pub(crate) enum Answer {
    Accepted,
    Partial { rejected: i64 },
    Fault(Fault),
}

#[derive(Default)]
pub(crate) struct Inner {
    pub requests: Vec<Received>,
    /// Accepted traces and logs requests, in arrival order.
    pub signal_requests: Vec<SignalRequest>,
    /// The points of `requests[..flattened]`: flattened when a test reads them, not while
    /// the exporter waits for its answer, so the sink answers as fast as a collector.
    points: Vec<ReceivedPoint>,
    flattened: usize,
    pub attempts: usize,
    pub faults: VecDeque<Fault>,
    pub latency: Duration,
    pub decode_errors: Vec<String>,
    /// Every request, failed ones included: when its handling began and when its answer
    /// was ready (`None`: not yet).
    pub exchanges: Vec<(Instant, Option<Instant>)>,
}

impl Inner {
    /// Every data point of every accepted request, in arrival order.
    pub fn points(&mut self) -> &[ReceivedPoint] {
        for received in &self.requests[self.flattened..] {
            self.points.extend(flatten(&received.request));
        }
        self.flattened = self.requests.len();
        &self.points
    }
}

#[derive(Default)]
pub(crate) struct Shared {
    inner: Mutex<Inner>,
    changed: Condvar,
}

impl Shared {
    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        // A test that panicked while holding the lock must not hide the data from others.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts an attempt and takes the fault it gets, if any; returns the latency to apply.
    pub fn admit(&self) -> (Option<Fault>, Duration) {
        let mut inner = self.lock();
        inner.attempts += 1;
        let fault = inner.faults.pop_front();
        let latency = inner.latency;
        drop(inner);
        self.changed.notify_all();
        (fault, latency)
    }

    /// Records a request the sink accepts (with or without partial success).
    pub fn record(&self, received: Received) {
        let mut inner = self.lock();
        inner.requests.push(received);
        drop(inner);
        self.changed.notify_all();
    }

    /// Notes a request's arrival; returns its index for [`Shared::answered`].
    pub fn arrived(&self) -> usize {
        let mut inner = self.lock();
        inner.exchanges.push((Instant::now(), None));
        inner.exchanges.len() - 1
    }

    /// Notes that the answer to request `index` goes out now.
    pub fn answered(&self, index: usize) {
        self.lock().exchanges[index].1 = Some(Instant::now());
    }

    pub fn decode_error(&self, reason: String) {
        self.lock().decode_errors.push(reason);
        self.changed.notify_all();
    }

    /// Runs the admission, the latency and the recording for one decoded request.
    pub async fn handle(&self, received: Received) -> Answer {
        let (fault, latency) = self.admit();
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        match fault {
            Some(Fault::PartialSuccess { rejected }) => {
                self.record(received);
                Answer::Partial { rejected }
            }
            Some(fault) => Answer::Fault(fault),
            None => {
                self.record(received);
                Answer::Accepted
            }
        }
    }

    /// [`Shared::handle`] for a traces or logs request.
    pub async fn handle_signal(&self, request: SignalRequest) -> Answer {
        let (fault, latency) = self.admit();
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        match fault {
            // A partial success is answered as a full one: tests of traces and logs do
            // not script it.
            None | Some(Fault::PartialSuccess { .. }) => {
                self.lock().signal_requests.push(request);
                self.changed.notify_all();
                Answer::Accepted
            }
            Some(fault) => Answer::Fault(fault),
        }
    }

    pub fn wait(&self, timeout: Duration, cond: impl Fn(&mut Inner) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        let mut inner = self.lock();
        loop {
            if cond(&mut inner) {
                return true;
            }
            let Some(left) = super::remaining(deadline) else {
                return false;
            };
            inner = self
                .changed
                .wait_timeout(inner, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}
