//! One flush: take data from the aggregator, encode it, hand it to the exporter before a
//! deadline, and apply the retry-buffer rules (docs/decisions.md) to what became of it.

use super::backoff::Backoff;
use super::dropped::DropCounts;
use crate::export::{ExportOutcome, Exporter, Request};
use crate::otlp_receiver::Relay;
use crate::pipeline::lock;
use crate::pipeline::{Now, Shared};
use crate::statsd_listener::StatsdListener;
use metricline_proto::aggregate::{AggregationConfig, Budget};
use metricline_proto::resource::Resource;
use metricline_proto::self_metrics::DropReason;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// Where exports go: the OTLP exporter, or a scripted fake in tests.
pub trait Deliver {
    fn deliver(
        &self,
        request: &Request<'_>,
        deadline: Instant,
    ) -> impl Future<Output = ExportOutcome>;
}

impl Deliver for Exporter {
    fn deliver(
        &self,
        request: &Request<'_>,
        deadline: Instant,
    ) -> impl Future<Output = ExportOutcome> {
        self.export(request, deadline)
    }
}

/// Which data a flush takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Take {
    /// Values timestamped up to now, closing open buckets at now (periodic and timer flushes).
    Until,
    /// Everything, whatever its timestamp (end of invoke, shutdown).
    All,
}

/// Whether a flush may talk to the backend while earlier flushes are backing off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Respect the backoff: while the backend keeps failing, only buffer.
    UnlessBackingOff,
    /// Try whatever the backoff says: the shutdown flush is the last chance to deliver.
    Always,
}

/// What one flush did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flushed {
    /// Nothing was pending.
    Nothing,
    /// Backing off or out of time: the data stays buffered.
    Buffered,
    Delivered {
        points: usize,
    },
    /// Data reached the backend but some or all of it was refused.
    Dropped {
        points: u64,
    },
    /// Not delivered before the deadline: put back for the next flush.
    Failed,
}

/// A flush needs at least this long to be worth starting.
const MIN_BUDGET: Duration = Duration::from_millis(5);

pub struct Flusher<D> {
    shared: Arc<Shared>,
    deliver: D,
    resource: Resource,
    aggregation: AggregationConfig,
    buffer: Budget,
    /// The exporter's own timeout: no flush budget exceeds it.
    timeout: Duration,
    // The `/next` loop and a flush running concurrently with the function share the
    // flusher by reference on one thread; no guard is held across an `.await` (a guard is
    // not `Send`: the compiler checks it, as the lifecycle runs as a spawned task).
    backoff: Mutex<Backoff>,
    drops: Mutex<DropCounts>,
    /// Drained before every take: datagrams waiting in its socket are pending data too.
    statsd: Option<Arc<StatsdListener>>,
    /// What the local OTLP receiver queued, flushed alongside.
    relay: Option<Relay>,
}

impl<D: Deliver> Flusher<D> {
    pub fn new(
        shared: Arc<Shared>,
        deliver: D,
        resource: Resource,
        aggregation: AggregationConfig,
        buffer: Budget,
        timeout: Duration,
    ) -> Self {
        // Recording keeps the bound too, so that the buffer cannot outgrow it between two
        // flushes while the backend is down.
        shared.lock().aggregator().set_buffer(buffer);
        Flusher {
            shared,
            deliver,
            resource,
            aggregation,
            buffer,
            timeout,
            backoff: Mutex::new(Backoff::new()),
            drops: Mutex::new(DropCounts::new(
                aggregation.temporality,
                aggregation.start_time_unix_nano,
            )),
            statsd: None,
            relay: None,
        }
    }

    /// Makes every flush drain `statsd` first.
    pub fn with_statsd(mut self, statsd: Option<Arc<StatsdListener>>) -> Self {
        self.statsd = statsd;
        self
    }

    /// Flushes what the OTLP receiver queued with every flush of the metrics.
    pub fn with_relay(mut self, relay: Option<Relay>) -> Self {
        self.relay = relay;
        self
    }

    /// Flushes the metrics and, concurrently, what the OTLP receiver queued. At shutdown
    /// the receiver's goes first, so that its drop counts leave with the last metrics, and
    /// gets at most half the time left, so a slow backend cannot starve the last metrics
    /// (the final platform reports among them).
    pub async fn flush(&self, take: Take, deadline: Instant, attempt: Attempt) -> Flushed {
        let Some(relay) = &self.relay else {
            return self.flush_metrics(take, deadline, attempt).await;
        };
        if attempt == Attempt::Always {
            let now = Instant::now();
            let half = now + deadline.saturating_duration_since(now) / 2;
            relay.flush(half, attempt).await;
            return self.flush_metrics(take, deadline, attempt).await;
        }
        let (flushed, ()) = tokio::join!(
            self.flush_metrics(take, deadline, attempt),
            relay.flush(deadline, attempt)
        );
        flushed
    }

