//! One invoke in Lambda's order: thaw, `start`, INVOKE to the extensions and the runtime,
//! the function's records, `runtimeDone`, the extensions' `/next`, `report`, freeze.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use serde_json::json;

use super::events::{self, ReportFacts, RuntimeFacts};
use super::process;
use super::runtime_api;
use super::state::{Answer, RuntimeInvoke};
use super::Sandbox;

/// How the function's part of an invoke ended (the `runtimeDone` status).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvokeStatus {
    Success,
    Error,
    Timeout,
}

#[derive(Debug, Clone)]
pub struct InvokeResult {
    pub request_id: String,
    pub status: InvokeStatus,
    /// The response body, for a success.
    pub response: Option<String>,
    /// The error type, for an error or a timeout.
    pub error_type: Option<String>,
    /// The body the runtime posted with an error (errorMessage, errorType, stackTrace).
    pub error_body: Option<String>,
    /// Invoke start → runtime's answer (the `runtimeDone` duration).
    pub duration: Duration,
    /// Per extension, the longest time from `runtimeDone` delivered (or emitted, for an
    /// extension without a subscription) to its `/next`.
    pub post_runtime: Duration,
    /// `runtimeDone` emitted → every extension in `/next` (the `extensionOverhead` span).
    pub extension_overhead: Duration,
    /// Every extension called `/next` before the sandbox gave up waiting.
    pub extensions_ready: bool,
}

pub(super) fn new_request_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(1);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .subsec_nanos();
    format!(
        "{:08x}-{:04x}-4{:03x}-8000-{:012x}",
        nanos,
        std::process::id() & 0xffff,
        n & 0xfff,
        n
    )
}

impl InvokeStatus {
    /// The status as the platform writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            InvokeStatus::Success => "success",
            InvokeStatus::Error => "error",
            InvokeStatus::Timeout => "timeout",
        }
    }
}

/// Status, error type and response of an answered invoke; Python's `MemoryError` is what
/// Lambda reports as `Runtime.OutOfMemory`.
pub(super) fn outcome(answer: &Answer) -> (InvokeStatus, Option<String>, Option<String>) {
    match answer {
        Answer::Response(body) => (InvokeStatus::Success, None, Some(body.clone())),
        Answer::Error { error_type, .. } if error_type == "MemoryError" => (
            InvokeStatus::Error,
            Some("Runtime.OutOfMemory".to_owned()),
            None,
        ),
        Answer::Error { error_type, .. } => (InvokeStatus::Error, Some(error_type.clone()), None),
    }
}

/// The body the runtime posted with an error.
pub(super) fn error_body(answer: &Answer) -> Option<String> {
    match answer {
        Answer::Error { body, .. } => Some(body.clone()),
        Answer::Response(_) => None,
    }
}

