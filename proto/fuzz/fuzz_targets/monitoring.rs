//! `MONITORING|` lines: the input follows the marker, with or without a runtime prefix.
#![no_main]

use libfuzzer_sys::fuzz_target;
use metricline_proto::lines::{parse_text, Formats, Outcome};

fuzz_target!(|input: &str| {
    let formats = Formats {
        monitoring: true,
        ..Formats::NONE
    };
    let mut out = Vec::new();
    for line in [
        format!("MONITORING|{input}"),
        format!("2026-01-01T00:00:00.000Z\tid\tINFO\tMONITORING|{input}"),
        input.to_owned(),
    ] {
        let before = out.len();
        let outcome = parse_text(&line, 1, formats, &mut out);
        match outcome {
            Outcome::Accepted { points, .. } => assert_eq!(out.len() - before, points),
            _ => assert_eq!(out.len(), before),
        }
    }
    assert!(out.iter().all(|p| p.value.is_finite()));
});