    /// Flushes before `deadline`; see [`Attempt`] for what backing off allows.
    async fn flush_metrics(&self, take: Take, deadline: Instant, attempt: Attempt) -> Flushed {
        // Before reading the clock, so a `Take::Until` includes what was just drained.
        if let Some(statsd) = &self.statsd {
            statsd.drain_for_flush(&self.shared);
        }
        let now = Now::read();
        let deadline = deadline.min(now.instant + self.timeout);
        let allowed = attempt == Attempt::Always || lock(&self.backoff).allows(now.instant);
        if !allowed || deadline.saturating_duration_since(now.instant) < MIN_BUDGET {
            self.shed();
            return Flushed::Buffered;
        }
        let mut export = {
            let mut pipeline = self.shared.lock();
            let aggregator = pipeline.aggregator();
            self.count_shed(aggregator.take_shed() as usize);
            match take {
                Take::Until => aggregator.take_until(now.unix_nano),
                Take::All => aggregator.take_all(now.unix_nano),
            }
        };
        if export.is_empty() && !lock(&self.drops).pending() {
            return Flushed::Nothing;
        }
        let points = export.point_count();
        let appended = lock(&self.drops).append_to(&mut export, now.unix_nano);
        let request = Request {
            resource: &self.resource,
            export: &export,
            config: &self.aggregation,
        };
        let outcome = self.deliver.deliver(&request, deadline).await;
        let done = Now::read();
        if matches!(outcome, ExportOutcome::Failed { .. }) {
            lock(&self.drops).not_delivered();
        } else {
            // Answered: the counts went (or were refused with the rest; resending them
            // forever would not help).
            lock(&self.drops).delivered();
        }
        match outcome {
            ExportOutcome::Delivered => {
                lock(&self.backoff).on_success();
                Flushed::Delivered { points }
            }
            ExportOutcome::PartialSuccess {
                rejected_points,
                message,
            } => {
                lock(&self.backoff).on_success();
                crate::warn!(
                    "the backend rejected {rejected_points} of {points} points: {message}"
                );
                lock(&self.drops).add(DropReason::PartialSuccess, rejected_points);
                Flushed::Dropped {
                    points: rejected_points,
                }
            }
            ExportOutcome::Rejected { reason } => {
                lock(&self.backoff).on_success();
                crate::warn!("the backend refused an export of {points} points: {reason}");
                lock(&self.drops).add(DropReason::Rejected, points as u64);
                Flushed::Dropped {
                    points: points as u64,
                }
            }
            ExportOutcome::Failed {
                reason,
                retry_after,
            } => {
                let wait = lock(&self.backoff).on_failure(done.instant, retry_after);
                crate::warn!(
                    "export of {points} points failed ({reason}); kept for the next flush, \
                     no export for {} ms",
                    wait.as_millis()
                );
                // The drop counts stay in `drops`; only the aggregator's data goes back.
                export.streams.truncate(export.streams.len() - appended);
                self.shared.lock().aggregator().put_back(export);
                self.shed();
                Flushed::Failed
            }
        }
    }

    /// Keeps the buffer within `METRICLINE_BUFFER_POINTS` and `METRICLINE_BUFFER_BYTES`,
    /// counting what it drops.
    fn shed(&self) {
        let shed = {
            let mut pipeline = self.shared.lock();
            let aggregator = pipeline.aggregator();
            aggregator.take_shed() as usize + aggregator.shed_to(self.buffer)
        };
        self.count_shed(shed);
    }

    /// Counts points the buffer bounds dropped (while recording, or in [`Self::shed`]).
    fn count_shed(&self, shed: usize) {
        if shed > 0 {
            lock(&self.drops).add(DropReason::BufferFull, shed as u64);
            crate::warn!(
                "retry buffer full: dropped the {shed} oldest points \
                 (METRICLINE_BUFFER_POINTS={}, METRICLINE_BUFFER_BYTES={})",
                self.buffer.points,
                self.buffer.bytes
            );
        }
    }

    #[cfg(test)]
    pub(crate) fn backoff_failures(&self) -> u32 {
        lock(&self.backoff).failures()
    }
}

#[cfg(test)]
mod tests;
