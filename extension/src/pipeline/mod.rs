//! Telemetry events → points → the aggregator (docs/architecture.md), plus what flushing
//! needs to know about the stream (which requests have had `runtimeDone` and `report`). No
//! I/O: the clock comes in as an argument.

mod overflow_log;
mod reject_log;
mod shared;
mod statsd;

pub(crate) use shared::lock;
pub use shared::Shared;

use metricline_proto::aggregate::{AggregationConfig, Aggregator, Limits};
use metricline_proto::lines::{self, Format, Formats, Outcome, Reason};
use metricline_proto::platform::{Platform, PlatformConfig, Recent};
use metricline_proto::self_metrics;
use metricline_proto::statsd::Tally;
use metricline_proto::telemetry::{
    BatchError, BatchReader, Body, Event, EventRef, Events, RecordRef, Skip,
};
use metricline_proto::Point;
use overflow_log::OverflowLog;
use reject_log::RejectLog;
use tokio::time::Instant;

/// Requests started and not yet reported that SHUTDOWN waits for: more than Lambda Managed
/// Instances run at once in one environment.
const OPEN_REQUESTS: usize = 256;

/// One reading of the two clocks: `instant` for rate limits and deadlines, `unix_nano` to
/// timestamp the extension's own metrics.
#[derive(Debug, Clone, Copy)]
pub struct Now {
    pub instant: Instant,
    pub unix_nano: u64,
}

impl Now {
    pub fn read() -> Now {
        let unix_nano = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        Now {
            instant: Instant::now(),
            unix_nano,
        }
    }
}

#[derive(Debug, Clone)]
pub struct PipelineConfig {
    pub formats: Formats,
    /// `METRICLINE_PLATFORM_METRICS`.
    pub platform_metrics: bool,
    pub platform: PlatformConfig,
    pub aggregation: AggregationConfig,
    /// `METRICLINE_CARDINALITY_LIMIT` and `METRICLINE_METRIC_LIMIT`.
    pub limits: Limits,
}

/// Line outcomes of one batch, summed per (format, rejection reason) before they become
/// `metricline.lines` points, so a 1000-line batch adds a handful of points, not 1000.
type LineCounts = Vec<((Format, Option<Reason>), u64)>;

#[derive(Debug)]
pub struct Pipeline {
    /// Kept from batch to batch: its buffers are the only memory a batch's records need.
    reader: BatchReader,
    formats: Formats,
    platform: Option<Platform>,
    aggregator: Aggregator,
    points: Vec<Point>,
    runtime_done: Recent<()>,
    reports: Recent<()>,
    /// Started (`platform.start`) and not yet reported (`platform.report`).
    open: Recent<()>,
    reject_log: RejectLog,
    overflow_log: OverflowLog,
    cardinality_limit: usize,
    /// StatsD line outcomes not yet recorded as self metrics (`statsd.rs`).
    statsd_tally: Tally,
}

impl Pipeline {
    pub fn new(config: PipelineConfig) -> Self {
        Pipeline {
            reader: BatchReader::default(),
            formats: config.formats,
            platform: config
                .platform_metrics
                .then(|| Platform::new(config.platform)),
            aggregator: Aggregator::with_limits(config.aggregation, config.limits),
            points: Vec::new(),
            runtime_done: Recent::default(),
            reports: Recent::default(),
            open: Recent::keeping(OPEN_REQUESTS),
            reject_log: RejectLog::default(),
            overflow_log: OverflowLog::default(),
            cardinality_limit: config.limits.cardinality,
            statsd_tally: Tally::default(),
        }
    }

    /// Reads one Telemetry API POST body and feeds its events through the line parsers and
    /// platform metrics; an error (the body is not a JSON array) ingests nothing.
    pub fn ingest(&mut self, body: &[u8], now: Now) -> Result<(), BatchError> {
        // Taken out while the events are read, since they borrow it.
        let mut reader = std::mem::take(&mut self.reader);
        let read = reader
            .read(body)
            .map(|events| self.ingest_events(events, now));
        self.reader = reader;
        read
    }

