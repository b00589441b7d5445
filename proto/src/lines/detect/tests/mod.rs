//! Where lines are found, which formats are looked for, and what a rejection leaves behind.

mod gen_json;
mod gen_near_metrics;
mod one_pass;
mod records;

use super::*;
use crate::model::Kind;
use serde_json::value::RawValue;

const EVENT: u64 = 7_000_000_000;
const T: u64 = 1_764_151_200_000_000_000;
const MONITORING: &str = "MONITORING|1764151200|3|count|orders.placed|#env:prod";
const DATADOG: &str = r#"{"m":"orders.value","v":12.5,"e":1764151200,"t":["env:prod"]}"#;
const EMF: &str = r#"{"_aws":{"Timestamp":1764151200000,"CloudWatchMetrics":[{"Namespace":"Shop","Dimensions":[["service"]],"Metrics":[{"Name":"Latency","Unit":"Milliseconds"}]}]},"service":"orders","Latency":[12.5,8]}"#;

fn text(line: &str, formats: Formats) -> (Outcome, Vec<Point>) {
    let mut out = Vec::new();
    let outcome = parse_record(&Record::Text(line.to_owned()), EVENT, formats, &mut out);
    (outcome, out)
}

fn json_record(record: &str, formats: Formats) -> (Outcome, Vec<Point>) {
    let raw = RawValue::from_string(record.to_owned()).expect("test record is JSON");
    let mut out = Vec::new();
    let outcome = parse_record(&Record::Json(raw), EVENT, formats, &mut out);
    (outcome, out)
}

fn accepted(format: Format, points: usize) -> Outcome {
    Outcome::Accepted { format, points }
}

fn rejected(format: Format, reason: Reason) -> Outcome {
    Outcome::Rejected { format, reason }
}

/// Lambda's JSON log format wrapper around a printed line.
fn wrapped(message: &str) -> String {
    let message = serde_json::to_string(message).unwrap();
    format!(
        r#"{{"timestamp":"2026-01-01T00:00:00.000Z","level":"INFO","requestId":"r-1","message":{message}}}"#
    )
}

#[test]
fn plain_text_records_of_each_format() {
    let all = Formats::default();
    let (outcome, points) = text(&format!("{MONITORING}\n"), all);
    assert_eq!(outcome, accepted(Format::Monitoring, 1));
    assert_eq!(
        (points[0].key.kind, points[0].time_unix_nano),
        (Kind::Sum, T)
    );
    assert_eq!(text(DATADOG, all).0, accepted(Format::Datadog, 1));
    assert_eq!(
        text(&format!("  {EMF}\r\n"), all).0,
        accepted(Format::Emf, 2)
    );
}

#[test]
fn runtime_prefixes_are_skipped() {
    let node = "2026-01-01T00:00:00.000Z\t8a1f-42\tINFO\t";
    let python = "[INFO]\t2026-01-01T00:00:00.000Z\t8a1f-42\t";
    for prefix in [node, python] {
        for (line, format, points) in [
            (MONITORING, Format::Monitoring, 1),
            (DATADOG, Format::Datadog, 1),
            (EMF, Format::Emf, 2),
        ] {
            let record = format!("{prefix}{line}\n");
            assert_eq!(
                text(&record, Formats::default()).0,
                accepted(format, points),
                "{record}"
            );
        }
    }
}

#[test]
fn json_records_are_read_as_objects() {
    assert_eq!(
        json_record(DATADOG, Formats::default()).0,
        accepted(Format::Datadog, 1)
    );
    let (outcome, points) = json_record(EMF, Formats::default());
    assert_eq!(outcome, accepted(Format::Emf, 2));
    assert_eq!(points[1].value, 8.0);
}

