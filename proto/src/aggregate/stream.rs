//! The state of one stream: pending buckets, points put back after a failed export, where
//! its exported intervals end, and (cumulative) its running total.
//!
//! Intervals: a stream's exported points cover contiguous `(start, end]` intervals. `floor`
//! is the end of the last exported interval; every pending value is stamped after it (a
//! late value is moved to `floor + 1 ns`), so no exported interval is ever reopened.

use super::bucket::{Bucket, BUCKET_NANOS};
use super::value::Value;
use super::{AggregationConfig, DataPoint, Temporality};
use crate::model::{Kind, StreamKey};

#[derive(Debug)]
pub(super) struct Stream {
    /// End of the last exported interval (or a start no interval may reach back past).
    floor: u64,
    /// Whether the next point starts at `floor` (the previous end) rather than at its
    /// bucket's start.
    continues: bool,
    /// Some pending value was stamped `floor + 1` because it came late.
    late: bool,
    /// Delta: exported with nothing left pending and no value since. It no longer counts
    /// toward its metric's limits; the next take lets it go unless a value wakes it first.
    idle: bool,
    /// Ascending by index; every value in them is stamped after `floor`.
    buckets: Vec<Bucket>,
    /// Points of failed exports, oldest first, all ending at or before `floor`.
    returned: Vec<DataPoint>,
    /// Cumulative temporality: everything taken so far (boxed: delta streams never
    /// have one, and idle streams should stay small).
    total: Option<Box<Value>>,
}

impl Stream {
    pub fn new(floor: u64) -> Self {
        Stream {
            floor,
            continues: false,
            late: false,
            idle: false,
            buckets: Vec::new(),
            returned: Vec::new(),
            total: None,
        }
    }

    /// A stream let go after exporting up to `end`, seen again: its next point starts
    /// there, as if it had never been let go.
    pub fn resumed(end: u64) -> Self {
        Stream {
            floor: end,
            continues: true,
            late: false,
            idle: false,
            buckets: Vec::new(),
            returned: Vec::new(),
            total: None,
        }
    }

    /// Whether the stream waits, uncounted, to be let go at the next take.
    pub fn is_idle(&self) -> bool {
        self.idle
    }

    /// Marks the stream idle (after an export that left nothing pending) or counted again.
    pub fn set_idle(&mut self, idle: bool) {
        self.idle = idle;
    }

    pub fn record(
        &mut self,
        kind: Kind,
        unit: &str,
        config: &AggregationConfig,
        t: u64,
        sample: f64,
    ) -> usize {
        let t = if t <= self.floor {
            self.late = true;
            self.floor.saturating_add(1)
        } else {
            t
        };
        let index = Bucket::index_of(t);
        if let Some(last) = self.buckets.last_mut() {
            if last.index == index {
                last.record(t, sample);
                return 0;
            }
        }
        let mut added = 0;
        let at = match self.buckets.binary_search_by_key(&index, |b| b.index) {
            Ok(at) => at,
            Err(at) => {
                // Most streams hold one bucket: a first one, not the usual four.
                if self.buckets.capacity() == 0 {
                    self.buckets.reserve_exact(1);
                }
                let empty = Value::empty(kind, unit, config);
                let bucket = Bucket::new(index, empty);
                added = bucket.bytes();
                self.buckets.insert(at, bucket);
                at
            }
        };
        self.buckets[at].record(t, sample);
        added
    }

    /// The instant a timer flush at `t` closes this stream at: `t`, unless a final flush
    /// already exported past `t` (a value stamped in the future) and late values wait:
    /// they go out just after that end rather than wait for our clock to catch up.
    /// At `t` equal to the previous end nothing is taken (no zero-size interval).
    pub fn close_for_timer(&self, t: u64) -> u64 {
        if self.late && self.floor > t {
            self.floor.saturating_add(1)
        } else {
            t
        }
    }

    /// The instant a final flush at `now` closes this stream at: late enough to take
    /// every pending value, even one stamped in the future.
    pub fn close_for_final(&self, now: u64) -> u64 {
        let latest = self.buckets.iter().map(Bucket::latest).max().unwrap_or(0);
        now.max(latest)
    }

