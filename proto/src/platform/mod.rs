//! Platform events → the platform metrics of docs/metrics.md.
//!
//! [`Platform`] keeps the little state that metrics spanning several events need: which
//! requests already counted as out of memory, the `runtimeDone` duration of recent requests
//! (for the post-runtime duration) and where the init duration came from.
//!
//! Nothing depends on the order of init and invoke events (durable functions may send
//! `platform.initStart` after the first invoke), and per-request facts are matched by
//! request id, so concurrent invocations (Lambda Managed Instances, docs/lmi.md) interleave
//! freely.

pub mod metrics;
mod oom;
mod recent;

pub use oom::{is_oom_log, OOM_ERROR_TYPE};
pub use recent::Recent;

use crate::model::Point;
use crate::telemetry::{span_duration_ms, Body, Event, RecordRef, Report, RuntimeDone};
use metrics::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    X86_64,
    Arm64,
}

impl Arch {
    /// The architecture this code was compiled for.
    pub fn host() -> Arch {
        if cfg!(target_arch = "aarch64") {
            Arch::Arm64
        } else {
            Arch::X86_64
        }
    }

    /// On-demand duration price in USD per GB-second (first tier, us-east-1).
    pub fn price_per_gb_second(self) -> f64 {
        match self {
            Arch::X86_64 => 0.000_016_666_7,
            Arch::Arm64 => 0.000_013_333_4,
        }
    }
}

/// `initializationType` of Lambda Managed Instances.
pub const MANAGED_INSTANCES: &str = "lambda-managed-instances";

/// The spans of `runtimeDone` (or, without one, of the thin `report`) that time the response.
const RESPONSE_SPANS: [(&str, Metric); 2] = [
    ("responseLatency", RESPONSE_LATENCY),
    ("responseDuration", RESPONSE_DURATION),
];

/// Price of one request in USD, on both architectures.
pub const PRICE_PER_REQUEST: f64 = 0.000_000_2;

#[derive(Debug, Clone)]
pub struct PlatformConfig {
    pub arch: Arch,
    /// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`, when known; used when a report lacks `memorySizeMB`.
    pub memory_size_mb: Option<u64>,
}

/// Where the init duration of this execution environment was taken from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InitSource {
    InitReport,
    Report,
}

/// Per-environment state needed to derive metrics from several events (OOM once per request,
/// post-runtime duration from `runtimeDone` and `report`).
#[derive(Debug)]
pub struct Platform {
    config: PlatformConfig,
    coldstart_counted: bool,
    init_source: Option<InitSource>,
    /// `runtimeDone.metrics.durationMs` of recent requests (`None` when it had no metrics).
    runtime_done: Recent<Option<f64>>,
    oom: oom::OomTracker,
    /// The request of the latest `platform.start`: text log lines, which carry no request
    /// id, belong to it.
    current_request: String,
}

impl Platform {
    pub fn new(config: PlatformConfig) -> Self {
        Platform {
            config,
            coldstart_counted: false,
            init_source: None,
            runtime_done: Recent::default(),
            oom: oom::OomTracker::default(),
            current_request: String::new(),
        }
    }

    /// Appends the platform metrics that `event` yields.
    /// What a `function` log record tells: whether the runtime ran out of memory.
    pub fn on_function_record(&mut self, record: RecordRef<'_>, t: u64, out: &mut Vec<Point>) {
        if is_oom_log(record) {
            match oom::log_request_id(record) {
                Some(request) => self.count_oom(&request, t, out),
                None => {
                    // A line before any `platform.start` is from init: key "".
                    let request = std::mem::take(&mut self.current_request);
                    self.count_oom(&request, t, out);
                    self.current_request = request;
                }
            }
        }
    }

    pub fn on_event(&mut self, event: &Event, out: &mut Vec<Point>) {
        let t = event.time_unix_nano;
        match &event.body {
            Body::InitStart(init) => {
                // A suppressed init is started again during the first invoke (phase
                // `invoke`); it is still the same cold start of this environment. An
                // environment of Lambda Managed Instances is initialized before any request
                // is routed to it: no request waits for its init, so it is no cold start.
                let managed = init.initialization_type.as_deref() == Some(MANAGED_INSTANCES);
                if !self.coldstart_counted && !managed {
                    self.coldstart_counted = true;
                    COLDSTARTS.emit(1.0, t, out);
                }
            }
            Body::InitReport(init) => {
                // Each init attempt is reported, but never again after a `report` already
                // supplied `initDurationMs` for this environment.
                if self.init_source != Some(InitSource::Report) {
                    self.init_source = Some(InitSource::InitReport);
                    INIT_DURATION.emit_ms(init.metrics.duration_ms, t, out);
                }
            }
            Body::Start(start) => {
                self.current_request.clone_from(&start.request_id);
            }
            Body::RuntimeDone(done) => self.on_runtime_done(done, t, out),
            Body::Report(report) => self.on_report(report, t, out),
            Body::RestoreReport(restore) => {
                RESTORE_DURATION.emit_ms(restore.metrics.duration_ms, t, out);
            }
            Body::LogsDropped(dropped) => LOGS_DROPPED.emit(dropped.dropped_records, t, out),
            Body::Function(record) => self.on_function_record(record.as_ref(), t, out),
            Body::Extension(_)
            | Body::InitRuntimeDone(_)
            | Body::RestoreStart(_)
            | Body::RestoreRuntimeDone(_)
            | Body::PlatformExtension(_)
            | Body::TelemetrySubscription(_) => {}
        }
    }

