//! Per-stream aggregation into 10 s epoch-aligned buckets (docs/metrics.md).
//!
//! Each value lands in the bucket `(k·10 s, (k+1)·10 s]` holding its own timestamp. A take
//! closes the open bucket at the flush instant, so for every stream the exported points
//! cover contiguous, non-overlapping `(start, end]` intervals with `start < end`: the first
//! starts at its bucket's start, each later one at the previous one's end. A value stamped
//! at or before what its stream already exported goes into the next interval. Every
//! accepted value is exported exactly once, or counted by [`Aggregator::shed_oldest`].

mod bucket;
mod explicit;
mod exponential;
mod hash;
mod stream;
mod value;

use hashbrown::{Equivalent, HashMap};

pub use bucket::BUCKET_NANOS;
pub use explicit::{ExplicitHistogram, DEFAULT_BOUNDS, SECONDS_BOUNDS};
pub use exponential::{
    bucket_index, ExponentialBuckets, ExponentialHistogram, MAX_SCALE, MAX_SIZE,
};
pub use value::Value;

use crate::model::{KeyRef, Point, PointRef, PointSink, StreamKey};
use hash::StreamHashBuilder;
use stream::Stream;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Temporality {
    Delta,
    Cumulative,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistogramAggregation {
    Exponential,
    ExplicitBuckets,
}

#[derive(Debug, Clone, Copy)]
pub struct AggregationConfig {
    pub temporality: Temporality,
    pub histograms: HistogramAggregation,
    /// Start time of cumulative streams: the extension's start.
    pub start_time_unix_nano: u64,
}

/// Data taken out of the aggregator for one export; can be put back if the export fails.
#[derive(Debug, Default, Clone)]
pub struct Export {
    /// Each stream's points in time order.
    pub streams: Vec<(StreamKey, Vec<DataPoint>)>,
}

/// One OTLP data point of a stream.
#[derive(Debug, Clone, PartialEq)]
pub struct DataPoint {
    /// Delta: the interval's start (the previous point's end). Cumulative: the
    /// configured start time. Gauge: the interval's start (OTLP ignores it).
    pub start_time_unix_nano: u64,
    /// The interval's end; for a gauge, the last value's own timestamp.
    pub time_unix_nano: u64,
    pub value: Value,
}

impl Export {
    pub fn point_count(&self) -> usize {
        self.streams.iter().map(|(_, p)| p.len()).sum()
    }
    pub fn is_empty(&self) -> bool {
        self.point_count() == 0
    }
}

/// A delta stream with nothing pending and nothing exported for this long is forgotten.
const FORGET_AFTER_NANOS: u64 = 10 * 60 * crate::model::NANOS_PER_SEC;

/// Lets the stream table find a [`StreamKey`] by its [`KeyRef`] (they hash the same).
impl Equivalent<StreamKey> for KeyRef<'_> {
    fn equivalent(&self, key: &StreamKey) -> bool {
        self.matches(key)
    }
}

/// The parsers can record straight into the aggregator (`lines::parse_text_into`).
impl PointSink for Aggregator {
    fn push_point(&mut self, point: PointRef<'_>) {
        self.record_ref(point);
    }
}

#[derive(Debug)]
pub struct Aggregator {
    config: AggregationConfig,
    streams: HashMap<StreamKey, Stream, StreamHashBuilder>,
    /// Latest interval end of any forgotten stream: a stream seen again never reaches
    /// back past it, so it cannot overlap what it exported before it was forgotten.
    forgotten_floor: u64,
}

impl Aggregator {
    pub fn new(config: AggregationConfig) -> Self {
        Aggregator {
            config,
            streams: HashMap::default(),
            forgotten_floor: 0,
        }
    }

    /// Adds one value to its stream. Non-finite values (which the parsers already reject)
    /// are ignored rather than poisoning a sum or a histogram.
    pub fn record(&mut self, point: Point) {
        if !point.value.is_finite() {
            return;
        }
        let (key, t, value) = (point.key, point.time_unix_nano, point.value);
        // Look up by reference: an existing stream costs no allocation.
        if let Some(stream) = self.streams.get_mut(&key) {
            stream.record(key.kind, &key.unit, &self.config, t, value);
            return;
        }
        let mut stream = Stream::new(self.initial_floor());
        stream.record(key.kind, &key.unit, &self.config, t, value);
        self.streams.insert(key, stream);
    }

