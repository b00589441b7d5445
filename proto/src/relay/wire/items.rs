//! Counting a checked request's entries and items (data points, spans, log records) by
//! walking its bytes: what a drop of the request loses, without decoding one item.

use super::{fields, payloads, Value};
use crate::relay::Signal;

/// The request's top-level entries (`Resource{Metrics,Spans,Logs}`), field 1.
pub fn entries(request: &[u8]) -> usize {
    payloads(request, 1).count()
}

/// The items of a request [`super::check`]ed for `signal`: field 2 of each entry is a
/// scope entry, whose field 2 is a span or log record, or a metric holding data points.
pub fn items(signal: Signal, request: &[u8]) -> u64 {
    let scopes = payloads(request, 1).flat_map(|entry| payloads(entry, 2));
    match signal {
        Signal::Traces | Signal::Logs => {
            scopes.map(|scope| payloads(scope, 2).count() as u64).sum()
        }
        Signal::Metrics => scopes
            .flat_map(|scope| payloads(scope, 2))
            .map(points)
            .sum(),
    }
}

/// A metric's data points. Its data is a oneof (gauge 5, sum 7, histogram 9, exponential
/// histogram 10, summary 11), each with its points in field 1. Decoding keeps the last
/// variant seen and merges repeats of the same one, so the points counted are those of the
/// last run of fields of one variant.
fn points(metric: &[u8]) -> u64 {
    let mut variant = None;
    let mut points = 0;
    for field in fields(metric).filter_map(Result::ok) {
        let (number @ (5 | 7 | 9 | 10 | 11), Value::Len(data)) = (field.number, field.value) else {
            continue;
        };
        if variant != Some(number) {
            variant = Some(number);
            points = 0;
        }
        points += payloads(data, 1).count() as u64;
    }
    points
}
