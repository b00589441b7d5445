//! Every line format from real client output (Powertools EMF, datadog_lambda JSON, printed
//! and logged MONITORING| lines) reaches the backend exactly once, with the right name,
//! kind, unit and attributes, in the text and the JSON log format.

use metricline_tests::expect::{check_lines, total};
use metricline_tests::harness::{Harness, Setup};
use metricline_tests::sandbox::{InvokeStatus, LogFormat};

fn accepted(points: &[metricline_tests::sink::ReceivedPoint], format: &str) -> f64 {
    total(
        points,
        "metricline.lines",
        &[
            ("metricline.format", format),
            ("metricline.outcome", "accepted"),
        ],
    )
}

fn every_format_arrives_once(test: &str, format: LogFormat) {
    let mut h = Harness::start(test, Setup::default().log_format(format));
    let first = h.sandbox.invoke(r#"{"repeat":2}"#);
    h.check(first.status == InvokeStatus::Success, "invoke succeeds");
    // `end` flushing: the invoke's line metrics reach the backend before the freeze.
    let verdict = check_lines(&h.sink.points(), 2, 1);
    h.check(verdict.is_ok(), &format!("after invoke 1: {verdict:?}"));
    h.sandbox.invoke("{}");
    let verdict = check_lines(&h.sink.points(), 3, 1);
    h.check(verdict.is_ok(), &format!("after invoke 2: {verdict:?}"));
    let shutdown = h.sandbox.shutdown();
    assert!(shutdown.extension_exited_before_deadline, "{shutdown:?}");
    // The shutdown flush adds report metrics, never a second copy of a line.
    let points = h.sink.points();
    let verdict = check_lines(&points, 3, 1);
    h.check(verdict.is_ok(), &format!("after shutdown: {verdict:?}"));
    // 4 MONITORING lines and 1 Datadog line per repetition; EMF: cold start + 2 invokes.
    assert_eq!(accepted(&points, "monitoring"), 12.0);
    assert_eq!(accepted(&points, "datadog"), 3.0);
    assert_eq!(accepted(&points, "emf"), 3.0);
}

#[test]
fn text_log_format() {
    every_format_arrives_once("text_log_format", LogFormat::Text);
}

#[test]
fn json_log_format() {
    every_format_arrives_once("json_log_format", LogFormat::Json);
}

#[test]
fn malformed_lines_are_counted_by_reason_and_their_neighbours_arrive() {
    let mut h = Harness::start("malformed_lines", Setup::default());
    let result = h.sandbox.invoke(r#"{"malformed":true}"#);
    h.check(result.status == InvokeStatus::Success, "invoke succeeds");
    let points = h.sink.points();
    let verdict = check_lines(&points, 1, 1);
    h.check(
        verdict.is_ok(),
        &format!("valid lines of the same invoke: {verdict:?}"),
    );
    let rejected = |format| {
        total(
            &points,
            "metricline.lines",
            &[
                ("metricline.format", format),
                ("metricline.outcome", "rejected"),
            ],
        )
    };
    h.check(
        rejected("monitoring") == 3.0,
        "3 malformed MONITORING lines are counted",
    );
    h.check(
        rejected("datadog") == 1.0,
        "1 malformed Datadog line is counted",
    );
    h.check(rejected("emf") == 1.0, "1 malformed EMF line is counted");
    let reasons = points
        .iter()
        .filter(|p| {
            p.metric == "metricline.lines" && p.attr("metricline.outcome") == Some("rejected")
        })
        .all(|p| p.attr("metricline.reason").is_some_and(|r| !r.is_empty()));
    assert!(reasons, "every rejection carries a reason");
    // The extension kept running: the next invoke's lines arrive too.
    h.sandbox.invoke("{}");
    let verdict = check_lines(&h.sink.points(), 2, 1);
    h.check(
        verdict.is_ok(),
        &format!("after the malformed invoke: {verdict:?}"),
    );
    assert!(h.sandbox.shutdown().extension_exited_before_deadline);
}