#[test]
fn json_records_message_field_is_searched() {
    for (line, format, points) in [
        (MONITORING, Format::Monitoring, 1),
        (DATADOG, Format::Datadog, 1),
        (EMF, Format::Emf, 2),
    ] {
        let record = wrapped(line);
        assert_eq!(
            json_record(&record, Formats::default()).0,
            accepted(format, points),
            "{record}"
        );
    }
    let object = format!(r#"{{"level":"INFO","message":{EMF}}}"#);
    assert_eq!(
        json_record(&object, Formats::default()).0,
        accepted(Format::Emf, 2)
    );
    let string_record = serde_json::to_string(MONITORING).unwrap();
    assert_eq!(
        json_record(&string_record, Formats::default()).0,
        accepted(Format::Monitoring, 1)
    );
}

#[test]
fn ordinary_log_lines_are_not_metrics() {
    for line in [
        "",
        "START RequestId: 8a1f Version: $LATEST",
        "2026-01-01T00:00:00.000Z\t8a1f\tINFO\thello",
        "MONITORING is great",
        "monitoring|1|1|count|a",
        r#"{"level":"info","msg":"hello"}"#,
        r#"{"m":"only a name"}"#,
        r#"{"m": "x", broken"#,
        "[1, 2, 3]",
    ] {
        assert_eq!(
            text(line, Formats::default()),
            (Outcome::NotMetric, vec![]),
            "{line}"
        );
    }
    for record in [
        r#"{"level":"info","message":"hello"}"#,
        r#"{"level":"info","message":"MONITORING is fine","m":1}"#,
        "[1]",
        "42",
        r#"{"message":42,"_aws":1}"#,
    ] {
        let formats = Formats {
            emf: false,
            ..Formats::default()
        };
        assert_eq!(
            json_record(record, formats),
            (Outcome::NotMetric, vec![]),
            "{record}"
        );
    }
}

#[test]
fn disabled_formats_are_not_parsed() {
    let only = |format| Formats {
        monitoring: format == Format::Monitoring,
        datadog: format == Format::Datadog,
        emf: format == Format::Emf,
    };
    for (line, format) in [
        (MONITORING, Format::Monitoring),
        (DATADOG, Format::Datadog),
        (EMF, Format::Emf),
    ] {
        for other in [Format::Monitoring, Format::Datadog, Format::Emf] {
            let expected = if other == format {
                text(line, Formats::default()).0
            } else {
                Outcome::NotMetric
            };
            assert_eq!(
                text(line, only(other)).0,
                expected,
                "{line} with only {other:?}"
            );
            assert_eq!(json_record(&wrapped(line), only(other)).0, expected);
        }
        assert_eq!(text(line, Formats::NONE).0, Outcome::NotMetric);
    }
}

#[test]
fn truncated_emf_is_rejected_as_malformed_json() {
    let truncated = &EMF[..EMF.len() - 10];
    assert_eq!(
        text(truncated, Formats::default()).0,
        rejected(Format::Emf, Reason::MalformedJson)
    );
    assert_eq!(
        json_record(&wrapped(truncated), Formats::default()).0,
        rejected(Format::Emf, Reason::MalformedJson)
    );
}

#[test]
fn a_rejected_document_appends_nothing() {
    // The first metric is fine, the second is missing: nothing of the document is kept,
    // and points already in the buffer are left alone.
    let half = r#"{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[[]],"Metrics":[{"Name":"a"},{"Name":"b"}]}]},"a":[1,2,3]}"#;
    let mut out = Vec::new();
    parse_text(MONITORING, EVENT, Formats::default(), &mut out);
    let outcome = parse_text(half, EVENT, Formats::default(), &mut out);
    assert_eq!(outcome, rejected(Format::Emf, Reason::EmfMissingMember));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].key.name, "orders.placed");
}

#[test]
fn rejections_name_their_format() {
    let all = Formats::default();
    assert_eq!(
        text("MONITORING|1|x|count|a", all).0,
        rejected(Format::Monitoring, Reason::BadValue)
    );
    assert_eq!(
        text(r#"{"m":"a","v":"1"}"#, all).0,
        rejected(Format::Datadog, Reason::BadValue)
    );
    assert_eq!(
        text(r#"{"_aws":{}}"#, all).0,
        rejected(Format::Emf, Reason::MissingField)
    );
    assert_eq!(
        json_record(&wrapped("MONITORING|1|1|count"), all).0,
        rejected(Format::Monitoring, Reason::FieldCount)
    );
}

#[test]
fn emf_takes_precedence_over_datadog_keys() {
    let both = r#"{"_aws":{"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[[]],"Metrics":[{"Name":"m"}]}]},"m":1,"v":2}"#;
    assert_eq!(text(both, Formats::default()).0, accepted(Format::Emf, 1));
    let datadog_only = Formats {
        emf: false,
        ..Formats::default()
    };
    assert_eq!(
        text(both, datadog_only).0,
        rejected(Format::Datadog, Reason::InvalidName)
    );
}
