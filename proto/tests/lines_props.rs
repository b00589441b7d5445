//! Property tests: no input makes the line parsers panic, and whatever they accept obeys
//! the model's rules (valid names, finite values, non-negative sums, a timestamp).

use metricline_proto::lines::{parse_record, parse_text, Formats, Outcome};
use metricline_proto::telemetry::Record;
use metricline_proto::{Kind, Point};
use proptest::prelude::*;
use serde_json::value::RawValue;
use serde_json::{json, Value};

const EVENT: u64 = 1_764_151_200_000_000_000;

/// Checks the outcome against what was appended and the points against the model rules.
fn check(outcome: Outcome, before: usize, out: &[Point]) -> Result<(), TestCaseError> {
    match outcome {
        Outcome::Accepted { points, .. } => prop_assert_eq!(out.len() - before, points),
        Outcome::NotMetric | Outcome::Rejected { .. } => prop_assert_eq!(out.len(), before),
    }
    for point in &out[before..] {
        prop_assert!(point.value.is_finite());
        prop_assert!(point.time_unix_nano > 0);
        prop_assert!(point.key.kind != Kind::Sum || point.value >= 0.0);
        let name = point.key.name.as_bytes();
        prop_assert!(!name.is_empty() && name.len() <= 255 && name[0].is_ascii_alphabetic());
        prop_assert!(point.key.attributes.windows(2).all(|w| w[0].0 < w[1].0));
        prop_assert!(point.key.attributes.iter().all(|(key, _)| !key.is_empty()));
    }
    Ok(())
}

fn text_case(line: &str) -> Result<(), TestCaseError> {
    let mut out = vec![];
    let outcome = parse_text(line, EVENT, Formats::default(), &mut out);
    check(outcome, 0, &out)
}

/// Lines close enough to the formats to reach deep into the parsers.
fn near_monitoring() -> impl Strategy<Value = String> {
    let field = prop_oneof![
        Just(String::new()),
        Just("1764151200".to_owned()),
        Just("1764151200123.5".to_owned()),
        Just("count".to_owned()),
        Just("GAUGE".to_owned()),
        Just("#env:prod,vip,,:x".to_owned()),
        "[-0-9.eE]{0,25}",
        "[a-z._/:#,|-]{0,12}",
        any::<String>(),
    ];
    prop::collection::vec(field, 0..8).prop_map(|fields| format!("MONITORING|{}", fields.join("|")))
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|v| json!(v)),
        Just(json!(1_764_151_200_000u64)),
        Just(json!(-1)),
        prop::sample::select(vec![
            "Count",
            "Milliseconds",
            "None",
            "a",
            "x",
            "service",
            "",
            "Bytes/Second"
        ])
        .prop_map(Value::from),
        any::<String>().prop_map(Value::from),
    ]
}

/// JSON values whose keys come from the formats' vocabulary.
fn json_value() -> impl Strategy<Value = Value> {
    let keys = prop::sample::select(vec![
        "_aws",
        "Timestamp",
        "CloudWatchMetrics",
        "Namespace",
        "Dimensions",
        "Metrics",
        "Name",
        "Unit",
        "m",
        "v",
        "e",
        "t",
        "message",
        "a",
        "x",
        "service",
    ]);
    leaf().prop_recursive(5, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((keys.clone(), inner), 0..8).prop_map(|members| Value::Object(
                members
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect()
            )),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn any_string_is_safe(line in any::<String>()) {
        text_case(&line)?;
    }

    #[test]
    fn any_prefixed_string_is_safe(line in any::<String>(), python in any::<bool>()) {
        let prefix = if python { "[INFO]\t2026-01-01T00:00:00.000Z\tid\t" } else { "2026-01-01T00:00:00.000Z\tid\tINFO\t" };
        text_case(&format!("{prefix}{line}"))?;
    }

    #[test]
    fn near_monitoring_lines_are_safe(line in near_monitoring()) {
        text_case(&line)?;
    }

    #[test]
    fn any_json_record_is_safe(value in json_value(), wrap in 0..3u8) {
        let record = match wrap {
            0 => value,
            1 => json!({ "level": "INFO", "message": value }),
            _ => json!({ "level": "INFO", "message": value.to_string() }),
        };
        let text = record.to_string();
        // The same document as a JSON record and as a text line.
        let mut out = vec![];
        let raw = RawValue::from_string(text.clone()).unwrap();
        let outcome = parse_record(&Record::Json(raw), EVENT, Formats::default(), &mut out);
        check(outcome, 0, &out)?;
        let before = out.len();
        let outcome = parse_record(&Record::Text(text), EVENT, Formats::default(), &mut out);
        check(outcome, before, &out)?;
    }

    #[test]
    fn emf_shaped_documents_are_safe(
        members in prop::collection::vec((prop::sample::select(vec!["a", "x", "service", "m"]), leaf()), 0..6),
        timestamp in leaf(),
        dimensions in json_value(),
        names in prop::collection::vec(leaf(), 0..4),
        unit in leaf(),
    ) {
        let metrics: Vec<Value> = names.into_iter().map(|name| json!({ "Name": name, "Unit": unit })).collect();
        let mut root = json!({ "_aws": { "Timestamp": timestamp, "CloudWatchMetrics": [
            { "Namespace": "N", "Dimensions": dimensions, "Metrics": metrics }
        ]}});
        for (key, value) in members {
            root[key] = value;
        }
        text_case(&root.to_string())?;
    }
}
