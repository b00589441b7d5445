//! Backend outages, buffer overflow and bad telemetry: nothing is lost that is not counted
//! as dropped, nothing is doubled, and the extension keeps running.

use metricline_tests::expect::{check_lines, total};
use metricline_tests::harness::{Harness, Setup};
use metricline_tests::sink::Fault;
use serde_json::json;

#[test]
fn outage_then_recovery_loses_and_doubles_nothing() {
    let mut h = Harness::start("outage", Setup::default());
    h.sink.fail_next(100_000, Fault::Unavailable);
    h.sandbox.invoke(r#"{"repeat":2}"#);
    h.sandbox.invoke("{}");
    h.check(
        h.sink.points().is_empty(),
        "nothing accepted during the outage",
    );
    h.check(h.sink.attempts() > 0, "the extension tried");
    h.sink.clear_faults();
    // The extension may still be backing off; what it kept goes out later, once.
    h.sandbox.invoke("{}");
    h.sink.fail_next(2, Fault::Unavailable);
    h.sink.fail_next(1, Fault::RetryAfter(0));
    h.sandbox.invoke("{}");
    h.sandbox.shutdown();
    let points = h.sink.points();
    let verdict = check_lines(&points, 5, 1);
    h.check(verdict.is_ok(), &format!("after shutdown: {verdict:?}"));
    h.check(
        total(&points, "metricline.points.dropped", &[]) == 0.0,
        "nothing dropped",
    );
}

#[test]
fn buffer_overflow_drops_are_counted_exactly() {
    let setup = Setup {
        function: "distinct",
        ..Setup::default()
            .env("METRICLINE_BUFFER_POINTS", "25")
            .env("METRICLINE_PLATFORM_METRICS", "false")
    };
    let mut h = Harness::start("buffer_overflow", setup);
    h.sink.fail_next(100_000, Fault::Unavailable);
    let (invokes, streams) = (4, 20);
    // Lines a minute old: the buffer sheds the oldest points first, so only line points
    // are shed (not the extension's own `metricline.lines` points, which the test cannot
    // count), and every missing line point must be counted as dropped.
    for invoke in 0..invokes {
        let event = json!({ "invoke": invoke, "streams": streams, "age": 60 });
        h.sandbox.invoke(&event.to_string());
    }
    h.sink.clear_faults();
    h.sandbox.shutdown();
    let points = h.sink.points();
    let arrived = points
        .iter()
        .filter(|p| p.metric == "buffer.points")
        .count() as f64;
    let line_total = total(&points, "buffer.points", &[]);
    h.check(
        line_total == arrived,
        "every arriving stream holds its single value once",
    );
    let missing = (invokes * streams) as f64 - arrived;
    let dropped = total(&points, "metricline.points.dropped", &[]);
    h.check(missing > 0.0, "the buffer overflowed");
    h.check(
        dropped == missing,
        &format!("dropped {dropped} counted, {missing} line points missing"),
    );
    let lines = total(
        &points,
        "metricline.lines",
        &[("metricline.outcome", "accepted")],
    );
    h.check(
        lines == (invokes * streams) as f64,
        &format!("{lines} lines counted as accepted: the extension's own points were shed"),
    );
}

#[test]
fn garbage_telemetry_is_skipped_and_valid_events_of_the_same_batch_arrive() {
    let mut h = Harness::start("garbage_telemetry", Setup::default());
    h.sandbox.invoke("{}");
    let now = metricline_tests::sandbox::iso8601(std::time::SystemTime::now());
    let epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    h.sandbox.inject_batch("this is not JSON");
    h.sandbox.inject_batch(r#"{"not":"an array"}"#);
    let mixed = json!([
        { "time": now, "type": "platform.somethingNew", "record": {} },
        { "time": 42, "type": "function", "record": "MONITORING|0|1|count|broken.time" },
        { "type": "function" },
        "a string event",
        { "time": now, "type": "platform.runtimeDone", "record": { "status": 7 } },
        { "time": now, "type": "function", "record": format!("MONITORING|{epoch}|5|count|injected.valid|#src:batch") },
    ]);
    h.sandbox.inject_batch(mixed.to_string());
    h.sandbox.inject_event(
        json!({ "time": now, "type": "function", "record": { "deeply": ["odd", null] } }),
    );
    h.sandbox.invoke("{}");
    h.sandbox.invoke("{}");
    let shutdown = h.sandbox.shutdown();
    h.check(
        shutdown.extension_exited_before_deadline,
        "the extension survived",
    );
    let points = h.sink.points();
    let verdict = check_lines(&points, 3, 1);
    h.check(
        verdict.is_ok(),
        &format!("lines around the garbage: {verdict:?}"),
    );
    h.check(
        total(&points, "injected.valid", &[("src", "batch")]) == 5.0,
        "the valid event of the mixed batch",
    );
    let skipped = total(&points, "metricline.telemetry.events.skipped", &[]);
    h.check(
        skipped >= 3.0,
        &format!("bad events are counted as skipped: {skipped}"),
    );
}
