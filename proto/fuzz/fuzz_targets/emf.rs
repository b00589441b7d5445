//! CloudWatch EMF documents, as a text line, as a JSON record and inside a `message` field.
#![no_main]

use libfuzzer_sys::fuzz_target;
use metricline_proto::lines::{parse_record, Formats, Outcome};
use metricline_proto::telemetry::Record;
use serde_json::value::RawValue;

fuzz_target!(|input: &str| {
    let formats = Formats {
        emf: true,
        ..Formats::NONE
    };
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
});
