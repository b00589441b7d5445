//! Finds the monitoring line in a `function` record and hands it to its format's parser.
//!
//! The parsers emit borrowed points into a [`PointSink`]: a `Vec<Point>` keeps owned
//! copies, an [`Aggregator`](crate::aggregate::Aggregator) records them without
//! allocating for streams it already has. The sink is a trait object: one indirect call
//! per point costs less than a second copy of every parser in the layer binary.

use super::formats::{datadog, emf, monitoring};
use super::readers::json::{self, Markers, Members, Text};
use super::readers::prefix::strip_runtime_prefix;
use super::readers::scan::{contains_quoted, trim, trim_ascii};
use super::{Format, Formats, Outcome, Reason};
use crate::model::{Point, PointSink};
use crate::telemetry::{Record, RecordRef};

mod wrapper;

/// Parses one `function` record; `event_time_unix_nano` stands in for a missing timestamp.
pub fn parse_record(
    record: &Record,
    event_time_unix_nano: u64,
    formats: Formats,
    out: &mut Vec<Point>,
) -> Outcome {
    parse_record_into(record.as_ref(), event_time_unix_nano, formats, out)
}

/// [`parse_record`] of a borrowed record, into any sink.
pub fn parse_record_into(
    record: RecordRef<'_>,
    event_time_unix_nano: u64,
    formats: Formats,
    out: &mut dyn PointSink,
) -> Outcome {
    match record {
        RecordRef::Text(line) => parse_text_into(line, event_time_unix_nano, formats, out),
        RecordRef::Json(json) => json_record(json, event_time_unix_nano, formats, out),
    }
}

/// Parses one line of the text log format, with or without a runtime prefix.
pub fn parse_text(
    line: &str,
    event_time_unix_nano: u64,
    formats: Formats,
    out: &mut Vec<Point>,
) -> Outcome {
    parse_text_into(line, event_time_unix_nano, formats, out)
}

/// [`parse_text`] into any sink.
pub fn parse_text_into(
    line: &str,
    event_time_unix_nano: u64,
    formats: Formats,
    out: &mut dyn PointSink,
) -> Outcome {
    let line = trim(strip_runtime_prefix(trim(line)));
    match line.as_bytes().first() {
        Some(b'M') if formats.monitoring && line.starts_with(monitoring::MARKER) => {
            run(Format::Monitoring, out, |out| {
                monitoring::parse(line, event_time_unix_nano, out)
            })
        }
        Some(b'{') => json_text(line, event_time_unix_nano, formats, out),
        _ => Outcome::NotMetric,
    }
}

/// A text line that looks like a JSON object.
fn json_text(line: &str, event_time: u64, formats: Formats, out: &mut dyn PointSink) -> Outcome {
    let Some(emf) = json_hint(line, formats) else {
        return Outcome::NotMetric;
    };
    // Most such lines are well-formed metrics, which one pass reads; the general reader
    // below takes whatever that pass cannot, and gives the exact outcome for it.
    if emf {
        if let Some(result) = emf::parse_line(line, event_time, out) {
            return outcome(Format::Emf, result);
        }
    } else if let Some(outcome) = datadog::parse_line(line, event_time, out) {
        return outcome;
    }
    general_json_text(line, emf, event_time, formats, out)
}

/// The one-pass reader of the hinted format, for object records; `None` for what only the
/// general reader can tell. (Text lines call the two readers in [`json_text`] itself, which
/// the layer's size-optimized build compiles into fewer instructions per line.)
fn one_pass(line: &str, emf: bool, event_time: u64, out: &mut dyn PointSink) -> Option<Outcome> {
    if emf {
        emf::parse_line(line, event_time, out).map(|result| outcome(Format::Emf, result))
    } else {
        datadog::parse_line(line, event_time, out)
    }
}

/// Whether a JSON object is worth reading as a metric: `Some(true)` with the EMF marker,
/// `Some(false)` with only Datadog's `m`, `None` with neither (of the formats looked for).
#[inline]
fn json_hint(line: &str, formats: Formats) -> Option<bool> {
    let emf = formats.emf && contains_quoted(line, "_aws");
    // An EMF hint already means a full read, which finds `m` too.
    let datadog = !emf && formats.datadog && contains_quoted(line, "m");
    (emf || datadog).then_some(emf)
}

/// [`json_text`] for any line; `emf` tells whether it has the EMF marker.
fn general_json_text(
    line: &str,
    emf: bool,
    event_time: u64,
    formats: Formats,
    out: &mut dyn PointSink,
) -> Outcome {
    match read_object(line, emf) {
        Some((markers, members)) => {
            object(&markers, members, line, event_time, formats, out).unwrap_or(Outcome::NotMetric)
        }
        // A broken document with an EMF marker is most likely a truncated EMF line; a
        // broken one with only `"m"` is too weak a hint to call it a metric.
        None if emf => Outcome::Rejected {
            format: Format::Emf,
            reason: Reason::MalformedJson,
        },
        None => Outcome::NotMetric,
    }
}

