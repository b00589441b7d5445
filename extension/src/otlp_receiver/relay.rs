//! The flush of what the receiver queued: per signal, every pending request merged into as
//! few requests as the size limit allows, sent by that signal's exporter under the same
//! rules as the extension's own metrics (retries within the flush deadline, backoff while
//! the backend fails, drops counted), concurrently across signals.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use metricline_proto::relay::{Forward, Signal};
use metricline_proto::self_metrics::DropReason;
use tokio::time::Instant;

use super::inbox::Inbox;
use super::Addresses;
use crate::export::{ExportOutcome, Exporter};
use crate::flush::backoff::Backoff;
use crate::flush::flusher::Attempt;
use crate::pipeline::lock;

/// Largest merged request sent: gRPC's default message limit, which collectors accept
/// over either transport.
pub const MAX_FORWARD_BYTES: usize = 4 << 20;
/// A flush needs at least this long to be worth starting.
const MIN_BUDGET: Duration = Duration::from_millis(5);

/// One signal's way to the backend.
pub struct Route {
    pub signal: Signal,
    pub exporter: Exporter,
    pub backoff: Mutex<Backoff>,
}

pub struct Relay {
    inbox: Arc<Inbox>,
    /// In [`Signal::ALL`] order.
    routes: [Route; 3],
    /// Where the servers listen.
    bound: Addresses,
}

impl Relay {
    pub fn new(inbox: Arc<Inbox>, routes: [Route; 3], bound: Addresses) -> Self {
        Relay {
            inbox,
            routes,
            bound,
        }
    }

    /// Where the receivers listen (the bound ports when configured with port 0).
    pub fn bound(&self) -> Addresses {
        self.bound
    }

    /// Encoded bytes of received requests waiting for a flush.
    pub fn buffered_bytes(&self) -> usize {
        self.inbox.buffered_bytes()
    }

    /// Sends everything queued before `deadline`; what does not get through stays queued.
    /// While a signal's backend is backing off, its data only waits, unless [`Attempt::Always`].
    pub async fn flush(&self, deadline: Instant, attempt: Attempt) {
        let [metrics, traces, logs] = &self.routes;
        tokio::join!(
            self.flush_route(metrics, deadline, attempt),
            self.flush_route(traces, deadline, attempt),
            self.flush_route(logs, deadline, attempt),
        );
    }

    async fn flush_route(&self, route: &Route, deadline: Instant, attempt: Attempt) {
        let now = Instant::now();
        let allowed = attempt == Attempt::Always || lock(&route.backoff).allows(now);
        if !allowed || deadline.saturating_duration_since(now) < MIN_BUDGET {
            return;
        }
        let mut batches = self.inbox.take(route.signal, MAX_FORWARD_BYTES).into_iter();
        while let Some(batch) = batches.next() {
            let outcome = route.exporter.export(&batch, deadline).await;
            if let ExportOutcome::Failed {
                reason,
                retry_after,
            } = outcome
            {
                let wait = lock(&route.backoff).on_failure(Instant::now(), retry_after);
                crate::warn!(
                    "forwarding received {} failed ({reason}); kept for the next flush, no \
                     attempt for {} ms",
                    route.signal.as_str(),
                    wait.as_millis()
                );
                self.inbox
                    .put_back(std::iter::once(batch).chain(batches).collect());
                return;
            }
            lock(&route.backoff).on_success();
            self.answered(&batch, outcome);
        }
    }

    /// Counts and logs what the backend refused of a batch it answered.
    fn answered(&self, batch: &Forward, outcome: ExportOutcome) {
        let what = batch.signal.as_str();
        match outcome {
            ExportOutcome::Delivered | ExportOutcome::Failed { .. } => {}
            ExportOutcome::PartialSuccess {
                rejected_points,
                message,
            } => {
                crate::warn!(
                    "the backend rejected {rejected_points} of {} received {what} items: {message}",
                    batch.items
                );
                let rejected = rejected_points.min(batch.items);
                self.inbox
                    .count(batch.signal, DropReason::PartialSuccess, rejected);
            }
            ExportOutcome::Rejected { reason } => {
                crate::warn!(
                    "the backend refused {} received {what} items: {reason}",
                    batch.items
                );
                self.inbox
                    .count(batch.signal, DropReason::Rejected, batch.items);
            }
        }
    }
}
