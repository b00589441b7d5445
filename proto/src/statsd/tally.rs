//! Line outcomes summed between flushes, so that a burst of datagrams costs a few
//! `metricline.lines` points per flush instead of one per line.

use super::LineOutcome;
use crate::lines::{Format, Reason};
use crate::model::Point;
use crate::self_metrics;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tally {
    accepted: u64,
    /// A few entries at most: reasons are a small closed set.
    rejected: Vec<(Reason, u64)>,
    events: u64,
    service_checks: u64,
}

impl Tally {
    pub fn count(&mut self, outcome: LineOutcome) {
        match outcome {
            LineOutcome::Accepted => self.accepted += 1,
            LineOutcome::Event => self.events += 1,
            LineOutcome::ServiceCheck => self.service_checks += 1,
            LineOutcome::Rejected(reason) => {
                match self.rejected.iter_mut().find(|(r, _)| *r == reason) {
                    Some((_, count)) => *count += 1,
                    None => self.rejected.push((reason, 1)),
                }
            }
        }
    }

    /// Lines counted since the last [`take_points`](Self::take_points).
    pub fn lines(&self) -> u64 {
        let rejected: u64 = self.rejected.iter().map(|(_, n)| n).sum();
        self.accepted + rejected + self.events + self.service_checks
    }

    /// The counts as `metricline.lines` points stamped `time_unix_nano` (none for a zero
    /// count), and starts counting afresh.
    pub fn take_points(&mut self, time_unix_nano: u64) -> Vec<Point> {
        let taken = std::mem::take(self);
        let format = Format::Statsd;
        let mut points = Vec::new();
        if taken.accepted > 0 {
            points.push(self_metrics::lines_accepted(
                format,
                taken.accepted,
                time_unix_nano,
            ));
        }
        for (reason, count) in taken.rejected {
            points.push(self_metrics::lines_rejected(
                format,
                reason,
                count,
                time_unix_nano,
            ));
        }
        for (what, count) in [
            ("event", taken.events),
            ("service_check", taken.service_checks),
        ] {
            if count > 0 {
                points.push(self_metrics::lines_skipped(
                    format,
                    what,
                    count,
                    time_unix_nano,
                ));
            }
        }
        points
    }
}
