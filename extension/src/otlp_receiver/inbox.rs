//! Where the receiver's servers put what they accept and the relay takes it from: the
//! byte-bounded queue, the enrichment, and the drop counts (`metricline.otlp.dropped`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use metricline_proto::relay::{
    self, Encoding, Enrichment, Forward, Pending, Refused, Shed, Signal, MAX_JSON_VALUES,
};
use metricline_proto::self_metrics::DropReason;

use crate::pipeline::{Now, Shared};

pub struct Inbox {
    pending: Mutex<Pending>,
    enrichment: Enrichment,
    /// Per signal ([`Signal::index`]): whether its backend is configured for `http/json`,
    /// whose batches are bounded in objects and array elements too.
    json: [bool; 3],
    /// Drop counts go into the aggregator, to leave with the extension's own metrics.
    shared: Arc<Shared>,
    overflow_logged: AtomicBool,
}

impl Inbox {
    pub fn new(
        buffer_bytes: usize,
        enrichment: Enrichment,
        json: [bool; 3],
        shared: Arc<Shared>,
    ) -> Self {
        Inbox {
            pending: Mutex::new(Pending::new(buffer_bytes)),
            enrichment,
            json,
            shared,
            overflow_logged: AtomicBool::new(false),
        }
    }

    fn pending(&self) -> MutexGuard<'_, Pending> {
        crate::pipeline::lock(&self.pending)
    }

    /// Queues one request body (already decompressed) for the next flush. For a JSON
    /// backend, a request that could not be written as JSON within the value budget is
    /// refused here, where the SDK is told, rather than dropped at the flush.
    pub fn accept(&self, signal: Signal, encoding: Encoding, body: Vec<u8>) -> Result<(), Refused> {
        if let Some(received) = relay::receive(signal, encoding, body, &self.enrichment)? {
            if self.json[signal.index()] {
                received.json_forwardable()?;
            }
            let shed = self.pending().push(received);
            self.count_shed(shed);
        }
        Ok(())
    }

    /// Every request of `signal`, merged into batches of at most `max_bytes`, and for a
    /// JSON backend of at most [`MAX_JSON_VALUES`] objects and array elements.
    pub fn take(&self, signal: Signal, max_bytes: usize) -> Vec<Forward> {
        let max_values = if self.json[signal.index()] {
            MAX_JSON_VALUES
        } else {
            usize::MAX
        };
        self.pending().take(signal, max_bytes, max_values)
    }

    /// Batches the backend did not take, oldest first, back at the front of the queue.
    pub fn put_back(&self, batches: Vec<Forward>) {
        let mut shed = Shed::default();
        {
            let mut pending = self.pending();
            for batch in batches.into_iter().rev() {
                let more = pending.put_back(batch);
                shed.requests += more.requests;
                for (total, items) in shed.items.iter_mut().zip(more.items) {
                    *total += items;
                }
            }
        }
        self.count_shed(shed);
    }

    pub fn buffered_bytes(&self) -> usize {
        self.pending().bytes()
    }

    fn count_shed(&self, shed: Shed) {
        if shed.is_empty() {
            return;
        }
        if !self.overflow_logged.swap(true, Ordering::Relaxed) {
            crate::warn!(
                "OTLP receiver buffer full (METRICLINE_OTLP_BUFFER_BYTES): dropped the {} oldest \
                 requests; counted in metricline.otlp.dropped, logged once",
                shed.requests
            );
        }
        for signal in Signal::ALL {
            self.count(signal, DropReason::BufferFull, shed.items[signal.index()]);
        }
    }

    /// Counts `items` of `signal` lost for `reason`.
    pub fn count(&self, signal: Signal, reason: DropReason, items: u64) {
        if items == 0 {
            return;
        }
        let point = relay::dropped(signal, reason, items, Now::read().unix_nano);
        self.shared.lock().aggregator().record(point);
    }
}
