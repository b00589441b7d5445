use super::line::{MAX_COPIES_PER_LINE, MIN_HISTOGRAM_RATE};
use super::*;
use crate::model::{Kind, Point};
use proptest::prelude::*;

const RECEIVED: u64 = 5_000_000_000;
const T: u64 = 1_764_151_200_000_000_000;

/// The points and the per-line outcomes of one datagram.
fn parse(datagram: &[u8]) -> (Vec<Point>, Vec<LineOutcome>) {
    let mut points = Vec::new();
    let mut outcomes = Vec::new();
    parse_datagram(datagram, RECEIVED, &mut points, |_, outcome| {
        outcomes.push(outcome)
    });
    (points, outcomes)
}

fn accepted(datagram: &str) -> Vec<Point> {
    let (points, outcomes) = parse(datagram.as_bytes());
    assert!(
        outcomes.iter().all(|o| *o == LineOutcome::Accepted),
        "{datagram:?}: {outcomes:?}"
    );
    points
}

fn rejected(datagram: &str) -> Reason {
    let (points, outcomes) = parse(datagram.as_bytes());
    assert!(points.is_empty(), "{datagram:?} emitted {points:?}");
    match outcomes[..] {
        [LineOutcome::Rejected(reason)] => reason,
        _ => panic!("{datagram:?}: {outcomes:?}"),
    }
}

