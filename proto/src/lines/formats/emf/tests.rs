//! Every EMF rule and rejection reason.

use super::*;
use crate::model::{Attributes, Point};

const EVENT: u64 = 7_000_000_000;
const T: u64 = 1_764_151_200_000_000_000;

fn parse_doc(doc: &str) -> Result<Vec<Point>, Reason> {
    let root = json::object(doc).expect("test input is a JSON object");
    let mut out = Vec::new();
    let count = parse(&root, EVENT, &mut out)?;
    assert_eq!(count, out.len());
    Ok(out)
}

/// A one-directive document with the given metric definitions and extra root members.
fn doc(dimensions: &str, metrics: &str, members: &str) -> String {
    format!(
        r#"{{"_aws":{{"Timestamp":1764151200000,"CloudWatchMetrics":[{{"Namespace":"Shop","Dimensions":{dimensions},"Metrics":{metrics}}}]}}{members}}}"#
    )
}

fn attrs(pairs: &[(&str, &str)]) -> Attributes {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn design_example_gives_one_histogram_sample_per_value() {
    let points = parse_doc(
        r#"{"_aws":{"Timestamp":1764151200000,"CloudWatchMetrics":[{"Namespace":"Shop","Dimensions":[["service"]],"Metrics":[{"Name":"Latency","Unit":"Milliseconds"}]}]},"service":"orders","Latency":[12.5,8]}"#,
    )
    .unwrap();
    assert_eq!(points.len(), 2);
    for (point, value) in points.iter().zip([12.5, 8.0]) {
        assert_eq!(point.key.name, "Latency");
        assert_eq!(
            (point.key.kind, point.key.unit.as_str()),
            (Kind::Histogram, "ms")
        );
        let expected = attrs(&[(NAMESPACE_ATTRIBUTE, "Shop"), ("service", "orders")]);
        assert_eq!(point.key.attributes, expected);
        assert_eq!((point.time_unix_nano, point.value), (T, value));
    }
}

#[test]
fn count_unit_is_a_sum_and_negative_counts_are_rejected() {
    let points = parse_doc(&doc(
        "[[]]",
        r#"[{"Name":"Orders","Unit":"Count"}]"#,
        r#","Orders":3"#,
    ))
    .unwrap();
    assert_eq!(
        (points[0].key.kind, points[0].key.unit.as_str()),
        (Kind::Sum, "{count}")
    );
    assert_eq!(points[0].value, 3.0);
    let negative = doc(
        "[[]]",
        r#"[{"Name":"Orders","Unit":"Count"}]"#,
        r#","Orders":[1,-1]"#,
    );
    assert_eq!(parse_doc(&negative), Err(Reason::NegativeCount));
    // Other units may go below zero.
    let delta = doc(
        "[[]]",
        r#"[{"Name":"Delta","Unit":"Percent"}]"#,
        r#","Delta":-4"#,
    );
    assert_eq!(parse_doc(&delta).unwrap()[0].value, -4.0);
}

#[test]
fn each_dimension_set_is_its_own_stream() {
    let points = parse_doc(&doc(
        r#"[["service"],["service","region"],[]]"#,
        r#"[{"Name":"A"},{"Name":"B","Unit":"Count"}]"#,
        r#","service":"s","region":"eu","A":1,"B":[2,3]"#,
    ))
    .unwrap();
    // A: 3 sets × 1 value, B: 3 sets × 2 values.
    assert_eq!(points.len(), 9);
    let streams: std::collections::BTreeSet<_> = points.iter().map(|p| &p.key).collect();
    assert_eq!(streams.len(), 6);
    let a_sets: Vec<_> = points
        .iter()
        .filter(|p| p.key.name == "A")
        .map(|p| p.key.attributes.clone())
        .collect();
    assert_eq!(
        a_sets,
        vec![
            attrs(&[(NAMESPACE_ATTRIBUTE, "Shop"), ("service", "s")]),
            attrs(&[
                (NAMESPACE_ATTRIBUTE, "Shop"),
                ("region", "eu"),
                ("service", "s")
            ]),
            attrs(&[(NAMESPACE_ATTRIBUTE, "Shop")]),
        ]
    );
    assert_eq!(points[0].key.unit, "");
}

#[test]
fn empty_dimensions_array_still_publishes_without_dimensions() {
    let points = parse_doc(&doc("[]", r#"[{"Name":"A"}]"#, r#","A":1"#)).unwrap();
    assert_eq!(
        points[0].key.attributes,
        attrs(&[(NAMESPACE_ATTRIBUTE, "Shop")])
    );
}

#[test]
fn several_directives_and_extra_members_are_fine() {
    let points = parse_doc(
        r#"{"_aws":{"Timestamp":1764151200000,"CloudWatchMetrics":[{"Namespace":"A","Dimensions":[[]],"Metrics":[{"Name":"x","StorageResolution":1}]},{"Namespace":"B","Dimensions":[[]],"Metrics":[{"Name":"x"}]}]},"x":1,"requestId":"r","nested":{"a":[1]}}"#,
    )
    .unwrap();
    let namespaces: Vec<_> = points
        .iter()
        .map(|p| p.key.attributes[0].1.as_str())
        .collect();
    assert_eq!(namespaces, ["A", "B"]);
}

#[test]
fn timestamp_is_milliseconds_and_missing_means_event_time() {
    let missing = r#"{"_aws":{"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[[]],"Metrics":[{"Name":"x"}]}]},"x":1}"#;
    assert_eq!(parse_doc(missing).unwrap()[0].time_unix_nano, EVENT);
    let small = r#"{"_aws":{"Timestamp":1500,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[[]],"Metrics":[{"Name":"x"}]}]},"x":1}"#;
    assert_eq!(parse_doc(small).unwrap()[0].time_unix_nano, 1_500_000_000);
    for bad in [r#""1764151200000""#, "-1", "true"] {
        let doc = format!(r#"{{"_aws":{{"Timestamp":{bad},"CloudWatchMetrics":[]}}}}"#);
        assert_eq!(parse_doc(&doc), Err(Reason::BadTimestamp), "{doc}");
    }
}

#[test]
fn shape_errors_in_aws_are_emf_shape() {
    for aws in [
        "[]",
        r#""x""#,
        r#"{"CloudWatchMetrics":{}}"#,
        r#"{"CloudWatchMetrics":[{"Namespace":1}]}"#,
        r#"{"CloudWatchMetrics":[{"Namespace":"N","Dimensions":["service"]}]}"#,
        r#"{"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[[1]]}]}"#,
        r#"{"CloudWatchMetrics":[{"Namespace":"N","Metrics":[{"Name":"x","Unit":3}]}]}"#,
    ] {
        let document = format!(r#"{{"_aws":{aws}}}"#);
        assert_eq!(parse_doc(&document), Err(Reason::EmfShape), "{document}");
    }
}

#[test]
fn required_fields_are_missing_field() {
    for aws in [
        r#"{"Timestamp":1}"#,
        r#"{"CloudWatchMetrics":[{"Dimensions":[[]],"Metrics":[]}]}"#,
        r#"{"CloudWatchMetrics":[{"Namespace":"N","Metrics":[]}]}"#,
        r#"{"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[[]]}]}"#,
        r#"{"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[[]],"Metrics":[{"Unit":"Count"}]}]}"#,
    ] {
        let document = format!(r#"{{"_aws":{aws},"x":1}}"#);
        assert_eq!(
            parse_doc(&document),
            Err(Reason::MissingField),
            "{document}"
        );
    }
}

#[test]
fn limits_are_enforced_with_their_own_reasons() {
    let metrics: Vec<String> = (0..101).map(|i| format!(r#"{{"Name":"m{i}"}}"#)).collect();
    let members: String = (0..101).map(|i| format!(r#","m{i}":1"#)).collect();
    let too_many = doc("[[]]", &format!("[{}]", metrics.join(",")), &members);
    assert_eq!(parse_doc(&too_many), Err(Reason::EmfTooManyMetrics));
    let hundred = doc("[[]]", &format!("[{}]", metrics[..100].join(",")), &members);
    assert_eq!(parse_doc(&hundred).unwrap().len(), 100);

    let keys: Vec<String> = (0..31).map(|i| format!(r#""d{i}""#)).collect();
    let dims: String = (0..31).map(|i| format!(r#","d{i}":"v""#)).collect();
    let wide = doc(
        &format!("[[{}]]", keys.join(",")),
        r#"[{"Name":"x"}]"#,
        &format!(r#"{dims},"x":1"#),
    );
    assert_eq!(parse_doc(&wide), Err(Reason::EmfTooManyDimensions));
    let thirty = doc(
        &format!("[[{}]]", keys[..30].join(",")),
        r#"[{"Name":"x"}]"#,
        &format!(r#"{dims},"x":1"#),
    );
    assert_eq!(parse_doc(&thirty).unwrap()[0].key.attributes.len(), 31);

    let values = |n: usize| vec!["1"; n].join(",");
    let long = doc(
        "[[]]",
        r#"[{"Name":"x"}]"#,
        &format!(r#","x":[{}]"#, values(101)),
    );
    assert_eq!(parse_doc(&long), Err(Reason::EmfTooManyValues));
    let full = doc(
        "[[]]",
        r#"[{"Name":"x"}]"#,
        &format!(r#","x":[{}]"#, values(100)),
    );
    assert_eq!(parse_doc(&full).unwrap().len(), 100);
}

#[test]
fn referenced_members_must_exist() {
    let no_metric = doc("[[]]", r#"[{"Name":"x"}]"#, "");
    assert_eq!(parse_doc(&no_metric), Err(Reason::EmfMissingMember));
    let no_dimension = doc(r#"[["service"]]"#, r#"[{"Name":"x"}]"#, r#","x":1"#);
    assert_eq!(parse_doc(&no_dimension), Err(Reason::EmfMissingMember));
}

#[test]
fn dimension_values_must_be_strings() {
    for value in ["1", "null", r#"["a"]"#, "true"] {
        let document = doc(
            r#"[["d"]]"#,
            r#"[{"Name":"x"}]"#,
            &format!(r#","d":{value},"x":1"#),
        );
        assert_eq!(
            parse_doc(&document),
            Err(Reason::EmfBadDimension),
            "{document}"
        );
    }
}

#[test]
fn values_must_be_numbers_or_arrays_of_numbers() {
    for value in [
        r#""1""#,
        "true",
        "null",
        r#"{"Sum":1,"Count":1}"#,
        r#"[1,"2"]"#,
        "[[1]]",
        "1e999",
    ] {
        let document = doc("[[]]", r#"[{"Name":"x"}]"#, &format!(r#","x":{value}"#));
        assert_eq!(parse_doc(&document), Err(Reason::BadValue), "{document}");
    }
    let empty = doc("[[]]", r#"[{"Name":"x"}]"#, r#","x":[]"#);
    assert_eq!(parse_doc(&empty).unwrap().len(), 0);
}

#[test]
fn names_and_units_are_checked() {
    let spaced = doc(
        "[[]]",
        r#"[{"Name":"Request Count"}]"#,
        r#","Request Count":1"#,
    );
    assert_eq!(parse_doc(&spaced), Err(Reason::InvalidName));
    let unit = doc("[[]]", r#"[{"Name":"x","Unit":"Furlongs"}]"#, r#","x":1"#);
    assert_eq!(parse_doc(&unit), Err(Reason::EmfUnknownUnit));
    let rate = doc(
        "[[]]",
        r#"[{"Name":"x","Unit":"Count/Second"}]"#,
        r#","x":-1"#,
    );
    let rate = parse_doc(&rate).unwrap();
    assert_eq!(
        (rate[0].key.kind, rate[0].key.unit.as_str()),
        (Kind::Histogram, "{count}/s")
    );
}

#[test]
fn namespace_wins_over_a_dimension_of_the_same_name() {
    let document = doc(
        &format!(r#"[["{NAMESPACE_ATTRIBUTE}"]]"#),
        r#"[{"Name":"x"}]"#,
        &format!(r#","{NAMESPACE_ATTRIBUTE}":"spoofed","x":1"#),
    );
    let points = parse_doc(&document).unwrap();
    assert_eq!(
        points[0].key.attributes,
        attrs(&[(NAMESPACE_ATTRIBUTE, "Shop")])
    );
}
