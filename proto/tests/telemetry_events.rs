//! Every Telemetry API event type decodes from a realistic sample (schema 2022-12-13).

use metricline_proto::telemetry::{parse_batch, parse_event, Body, Event, Record};

const REQUEST: &str = "b2de8fdb-5a4f-4d2c-9c53-1f0e3e0c1a7b";

/// A cold start followed by one invoke, shaped like a real capture (the 2024 sample in
/// the reference notes), plus the rarer types (logsDropped, SnapStart restore).
fn sample() -> String {
    r#"[
{"time":"2024-07-01T08:54:53.870Z","type":"platform.initStart","record":{"initializationType":"on-demand","phase":"init","runtimeVersion":"python:3.12.v29","runtimeVersionArn":"arn:aws:lambda:us-east-1::runtime:8eeff65f6809a3ce81507fe733fe09b835899b99481ba22fd75b5a7338290ec1","functionName":"orders","functionVersion":"$LATEST"}},
{"time":"2024-07-01T08:54:53.880Z","type":"platform.telemetrySubscription","record":{"name":"metricline","state":"Subscribed","types":["platform","function"]}},
{"time":"2024-07-01T08:54:53.881Z","type":"platform.extension","record":{"name":"metricline","state":"Ready","events":["INVOKE","SHUTDOWN"]}},
{"time":"2024-07-01T08:54:54.104Z","type":"platform.initRuntimeDone","record":{"initializationType":"on-demand","phase":"init","status":"success","spans":[{"name":"someSpan","start":"2024-07-01T08:54:53.900Z","durationMs":12.5}]}},
{"time":"2024-07-01T08:54:54.107Z","type":"platform.initReport","record":{"initializationType":"on-demand","status":"success","phase":"init","metrics":{"durationMs":234.766}}},
{"time":"2024-07-01T08:54:54.108Z","type":"platform.start","record":{"requestId":"REQ","version":"$LATEST","tracing":{"spanId":"5e1b9a8c3f2d4e6a","type":"X-Amzn-Trace-Id","value":"Root=1-6682702e-2f3a4b5c6d7e8f9a0b1c2d3e;Parent=5e1b9a8c3f2d4e6a;Sampled=1"}}},
{"time":"2024-07-01T08:54:54.110Z","type":"function","record":"2024-07-01T08:54:54.110Z\tREQ\tINFO\tMONITORING|1719824094|1|count|orders.placed|#env:prod\n"},
{"time":"2024-07-01T08:54:54.111Z","type":"function","record":{"timestamp":"2024-07-01T08:54:54.111Z","level":"INFO","requestId":"REQ","message":"order placed"}},
{"time":"2024-07-01T08:54:54.112Z","type":"extension","record":"[metricline] ready"},
{"time":"2024-07-01T08:54:54.125Z","type":"platform.runtimeDone","record":{"requestId":"REQ","metrics":{"durationMs":17.12,"producedBytes":50},"spans":[{"durationMs":1.613,"name":"responseLatency","start":"2024-07-01T08:54:54.108Z"},{"durationMs":0.064,"name":"responseDuration","start":"2024-07-01T08:54:54.110Z"},{"durationMs":15.246,"name":"runtimeOverhead","start":"2024-07-01T08:54:54.110Z"}],"status":"success"}},
{"time":"2024-07-01T08:54:54.127Z","type":"platform.report","record":{"requestId":"REQ","metrics":{"durationMs":17.493,"billedDurationMs":18,"initDurationMs":235.086,"maxMemoryUsedMB":75,"memorySizeMB":128},"spans":[{"durationMs":0.373,"name":"extensionOverhead","start":"2024-07-01T08:54:54.125Z"}],"status":"success","tracing":{"spanId":"5e1b9a8c3f2d4e6a","type":"X-Amzn-Trace-Id","value":"Root=1-6682702e-2f3a4b5c6d7e8f9a0b1c2d3e;Parent=5e1b9a8c3f2d4e6a;Sampled=1"}}},
{"time":"2024-07-01T08:54:55.000Z","type":"platform.logsDropped","record":{"droppedRecords":12,"droppedBytes":4096,"reason":"Consumer seems to have fallen behind as it has not acknowledged receipt of logs."}},
{"time":"2024-07-01T09:00:00.000Z","type":"platform.restoreStart","record":{"runtimeVersion":"java:21.v10","runtimeVersionArn":"arn:aws:lambda:us-east-1::runtime:0123","functionName":"orders","functionVersion":"3"}},
{"time":"2024-07-01T09:00:00.400Z","type":"platform.restoreRuntimeDone","record":{"status":"success","spans":[]}},
{"time":"2024-07-01T09:00:00.413Z","type":"platform.restoreReport","record":{"status":"success","metrics":{"durationMs":412.5}}}
]"#
    .replace("REQ", REQUEST)
}