    fn on_runtime_done(&mut self, done: &RuntimeDone, t: u64, out: &mut Vec<Point>) {
        count_status(&done.status, t, out);
        let metrics = done.metrics.as_ref();
        let duration_ms = metrics.and_then(|m| m.duration_ms);
        INVOKE_DURATION.emit_ms(duration_ms, t, out);
        if let Some(bytes) = metrics.and_then(|m| m.produced_bytes) {
            PRODUCED_BYTES.emit(bytes, t, out);
        }
        for (span, metric) in RESPONSE_SPANS {
            metric.emit_ms(span_duration_ms(&done.spans, span), t, out);
        }
        RUNTIME_OVERHEAD.emit_ms(span_duration_ms(&done.spans, "runtimeOverhead"), t, out);
        if done.error_type.as_deref() == Some(OOM_ERROR_TYPE) {
            self.count_oom(&done.request_id, t, out);
        }
        self.runtime_done.insert(&done.request_id, duration_ms);
    }

    fn on_report(&mut self, report: &Report, t: u64, out: &mut Vec<Point>) {
        let m = &report.metrics;
        let runtime_done = self.runtime_done.remove(&report.request_id);
        if runtime_done.is_none() {
            // No `runtimeDone` was seen for this request (Lambda Managed Instances send
            // none): the report has the outcome, the response spans, and the duration of
            // the function's work (no freeze, no post-runtime phase there).
            count_status(&report.status, t, out);
            INVOKE_DURATION.emit_ms(m.duration_ms, t, out);
            for (span, metric) in RESPONSE_SPANS {
                metric.emit_ms(span_duration_ms(&report.spans, span), t, out);
            }
        }
        DURATION.emit_ms(m.duration_ms, t, out);
        BILLED_DURATION.emit_ms(m.billed_duration_ms, t, out);
        if let Some(used) = m.max_memory_used_mb {
            MEM_USAGE.emit(used * BYTES_PER_MB, t, out);
        }
        if m.init_duration_ms.is_some() && self.init_source.is_none() {
            self.init_source = Some(InitSource::Report);
            INIT_DURATION.emit_ms(m.init_duration_ms, t, out);
        }

        let post_runtime_ms = span_duration_ms(&report.spans, "extensionOverhead").or_else(|| {
            let runtime_ms = runtime_done.flatten()?;
            Some((m.duration_ms? - runtime_ms).max(0.0))
        });
        POST_RUNTIME_DURATION.emit_ms(post_runtime_ms, t, out);

        let memory_size_mb = m
            .memory_size_mb
            .or(self.config.memory_size_mb.map(|mb| mb as f64));
        if let (Some(billed_ms), Some(size_mb)) = (m.billed_duration_ms, memory_size_mb) {
            let gb_seconds = billed_ms / 1000.0 * (size_mb / 1024.0);
            let cost = PRICE_PER_REQUEST + gb_seconds * self.config.arch.price_per_gb_second();
            ESTIMATED_COST.emit(cost, t, out);
        }

        let at_limit = matches!((m.max_memory_used_mb, memory_size_mb),
            (Some(used), Some(size)) if size > 0.0 && used >= size);
        if at_limit || report.error_type.as_deref() == Some(OOM_ERROR_TYPE) {
            self.count_oom(&report.request_id, t, out);
        }
    }

    fn count_oom(&mut self, request_id: &str, t: u64, out: &mut Vec<Point>) {
        if self.oom.first_for(request_id) {
            OUT_OF_MEMORY.emit(1.0, t, out);
        }
    }
}

/// `faas.invocations` counts successes only; errors and timeouts have their own sums.
fn count_status(status: &str, t: u64, out: &mut Vec<Point>) {
    let metric = match status {
        "success" => INVOCATIONS,
        "error" | "failure" => ERRORS,
        "timeout" => TIMEOUTS,
        _ => return,
    };
    metric.emit(1.0, t, out);
}
