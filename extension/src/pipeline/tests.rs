//! Unit tests of the pipeline: events reach the aggregator, request ids are tracked.

use super::*;
use metricline_proto::aggregate::{Export, HistogramAggregation, Temporality};
use metricline_proto::platform::Arch;
use metricline_proto::telemetry::Record;

fn pipeline(platform_metrics: bool) -> Pipeline {
    pipeline_with(platform_metrics, Limits::default())
}

fn pipeline_with(platform_metrics: bool, limits: Limits) -> Pipeline {
    Pipeline::new(PipelineConfig {
        formats: Formats::default(),
        platform_metrics,
        platform: PlatformConfig {
            arch: Arch::X86_64,
            memory_size_mb: Some(128),
        },
        aggregation: AggregationConfig {
            temporality: Temporality::Delta,
            histograms: HistogramAggregation::Exponential,
            start_time_unix_nano: 0,
        },
        limits,
    })
}

const BATCH: &str = r#"[
 {"time":"2026-11-26T10:00:00.000Z","type":"platform.start","record":{"requestId":"r1"}},
 {"time":"2026-11-26T10:00:00.001Z","type":"function","record":"MONITORING|1764151200|3|count|orders.placed|#env:prod"},
 {"time":"2026-11-26T10:00:00.002Z","type":"platform.runtimeDone","record":{"requestId":"r1","status":"success","metrics":{"durationMs":2.0,"producedBytes":5}}},
 {"time":"2026-11-26T10:00:00.003Z","type":"platform.report","record":{"requestId":"r0","status":"success","metrics":{"durationMs":3.0,"billedDurationMs":3,"memorySizeMB":128,"maxMemoryUsedMB":60}}}
]"#;

#[test]
fn tracks_runtime_done_and_report_by_request() {
    let mut p = pipeline(true);
    p.ingest(BATCH.as_bytes(), Now::read()).unwrap();
    assert!(p.runtime_done_seen("r1"));
    assert!(!p.runtime_done_seen("r0"));
    assert!(p.report_seen("r0"));
    assert!(!p.report_seen("r1"));
}

#[test]
fn a_started_request_is_open_until_its_report() {
    let mut p = pipeline(true);
    assert!(p.all_reported());
    p.ingest(BATCH.as_bytes(), Now::read()).unwrap();
    assert!(!p.all_reported(), "r1 started and has no report yet");
    let report = BATCH.lines().nth(4).unwrap().replace("r0", "r1");
    p.ingest(format!("[{report}]").as_bytes(), Now::read())
        .unwrap();
    assert!(p.all_reported());
}

#[test]
fn lines_and_platform_events_reach_the_aggregator() {
    let mut p = pipeline(true);
    p.ingest(BATCH.as_bytes(), Now::read()).unwrap();
    let with_platform = p.aggregator().pending_points();
    let mut p = pipeline(false);
    p.ingest(BATCH.as_bytes(), Now::read()).unwrap();
    let without_platform = p.aggregator().pending_points();
    // The monitoring line and its self metric at least, and platform points on top.
    assert!(without_platform >= 2, "{without_platform}");
    assert!(with_platform > without_platform);
}

#[test]
fn excerpt_keeps_the_first_200_characters() {
    let long = "é".repeat(300);
    let text = Record::Text(long);
    assert_eq!(excerpt(text.as_ref()).chars().count(), 200);
    assert_eq!(excerpt(RecordRef::Text("short")), "short");
}

#[test]
fn reject_log_allows_once_per_reason_per_minute() {
    use std::time::Duration;
    let mut log = RejectLog::default();
    let t0 = Instant::now();
    let [a, b] = [Reason::FieldCount, Reason::FieldCount];
    assert!(log.allows(a, t0));
    assert!(!log.allows(b, t0 + Duration::from_secs(59)));
    assert!(log.allows(a, t0 + Duration::from_secs(60)));
}

