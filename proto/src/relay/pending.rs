//! Received requests waiting for a flush, in arrival order, bounded in bytes: when a new
//! request (or a batch the backend did not take) would pass the bound, the oldest requests
//! go and are counted, whatever their signal.

use std::collections::VecDeque;

use super::{Forward, Received, Signal};

#[derive(Debug)]
pub struct Pending {
    queue: VecDeque<Received>,
    bytes: usize,
    limit: usize,
}

/// Items dropped to keep within the bound, per signal (indexed by [`Signal::index`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Shed {
    pub items: [u64; 3],
    pub requests: usize,
}

impl Shed {
    pub fn is_empty(&self) -> bool {
        self.requests == 0
    }
}

impl Pending {
    /// `limit`: the most encoded bytes held.
    pub fn new(limit: usize) -> Self {
        Pending {
            queue: VecDeque::new(),
            bytes: 0,
            limit,
        }
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Queues a request, then sheds the oldest ones (possibly this one) beyond the bound.
    pub fn push(&mut self, received: Received) -> Shed {
        self.bytes += received.protobuf.len();
        self.queue.push_back(received);
        self.shed()
    }

    /// Takes every request of `signal`, merged into batches of at most `max_bytes` each
    /// and at most `max_values` objects and array elements as JSON (a single larger
    /// request makes a batch of its own), oldest first.
    pub fn take(&mut self, signal: Signal, max_bytes: usize, max_values: usize) -> Vec<Forward> {
        let mut batches: Vec<Forward> = Vec::new();
        let mut kept = VecDeque::with_capacity(self.queue.len());
        for received in self.queue.drain(..) {
            if received.signal != signal {
                kept.push_back(received);
                continue;
            }
            self.bytes -= received.protobuf.len();
            match batches.last_mut() {
                Some(batch)
                    if batch.protobuf.len() + received.protobuf.len() <= max_bytes
                        && batch.values + received.values <= max_values =>
                {
                    batch.protobuf.extend_from_slice(&received.protobuf);
                    batch.items += received.items;
                    batch.values += received.values;
                    batch.requests += 1;
                }
                _ => batches.push(Forward {
                    signal,
                    protobuf: received.protobuf,
                    items: received.items,
                    values: received.values,
                    requests: 1,
                }),
            }
        }
        self.queue = kept;
        batches
    }

    /// Puts a batch that did not get through back at the front (it is the oldest data),
    /// then sheds beyond the bound.
    pub fn put_back(&mut self, batch: Forward) -> Shed {
        self.bytes += batch.protobuf.len();
        self.queue.push_front(Received {
            signal: batch.signal,
            protobuf: batch.protobuf,
            items: batch.items,
            values: batch.values,
        });
        self.shed()
    }

    fn shed(&mut self) -> Shed {
        let mut shed = Shed::default();
        while self.bytes > self.limit {
            let Some(oldest) = self.queue.pop_front() else {
                break;
            };
            self.bytes -= oldest.protobuf.len();
            shed.items[oldest.signal.index()] += oldest.items;
            shed.requests += 1;
        }
        shed
    }
}