fn events() -> Vec<Event> {
    let batch = parse_batch(sample().as_bytes()).expect("a JSON array");
    assert_eq!(batch.skipped, []);
    batch.events
}

#[test]
fn every_event_of_the_sample_decodes_in_order_with_its_time() {
    let events = events();
    assert_eq!(events.len(), 15);
    // 2024-07-01T08:54:53.870Z
    assert_eq!(events[0].time_unix_nano, 1_719_824_093_870_000_000);
    assert!(events
        .windows(2)
        .all(|w| w[0].time_unix_nano <= w[1].time_unix_nano));
}

#[test]
fn init_events() {
    let events = events();
    let Body::InitStart(start) = &events[0].body else {
        panic!("{:?}", events[0])
    };
    assert_eq!(start.initialization_type.as_deref(), Some("on-demand"));
    assert_eq!(start.phase.as_deref(), Some("init"));
    assert_eq!(start.runtime_version.as_deref(), Some("python:3.12.v29"));
    assert!(start
        .runtime_version_arn
        .as_deref()
        .unwrap()
        .starts_with("arn:aws:lambda"));
    assert_eq!(start.function_name.as_deref(), Some("orders"));
    assert_eq!(start.function_version.as_deref(), Some("$LATEST"));

    let Body::InitRuntimeDone(done) = &events[3].body else {
        panic!("{:?}", events[3])
    };
    assert_eq!(
        (done.status.as_str(), done.error_type.as_deref()),
        ("success", None)
    );
    assert_eq!(done.spans.len(), 1);
    assert_eq!(done.spans[0].duration_ms, 12.5);

    let Body::InitReport(report) = &events[4].body else {
        panic!("{:?}", events[4])
    };
    assert_eq!(report.status, "success");
    assert_eq!(report.metrics.duration_ms, Some(234.766));
}

#[test]
fn registration_events() {
    let events = events();
    let Body::TelemetrySubscription(sub) = &events[1].body else {
        panic!("{:?}", events[1])
    };
    assert_eq!(
        (sub.name.as_str(), sub.state.as_str()),
        ("metricline", "Subscribed")
    );
    assert_eq!(sub.types, ["platform", "function"]);
    let Body::PlatformExtension(ext) = &events[2].body else {
        panic!("{:?}", events[2])
    };
    assert_eq!(
        (ext.name.as_str(), ext.state.as_str()),
        ("metricline", "Ready")
    );
    assert_eq!(ext.events, ["INVOKE", "SHUTDOWN"]);
}

#[test]
fn invoke_events() {
    let events = events();
    let Body::Start(start) = &events[5].body else {
        panic!("{:?}", events[5])
    };
    assert_eq!(start.request_id, REQUEST);
    assert_eq!(start.version.as_deref(), Some("$LATEST"));
    let tracing = start.tracing.as_ref().unwrap();
    assert_eq!(tracing.kind.as_deref(), Some("X-Amzn-Trace-Id"));
    assert!(tracing.value.as_deref().unwrap().starts_with("Root=1-"));

    let Body::RuntimeDone(done) = &events[9].body else {
        panic!("{:?}", events[9])
    };
    assert_eq!(
        (done.request_id.as_str(), done.status.as_str()),
        (REQUEST, "success")
    );
    let metrics = done.metrics.as_ref().unwrap();
    assert_eq!(
        (metrics.duration_ms, metrics.produced_bytes),
        (Some(17.12), Some(50.0))
    );
    let spans: Vec<(&str, f64)> = done
        .spans
        .iter()
        .map(|s| (s.name.as_str(), s.duration_ms))
        .collect();
    let want = [
        ("responseLatency", 1.613),
        ("responseDuration", 0.064),
        ("runtimeOverhead", 15.246),
    ];
    assert_eq!(spans, want);

    let Body::Report(report) = &events[10].body else {
        panic!("{:?}", events[10])
    };
    assert_eq!(
        (report.request_id.as_str(), report.status.as_str()),
        (REQUEST, "success")
    );
    let m = &report.metrics;
    assert_eq!(m.duration_ms, Some(17.493));
    assert_eq!(m.billed_duration_ms, Some(18.0));
    assert_eq!(m.init_duration_ms, Some(235.086));
    assert_eq!(
        (m.max_memory_used_mb, m.memory_size_mb),
        (Some(75.0), Some(128.0))
    );
    assert_eq!(m.restore_duration_ms, None);
    assert_eq!(report.spans[0].name, "extensionOverhead");
    assert_eq!(
        report.spans[0].start.as_deref(),
        Some("2024-07-01T08:54:54.125Z")
    );
}