/// A record of the JSON log format: the function's own JSON line, or Lambda's
/// `{"timestamp","level","requestId","message"}` wrapper around what it printed.
fn json_record(json: &str, event_time: u64, formats: Formats, out: &mut dyn PointSink) -> Outcome {
    let text = trim_ascii(json);
    if text.starts_with('"') {
        return match serde_json::from_str::<Text>(json).ok() {
            Some(line) => parse_text_into(&line.0, event_time, formats, out),
            None => Outcome::NotMetric,
        };
    }
    // In one pass, like text lines: Lambda's wrapper around a printed line, or a metric
    // object (what the sandbox and Lambda make of a printed JSON line). The general reader
    // below still judges everything else, and every metric a one-pass reader turns away.
    // A wrapper's line has no quote or backslash, so the text line's own tests are the
    // only ones it needs: the markers' search below would find nothing they miss.
    if let Some(message) = wrapper::message(text) {
        return parse_text_into(message, event_time, formats, out);
    }
    if !worth_parsing(text, formats) {
        return Outcome::NotMetric;
    }
    let hint = json_hint(text, formats);
    if let Some(emf) = hint {
        match one_pass(text, emf, event_time, out) {
            // An object that is no metric may still wrap one in `message`.
            None | Some(Outcome::NotMetric) => {}
            Some(outcome) => return outcome,
        }
    }
    general_json_record(text, hint == Some(true), event_time, formats, out)
}

/// Whether an object record may hold a metric of the formats looked for. The markers may
/// sit in a `message` string, where quotes are escaped.
fn worth_parsing(text: &str, formats: Formats) -> bool {
    (formats.monitoring && text.contains(monitoring::MARKER))
        || (formats.emf && text.contains("_aws"))
        || (formats.datadog && (text.contains("\"m\"") || text.contains(r#"\"m\""#)))
}

/// [`json_record`] for any object record worth parsing, by the general reader; `emf`
/// tells whether it has the EMF marker. An object is read as the same text line would be
/// (a repeated marker of an EMF document: the first counts), then its `message`.
fn general_json_record(
    text: &str,
    emf: bool,
    event_time: u64,
    formats: Formats,
    out: &mut dyn PointSink,
) -> Outcome {
    let Some((markers, members)) = read_object(text, emf) else {
        return Outcome::NotMetric;
    };
    if let Some(outcome) = object(&markers, members, text, event_time, formats, out) {
        return outcome;
    }
    let Some(message) = markers.message else {
        return Outcome::NotMetric;
    };
    let message_text = json::text_of(message);
    if message_text.starts_with('"') {
        return match json::decode::<Text>(message) {
            Some(line) => parse_text_into(&line.0, event_time, formats, out),
            None => Outcome::NotMetric,
        };
    }
    read_object(message_text, false)
        .and_then(|(markers, members)| {
            object(&markers, members, message_text, event_time, formats, out)
        })
        .unwrap_or(Outcome::NotMetric)
}

/// Reads the markers of an object, and all its members at once when it is likely an EMF
/// document (which references its members by name), so that it is scanned only once.
fn read_object(text: &str, likely_emf: bool) -> Option<(Markers<'_>, Option<Members<'_>>)> {
    if likely_emf {
        let members = json::object(text)?;
        Some((Markers::of(&members), Some(members)))
    } else {
        Some((json::markers(text)?, None))
    }
}

/// An object that is an EMF document or a Datadog JSON metric; `None` if it is neither.
/// `members` are the object's members if already read, `text` the object itself.
fn object(
    markers: &Markers<'_>,
    members: Option<Members<'_>>,
    text: &str,
    event_time: u64,
    formats: Formats,
    out: &mut dyn PointSink,
) -> Option<Outcome> {
    if formats.emf && markers.aws.is_some() {
        return Some(run(Format::Emf, out, |out| {
            let root = match members {
                Some(members) => members,
                None => json::object(text).ok_or(Reason::MalformedJson)?,
            };
            emf::parse(&root, event_time, out)
        }));
    }
    if formats.datadog && datadog::is_candidate(markers) {
        return Some(run(Format::Datadog, out, |out| {
            datadog::parse(markers, event_time, out)
        }));
    }
    None
}

/// Runs one format's parser. A parser emits points only once it has accepted the whole
/// line, so a rejected line has nothing to take back from the sink.
fn run(
    format: Format,
    out: &mut dyn PointSink,
    parse: impl FnOnce(&mut dyn PointSink) -> Result<usize, Reason>,
) -> Outcome {
    outcome(format, parse(out))
}

fn outcome(format: Format, parsed: Result<usize, Reason>) -> Outcome {
    match parsed {
        Ok(points) => Outcome::Accepted { format, points },
        Err(reason) => Outcome::Rejected { format, reason },
    }
}

#[cfg(test)]
mod tests;