    fn ingest_events(&mut self, events: Events<'_>, now: Now) {
        let mut lines: LineCounts = Vec::new();
        let mut skipped = [(Skip::UnknownType, 0u64), (Skip::Malformed, 0)];
        for event in events {
            let event = match event {
                Ok(event) => event,
                Err(skip) => {
                    skipped
                        .iter_mut()
                        .for_each(|(s, n)| *n += u64::from(*s == skip));
                    continue;
                }
            };
            let (time, record) = match &event {
                EventRef::Log {
                    time_unix_nano,
                    function: true,
                    record,
                } => (*time_unix_nano, *record),
                EventRef::Log { .. } => continue,
                EventRef::Decoded(event) => match &event.body {
                    Body::Function(record) => (event.time_unix_nano, record.as_ref()),
                    _ => {
                        self.decoded_event(event);
                        continue;
                    }
                },
            };
            // Straight into the aggregator: a value of a known stream costs no allocation
            // (the other points wait in `points` until the batch ends).
            let refused = self.aggregator.refused_values();
            let outcome =
                lines::parse_record_into(record, time, self.formats, &mut self.aggregator);
            let outcome = match outcome {
                // A value for a metric the aggregator had no room for: the line is
                // rejected (values of its other, known metrics stay recorded).
                Outcome::Accepted { format, .. } if self.aggregator.refused_values() != refused => {
                    Outcome::Rejected {
                        format,
                        reason: Reason::TooManyMetrics,
                    }
                }
                outcome => outcome,
            };
            let metric_line = outcome != Outcome::NotMetric;
            match outcome {
                Outcome::NotMetric => {}
                Outcome::Accepted { format, .. } => bump(&mut lines, (format, None)),
                Outcome::Rejected { format, reason } => {
                    bump(&mut lines, (format, Some(reason)));
                    if self.reject_log.allows(reason, now.instant) {
                        crate::warn!(
                            "rejected {} line ({}): {}",
                            format.as_str(),
                            reason.as_str(),
                            excerpt(record)
                        );
                    }
                }
            }
            // A metric line (accepted or not) is the function's own output, never a
            // runtime's out-of-memory message: it is not scanned for one (and a metric
            // named `MemoryError` counts no OOM).
            if metric_line {
                continue;
            }
            match &event {
                EventRef::Log { .. } => {
                    if let Some(platform) = &mut self.platform {
                        platform.on_function_record(record, time, &mut self.points);
                    }
                }
                EventRef::Decoded(event) => self.decoded_event(event),
            }
        }
        for ((format, reason), count) in lines {
            let point = match reason {
                None => self_metrics::lines_accepted(format, count, now.unix_nano),
                Some(reason) => self_metrics::lines_rejected(format, reason, count, now.unix_nano),
            };
            self.points.push(point);
        }
        for (skip, count) in skipped {
            if count > 0 {
                crate::debug!("skipped {count} telemetry events ({})", skip.as_str());
                self.points.push(self_metrics::telemetry_events_skipped(
                    skip,
                    count,
                    now.unix_nano,
                ));
            }
        }
        for point in self.points.drain(..) {
            self.aggregator.record(point);
        }
        for overflowed in self.aggregator.take_overflows() {
            if self.overflow_log.allows(&overflowed.name, now.instant) {
                crate::warn!(
                    "metric {} has more than {} attribute sets (METRICLINE_CARDINALITY_LIMIT): \
                     values of further sets go to its point with otel.metric.overflow=true",
                    overflowed.name,
                    self.cardinality_limit
                );
            }
        }
    }

    /// A platform event, or a log record the reader handed to serde_json.
    fn decoded_event(&mut self, event: &Event) {
        if let Some(platform) = &mut self.platform {
            platform.on_event(event, &mut self.points);
        }
        match &event.body {
            Body::RuntimeDone(done) => self.runtime_done.insert(&done.request_id, ()),
            Body::Start(start) => self.open.insert(&start.request_id, ()),
            Body::Report(report) => {
                self.reports.insert(&report.request_id, ());
                self.open.remove(&report.request_id);
            }
            _ => {}
        }
    }

    pub fn runtime_done_seen(&self, request_id: &str) -> bool {
        self.runtime_done.contains(request_id)
    }

    pub fn report_seen(&self, request_id: &str) -> bool {
        self.reports.contains(request_id)
    }

    /// Whether every started request has had its `report`.
    pub fn all_reported(&self) -> bool {
        self.open.is_empty()
    }

    pub fn aggregator(&mut self) -> &mut Aggregator {
        &mut self.aggregator
    }
}

fn bump(counts: &mut LineCounts, key: (Format, Option<Reason>)) {
    match counts.iter_mut().find(|(k, _)| *k == key) {
        Some((_, n)) => *n += 1,
        None => counts.push((key, 1)),
    }
}

/// The first 200 characters of a record, for the rejected-line log.
fn excerpt(record: RecordRef<'_>) -> &str {
    first_200_chars(record.text())
}

/// What a rejection's warning shows of the line.
fn first_200_chars(text: &str) -> &str {
    match text.char_indices().nth(200) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

#[cfg(test)]
mod tests;