fn attrs(point: &Point) -> Vec<(&str, &str)> {
    let a = &point.key.attributes;
    a.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

fn values(points: &[Point]) -> Vec<f64> {
    points.iter().map(|p| p.value).collect()
}

#[test]
fn counter_with_tags_is_an_up_down_sum_stamped_when_received() {
    let points = accepted("page.views:1|c|#env:prod,vip");
    let p = &points[0];
    assert_eq!(points.len(), 1);
    assert_eq!(
        (p.key.name.as_str(), p.key.unit.as_str()),
        ("page.views", "")
    );
    assert_eq!(p.key.kind, Kind::UpDownSum);
    assert_eq!(attrs(p), [("env", "prod"), ("vip", "")]);
    assert_eq!((p.time_unix_nano, p.value), (RECEIVED, 1.0));
}

#[test]
fn decrements_are_kept_as_negative_counts() {
    assert_eq!(values(&accepted("jobs:-1|c")), [-1.0]);
    assert_eq!(values(&accepted("jobs:-3|c|@0.5")), [-6.0]);
}

#[test]
fn types_map_to_kinds_and_timers_get_milliseconds() {
    for (line, kind, unit) in [
        ("a:1|g", Kind::Gauge, ""),
        ("a:1|ms", Kind::Histogram, "ms"),
        ("a:1|h", Kind::Histogram, ""),
        ("a:1|d", Kind::Histogram, ""),
        ("a:1|c", Kind::UpDownSum, ""),
    ] {
        let p = &accepted(line)[0];
        assert_eq!((p.key.kind, p.key.unit.as_str()), (kind, unit), "{line}");
    }
    assert_eq!(rejected("a:1|x"), Reason::UnknownType);
    assert_eq!(rejected("a:1|C"), Reason::UnknownType);
    assert_eq!(rejected("a:1||#x"), Reason::UnknownType);
    assert_eq!(rejected("users:alice|s"), Reason::SetUnsupported);
}

#[test]
fn several_lines_per_datagram_each_counted() {
    let (points, outcomes) = parse(b"a:1|c\nb:2|g\r\n\nc:3|d\n");
    let names: Vec<&str> = points.iter().map(|p| p.key.name.as_str()).collect();
    assert_eq!(names, ["a", "b", "c"]);
    assert_eq!(outcomes, [LineOutcome::Accepted; 3]);
}

#[test]
fn a_bad_line_loses_nothing_else_of_its_datagram() {
    let datagram = b"a:1|c\nno-type:1\nb:\xff|c\nc:2|c\n_e{1,1}:t|x\n_sc|svc|0";
    let (points, outcomes) = parse(datagram);
    assert_eq!(values(&points), [1.0, 2.0]);
    assert_eq!(
        outcomes,
        [
            LineOutcome::Accepted,
            LineOutcome::Rejected(Reason::StatsdSyntax),
            LineOutcome::Rejected(Reason::StatsdSyntax),
            LineOutcome::Accepted,
            LineOutcome::Event,
            LineOutcome::ServiceCheck,
        ]
    );
}

#[test]
fn multiple_values_are_samples_and_a_bad_one_rejects_the_line() {
    assert_eq!(values(&accepted("lat:1:2.5:3|d")), [1.0, 2.5, 3.0]);
    assert_eq!(values(&accepted("hits:1:2|c")), [1.0, 2.0]);
    assert_eq!(rejected("lat:1:x:3|d"), Reason::BadValue);
    assert_eq!(rejected("lat:1::3|d"), Reason::BadValue);
    assert_eq!(rejected("lat:|d"), Reason::BadValue);
    assert_eq!(rejected("lat:NaN|d"), Reason::BadValue);
}

#[test]
fn counter_sample_rate_scales_the_count() {
    assert_eq!(values(&accepted("a:1|c|@0.5")), [2.0]);
    assert_eq!(values(&accepted("a:3|c|@0.25|#k:v")), [12.0]);
    assert_eq!(values(&accepted("a:1|c|@1")), [1.0]);
    // A very low rate is fine for a counter: one multiplication.
    assert_eq!(values(&accepted("a:1|c|@0.00001")), [1.0 / 0.00001]);
}

#[test]
fn histogram_sample_rate_repeats_each_sample() {
    let points = accepted("t:10|ms|@0.5");
    assert_eq!(values(&points), [10.0, 10.0]);
    assert!(points.iter().all(|p| p.key.unit == "ms"));
    // 1/0.3 = 3.33…: the nearest whole number of samples.
    assert_eq!(
        values(&accepted("d:1:2|d|@0.3")),
        [1.0, 1.0, 1.0, 2.0, 2.0, 2.0]
    );
    let lowest = format!("d:1|d|@{MIN_HISTOGRAM_RATE}");
    assert_eq!(accepted(&lowest).len(), 10_000);
    assert_eq!(rejected("d:1|d|@0.00009"), Reason::BadSampleRate);
    // Several values share the bound: a line never costs more than one sample at the
    // lowest rate.
    assert_eq!(accepted("d:1:2|d|@0.0002").len(), MAX_COPIES_PER_LINE);
    assert_eq!(rejected("d:1:2:3|d|@0.0002"), Reason::BadSampleRate);
}

#[test]
fn gauges_ignore_the_rate_and_signs_set_the_value() {
    assert_eq!(values(&accepted("g:7|g|@0.5")), [7.0]);
    assert_eq!(values(&accepted("g:+5|g")), [5.0]);
    assert_eq!(values(&accepted("g:-5|g")), [-5.0]);
}

#[test]
fn sample_rates_outside_zero_to_one_are_rejected() {
    for rate in ["0", "-0.5", "1.5", "x", "", "NaN"] {
        let line = format!("a:1|c|@{rate}");
        assert_eq!(rejected(&line), Reason::BadSampleRate, "{line}");
    }
}

#[test]
fn timestamp_field_is_seconds_and_zero_means_received() {
    assert_eq!(accepted("a:1|c|T1764151200")[0].time_unix_nano, T);
    assert_eq!(accepted("a:1|g|#k:v|T1764151200")[0].time_unix_nano, T);
    assert_eq!(accepted("a:1|c|T0")[0].time_unix_nano, RECEIVED);
    assert_eq!(rejected("a:1|c|Tyesterday"), Reason::BadTimestamp);
}

#[test]
fn unknown_fields_such_as_the_container_id_are_ignored() {
    let p = &accepted("a:2|c|#k:v|c:83c0a99c0a54c0c187f461c7980e9b57|e:it-false|card:low|")[0];
    assert_eq!(attrs(p), [("k", "v")]);
    assert_eq!(p.value, 2.0);
}

#[test]
fn tags_follow_the_log_line_rule() {
    let p = &accepted("a:1|c|#b:2,a:1,,b:3,url:http://x|#extra")[0];
    assert_eq!(
        attrs(p),
        [("a", "1"), ("b", "3"), ("extra", ""), ("url", "http://x")]
    );
    assert_eq!(rejected("a:1|c|#:v"), Reason::BadTags);
}

#[test]
fn names_follow_the_instrument_name_rule() {
    for line in [":1|c", "9lives:1|c", "has space:1|c", "é:1|c"] {
        assert_eq!(rejected(line), Reason::InvalidName, "{line}");
    }
    for line in ["name-only", "a:1", "a", "|c"] {
        assert_eq!(rejected(line), Reason::StatsdSyntax, "{line}");
    }
}

#[test]
fn tally_sums_outcomes_into_line_self_metrics() {
    let mut tally = Tally::default();
    parse_datagram(
        b"a:1|c\nb:1|c\nx|c\ns:1|s\n_e{1,1}:a|b\n_sc|x|0",
        RECEIVED,
        &mut Vec::new(),
        |_, outcome| tally.count(outcome),
    );
    assert_eq!(tally.lines(), 6);
    let points = tally.take_points(9);
    let summary: Vec<(Vec<(&str, &str)>, f64)> =
        points.iter().map(|p| (attrs(p), p.value)).collect();
    let lines = |outcome, reason: Option<&'static str>| {
        let mut a = vec![
            ("metricline.format", "statsd"),
            ("metricline.outcome", outcome),
        ];
        a.extend(reason.map(|r| ("metricline.reason", r)));
        a
    };
    assert_eq!(
        summary,
        [
            (lines("accepted", None), 2.0),
            (lines("rejected", Some("statsd_syntax")), 1.0),
            (lines("rejected", Some("set_unsupported")), 1.0),
            (lines("skipped", Some("event")), 1.0),
            (lines("skipped", Some("service_check")), 1.0),
        ]
    );
    assert!(points.iter().all(|p| p.time_unix_nano == 9));
    assert_eq!(tally.lines(), 0);
    assert!(tally.take_points(10).is_empty());
}