#[test]
fn lines_for_metrics_past_the_limit_are_rejected_as_too_many_metrics() {
    let limits = Limits {
        cardinality: 2000,
        metrics: 1,
    };
    let mut p = pipeline_with(false, limits);
    let batch = r#"[
 {"time":"2026-11-26T10:00:00.001Z","type":"function","record":"MONITORING|1764151200|3|count|orders.placed"},
 {"time":"2026-11-26T10:00:00.002Z","type":"function","record":"MONITORING|1764151200|4|count|user.1.clicks"},
 {"time":"2026-11-26T10:00:00.003Z","type":"function","record":"MONITORING|1764151200|5|count|orders.placed"}
]"#;
    p.ingest(batch.as_bytes(), Now::read()).unwrap();
    let export = p.aggregator().take_all(Now::read().unix_nano);
    let lines = |outcome: &str, reason: Option<&str>| line_count(&export, outcome, reason);
    assert_eq!(lines("accepted", None), 2.0);
    assert_eq!(lines("rejected", Some("too_many_metrics")), 1.0);
    let names: Vec<&str> = export
        .streams
        .iter()
        .map(|(k, _)| k.name.as_str())
        .collect();
    assert!(!names.contains(&"user.1.clicks"), "{names:?}");
}

#[test]
fn statsd_lines_for_metrics_past_the_limit_are_rejected_as_too_many_metrics() {
    let limits = Limits {
        cardinality: 2000,
        metrics: 1,
    };
    let mut p = pipeline_with(false, limits);
    p.ingest_statsd(
        b"orders.placed:3|c\nuser.1.clicks:4|c\norders.placed:5|c",
        Now::read(),
    );
    p.record_statsd_counts(0, Now::read());
    let export = p.aggregator().take_all(Now::read().unix_nano);
    assert_eq!(line_count(&export, "accepted", None), 2.0);
    assert_eq!(
        line_count(&export, "rejected", Some("too_many_metrics")),
        1.0
    );
    assert!(!export
        .streams
        .iter()
        .any(|(k, _)| k.name == "user.1.clicks"));
}

/// The `metricline.lines` total of an export for one outcome (and reason).
fn line_count(export: &Export, outcome: &str, reason: Option<&str>) -> f64 {
    export
        .streams
        .iter()
        .filter(|(k, _)| k.name == self_metrics::LINES)
        .filter(|(k, _)| {
            let has = |key: &str, v: &str| k.attributes.iter().any(|(a, b)| a == key && b == v);
            has(self_metrics::ATTR_OUTCOME, outcome)
                && reason.is_none_or(|r| has(self_metrics::ATTR_REASON, r))
        })
        .flat_map(|(_, points)| points)
        .map(|point| point.value.sum())
        .sum()
}

#[test]
fn a_metric_line_that_mentions_memory_counts_no_out_of_memory() {
    let mut p = pipeline(true);
    let batch = r#"[
 {"time":"2026-11-26T10:00:00.000Z","type":"platform.start","record":{"requestId":"r1"}},
 {"time":"2026-11-26T10:00:00.001Z","type":"function","record":"MONITORING|1764151200|1|count|app.MemoryError|#kind:java.lang.OutOfMemoryError"},
 {"time":"2026-11-26T10:00:00.002Z","type":"function","record":"{\"m\":\"app.MemoryError\",\"v\":1,\"e\":1764151200}"}
]"#;
    p.ingest(batch.as_bytes(), Now::read()).unwrap();
    let oom = |p: &mut Pipeline| {
        let export = p.aggregator().take_all(Now::read().unix_nano);
        export
            .streams
            .iter()
            .any(|(k, _)| k.name == "aws.lambda.out_of_memory")
    };
    assert!(!oom(&mut p), "metric lines are not runtime messages");
    // The same words from the runtime are one.
    let batch = r#"[
 {"time":"2026-11-26T10:00:00.003Z","type":"function","record":"Traceback (most recent call last):\nMemoryError"}
]"#;
    p.ingest(batch.as_bytes(), Now::read()).unwrap();
    assert!(oom(&mut p));
}
