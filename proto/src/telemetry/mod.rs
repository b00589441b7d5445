//! Telemetry API events (schema 2025-01-29, and 2022-12-13 alike): a batch is a JSON array decoded element by
//! element, so one unknown or malformed event costs only itself.
//!
//! `function` and `extension` records stay undecoded JSON (or a plain string) so the line
//! parsers read them once; platform records decode into the typed structs of [`records`].
//! [`BatchReader`] reads a body in one pass and lends the records out without copying
//! them; [`parse_batch`] is the same reading with every event owned.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

mod escape;
mod reader;
pub mod records;
mod spans;
mod time;

pub use reader::{BatchReader, Events};

pub use records::span_duration_ms;
pub use records::{
    DurationMetrics, ExtensionState, InitReport, InitRuntimeDone, InitStart, LogsDropped, Report,
    ReportMetrics, RestoreReport, RestoreRuntimeDone, RestoreStart, RuntimeDone,
    RuntimeDoneMetrics, Span, Start, TelemetrySubscription, Tracing,
};
pub use time::parse_rfc3339;

/// A `function` or `extension` log record: a string (text log format) or a JSON object
/// (JSON log format), kept undecoded so the line parsers read it once.
#[derive(Debug, Clone)]
pub enum Record {
    Text(String),
    Json(Box<RawValue>),
}

/// A `function` or `extension` log record as [`BatchReader`] lends it: the value of a text
/// record, or the JSON text of a JSON record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordRef<'a> {
    Text(&'a str),
    Json(&'a str),
}

impl Record {
    pub fn as_ref(&self) -> RecordRef<'_> {
        match self {
            Record::Text(text) => RecordRef::Text(text),
            Record::Json(raw) => RecordRef::Json(raw.get()),
        }
    }
}

impl<'a> RecordRef<'a> {
    /// Its text as read: a text record's value, a JSON record's JSON.
    pub fn text(self) -> &'a str {
        match self {
            RecordRef::Text(text) | RecordRef::Json(text) => text,
        }
    }
}

/// One event of a batch as [`BatchReader`] reads it: log records borrowed, other events
/// decoded.
#[derive(Debug, Clone)]
pub enum EventRef<'a> {
    /// A `function` (`function: true`) or `extension` log record.
    Log {
        time_unix_nano: u64,
        function: bool,
        record: RecordRef<'a>,
    },
    Decoded(Box<Event>),
}

impl EventRef<'_> {
    pub fn into_owned(self) -> Event {
        match self {
            EventRef::Log {
                time_unix_nano,
                function,
                record,
            } => {
                let record = match record {
                    RecordRef::Text(text) => Record::Text(text.to_owned()),
                    // Valid JSON: the reader checked it, as serde_json would have.
                    RecordRef::Json(json) => Record::Json(
                        RawValue::from_string(json.to_owned()).expect("a record is valid JSON"),
                    ),
                };
                Event {
                    time_unix_nano,
                    body: if function {
                        Body::Function(record)
                    } else {
                        Body::Extension(record)
                    },
                }
            }
            EventRef::Decoded(event) => *event,
        }
    }
}

/// What an event carries, by its envelope `type`.
#[derive(Debug, Clone)]
pub enum Body {
    /// `function`: a line the function wrote.
    Function(Record),
    /// `extension`: a line an extension wrote.
    Extension(Record),
    InitStart(InitStart),
    InitRuntimeDone(InitRuntimeDone),
    InitReport(InitReport),
    Start(Start),
    RuntimeDone(RuntimeDone),
    Report(Report),
    RestoreStart(RestoreStart),
    RestoreRuntimeDone(RestoreRuntimeDone),
    RestoreReport(RestoreReport),
    /// `platform.extension`: an extension registered (not to be confused with
    /// [`Body::Extension`], an extension's log line).
    PlatformExtension(ExtensionState),
    TelemetrySubscription(TelemetrySubscription),
    LogsDropped(LogsDropped),
}

#[derive(Debug, Clone)]
pub struct Event {
    /// The envelope's `time`, in Unix nanoseconds.
    pub time_unix_nano: u64,
    pub body: Body,
}

/// Why one element of a batch was skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Skip {
    /// A `type` this schema does not define (a newer platform may add some).
    UnknownType,
    /// Not an event object, a bad `time`, or a `record` that does not fit its type.
    Malformed,
}

impl Skip {
    /// The value of the `metricline.reason` attribute of skipped-event self metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Skip::UnknownType => "unknown_type",
            Skip::Malformed => "malformed",
        }
    }
}

/// A decoded POST body: the events in their order, and what was skipped.
#[derive(Debug, Default)]
pub struct Batch {
    pub events: Vec<Event>,
    pub skipped: Vec<Skip>,
}

