//! Monitoring lines (DESIGN.md §3): finds `MONITORING|`, Datadog JSON and EMF lines in a
//! `function` record and turns them into [`Point`]s, or rejects them with a [`Reason`].
//!
//! OWNER: helper "lines". Skeleton: the names below are the contract other modules use.

use crate::model::Point;
use crate::telemetry::Record;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    Monitoring,
    Datadog,
    Emf,
}

impl Format {
    /// The value of the `metricline.format` attribute.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Monitoring => "monitoring",
            Format::Datadog => "datadog",
            Format::Emf => "emf",
        }
    }
}

/// Which formats are parsed (`METRICLINE_FORMATS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Formats {
    pub monitoring: bool,
    pub datadog: bool,
    pub emf: bool,
}

impl Default for Formats {
    fn default() -> Self {
        Formats {
            monitoring: true,
            datadog: true,
            emf: true,
        }
    }
}

/// Why a monitoring line was rejected: a small closed set, used as `metricline.reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reason {
    FieldCount,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::FieldCount => "field_count",
        }
    }
}

/// What one record turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Not a monitoring line: ignored silently.
    NotMetric,
    /// A monitoring line; `points` values were appended.
    Accepted { format: Format, points: usize },
    /// A monitoring line that is malformed; nothing was appended.
    Rejected { format: Format, reason: Reason },
}

/// Parses one `function` record; `event_time_unix_nano` stands in for a missing timestamp.
pub fn parse_record(
    _record: &Record,
    _event_time_unix_nano: u64,
    _formats: Formats,
    _out: &mut Vec<Point>,
) -> Outcome {
    Outcome::NotMetric
}