    /// Moves the put-back points and the values stamped at or before `close` to `out`.
    pub fn take(
        &mut self,
        key: &StreamKey,
        config: &AggregationConfig,
        close: u64,
        out: &mut Vec<DataPoint>,
    ) {
        // Taking the vector (not draining it) gives its memory back.
        out.extend(std::mem::take(&mut self.returned));
        if close <= self.floor {
            return;
        }
        let cumulative = config.temporality == Temporality::Cumulative && key.kind != Kind::Gauge;
        let mut emptied = 0;
        for bucket in &mut self.buckets {
            if bucket.start() >= close {
                break;
            }
            let end = bucket.end().min(close);
            if let Some(taken) = bucket.take(close) {
                let start = if cumulative {
                    config.start_time_unix_nano
                } else if self.continues {
                    self.floor
                } else {
                    bucket.start().max(self.floor)
                };
                let time = match taken.value {
                    Value::Gauge(_) => taken.latest.min(end),
                    _ => end,
                };
                let value = match (&mut self.total, cumulative) {
                    (_, false) => taken.value,
                    (Some(total), true) => {
                        total.merge(&taken.value);
                        Value::clone(total)
                    }
                    (total @ None, true) => Value::clone(total.insert(Box::new(taken.value))),
                };
                out.push(DataPoint {
                    start_time_unix_nano: start,
                    time_unix_nano: time,
                    value,
                });
                self.floor = end;
                self.continues = true;
            }
            if bucket.is_empty() {
                emptied += 1;
            }
        }
        self.buckets.drain(..emptied);
        // Emptied buckets hold a placeholder value (`Bucket::take`): none may stay.
        debug_assert!(self.buckets.iter().all(|bucket| !bucket.is_empty()));
        if self.buckets.capacity() > 1 && self.buckets.is_empty() {
            // Give the memory back: an idle stream keeps only its floor (and total), and
            // room for the one bucket the next interval most likely needs.
            self.buckets = Vec::new();
        }
        self.late = false;
    }

    /// Takes back the points of a failed export (in time order), merging neighbours that
    /// end in the same 10 s bucket so a long outage does not multiply points.
    pub fn put_back(&mut self, points: Vec<DataPoint>, cumulative: bool) {
        let in_order = self
            .returned
            .last()
            .zip(points.first())
            .is_none_or(|(a, b)| a.time_unix_nano <= b.time_unix_nano);
        for point in points {
            self.floor = self.floor.max(point.time_unix_nano);
            self.continues = true;
            match self.returned.last_mut() {
                Some(last) if in_order && mergeable(last, &point, cumulative) => {
                    if cumulative {
                        last.value = point.value;
                    } else {
                        last.value.merge(&point.value);
                    }
                    last.time_unix_nano = point.time_unix_nano;
                }
                _ => self.returned.push(point),
            }
        }
        if !in_order {
            self.returned.sort_by_key(|p| p.time_unix_nano);
        }
    }

    /// Pending data points: one per bucket and one per put-back point.
    pub fn pending_points(&self) -> usize {
        self.buckets.len() + self.returned.len()
    }

    /// The time and size in bytes of each pending data point, for shedding.
    pub fn pending(&self) -> impl Iterator<Item = (u64, usize)> + '_ {
        let returned = self.returned.iter().map(|p| {
            let bytes = size_of::<DataPoint>() + p.value.heap_bytes();
            (p.time_unix_nano, bytes)
        });
        returned.chain(self.buckets.iter().map(|b| (b.end(), b.bytes())))
    }

    /// Drops pending points older than `before`, and up to `*quota_at` of those exactly
    /// at `before`; returns how many went.
    pub fn shed(&mut self, before: u64, quota_at: &mut usize) -> usize {
        let mut keep = |time: u64| {
            if time < before {
                false
            } else if time == before && *quota_at > 0 {
                *quota_at -= 1;
                false
            } else {
                true
            }
        };
        let pending = self.pending_points();
        self.returned.retain(|p| keep(p.time_unix_nano));
        self.buckets.retain(|b| keep(b.end()));
        pending - self.pending_points()
    }

    pub fn floor(&self) -> u64 {
        self.floor
    }
}

/// Whether `later` can be folded into `earlier`: both end in the same 10 s bucket and
/// (delta) `later` starts where `earlier` ends.
fn mergeable(earlier: &DataPoint, later: &DataPoint, cumulative: bool) -> bool {
    let same_bucket = (earlier.time_unix_nano.saturating_sub(1)) / BUCKET_NANOS
        == (later.time_unix_nano.saturating_sub(1)) / BUCKET_NANOS;
    if !same_bucket || later.time_unix_nano < earlier.time_unix_nano {
        return false;
    }
    match later.value {
        // A gauge's start carries no meaning; the later value wins.
        Value::Gauge(_) => true,
        // A cumulative point already includes everything before it.
        _ if cumulative => true,
        _ => later.start_time_unix_nano == earlier.time_unix_nano,
    }
}
