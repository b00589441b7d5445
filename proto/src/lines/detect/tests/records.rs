//! Object records of the JSON log format: read in one pass where they can be, they agree
//! with the general reader (the outcome and the points), whether a record is Lambda's
//! wrapper around a printed line or a metric object itself; and a metric object reads as
//! the same line of the text log format. Records are generated close to
//! both shapes, with what the one pass must hand over (other members, repeated ones,
//! escapes, values that are no strings).

use proptest::prelude::*;

use super::gen_json::{line, object, value};
use super::gen_near_metrics::{near_datadog, near_emf};
use super::*;

/// Runs `json_record` and the general reader on a record that is one valid JSON object
/// (as the batch reader hands over only valid JSON).
fn agree(record: &str, formats: Formats) -> Result<(), TestCaseError> {
    if !record.starts_with('{') || serde_json::from_str::<&RawValue>(record).is_err() {
        return Ok(());
    }
    let mut points = Vec::new();
    let outcome = super::super::json_record(record, EVENT, formats, &mut points);
    let mut general_points = Vec::new();
    let general = if worth_parsing(record, formats) {
        let emf = json_hint(record, formats) == Some(true);
        general_json_record(record, emf, EVENT, formats, &mut general_points)
    } else {
        Outcome::NotMetric
    };
    prop_assert_eq!(&outcome, &general, "{}", record);
    prop_assert_eq!(&points, &general_points, "{}", record);
    // A printed JSON object reads as the same line of the text log format would, unless
    // it has a `message` of its own to look into.
    if !record.contains("\"message\"") {
        let mut text_points = Vec::new();
        let text = parse_text_into(record, EVENT, formats, &mut text_points);
        prop_assert_eq!(outcome, text, "{}", record);
        prop_assert_eq!(points, text_points, "{}", record);
    }
    Ok(())
}

/// What a function prints: metric lines of each format, near misses, anything.
fn printed() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => prop::sample::select(vec![
            MONITORING,
            "MONITORING|1764151200|x|count|a",
            "MONITORING|",
            "  MONITORING|1764151200|2|gauge|q|#a:b  ",
            "[INFO]\t2026-01-01T00:00:00.000Z\tr-1\tMONITORING|1764151200|1|count|a",
            DATADOG,
            EMF,
            "say \"hi\"",
            "back\\slash",
            "",
        ])
        .prop_map(str::to_owned),
        2 => line(),
        1 => near_emf(),
        1 => near_datadog(),
        1 => any::<String>(),
    ]
}

/// A JSON string holding `text`.
fn json_string(text: &str) -> String {
    serde_json::to_string(text).expect("a string encodes")
}

/// Members of a record near Lambda's wrapper: its members, markers, others; string values
/// mostly, some with escapes, some of other types.
fn near_wrapper() -> impl Strategy<Value = String> {
    let key = prop::sample::select(vec![
        "timestamp",
        "level",
        "requestId",
        "message",
        "message",
        "m",
        "_aws",
        "xray_trace_id",
    ])
    .prop_map(json_string);
    let member_value = prop_oneof![
        2 => prop::sample::select(vec![MONITORING, "MONITORING|1764151200|x|count|a", "INFO"])
            .prop_map(json_string),
        2 => printed().prop_map(|text| json_string(&text)),
        1 => value(),
    ];
    prop::collection::vec((key, member_value), 0..6).prop_map(object)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn lambdas_wrapper_around_any_line_agrees(
        line in printed(),
        emf in any::<bool>(),
        datadog in any::<bool>(),
        monitoring in any::<bool>(),
    ) {
        agree(&wrapped(&line), Formats { monitoring, datadog, emf })?;
    }

    #[test]
    fn records_near_the_wrapper_agree(record in near_wrapper(), emf in any::<bool>()) {
        agree(&record, Formats { monitoring: true, datadog: true, emf })?;
    }

    #[test]
    fn metric_objects_agree(
        record in prop_oneof![line(), near_emf(), near_datadog()],
        emf in prop::bool::weighted(0.8),
        datadog in prop::bool::weighted(0.8),
    ) {
        agree(&record, Formats { monitoring: true, datadog, emf })?;
    }
}

#[test]
fn the_usual_records_are_read_in_one_pass_and_agree() {
    let all = Formats::default();
    // Lambda's wrapper, and the metric objects (taken by the one-pass readers, not handed
    // over to the general one).
    assert_eq!(wrapper::message(&wrapped(MONITORING)), Some(MONITORING));
    for (object, emf) in [(DATADOG, false), (EMF, true)] {
        assert_eq!(json_hint(object, all), Some(emf));
        assert!(matches!(
            one_pass(object, emf, EVENT, &mut Vec::new()),
            Some(Outcome::Accepted { .. })
        ));
    }
    for record in [wrapped(MONITORING), DATADOG.to_owned(), EMF.to_owned()] {
        agree(&record, all).unwrap();
        assert!(matches!(
            super::super::json_record(&record, EVENT, all, &mut Vec::new()),
            Outcome::Accepted { .. }
        ));
    }
    // An EMF document with a repeated marker reads as its text line does: the first
    // counts. (Before records were read in one pass, such a record was no metric.)
    let repeated = EMF.replacen('{', r#"{"t":1,"t":2,"#, 1);
    assert_eq!(
        super::super::json_record(&repeated, EVENT, all, &mut Vec::new()),
        accepted(Format::Emf, 2)
    );
    agree(&repeated, all).unwrap();
}
