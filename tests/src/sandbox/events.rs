//! Telemetry API event envelopes and the platform records Lambda emits, in the shapes of
//! schema 2022-12-13 (which 2025-01-29 extends), timestamped like Lambda (ISO 8601,
//! milliseconds, UTC); on Lambda Managed Instances, their init records and thin reports.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

/// `2026-11-26T10:00:00.123Z` for a point in time.
pub fn iso8601(t: SystemTime) -> String {
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        since.subsec_millis()
    )
}

/// Gregorian date of a day count since 1970-01-01 (Howard Hinnant's civil calendar).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Milliseconds since the epoch.
pub fn epoch_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).unwrap_or_default().as_millis() as u64
}

pub fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

/// The `{time, type, record}` envelope.
pub fn envelope(kind: &str, record: Value) -> Value {
    json!({ "time": iso8601(SystemTime::now()), "type": kind, "record": record })
}

pub fn span(name: &str, start: SystemTime, duration: Duration) -> Value {
    json!({ "name": name, "start": iso8601(start), "durationMs": ms(duration) })
}

pub fn init_start(function_name: &str, phase: &str) -> Value {
    envelope(
        "platform.initStart",
        json!({
            "initializationType": "on-demand",
            "phase": phase,
            "runtimeVersion": "python:3.sandbox",
            "runtimeVersionArn": "arn:aws:lambda:us-east-1::runtime:sandbox",
            "functionName": function_name,
            "functionVersion": "$LATEST",
        }),
    )
}

pub fn init_runtime_done(status: &str, phase: &str) -> Value {
    envelope(
        "platform.initRuntimeDone",
        json!({ "initializationType": "on-demand", "phase": phase, "status": status }),
    )
}

pub fn init_report(status: &str, phase: &str, duration: Duration) -> Value {
    envelope(
        "platform.initReport",
        json!({
            "initializationType": "on-demand",
            "phase": phase,
            "status": status,
            "metrics": { "durationMs": ms(duration) },
        }),
    )
}

pub fn start(request_id: &str) -> Value {
    envelope(
        "platform.start",
        json!({ "requestId": request_id, "version": "$LATEST" }),
    )
}

/// What the runtime's part of an invoke measured, for `runtimeDone` and `report`.
pub struct RuntimeFacts<'a> {
    pub request_id: &'a str,
    pub status: &'a str,
    pub error_type: Option<&'a str>,
    pub started: SystemTime,
    pub duration: Duration,
    pub response_latency: Duration,
    pub produced_bytes: usize,
    pub overhead: Duration,
}

pub fn runtime_done(f: &RuntimeFacts) -> Value {
    let response_start = f.started + f.response_latency;
    let mut record = json!({
        "requestId": f.request_id,
        "status": f.status,
        "metrics": { "durationMs": ms(f.duration), "producedBytes": f.produced_bytes },
        "spans": [
            span("responseLatency", f.started, f.response_latency),
            span("responseDuration", response_start, Duration::from_micros(50)),
            span("runtimeOverhead", f.started + f.duration, f.overhead),
        ],
    });
    if let Some(error_type) = f.error_type {
        record["errorType"] = json!(error_type);
    }
    envelope("platform.runtimeDone", record)
}

/// The invoke's `platform.report`, produced once every extension has called `/next`.
pub struct ReportFacts<'a> {
    pub runtime: &'a RuntimeFacts<'a>,
    pub total: Duration,
    pub memory_size_mb: u64,
    pub max_memory_used_mb: u64,
    pub init_duration: Option<Duration>,
    pub extension_overhead: Duration,
}

pub fn report(f: &ReportFacts) -> Value {
    let r = f.runtime;
    let billed = (f.total.as_secs_f64() * 1000.0).ceil() as u64;
    let mut metrics = json!({
        "durationMs": ms(f.total),
        "billedDurationMs": billed.max(1),
        "memorySizeMB": f.memory_size_mb,
        "maxMemoryUsedMB": f.max_memory_used_mb,
    });
    if let Some(init) = f.init_duration {
        metrics["initDurationMs"] = json!(ms(init));
    }
    let mut record = json!({
        "requestId": r.request_id,
        "status": r.status,
        "metrics": metrics,
        "spans": [span("extensionOverhead", r.started + r.duration, f.extension_overhead)],
    });
    if let Some(error_type) = r.error_type {
        record["errorType"] = json!(error_type);
    }
    envelope("platform.report", record)
}

/// An init record as Lambda Managed Instances send it: their initialization type, and in
/// `initStart` the instance's id and memory (schema 2025-01-29).
pub fn managed_init(mut event: Value, instance_memory_bytes: u64) -> Value {
    let record = &mut event["record"];
    record["initializationType"] = json!("lambda-managed-instances");
    if event["type"] == "platform.initStart" {
        event["record"]["instanceId"] = json!("i-0sandbox00000000");
        event["record"]["instanceMaxMemory"] = json!(instance_memory_bytes);
    }
    event
}

/// The thin `platform.report` of Lambda Managed Instances, sent as the request ends (there
/// is no `runtimeDone`): duration, response spans, status, and no billing or memory.
pub fn thin_report(f: &RuntimeFacts) -> Value {
    let response_start = f.started + f.response_latency;
    let mut record = json!({
        "requestId": f.request_id,
        "status": f.status,
        "metrics": { "durationMs": ms(f.duration) },
        "spans": [
            span("responseLatency", f.started, f.response_latency),
            span("responseDuration", response_start, Duration::from_micros(50)),
        ],
    });
    if let Some(error_type) = f.error_type {
        record["errorType"] = json!(error_type);
    }
    envelope("platform.report", record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_matches_known_instants() {
        let t = UNIX_EPOCH + Duration::from_millis(1_764_151_200_123);
        assert_eq!(iso8601(t), "2025-11-26T10:00:00.123Z");
        assert_eq!(
            iso8601(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00.000Z"
        );
    }
}
