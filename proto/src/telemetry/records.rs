//! The `record` of every platform event type (schema 2025-01-29, which only adds fields to
//! 2022-12-13, so records of either decode), as typed structs.
//!
//! Numbers are `f64` because the platform's Go code may encode integers as floats; fields
//! that are optional in the schema (or absent on Lambda Managed Instances) are `Option`.
//! Fields we do not know are ignored, so a newer schema still decodes.

use serde::Deserialize;

/// `platform.initStart`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InitStart {
    pub initialization_type: Option<String>,
    /// `init`, or `invoke` for an init that was suppressed and rerun during the first invoke.
    pub phase: Option<String>,
    pub runtime_version: Option<String>,
    pub runtime_version_arn: Option<String>,
    pub function_name: Option<String>,
    pub function_version: Option<String>,
    /// Lambda Managed Instances: the instance running this execution environment...
    pub instance_id: Option<String>,
    /// ...and its memory, in bytes.
    pub instance_max_memory: Option<f64>,
    pub tracing: Option<Tracing>,
}

/// `platform.initRuntimeDone`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InitRuntimeDone {
    pub initialization_type: Option<String>,
    pub phase: Option<String>,
    #[serde(default)]
    pub status: String,
    pub error_type: Option<String>,
    #[serde(default, deserialize_with = "super::spans::lenient")]
    pub spans: Vec<Span>,
    pub tracing: Option<Tracing>,
}

/// `platform.initReport`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InitReport {
    pub initialization_type: Option<String>,
    pub phase: Option<String>,
    #[serde(default)]
    pub status: String,
    pub error_type: Option<String>,
    #[serde(default)]
    pub metrics: DurationMetrics,
    #[serde(default, deserialize_with = "super::spans::lenient")]
    pub spans: Vec<Span>,
    pub tracing: Option<Tracing>,
}

/// `metrics` of the events that only report a duration.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DurationMetrics {
    pub duration_ms: Option<f64>,
}

/// `platform.start`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Start {
    pub request_id: String,
    pub version: Option<String>,
    /// Schema 2025-01-29: the invoked function's ARN.
    pub function_arn: Option<String>,
    pub tracing: Option<Tracing>,
}

/// The `tracing` object of `start`, `runtimeDone` and `report`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tracing {
    pub span_id: Option<String>,
    /// Always `X-Amzn-Trace-Id` today.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub value: Option<String>,
}

/// `platform.runtimeDone`: the runtime finished the invoke and called `/next`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeDone {
    pub request_id: String,
    /// `success`, `error`, `failure` or `timeout`.
    #[serde(default)]
    pub status: String,
    pub error_type: Option<String>,
    pub metrics: Option<RuntimeDoneMetrics>,
    /// `responseLatency`, `responseDuration`, `runtimeOverhead`.
    #[serde(default, deserialize_with = "super::spans::lenient")]
    pub spans: Vec<Span>,
    pub tracing: Option<Tracing>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeDoneMetrics {
    pub duration_ms: Option<f64>,
    pub produced_bytes: Option<f64>,
}

/// `platform.report`: produced once every extension has called `/next` after the invoke; on
/// Lambda Managed Instances, a thin one (duration, response spans, status) as the request
/// ends, with no `runtimeDone` before it.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub request_id: String,
    #[serde(default)]
    pub status: String,
    pub error_type: Option<String>,
    #[serde(default)]
    pub metrics: ReportMetrics,
    /// `extensionOverhead` when extensions are registered; `responseLatency` and
    /// `responseDuration` on Lambda Managed Instances.
    #[serde(default, deserialize_with = "super::spans::lenient")]
    pub spans: Vec<Span>,
    pub tracing: Option<Tracing>,
}

/// `metrics` of `platform.report`; Lambda Managed Instances send only `durationMs`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportMetrics {
    pub duration_ms: Option<f64>,
    pub billed_duration_ms: Option<f64>,
    #[serde(rename = "memorySizeMB")]
    pub memory_size_mb: Option<f64>,
    #[serde(rename = "maxMemoryUsedMB")]
    pub max_memory_used_mb: Option<f64>,
    /// Present on the first report after a cold start.
    pub init_duration_ms: Option<f64>,
    /// Present on the first report after a SnapStart restore.
    pub restore_duration_ms: Option<f64>,
}

/// `platform.restoreStart` (SnapStart).
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RestoreStart {
    pub runtime_version: Option<String>,
    pub runtime_version_arn: Option<String>,
    pub function_name: Option<String>,
    pub function_version: Option<String>,
}

/// `platform.restoreRuntimeDone`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RestoreRuntimeDone {
    #[serde(default)]
    pub status: String,
    pub error_type: Option<String>,
    #[serde(default, deserialize_with = "super::spans::lenient")]
    pub spans: Vec<Span>,
}

/// `platform.restoreReport`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RestoreReport {
    #[serde(default)]
    pub status: String,
    pub error_type: Option<String>,
    #[serde(default)]
    pub metrics: DurationMetrics,
    #[serde(default, deserialize_with = "super::spans::lenient")]
    pub spans: Vec<Span>,
}

/// `platform.extension`: an extension registered.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExtensionState {
    #[serde(default)]
    pub name: String,
    /// `Ready`.
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub events: Vec<String>,
    pub error_type: Option<String>,
}

/// `platform.telemetrySubscription`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TelemetrySubscription {
    #[serde(default)]
    pub name: String,
    /// `Subscribed`.
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub types: Vec<String>,
}

/// `platform.logsDropped`: a subscriber fell behind and the platform dropped records.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogsDropped {
    #[serde(default)]
    pub dropped_records: f64,
    #[serde(default)]
    pub dropped_bytes: f64,
    #[serde(default)]
    pub reason: String,
}

/// One entry of a record's `spans`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Span {
    pub name: String,
    /// RFC 3339, as sent.
    pub start: Option<String>,
    pub duration_ms: f64,
}

/// Finds a span by name, e.g. `extensionOverhead`.
pub fn span_duration_ms(spans: &[Span], name: &str) -> Option<f64> {
    spans.iter().find(|s| s.name == name).map(|s| s.duration_ms)
}
