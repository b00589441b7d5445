//! StatsD datagrams into the pipeline: values straight into the aggregator, line outcomes
//! summed in a tally that becomes `metricline.lines` points when a flush drains the socket.

use super::{Now, Pipeline};
use metricline_proto::lines::{Format, Reason};
use metricline_proto::self_metrics;
use metricline_proto::statsd::{self, LineOutcome};

impl Pipeline {
    /// Parses one datagram received at `now`.
    pub fn ingest_statsd(&mut self, datagram: &[u8], now: Now) {
        let Pipeline {
            aggregator,
            statsd_tally,
            reject_log,
            ..
        } = self;
        for line in statsd::lines(datagram) {
            let refused = aggregator.refused_values();
            let outcome = match statsd::parse_line(line, now.unix_nano, aggregator) {
                // As for log lines: a value for a metric the aggregator had no room for
                // rejects the line, so the refused values are counted, not lost.
                LineOutcome::Accepted if aggregator.refused_values() != refused => {
                    LineOutcome::Rejected(Reason::TooManyMetrics)
                }
                outcome => outcome,
            };
            statsd_tally.count(outcome);
            if let LineOutcome::Rejected(reason) = outcome {
                if reject_log.allows(reason, now.instant) {
                    crate::warn!(
                        "rejected {} line ({}): {}",
                        Format::Statsd.as_str(),
                        reason.as_str(),
                        super::first_200_chars(&String::from_utf8_lossy(line))
                    );
                }
            }
        }
    }

    /// StatsD lines counted but not yet recorded as self metrics.
    pub fn statsd_lines_pending(&self) -> u64 {
        self.statsd_tally.lines()
    }

    /// Records the StatsD line counts since the last call, and `kernel_drops` datagrams the
    /// kernel dropped since then, as self metrics stamped `now`.
    pub fn record_statsd_counts(&mut self, kernel_drops: u64, now: Now) {
        for point in self.statsd_tally.take_points(now.unix_nano) {
            self.aggregator.record(point);
        }
        if kernel_drops > 0 {
            let point = self_metrics::statsd_datagrams_dropped(kernel_drops, now.unix_nano);
            self.aggregator.record(point);
        }
    }
}