    /// [`record`](Self::record) for a borrowed point, as the line parsers emit them: the
    /// owned key is built only when the stream is new.
    pub fn record_ref(&mut self, point: PointRef<'_>) {
        if !point.value.is_finite() {
            return;
        }
        let (key, t, value) = (point.key, point.time_unix_nano, point.value);
        if let Some(stream) = self.streams.get_mut(&key) {
            stream.record(key.kind, key.unit, &self.config, t, value);
            return;
        }
        let mut stream = Stream::new(self.initial_floor());
        stream.record(key.kind, key.unit, &self.config, t, value);
        self.streams.insert(key.to_stream_key(), stream);
    }

    fn initial_floor(&self) -> u64 {
        match self.config.temporality {
            Temporality::Delta => self.forgotten_floor,
            // A cumulative point must end after its start time.
            Temporality::Cumulative => self.config.start_time_unix_nano.max(self.forgotten_floor),
        }
    }

    /// Takes every value with a timestamp at or before `t_unix_nano`, closing open buckets
    /// at `t_unix_nano`, plus every point put back. Values stamped later stay pending (up
    /// to four per bucket; beyond that the oldest of them go now, see `bucket.rs`). A
    /// stream that already exported up to `t_unix_nano` gives nothing new, except late
    /// values after a [`take_all`](Self::take_all) that closed past `t_unix_nano`: they go
    /// in an interval ending 1 ns after that close, so no clock has to catch up first.
    pub fn take_until(&mut self, t_unix_nano: u64) -> Export {
        self.take(t_unix_nano, Stream::close_for_timer)
    }

    /// Takes everything pending (the final flush of an invoke or of the shutdown): each
    /// stream closes at `now_unix_nano`, or at its latest value if that is later (a clock
    /// ahead of ours); values arriving late after that go into a later interval.
    pub fn take_all(&mut self, now_unix_nano: u64) -> Export {
        self.take(now_unix_nano, Stream::close_for_final)
    }

    fn take(&mut self, t: u64, close: fn(&Stream, u64) -> u64) -> Export {
        let mut export = Export::default();
        let config = self.config;
        let forget_before = match config.temporality {
            Temporality::Delta => t.saturating_sub(FORGET_AFTER_NANOS),
            Temporality::Cumulative => 0,
        };
        let forgotten_floor = &mut self.forgotten_floor;
        self.streams.retain(|key, stream| {
            let mut points = Vec::new();
            stream.take(key, &config, close(stream, t), &mut points);
            if !points.is_empty() {
                export.streams.push((key.clone(), points));
            }
            if stream.idle_since(forget_before) {
                *forgotten_floor = (*forgotten_floor).max(stream.floor());
                return false;
            }
            true
        });
        export
    }

    /// Puts back an export that was not delivered; the next take carries it again, once.
    pub fn put_back(&mut self, export: Export) {
        let cumulative = self.config.temporality == Temporality::Cumulative;
        for (key, points) in export.streams {
            if points.is_empty() {
                continue;
            }
            match self.streams.get_mut(&key) {
                Some(stream) => stream.put_back(points, cumulative),
                None => {
                    let mut stream = Stream::new(self.initial_floor());
                    stream.put_back(points, cumulative);
                    self.streams.insert(key, stream);
                }
            }
        }
    }

    /// Data points a take would produce now: pending buckets plus put-back points.
    pub fn pending_points(&self) -> usize {
        self.streams.values().map(Stream::pending_points).sum()
    }

    /// Drops the oldest data points (by time, across streams) until at most `max_points`
    /// wait, and returns how many it dropped. The count is of aggregated data points (one
    /// per stream and bucket, or per put-back point), not of the raw values in them; the
    /// caller counts it into `metricline.points.dropped`.
    pub fn shed_oldest(&mut self, max_points: usize) -> usize {
        let pending = self.pending_points();
        if pending <= max_points {
            return 0;
        }
        let excess = pending - max_points;
        let mut times: Vec<u64> = self
            .streams
            .values()
            .flat_map(Stream::pending_times)
            .collect();
        let (_, &mut cut, _) = times.select_nth_unstable(excess - 1);
        // Everything older than `cut` goes, and as many points at `cut` as still needed.
        let older = times.iter().filter(|&&time| time < cut).count();
        let mut quota_at_cut = excess - older;
        let mut dropped = 0;
        for stream in self.streams.values_mut() {
            dropped += stream.shed(cut, &mut quota_at_cut);
        }
        dropped
    }
}