impl Batch {
    /// How many elements were skipped for `reason`.
    pub fn skipped_count(&self, reason: Skip) -> usize {
        self.skipped.iter().filter(|s| **s == reason).count()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchError {
    /// The body is not a JSON array at all (including not being JSON).
    NotAnArray,
}

impl std::fmt::Display for BatchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BatchError::NotAnArray => f.write_str("telemetry batch is not a JSON array"),
        }
    }
}

impl std::error::Error for BatchError {}

/// Decodes a Telemetry API POST body into owned events (the listener uses a
/// [`BatchReader`] instead, which copies nothing).
pub fn parse_batch(body: &[u8]) -> Result<Batch, BatchError> {
    let mut reader = BatchReader::default();
    let events = reader.read(body)?;
    let mut batch = Batch {
        events: Vec::with_capacity(events.len()),
        skipped: Vec::new(),
    };
    for event in events {
        match event {
            Ok(event) => batch.events.push(event.into_owned()),
            Err(skip) => batch.skipped.push(skip),
        }
    }
    Ok(batch)
}

/// The `{time, type, record}` envelope, borrowing from the body.
#[derive(Deserialize)]
pub(super) struct Envelope<'a> {
    #[serde(borrow)]
    time: Option<Cow<'a, str>>,
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    record: Option<&'a RawValue>,
}

/// Decodes one event (one element of a batch, or one line of the TCP destination).
pub fn parse_event(json: &str) -> Result<Event, Skip> {
    // serde would also read a struct from an array (`[time, type, record]`); events are
    // objects only.
    if !is_object(json) {
        return Err(Skip::Malformed);
    }
    let envelope: Envelope<'_> = serde_json::from_str(json).map_err(|_| Skip::Malformed)?;
    let (time_unix_nano, decode, record) = envelope.read()?;
    decode.event(time_unix_nano, record.get())
}

impl<'a> Envelope<'a> {
    /// The event's time, the decoder of its type and its record, still JSON text.
    pub(super) fn read(&self) -> Result<(u64, Decoder, &'a RawValue), Skip> {
        let decode = decoder(&self.kind).ok_or(Skip::UnknownType)?;
        let time_unix_nano = self
            .time
            .as_deref()
            .and_then(parse_rfc3339)
            .ok_or(Skip::Malformed)?;
        let record = self.record.ok_or(Skip::Malformed)?;
        Ok((time_unix_nano, decode, record))
    }
}

/// Decodes the record of one envelope `type`, given as JSON text.
#[derive(Debug, Clone, Copy)]
pub(super) struct Decoder(fn(&str) -> Option<Body>);

impl Decoder {
    pub(super) fn event(self, time_unix_nano: u64, record: &str) -> Result<Event, Skip> {
        let body = (self.0)(record).ok_or(Skip::Malformed)?;
        Ok(Event {
            time_unix_nano,
            body,
        })
    }
}

/// The record decoder of an envelope `type`, or `None` when the type is unknown.
fn decoder(kind: &str) -> Option<Decoder> {
    Some(Decoder(match kind {
        "function" => |r| log_record(r).map(Body::Function),
        "extension" => |r| log_record(r).map(Body::Extension),
        "platform.initStart" => |r| typed(r).map(Body::InitStart),
        "platform.initRuntimeDone" => |r| typed(r).map(Body::InitRuntimeDone),
        "platform.initReport" => |r| typed(r).map(Body::InitReport),
        "platform.start" => |r| typed(r).map(Body::Start),
        "platform.runtimeDone" => |r| typed(r).map(Body::RuntimeDone),
        "platform.report" => |r| typed(r).map(Body::Report),
        "platform.restoreStart" => |r| typed(r).map(Body::RestoreStart),
        "platform.restoreRuntimeDone" => |r| typed(r).map(Body::RestoreRuntimeDone),
        "platform.restoreReport" => |r| typed(r).map(Body::RestoreReport),
        "platform.extension" => |r| typed(r).map(Body::PlatformExtension),
        "platform.telemetrySubscription" => |r| typed(r).map(Body::TelemetrySubscription),
        "platform.logsDropped" => |r| typed(r).map(Body::LogsDropped),
        _ => return None,
    }))
}

fn typed<T: for<'de> Deserialize<'de>>(record: &str) -> Option<T> {
    is_object(record).then(|| serde_json::from_str(record).ok())?
}

fn is_object(json: &str) -> bool {
    json.trim_start().starts_with('{')
}

/// A log record is a string or a JSON object; any other JSON value is malformed.
fn log_record(record: &str) -> Option<Record> {
    if is_object(record) {
        // The text was read as JSON already; this copies it (and checks it once more).
        RawValue::from_string(record.to_owned())
            .ok()
            .map(Record::Json)
    } else {
        // Anything but a string fails here.
        serde_json::from_str(record).ok().map(Record::Text)
    }
}

#[cfg(test)]
mod tests;
