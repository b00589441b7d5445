//! The one-pass readers of EMF and Datadog JSON text lines agree with the general reader
//! on every line they take: same outcome, same points. Lines are generated close to the
//! formats, with the cases the one-pass readers must hand over (duplicate and escaped
//! keys, `null`s, arrays where objects belong, truncation, trailing data).

use proptest::prelude::*;

use super::gen_json::line;
use super::gen_near_metrics::{near_datadog, near_emf};
use super::*;

const EVENT: u64 = 7_000_000_000;

/// Runs both readers on a line that `json_text` would read; returns whether the one-pass
/// reader took it.
fn agree(line: &str, formats: Formats) -> Result<bool, TestCaseError> {
    let emf = formats.emf && line.contains("\"_aws\"");
    let datadog = !emf && formats.datadog && line.contains("\"m\"");
    if !emf && !datadog {
        return Ok(false);
    }
    let mut one_pass_points = Vec::new();
    let one_pass = if emf {
        emf::parse_line(line, EVENT, &mut one_pass_points).map(|r| outcome(Format::Emf, r))
    } else {
        datadog::parse_line(line, EVENT, &mut one_pass_points)
    };
    let Some(one_pass) = one_pass else {
        prop_assert!(one_pass_points.is_empty(), "{line}");
        return Ok(false);
    };
    let mut general_points = Vec::new();
    let general = general_json_text(line, emf, EVENT, formats, &mut general_points);
    prop_assert_eq!(one_pass, general, "{}", line);
    prop_assert_eq!(one_pass_points, general_points, "{}", line);
    Ok(true)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

    #[test]
    fn one_pass_readers_agree_with_the_general_reader(
        line in line(),
        emf in any::<bool>(),
        datadog in any::<bool>(),
    ) {
        agree(&line, Formats { monitoring: true, datadog, emf })?;
    }

    #[test]
    fn one_pass_readers_agree_on_near_metrics(
        line in prop_oneof![near_emf(), near_datadog()],
        emf in prop::bool::weighted(0.9),
    ) {
        agree(&line, Formats { monitoring: true, datadog: true, emf })?;
    }
}

#[test]
fn well_formed_lines_are_read_in_one_pass() {
    for line in [
        r#"{"_aws":{"Timestamp":1764151200000,"CloudWatchMetrics":[{"Namespace":"Shop","Dimensions":[["service"]],"Metrics":[{"Name":"Latency","Unit":"Milliseconds"}]}]},"service":"orders","Latency":[12.5,8]}"#,
        r#"{"m":"orders.value","v":12.5,"e":1764151200,"t":["env:prod","vip"]}"#,
        r#"{"m":"a","v":1}"#,
        r#"{"m":"a","v":true}"#,
        r#"{"level":"info","m":null,"v":1}"#,
    ] {
        assert!(agree(line, Formats::default()).unwrap(), "{line}");
    }
}

#[test]
fn raw_control_characters_in_strings_are_left_to_the_general_reader() {
    // A raw tab is JSON whitespace outside strings but invalid inside one.
    for line in [
        "{\"m\":\"a\t\",\"v\":1}",
        "{\"_aws\":{\"CloudWatchMetrics\":[{\"Namespace\":\"N\t\",\"Dimensions\":[],\"Metrics\":[]}]}}",
    ] {
        assert!(!agree(line, Formats::default()).unwrap(), "{line:?}");
        let mut points = Vec::new();
        let outcome = parse_text_into(line, EVENT, Formats::default(), &mut points);
        assert!(points.is_empty(), "{line:?}");
        assert!(!matches!(outcome, Outcome::Accepted { .. }), "{line:?}");
    }
}
