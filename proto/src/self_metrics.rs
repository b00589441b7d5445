//! The extension's own health metrics (docs/metrics.md): `metricline.lines`,
//! `metricline.points.dropped`, `metricline.telemetry.events.skipped` and
//! `metricline.statsd.datagrams.dropped`.
//!
//! Every attribute value comes from a closed set, so these streams stay few.

use crate::lines::{Format, Reason};
use crate::model::{Kind, Point, StreamKey};
use crate::telemetry::Skip;

pub const LINES: &str = "metricline.lines";
pub const POINTS_DROPPED: &str = "metricline.points.dropped";
pub const TELEMETRY_EVENTS_SKIPPED: &str = "metricline.telemetry.events.skipped";
pub const STATSD_DATAGRAMS_DROPPED: &str = "metricline.statsd.datagrams.dropped";

pub const ATTR_FORMAT: &str = "metricline.format";
pub const ATTR_OUTCOME: &str = "metricline.outcome";
pub const ATTR_REASON: &str = "metricline.reason";

/// Why data points were dropped instead of delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DropReason {
    /// The retry buffer (`METRICLINE_BUFFER_POINTS`) overflowed; the oldest points went.
    BufferFull,
    /// The backend refused the export with a non-retryable error (e.g. HTTP 400).
    Rejected,
    /// The backend accepted the export but reported rejected points (partial success).
    PartialSuccess,
}

impl DropReason {
    /// The value of the `metricline.reason` attribute.
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::BufferFull => "buffer_full",
            DropReason::Rejected => "rejected",
            DropReason::PartialSuccess => "partial_success",
        }
    }
}

/// `metricline.lines` for monitoring lines of `format` that were accepted.
pub fn lines_accepted(format: Format, count: u64, time_unix_nano: u64) -> Point {
    counter(
        LINES,
        "{line}",
        vec![(ATTR_FORMAT, format.as_str()), (ATTR_OUTCOME, "accepted")],
        count,
        time_unix_nano,
    )
}

/// `metricline.lines` for monitoring lines of `format` rejected for `reason`.
pub fn lines_rejected(format: Format, reason: Reason, count: u64, time_unix_nano: u64) -> Point {
    counter(
        LINES,
        "{line}",
        vec![
            (ATTR_FORMAT, format.as_str()),
            (ATTR_OUTCOME, "rejected"),
            (ATTR_REASON, reason.as_str()),
        ],
        count,
        time_unix_nano,
    )
}

/// `metricline.lines` for lines of `format` counted but not metrics (StatsD events and
/// service checks), with what they were as the reason.
pub fn lines_skipped(format: Format, what: &'static str, count: u64, time_unix_nano: u64) -> Point {
    counter(
        LINES,
        "{line}",
        vec![
            (ATTR_FORMAT, format.as_str()),
            (ATTR_OUTCOME, "skipped"),
            (ATTR_REASON, what),
        ],
        count,
        time_unix_nano,
    )
}

/// `metricline.statsd.datagrams.dropped`: datagrams the kernel dropped because the
/// listener's receive buffer was full.
pub fn statsd_datagrams_dropped(count: u64, time_unix_nano: u64) -> Point {
    counter(
        STATSD_DATAGRAMS_DROPPED,
        "{datagram}",
        Vec::new(),
        count,
        time_unix_nano,
    )
}

/// `metricline.points.dropped`: data points lost for `reason`.
pub fn points_dropped(reason: DropReason, count: u64, time_unix_nano: u64) -> Point {
    counter(
        POINTS_DROPPED,
        "{point}",
        vec![(ATTR_REASON, reason.as_str())],
        count,
        time_unix_nano,
    )
}

/// `metricline.telemetry.events.skipped`: Telemetry API events the listener skipped.
pub fn telemetry_events_skipped(reason: Skip, count: u64, time_unix_nano: u64) -> Point {
    counter(
        TELEMETRY_EVENTS_SKIPPED,
        "{event}",
        vec![(ATTR_REASON, reason.as_str())],
        count,
        time_unix_nano,
    )
}

fn counter(
    name: &str,
    unit: &str,
    attributes: Vec<(&str, &str)>,
    count: u64,
    time_unix_nano: u64,
) -> Point {
    let attributes = attributes
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    Point {
        key: StreamKey::new(name, unit, Kind::Sum, attributes),
        time_unix_nano,
        value: count as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(point: &Point) -> Vec<(&str, &str)> {
        let a = &point.key.attributes;
        a.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
    }

    #[test]
    fn accepted_lines_carry_format_and_outcome() {
        let p = lines_accepted(Format::Emf, 3, 42);
        assert_eq!(
            (p.key.name.as_str(), p.key.unit.as_str()),
            (LINES, "{line}")
        );
        assert_eq!(
            (p.key.kind, p.value, p.time_unix_nano),
            (Kind::Sum, 3.0, 42)
        );
        let want = [(ATTR_FORMAT, "emf"), (ATTR_OUTCOME, "accepted")];
        assert_eq!(attrs(&p), want);
    }

    #[test]
    fn rejected_lines_add_the_reason() {
        let p = lines_rejected(Format::Monitoring, Reason::FieldCount, 1, 7);
        let want = [
            (ATTR_FORMAT, "monitoring"),
            (ATTR_OUTCOME, "rejected"),
            (ATTR_REASON, Reason::FieldCount.as_str()),
        ];
        assert_eq!(attrs(&p), want);
        assert_eq!((p.value, p.time_unix_nano), (1.0, 7));
    }

    #[test]
    fn dropped_points_and_skipped_events_carry_their_reason() {
        let p = points_dropped(DropReason::BufferFull, 10, 5);
        assert_eq!(
            (p.key.name.as_str(), p.key.unit.as_str()),
            (POINTS_DROPPED, "{point}")
        );
        assert_eq!(attrs(&p), [(ATTR_REASON, "buffer_full")]);
        assert_eq!((p.key.kind, p.value), (Kind::Sum, 10.0));

        let p = telemetry_events_skipped(Skip::UnknownType, 2, 9);
        let key = (p.key.name.as_str(), p.key.unit.as_str());
        assert_eq!(key, (TELEMETRY_EVENTS_SKIPPED, "{event}"));
        assert_eq!(attrs(&p), [(ATTR_REASON, "unknown_type")]);
        assert_eq!((p.value, p.time_unix_nano), (2.0, 9));
        let p = telemetry_events_skipped(Skip::Malformed, 1, 9);
        assert_eq!(attrs(&p), [(ATTR_REASON, "malformed")]);
    }

    #[test]
    fn statsd_skips_and_kernel_drops() {
        let p = lines_skipped(Format::Statsd, "event", 4, 3);
        let want = [
            (ATTR_FORMAT, "statsd"),
            (ATTR_OUTCOME, "skipped"),
            (ATTR_REASON, "event"),
        ];
        assert_eq!(attrs(&p), want);
        assert_eq!((p.key.name.as_str(), p.value), (LINES, 4.0));
        let p = statsd_datagrams_dropped(12, 8);
        let key = (p.key.name.as_str(), p.key.unit.as_str(), p.key.kind);
        assert_eq!(key, (STATSD_DATAGRAMS_DROPPED, "{datagram}", Kind::Sum));
        assert!(p.key.attributes.is_empty());
        assert_eq!((p.value, p.time_unix_nano), (12.0, 8));
    }
}