impl Sandbox {
    /// Invokes the function with a JSON payload and returns once the sandbox is frozen again
    /// (on Lambda Managed Instances: once the request has ended).
    pub fn invoke(&mut self, payload: &str) -> InvokeResult {
        if self.settings.managed_workers.is_some() {
            let mut results = self.invoke_concurrently(&[payload]);
            return results.pop().expect("one result per payload");
        }
        self.thaw();
        let request_id = new_request_id();
        let started_at = SystemTime::now();
        let started = Instant::now();
        let deadline = started + self.settings.timeout;
        let deadline_ms = events::epoch_ms(started_at + self.settings.timeout);
        let invoke_event = json!({
            "eventType": "INVOKE",
            "deadlineMs": deadline_ms,
            "requestId": request_id,
            "invokedFunctionArn": format!("arn:aws:lambda:us-east-1:123456789012:function:{}", self.settings.function_name),
            "tracing": { "type": "X-Amzn-Trace-Id", "value": "Root=1-00000000-000000000000000000000000;Sampled=0" },
        });
        let markers_before = self.shared.update(|s| {
            s.current_request_id = request_id.clone();
            s.runtime.answer = None;
            s.emit(events::start(&request_id));
            for ext in s
                .extensions
                .iter_mut()
                .filter(|e| e.alive() && e.wants("INVOKE"))
            {
                ext.send(invoke_event.clone());
            }
            s.markers
        });
        runtime_api::dispatch(
            &self.shared,
            RuntimeInvoke {
                request_id: request_id.clone(),
                deadline_ms,
                payload: payload.to_owned(),
            },
        );
        // The runtime answers, then asks for the next invoke (that is when Lambda emits
        // runtimeDone), or it dies, or the function times out.
        let timeout = deadline.saturating_duration_since(Instant::now());
        self.shared.wait(timeout, |s| {
            let answered = s.runtime.answer.as_ref().is_some_and(|a| a.0 == request_id);
            (answered && s.runtime.waiting) || s.runtime.exit.is_some()
        });
        let (answer, next_at, exited) = {
            let s = self.shared.lock();
            let answer = s.runtime.answer.clone().filter(|a| a.0 == request_id);
            (answer, s.runtime.next_at, s.runtime.exit.is_some())
        };
        if answer.is_some() && !exited {
            // Every line the function wrote before answering precedes runtimeDone.
            self.runtime_flushed(markers_before, Duration::from_secs(2));
        }
        let now = Instant::now();
        let (status, error_type, response, answered_at) = match &answer {
            Some((_, answer, at)) => {
                let (status, error_type, response) = outcome(answer);
                (status, error_type, response, *at)
            }
            None if exited => (
                InvokeStatus::Error,
                Some("Runtime.ExitError".to_owned()),
                None,
                now,
            ),
            None => (
                InvokeStatus::Timeout,
                Some("Sandbox.Timedout".to_owned()),
                None,
                now,
            ),
        };
        let error_body = answer.as_ref().and_then(|(_, a, _)| error_body(a));
        let oom = error_type.as_deref() == Some("Runtime.OutOfMemory");
        let duration = answered_at.saturating_duration_since(started);
        let overhead = next_at
            .filter(|_| answer.is_some())
            .map_or(Duration::ZERO, |n| n.saturating_duration_since(answered_at));
        let status_name = status.as_str();
        let facts = RuntimeFacts {
            request_id: &request_id,
            status: status_name,
            error_type: error_type.as_deref(),
            started: started_at,
            duration,
            response_latency: duration,
            produced_bytes: response.as_ref().map_or(0, |r| r.len()),
            overhead,
        };
        let runtime_done_at = self.shared.update(|s| {
            s.emit(events::runtime_done(&facts));
            Instant::now()
        });
        let memory_used_kb = self.shared.lock().runtime.pid.and_then(process::vm_hwm_kb);
        // Lambda resets the runtime after a timeout or a crash (an error answer keeps the
        // process): it is killed now and replaced after the report.
        let reset = status == InvokeStatus::Timeout || exited;
        if reset {
            self.kill_runtime();
        }
        let wait = self.settings.timeout + Duration::from_secs(10);
        let extensions_ready = self.shared.wait(wait, |s| s.extensions_waiting());
        let all_done = Instant::now();
        let post_runtime = {
            let s = self.shared.lock();
            s.extensions
                .iter()
                .filter(|e| e.wants("INVOKE"))
                .filter_map(|e| {
                    let from = e
                        .runtime_done_delivered
                        .get(&request_id)
                        .copied()
                        .unwrap_or(runtime_done_at);
                    e.last_next.map(|n| n.saturating_duration_since(from))
                })
                .max()
                .unwrap_or_default()
        };
        let extension_overhead = all_done.saturating_duration_since(runtime_done_at);
        let max_memory_used_mb = if oom {
            self.settings.memory_mb
        } else {
            memory_used_kb
                .map_or(1, |kb| kb.div_ceil(1024))
                .min(self.settings.memory_mb)
        };
        let report = ReportFacts {
            runtime: &facts,
            total: duration + extension_overhead,
            memory_size_mb: self.settings.memory_mb,
            max_memory_used_mb,
            init_duration: if self.invokes == 0 {
                self.init_duration
            } else {
                None
            },
            extension_overhead,
        };
        self.shared.update(|s| s.emit(events::report(&report)));
        self.invokes += 1;
        if reset {
            self.respawn_runtime();
        }
        self.freeze();
        InvokeResult {
            request_id,
            status,
            response,
            error_type,
            error_body,
            duration,
            post_runtime,
            extension_overhead,
            extensions_ready,
        }
    }

    fn kill_runtime(&self) {
        let pid = {
            let s = self.shared.lock();
            s.runtime.pid.filter(|_| s.runtime.exit.is_none())
        };
        if let Some(pid) = pid {
            process::signal(pid, libc::SIGKILL);
            self.shared
                .wait(Duration::from_secs(5), |s| s.runtime.exit.is_some());
        }
    }

    /// Starts a new runtime process and waits for its init to reach `/next`.
    fn respawn_runtime(&self) {
        let markers = self.shared.lock().markers;
        if self.spawn_runtime().is_ok() {
            let ready = self.shared.wait(Duration::from_secs(10), |s| {
                s.runtime.waiting || s.runtime.exit.is_some()
            });
            if ready {
                self.runtime_flushed(markers, Duration::from_secs(10));
            }
        }
    }
}
