//! Monitoring lines (docs/metrics.md): finds `MONITORING|`, Datadog JSON and EMF lines in a
//! `function` record and turns them into [`Point`](crate::Point)s, or rejects them with a [`Reason`].
//!
//! Where a line is looked for: a text record, after an optional Node.js or Python runtime
//! prefix; a JSON record (the object itself); and a JSON record's `message` field,
//! a string (searched like a text record) or an object (searched like a JSON record).
//!
//! Most log lines are not metrics, so they are turned away before any JSON parsing: a
//! text line must start with `MONITORING|` or `{`, and JSON must contain the marker of an
//! enabled format (`_aws`, `"m"`, `MONITORING|`).
//!
//! A rejected line appends nothing: an EMF document is kept or rejected as a whole.
//!
//! Layout: `detect/` finds the line in a record, `formats/` holds one module per format,
//! `readers/` the field and JSON readers the formats share, `selection.rs` the set of
//! enabled formats (`METRICLINE_FORMATS`), `reason.rs` the rejection reasons.

mod detect;
mod formats;
pub(crate) mod readers;
mod reason;
mod selection;

pub use detect::{parse_record, parse_record_into, parse_text, parse_text_into};
pub use formats::emf::NAMESPACE_ATTRIBUTE;
pub use reason::Reason;
pub use selection::{Formats, FormatsError};

/// A monitoring-line format (docs/metrics.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    /// Datadog `MONITORING|<epoch>|<value>|<type>|<name>[|#<tags>]`.
    Monitoring,
    /// Datadog JSON `{"m","v","e","t"}`.
    Datadog,
    /// CloudWatch Embedded Metric Format.
    Emf,
    /// StatsD/DogStatsD datagrams (`crate::statsd`), not a log-line format: counted with
    /// the others in `metricline.lines`.
    Statsd,
}

impl Format {
    /// The value of the `metricline.format` attribute.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Monitoring => "monitoring",
            Format::Datadog => "datadog",
            Format::Emf => "emf",
            Format::Statsd => "statsd",
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
