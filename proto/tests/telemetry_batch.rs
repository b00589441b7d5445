//! A batch survives its bad elements: unknown or malformed events are skipped one by one,
//! and no input makes `parse_batch` panic.

use metricline_proto::telemetry::{parse_batch, BatchError, Body, Skip};
use proptest::prelude::*;

const START: &str =
    r#"{"time":"2026-01-01T00:00:00.000Z","type":"platform.start","record":{"requestId":"a"}}"#;
const LINE: &str = r#"{"time":"2026-01-01T00:00:00.001Z","type":"function","record":"hello"}"#;
const DONE: &str = r#"{"time":"2026-01-01T00:00:00.002Z","type":"platform.runtimeDone","record":{"requestId":"a","status":"success"}}"#;

fn batch_of(elements: &[&str]) -> String {
    format!("[{}]", elements.join(","))
}

#[test]
fn unknown_and_malformed_events_in_the_middle_keep_the_others() {
    let unknown =
        r#"{"time":"2026-01-01T00:00:00Z","type":"platform.somethingNew","record":{"x":1}}"#;
    let malformed = r#"{"time":"2026-01-01T00:00:00Z","type":"platform.runtimeDone","record":{"status":"success"}}"#;
    let body = batch_of(&[START, unknown, LINE, malformed, DONE]);
    let batch = parse_batch(body.as_bytes()).unwrap();
    assert_eq!(batch.skipped, [Skip::UnknownType, Skip::Malformed]);
    let kinds: Vec<&str> = batch
        .events
        .iter()
        .map(|e| match &e.body {
            Body::Start(_) => "start",
            Body::Function(_) => "function",
            Body::RuntimeDone(_) => "runtimeDone",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["start", "function", "runtimeDone"]);
    assert_eq!(batch.skipped_count(Skip::Malformed), 1);
}

#[test]
fn each_kind_of_malformed_event_is_skipped_as_malformed() {
    let cases = [
        r#"42"#,
        r#"null"#,
        r#""a string""#,
        r#"[]"#,
        r#"{}"#,
        r#"{"type":"function","record":"no time"}"#,
        r#"{"time":"yesterday","type":"function","record":"x"}"#,
        r#"{"time":"2026-01-01T00:00:00Z","type":"function"}"#,
        r#"{"time":"2026-01-01T00:00:00Z","type":"function","record":null}"#,
        r#"{"time":"2026-01-01T00:00:00Z","type":"function","record":17}"#,
        r#"{"time":"2026-01-01T00:00:00Z","type":"function","record":["a"]}"#,
        r#"{"time":"2026-01-01T00:00:00Z","type":7,"record":"x"}"#,
        r#"{"time":"2026-01-01T00:00:00Z","type":"platform.report","record":{"requestId":"a","metrics":{"durationMs":"17"}}}"#,
        r#"{"time":"2026-01-01T00:00:00Z","type":"platform.logsDropped","record":{"droppedRecords":"many"}}"#,
        r#"{"time":"2026-01-01T00:00:00Z","type":"platform.start","record":"not an object"}"#,
    ];
    for case in cases {
        let batch = parse_batch(batch_of(&[START, case, DONE]).as_bytes()).unwrap();
        assert_eq!(batch.skipped, [Skip::Malformed], "{case}");
        assert_eq!(batch.events.len(), 2, "{case}");
    }
}

#[test]
fn an_unknown_type_is_skipped_even_without_time_or_record() {
    let batch =
        parse_batch(br#"[{"type":"platform.future"}, {"type":"log","record":"x"}]"#).unwrap();
    assert_eq!(batch.skipped, [Skip::UnknownType, Skip::UnknownType]);
}

#[test]
fn bodies_that_are_not_json_arrays_are_errors() {
    for body in [
        &b""[..],
        b"{}",
        b"null",
        b"\"[]\"",
        b"[",
        b"[1,",
        b"[1] [2]",
        b"\xff\xfe",
    ] {
        assert_eq!(
            parse_batch(body).unwrap_err(),
            BatchError::NotAnArray,
            "{body:?}"
        );
    }
}

#[test]
fn an_empty_array_is_an_empty_batch() {
    let batch = parse_batch(b" [ ] ").unwrap();
    assert!(batch.events.is_empty() && batch.skipped.is_empty());
}

#[test]
fn deep_nesting_costs_only_its_event_without_overflowing_the_stack() {
    let open = "[".repeat(100_000);
    let close = "]".repeat(100_000);
    let deep = format!("[{START},{open}{close},{DONE}]");
    let batch = parse_batch(deep.as_bytes()).unwrap();
    assert_eq!(
        (batch.events.len(), batch.skipped.as_slice()),
        (2, &[Skip::Malformed][..])
    );

    let deep_report = format!(
        r#"[{{"time":"2026-01-01T00:00:00Z","type":"platform.report","record":{{"requestId":"a","status":"success","spans":{open}{close}}}}}]"#
    );
    let batch = parse_batch(deep_report.as_bytes()).unwrap();
    assert_eq!(batch.skipped, [Skip::Malformed]);
}

#[test]
fn arrays_are_not_read_as_events_or_records() {
    let as_array = r#"["2026-01-01T00:00:00Z","platform.start",{"requestId":"a"}]"#;
    let record_as_array =
        r#"{"time":"2026-01-01T00:00:00Z","type":"platform.start","record":["a"]}"#;
    let batch = parse_batch(batch_of(&[as_array, record_as_array]).as_bytes()).unwrap();
    assert_eq!(batch.skipped, [Skip::Malformed, Skip::Malformed]);
}

/// Arbitrary JSON values, biased towards envelope-like objects.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::{json, Value};
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
        prop_oneof![
            Just("platform.report"),
            Just("platform.runtimeDone"),
            Just("function"),
            Just("2026-01-01T00:00:00Z"),
            Just("requestId"),
        ]
        .prop_map(Value::from),
    ];
    let value = leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("time".to_owned()),
                    Just("type".to_owned()),
                    Just("record".to_owned()),
                    Just("metrics".to_owned()),
                    Just("durationMs".to_owned()),
                    Just("spans".to_owned()),
                    "[a-zA-Z]{1,8}",
                ],
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    });
    (value.clone(), value).prop_map(|(record, other)| {
        json!([{"time": "2026-01-01T00:00:00Z", "type": "platform.report", "record": record}, other])
    })
}

proptest! {
    #[test]
    fn never_panics_on_arbitrary_bytes(body in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_batch(&body);
    }

    #[test]
    fn never_panics_on_arbitrary_json_arrays(array in json_value()) {
        let body = serde_json::to_vec(&array).unwrap();
        let batch = parse_batch(&body).expect("a JSON array");
        prop_assert_eq!(batch.events.len() + batch.skipped.len(), 2);
    }

    #[test]
    fn never_panics_on_arbitrary_times(time in "\\PC{0,40}", digits in "[0-9:TZ+.-]{0,40}") {
        for t in [time, digits] {
            let body = serde_json::json!([{"time": t, "type": "function", "record": "x"}]);
            let batch = parse_batch(body.to_string().as_bytes()).unwrap();
            prop_assert_eq!(batch.events.len() + batch.skipped.len(), 1);
        }
    }
}