proptest! {
    #[test]
    fn any_bytes_parse_without_panic_and_every_line_is_counted(
        datagram in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        let (_, outcomes) = parse(&datagram);
        let lines = datagram
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty() && *l != b"\r")
            .count();
        prop_assert_eq!(outcomes.len(), lines);
    }

    /// Counter totals survive any mix of sample rates and bad lines: every accepted value
    /// is emitted once, scaled, and a rejected line emits nothing.
    #[test]
    fn counter_totals_are_preserved(
        lines in proptest::collection::vec(
            (0..4usize, -1000i32..1000, prop::bool::ANY, "[a-z]{1,3}"),
            1..40,
        ),
    ) {
        const RATES: [f64; 4] = [1.0, 0.5, 0.25, 0.125];
        let mut datagram = String::new();
        let mut expected = 0.0;
        let mut good = 0;
        for (rate, value, bad, tag) in &lines {
            if *bad {
                datagram.push_str(&format!("c:{value}|c|@{}|#:{tag}\n", RATES[*rate]));
            } else {
                datagram.push_str(&format!("c:{value}|c|@{}|#t:{tag}\n", RATES[*rate]));
                expected += f64::from(*value) / RATES[*rate];
                good += 1;
            }
        }
        let (points, outcomes) = parse(datagram.as_bytes());
        let accepted = outcomes.iter().filter(|o| **o == LineOutcome::Accepted).count();
        prop_assert_eq!(accepted, good);
        prop_assert_eq!(outcomes.len(), lines.len());
        prop_assert_eq!(points.len(), good);
        // Powers of two: every scaled value and partial sum is exact.
        prop_assert_eq!(points.iter().map(|p| p.value).sum::<f64>(), expected);
    }
}
