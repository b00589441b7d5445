//! Real client output (proto/tests/fixtures, made by scripts/gen_fixtures.py) parses into
//! the names, kinds, units, attributes and values a user of those clients expects, as a
//! text record (bare, and behind a Node.js `console.log` prefix), as a JSON-log-format
//! record, and inside Lambda's `message` wrapper.

use metricline_proto::lines::{parse_record, Format, Formats, Outcome};
use metricline_proto::telemetry::Record;
use metricline_proto::{Kind, Point};
use serde_json::value::RawValue;

/// Stands in for the telemetry event's time; no fixture line should fall back to it.
const EVENT: u64 = 1;
/// 2025-11-26T10:00:00Z, where the generator could fix the time.
const FIXED: u64 = 1_764_151_200_000_000_000;
/// 2024-01-01: a time the client read from its clock is later than this.
const CAPTURED_AFTER: u64 = 1_704_067_200_000_000_000;

/// Parses every line of a fixture four ways; checks they agree and returns the outcome
/// and points of each line.
fn parse_fixture(lines: &str) -> Vec<(Outcome, Vec<Point>)> {
    lines
        .lines()
        .map(|line| {
            let wrapped = serde_json::json!({
                "timestamp": "2026-01-01T00:00:00.000Z",
                "level": "INFO",
                "requestId": "8a1f0c2e",
                "message": line,
            });
            let records = [
                Record::Text(format!("{line}\n")),
                Record::Text(format!(
                    "2026-01-01T00:00:00.000Z\t8a1f0c2e\tINFO\t{line}\n"
                )),
                Record::Json(RawValue::from_string(line.to_owned()).unwrap()),
                Record::Json(RawValue::from_string(wrapped.to_string()).unwrap()),
            ];
            let mut results = records.iter().map(|record| {
                let mut out = Vec::new();
                let outcome = parse_record(record, EVENT, Formats::default(), &mut out);
                (outcome, out)
            });
            let first = results.next().unwrap();
            for other in results {
                assert_eq!(other, first, "{line}");
            }
            first
        })
        .collect()
}

fn attrs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Name, unit, kind, attributes and value of a point.
fn summary(point: &Point) -> (&str, &str, Kind, &[(String, String)], f64) {
    let key = &point.key;
    (&key.name, &key.unit, key.kind, &key.attributes, point.value)
}

#[test]
fn powertools_emf_cold_start_and_metrics() {
    let parsed = parse_fixture(include_str!("fixtures/powertools_emf.jsonl"));
    assert_eq!(parsed.len(), 2);

    let (outcome, cold_start) = &parsed[0];
    assert_eq!(
        *outcome,
        Outcome::Accepted {
            format: Format::Emf,
            points: 1
        }
    );
    let cold_attrs = attrs(&[
        ("aws.cloudwatch.namespace", "Shop"),
        ("function_name", "checkout"),
        ("service", "booking"),
    ]);
    assert_eq!(
        summary(&cold_start[0]),
        ("ColdStart", "{count}", Kind::Sum, &cold_attrs[..], 1.0)
    );
    assert!(cold_start[0].time_unix_nano > CAPTURED_AFTER);

    let (outcome, points) = &parsed[1];
    assert_eq!(
        *outcome,
        Outcome::Accepted {
            format: Format::Emf,
            points: 6
        }
    );
    let dims = attrs(&[
        ("aws.cloudwatch.namespace", "Shop"),
        ("environment", "prod"),
        ("service", "booking"),
    ]);
    let got: Vec<_> = points.iter().map(summary).collect();
    assert_eq!(
        got,
        vec![
            ("SuccessfulBooking", "{count}", Kind::Sum, &dims[..], 1.0),
            ("BookingLatency", "ms", Kind::Histogram, &dims[..], 12.5),
            ("BookingLatency", "ms", Kind::Histogram, &dims[..], 8.0),
            ("PayloadSize", "By", Kind::Histogram, &dims[..], 2048.0),
            ("CacheHitRatio", "%", Kind::Histogram, &dims[..], 87.5),
            ("Throughput", "kBy/s", Kind::Histogram, &dims[..], 3.25),
        ]
    );
    assert!(points.iter().all(|p| p.time_unix_nano == FIXED));
}

#[test]
fn powertools_datadog_provider_lines() {
    let parsed = parse_fixture(include_str!("fixtures/powertools_datadog.jsonl"));
    let accepted = Outcome::Accepted {
        format: Format::Datadog,
        points: 1,
    };
    assert!(parsed.iter().all(|(outcome, _)| *outcome == accepted));
    let points: Vec<&Point> = parsed.iter().map(|(_, points)| &points[0]).collect();

    let tags = attrs(&[("order", "online"), ("product", "latte")]);
    assert_eq!(
        summary(points[0]),
        (
            "Shop.coffee_house.order_value",
            "",
            Kind::Histogram,
            &tags[..],
            12.45
        )
    );
    assert!(points[0].time_unix_nano > CAPTURED_AFTER);
    assert_eq!(
        summary(points[1]),
        (
            "Shop.coffee_house.orders",
            "",
            Kind::Histogram,
            &[][..],
            1.0
        )
    );
    assert_eq!(points[1].time_unix_nano, FIXED);
    let function = attrs(&[("function_name", "checkout")]);
    assert_eq!(
        summary(points[2]),
        ("Shop.ColdStart", "", Kind::Histogram, &function[..], 1.0)
    );
}

#[test]
fn datadog_lambda_log_writer_lines() {
    let parsed = parse_fixture(include_str!("fixtures/datadog_lambda.jsonl"));
    let accepted = Outcome::Accepted {
        format: Format::Datadog,
        points: 1,
    };
    assert!(parsed.iter().all(|(outcome, _)| *outcome == accepted));
    let points: Vec<&Point> = parsed.iter().map(|(_, points)| &points[0]).collect();

    // lambda_metric tags every point with the library's layer version.
    let layer = |p: &Point| {
        let tag = p
            .key
            .attributes
            .iter()
            .find(|(k, _)| k == "dd_lambda_layer");
        tag.map(|(_, v)| v.starts_with("datadog-python"))
            .unwrap_or(false)
    };
    let (name, unit, kind, tags, value) = summary(points[0]);
    assert_eq!(
        (name, unit, kind, value),
        ("coffee_house.order_value", "", Kind::Histogram, 12.45)
    );
    assert_eq!(
        &tags[1..],
        &attrs(&[("order", "online"), ("product", "latte")])[..]
    );
    assert!(layer(points[0]) && points[0].time_unix_nano > CAPTURED_AFTER);

    let (name, _, kind, tags, value) = summary(points[1]);
    assert_eq!(
        (name, kind, value),
        ("coffee_house.orders", Kind::Histogram, 2.0)
    );
    assert_eq!(tags[1], ("vip".to_owned(), String::new()));
    assert!(layer(points[1]));
    assert_eq!(points[1].time_unix_nano, FIXED);

    assert_eq!(
        summary(points[2]),
        (
            "checkout.step_duration",
            "",
            Kind::Histogram,
            &[][..],
            0.125
        )
    );
    assert_eq!(points[2].time_unix_nano, FIXED);
}
