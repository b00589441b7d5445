//! The pipeline shared between the Telemetry listener (which feeds it) and the lifecycle
//! loop (which flushes it and waits for `runtimeDone`/`report` without polling).

use super::{Now, Pipeline};
use metricline_proto::telemetry::Batch;
use std::sync::{Mutex, MutexGuard};
use tokio::sync::Notify;
use tokio::time::Instant;

#[derive(Debug)]
pub struct Shared {
    pipeline: Mutex<Pipeline>,
    changed: Notify,
}

impl Shared {
    pub fn new(pipeline: Pipeline) -> Self {
        Shared {
            pipeline: Mutex::new(pipeline),
            changed: Notify::new(),
        }
    }

    /// Locks the pipeline. A panic elsewhere cannot leave it half-updated in a way that
    /// matters more than losing telemetry, so a poisoned lock is taken over, not fatal.
    pub fn lock(&self) -> MutexGuard<'_, Pipeline> {
        self.pipeline.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Ingests a batch and wakes every waiter.
    pub fn ingest(&self, batch: Batch, now: Now) {
        self.lock().ingest(batch, now);
        self.changed.notify_waiters();
    }

    /// Wakes every waiter after a change made through [`lock`](Self::lock) (StatsD
    /// datagrams).
    pub fn notify_changed(&self) {
        self.changed.notify_waiters();
    }

    /// Waits until `ready` holds (checked after every batch) or `deadline` passes; returns
    /// whether it holds.
    pub async fn wait_until(&self, deadline: Instant, ready: impl Fn(&Pipeline) -> bool) -> bool {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            // Registered before the check, so a batch landing in between still wakes us.
            changed.as_mut().enable();
            if ready(&self.lock()) {
                return true;
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                return ready(&self.lock());
            }
        }
    }
}