#[test]
fn log_records_keep_strings_and_json_objects_undecoded() {
    let events = events();
    let Body::Function(Record::Text(text)) = &events[6].body else {
        panic!("{:?}", events[6])
    };
    assert!(text.starts_with("2024-07-01T08:54:54.110Z\t"));
    assert!(text.ends_with("MONITORING|1719824094|1|count|orders.placed|#env:prod\n"));
    let Body::Function(Record::Json(raw)) = &events[7].body else {
        panic!("{:?}", events[7])
    };
    let object: serde_json::Value = serde_json::from_str(raw.get()).unwrap();
    assert_eq!(object["message"], "order placed");
    let Body::Extension(Record::Text(text)) = &events[8].body else {
        panic!("{:?}", events[8])
    };
    assert_eq!(text, "[metricline] ready");
}

#[test]
fn logs_dropped_and_snapstart_restore_events() {
    let events = events();
    let Body::LogsDropped(dropped) = &events[11].body else {
        panic!("{:?}", events[11])
    };
    assert_eq!(
        (dropped.dropped_records, dropped.dropped_bytes),
        (12.0, 4096.0)
    );
    assert!(dropped.reason.starts_with("Consumer seems"));
    let Body::RestoreStart(start) = &events[12].body else {
        panic!("{:?}", events[12])
    };
    assert_eq!(start.function_version.as_deref(), Some("3"));
    let Body::RestoreRuntimeDone(done) = &events[13].body else {
        panic!("{:?}", events[13])
    };
    assert_eq!(done.status, "success");
    let Body::RestoreReport(report) = &events[14].body else {
        panic!("{:?}", events[14])
    };
    assert_eq!(report.metrics.duration_ms, Some(412.5));
}

#[test]
fn integers_and_go_floats_decode_alike() {
    let as_int = r#"{"time":"2024-07-01T08:54:54Z","type":"platform.report","record":{"requestId":"r","status":"success","metrics":{"durationMs":17,"billedDurationMs":18,"memorySizeMB":128,"maxMemoryUsedMB":75}}}"#;
    let as_float = r#"{"time":"2024-07-01T08:54:54Z","type":"platform.report","record":{"requestId":"r","status":"success","metrics":{"durationMs":17.0,"billedDurationMs":18.0,"memorySizeMB":128.0,"maxMemoryUsedMB":7.5e1}}}"#;
    let metrics = |json: &str| match parse_event(json).unwrap().body {
        Body::Report(r) => r.metrics,
        other => panic!("{other:?}"),
    };
    assert_eq!(metrics(as_int), metrics(as_float));
    assert_eq!(metrics(as_int).max_memory_used_mb, Some(75.0));
}

#[test]
fn optional_fields_may_be_missing_or_null() {
    // Lambda Managed Instances: a report with only durationMs, and no status.
    let lmi = r#"{"time":"2025-12-01T00:00:00Z","type":"platform.report","record":{"requestId":"r","metrics":{"durationMs":1.148},"spans":null}}"#;
    let Body::Report(report) = parse_event(lmi).unwrap().body else {
        panic!()
    };
    assert_eq!(report.metrics.duration_ms, Some(1.148));
    assert_eq!(report.metrics.billed_duration_ms, None);
    assert_eq!(report.status, "");
    assert!(report.spans.is_empty());

    let bare = r#"{"time":"2025-12-01T00:00:00Z","type":"platform.runtimeDone","record":{"requestId":"r","status":"timeout","errorType":null}}"#;
    let Body::RuntimeDone(done) = parse_event(bare).unwrap().body else {
        panic!()
    };
    assert_eq!(
        (done.status.as_str(), done.metrics, done.error_type),
        ("timeout", None, None)
    );
}

#[test]
fn a_strange_span_costs_only_itself() {
    let json = r#"{"time":"2025-12-01T00:00:00Z","type":"platform.runtimeDone","record":{"requestId":"r","status":"error","errorType":"Runtime.ExitError","spans":[{"name":"responseLatency"},42,{"name":"runtimeOverhead","durationMs":2}]}}"#;
    let Body::RuntimeDone(done) = parse_event(json).unwrap().body else {
        panic!()
    };
    assert_eq!(done.error_type.as_deref(), Some("Runtime.ExitError"));
    assert_eq!(done.spans.len(), 1);
    assert_eq!(
        (done.spans[0].name.as_str(), done.spans[0].duration_ms),
        ("runtimeOverhead", 2.0)
    );
}

#[test]
fn string_records_are_unescaped_and_object_records_kept_verbatim() {
    let text = r#"{"time":"2025-12-01T00:00:00Z","type":"function","record":"tab\there \"quoted\" \u00e9"}"#;
    let Body::Function(Record::Text(t)) = parse_event(text).unwrap().body else {
        panic!()
    };
    assert_eq!(t, "tab\there \"quoted\" é");
    let object = r#"{"time":"2025-12-01T00:00:00Z","type":"function","record":{"m":"orders.value","v":12.5}}"#;
    let Body::Function(Record::Json(raw)) = parse_event(object).unwrap().body else {
        panic!()
    };
    assert_eq!(raw.get(), r#"{"m":"orders.value","v":12.5}"#);
}
