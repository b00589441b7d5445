//! Shared by the `datadog` and `emf` targets: one input fed to `parse_record` the three ways
//! a function can print it (a text line, a JSON record, a `message` field of a JSON log),
//! checked against the parsers' contract.

use metricline_proto::lines::{parse_record, Formats, Outcome};
use metricline_proto::telemetry::Record;
use serde_json::value::RawValue;

/// Panics unless each parse of `input` with `formats` appended exactly the points its
/// `Accepted` outcome counts (none otherwise), all of them finite.
pub fn check_every_form(input: &str, formats: Formats) {
    let mut records = vec![Record::Text(input.to_owned())];
    if let Ok(raw) = RawValue::from_string(input.to_owned()) {
        records.push(Record::Json(raw));
    }
    let wrapped = serde_json::json!({ "level": "INFO", "message": input }).to_string();
    records.push(Record::Json(RawValue::from_string(wrapped).unwrap()));
    let mut out = Vec::new();
    for record in &records {
        let before = out.len();
        match parse_record(record, 1, formats, &mut out) {
            Outcome::Accepted { points, .. } => assert_eq!(out.len() - before, points),
            _ => assert_eq!(out.len(), before),
        }
    }
    assert!(out.iter().all(|p| p.value.is_finite()));
}
