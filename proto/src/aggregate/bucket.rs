//! One pending 10 s time bucket of one stream: `(index·10 s, (index+1)·10 s]`.
//!
//! A flush at an instant inside the bucket must take the values at or before it and leave
//! the later ones (a skewed clock can stamp values ahead of the flush). Aggregated values
//! cannot be split again, so the newest few values wait unaggregated in a small sorted
//! tail until newer ones push them into the aggregate. Only when more than [`TAIL`]
//! values lie past a flush instant does that flush take some of them early.

use super::value::Value;

/// Newest values kept unaggregated per bucket.
const TAIL: usize = 4;

/// Bucket width: 10 s, aligned to the Unix epoch.
pub const BUCKET_NANOS: u64 = 10 * crate::model::NANOS_PER_SEC;

#[derive(Debug)]
pub(super) struct Bucket {
    pub index: u64,
    aggregate: Value,
    /// Latest timestamp in `aggregate`; 0 while it is empty (timestamps are >= 1 here).
    aggregate_latest: u64,
    /// Values newer than everything in `aggregate`, sorted by timestamp, ties in arrival
    /// order.
    tail: [(u64, f64); TAIL],
    tail_len: usize,
}

/// What a flush takes out of a bucket.
pub(super) struct Taken {
    pub value: Value,
    /// Latest timestamp among the taken values (a gauge's own timestamp).
    pub latest: u64,
}

impl Bucket {
    pub fn new(index: u64, empty: Value) -> Self {
        Bucket {
            index,
            aggregate: empty,
            aggregate_latest: 0,
            tail: [(0, 0.0); TAIL],
            tail_len: 0,
        }
    }

    /// The bucket holding timestamp `t` (>= 1).
    pub fn index_of(t: u64) -> u64 {
        (t - 1) / BUCKET_NANOS
    }

    pub fn start(&self) -> u64 {
        self.index * BUCKET_NANOS
    }

    pub fn end(&self) -> u64 {
        self.start().saturating_add(BUCKET_NANOS)
    }

    pub fn record(&mut self, t: u64, sample: f64) {
        let goes_to_aggregate = if self.tail_len == 0 {
            t <= self.aggregate_latest
        } else {
            t < self.tail[0].0
        };
        if goes_to_aggregate {
            self.aggregate_sample(t, sample);
            return;
        }
        if self.tail_len == TAIL {
            let (oldest_t, oldest) = self.tail[0];
            self.aggregate_sample(oldest_t, oldest);
            self.tail.rotate_left(1);
            self.tail_len -= 1;
        }
        // After any equal timestamps, so that a gauge's tie goes to the last recorded.
        let at = self.tail[..self.tail_len].partition_point(|&(x, _)| x <= t);
        // Shift by hand: the tail is a few entries, a memmove call would cost more.
        for k in (at..self.tail_len).rev() {
            self.tail[k + 1] = self.tail[k];
        }
        self.tail[at] = (t, sample);
        self.tail_len += 1;
    }

    fn aggregate_sample(&mut self, t: u64, sample: f64) {
        // A gauge keeps the value with the latest timestamp, the last recorded on a tie.
        if !matches!(self.aggregate, Value::Gauge(_)) || t >= self.aggregate_latest {
            self.aggregate.record(sample);
        }
        self.aggregate_latest = self.aggregate_latest.max(t);
    }

    /// Latest timestamp of any value waiting here.
    pub fn latest(&self) -> u64 {
        match self.tail_len {
            0 => self.aggregate_latest,
            n => self.tail[n - 1].0,
        }
    }

    /// Size in bytes, heap parts included.
    pub fn bytes(&self) -> usize {
        size_of::<Bucket>() + self.aggregate.heap_bytes()
    }

    pub fn is_empty(&self) -> bool {
        self.aggregate_latest == 0 && self.tail_len == 0
    }

    /// Takes the values at or before `close`; `None` if there are none.
    pub fn take(&mut self, close: u64) -> Option<Taken> {
        let due = self.tail[..self.tail_len].partition_point(|&(x, _)| x <= close);
        for k in 0..due {
            let (t, sample) = self.tail[k];
            self.aggregate_sample(t, sample);
        }
        for k in due..self.tail_len {
            self.tail[k - due] = self.tail[k];
        }
        self.tail_len -= due;
        if self.aggregate_latest == 0 {
            return None;
        }
        // A bucket left with nothing is let go by its stream (`Stream::take`): building it
        // an empty histogram (an allocation) only to drop it would be waste.
        let empty = if self.tail_len == 0 {
            Value::Sum(0.0)
        } else {
            empty_like(&self.aggregate)
        };
        let value = std::mem::replace(&mut self.aggregate, empty);
        let latest = std::mem::take(&mut self.aggregate_latest);
        Some(Taken { value, latest })
    }
}

/// An empty value of the same shape (same histogram bounds).
fn empty_like(value: &Value) -> Value {
    match value {
        Value::Sum(_) => Value::Sum(0.0),
        Value::Gauge(_) => Value::Gauge(0.0),
        Value::Histogram(h) => Value::Histogram(Box::new(
            super::explicit::ExplicitHistogram::for_bounds(h.bounds),
        )),
        Value::ExponentialHistogram(_) => Value::ExponentialHistogram(Box::default()),
    }
}
