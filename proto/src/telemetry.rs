//! Telemetry API events (schema 2022-12-13): a batch is a JSON array decoded element by
//! element, so one unknown or malformed event costs only itself.
//!
//! OWNER: helper "telemetry+platform". Skeleton: the names below are the contract other
//! modules use; add fields and variants freely.

use serde_json::value::RawValue;

/// A `function` or `extension` log record: a string (text log format) or a JSON object
/// (JSON log format), kept undecoded so the line parsers read it once.
#[derive(Debug, Clone)]
pub enum Record {
    Text(String),
    Json(Box<RawValue>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct RuntimeDone {
    pub request_id: String,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub request_id: String,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Start {
    pub request_id: String,
}

#[derive(Debug, Clone)]
pub enum Body {
    Function(Record),
    Extension(Record),
    Start(Start),
    RuntimeDone(RuntimeDone),
    Report(Report),
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
    UnknownType,
    Malformed,
}

#[derive(Debug, Default)]
pub struct Batch {
    pub events: Vec<Event>,
    pub skipped: Vec<Skip>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchError {
    /// The body is not a JSON array at all.
    NotAnArray,
}

/// Decodes a Telemetry API POST body.
pub fn parse_batch(_body: &[u8]) -> Result<Batch, BatchError> {
    Err(BatchError::NotAnArray)
}
