//! The pipeline shared between the Telemetry listener (which feeds it) and the lifecycle
//! loop (which flushes it and waits for `runtimeDone`/`report` without polling).

use super::{Now, Pipeline};
use metricline_proto::telemetry::BatchError;
use std::sync::{Mutex, MutexGuard};
use tokio::sync::Notify;
use tokio::time::Instant;

const KEPT_BODY_CAPACITY: usize = 1024 * 1024;

#[derive(Debug)]
pub struct Shared {
    pipeline: Mutex<Pipeline>,
    changed: Notify,
    /// The listener's buffer for POST bodies, kept between batches (a batch is up to
    /// 256 KiB: allocating it anew costs page faults every time).
    body_buffer: Mutex<Vec<u8>>,
}

impl Shared {
    pub fn new(pipeline: Pipeline) -> Self {
        Shared {
            pipeline: Mutex::new(pipeline),
            changed: Notify::new(),
            body_buffer: Mutex::new(Vec::new()),
        }
    }

    /// Locks the pipeline. A panic elsewhere cannot leave it half-updated in a way that
    /// matters more than losing telemetry, so a poisoned lock is taken over, not fatal.
    pub fn lock(&self) -> MutexGuard<'_, Pipeline> {
        lock(&self.pipeline)
    }

    /// The body buffer, empty; a request that comes while another holds it gets a new one.
    pub fn take_body_buffer(&self) -> Vec<u8> {
        let mut buffer = std::mem::take(&mut *lock(&self.body_buffer));
        buffer.clear();
        buffer
    }

    /// Gives the body buffer back for the next batch, unless an outsized body grew it past
    /// what Lambda sends (twice `maxBytes`): that memory is returned instead.
    pub fn return_body_buffer(&self, buffer: Vec<u8>) {
        if buffer.capacity() <= KEPT_BODY_CAPACITY {
            *lock(&self.body_buffer) = buffer;
        }
    }

    /// Ingests a POST body and wakes every waiter.
    pub fn ingest(&self, body: &[u8], now: Now) -> Result<(), BatchError> {
        let ingested = self.lock().ingest(body, now);
        self.changed.notify_waiters();
        ingested
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

/// Locks a mutex of the extension's one runtime thread; a panic that poisoned it left
/// nothing half-done worth refusing the data for.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
