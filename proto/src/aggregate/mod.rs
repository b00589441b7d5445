//! Per-stream aggregation into 10 s epoch-aligned buckets (DESIGN.md §5).
//!
//! Each value lands in the bucket `(k·10 s, (k+1)·10 s]` holding its own timestamp. A take
//! closes the open bucket at the flush instant, so for every stream the exported points
//! cover contiguous, non-overlapping `(start, end]` intervals with `start < end`: the first
//! starts at its bucket's start, each later one at the previous one's end. A value stamped
//! at or before what its stream already exported goes into the next interval. Every
//! accepted value is exported exactly once, or counted by [`Aggregator::shed_oldest`].
//! What it holds is bounded: see `limits.rs` (attribute sets and metrics), `released.rs`
//! (what is kept of exported delta streams) and `shed.rs` (the retry buffer).

mod bucket;
mod explicit;
mod exponential;
mod hash;
mod limits;
mod released;
mod shed;
mod stream;
mod value;

use hashbrown::{Equivalent, HashMap};

pub use bucket::BUCKET_NANOS;
pub use explicit::{ExplicitHistogram, DEFAULT_BOUNDS, SECONDS_BOUNDS};
pub use exponential::{
    bucket_index, ExponentialBuckets, ExponentialHistogram, MAX_SCALE, MAX_SIZE,
};
pub use limits::{
    Limits, Overflowed, Recorded, DEFAULT_CARDINALITY_LIMIT, DEFAULT_METRIC_LIMIT,
    OVERFLOW_ATTRIBUTE,
};
pub use released::CAPACITY as RELEASED_CAPACITY;
pub use shed::Budget;
pub use value::Value;

use crate::model::{KeyRef, Point, PointRef, PointSink, StreamKey};
use hash::StreamHashBuilder;
use limits::{is_overflow_set, shrink_table, Admit, MetricRef, Metrics, OVERFLOW_SET};
use released::Released;
use std::hash::BuildHasher;
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

/// Lets the stream table find a [`StreamKey`] by its [`KeyRef`] (they hash the same).
impl Equivalent<StreamKey> for KeyRef<'_> {
    fn equivalent(&self, key: &StreamKey) -> bool {
        self.matches(key)
    }
}

/// The parsers can record straight into the aggregator (`lines::parse_text_into`); what
/// they push is source data, bounded by the metric limit.
impl PointSink for Aggregator {
    fn push_point(&mut self, point: PointRef<'_>) {
        self.record_ref(point);
    }
}

#[derive(Debug)]
pub struct Aggregator {
    config: AggregationConfig,
    streams: HashMap<StreamKey, Stream, StreamHashBuilder>,
    metrics: Metrics,
    /// Delta streams let go after their export: where each ended.
    released: Released,
}

impl Aggregator {
    /// An aggregator with the default [`Limits`].
    pub fn new(config: AggregationConfig) -> Self {
        Self::with_limits(config, Limits::default())
    }

    pub fn with_limits(config: AggregationConfig, limits: Limits) -> Self {
        Aggregator {
            config,
            streams: HashMap::default(),
            metrics: Metrics::new(limits),
            released: Released::default(),
        }
    }

    /// Adds one value of the extension's own or platform metrics: subject to the
    /// cardinality limit, not to the metric limit (so that `metricline.lines` can count
    /// what that limit refuses). Non-finite values are ignored rather than poisoning a sum.
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
        let metric = MetricRef::of(&key);
        let admit = self
            .metrics
            .admit(metric, is_overflow_set(&key.attributes), false);
        self.record_new(admit, metric, || key.clone(), t, value);
    }

    /// Adds one value of a source (log lines, receivers), borrowed as the line parsers
    /// emit them: the owned key is built only when the stream is new.
    pub fn record_ref(&mut self, point: PointRef<'_>) -> Recorded {
        if !point.value.is_finite() {
            return Recorded::NotFinite;
        }
        let (key, t, value) = (point.key, point.time_unix_nano, point.value);
        if let Some(stream) = self.streams.get_mut(&key) {
            stream.record(key.kind, key.unit, &self.config, t, value);
            return Recorded::Stream;
        }
        let metric = MetricRef {
            name: key.name,
            unit: key.unit,
            kind: key.kind,
        };
        let admit = self
            .metrics
            .admit(metric, is_overflow_set(key.attributes), true);
        self.record_new(admit, metric, || key.to_stream_key(), t, value)
    }

    /// Records a value the stream table has no stream for, where `admit` sends it.
    fn record_new(
        &mut self,
        admit: Admit,
        metric: MetricRef<'_>,
        owned: impl FnOnce() -> StreamKey,
        t: u64,
        value: f64,
    ) -> Recorded {
        let (key, recorded) = match admit {
            Admit::Refused => return Recorded::TooManyMetrics,
            Admit::Set => (owned(), Recorded::Stream),
            Admit::Overflow => {
                let overflow = KeyRef {
                    name: metric.name,
                    unit: metric.unit,
                    kind: metric.kind,
                    attributes: &OVERFLOW_SET,
                };
                if let Some(stream) = self.streams.get_mut(&overflow) {
                    stream.record(metric.kind, metric.unit, &self.config, t, value);
                    return Recorded::Overflow;
                }
                (overflow.to_stream_key(), Recorded::Overflow)
            }
        };
        let mut stream = self.new_stream(&key);
        stream.record(key.kind, &key.unit, &self.config, t, value);
        self.streams.insert(key, stream);
        recorded
    }

    /// A stream for `key`: one let go before continues where it ended.
    fn new_stream(&mut self, key: &StreamKey) -> Stream {
        let hash = self.streams.hasher().hash_one(key);
        if let Some(end) = self.released.take(hash) {
            return Stream::resumed(end);
        }
        Stream::new(match self.config.temporality {
            Temporality::Delta => self.released.floor(),
            // A cumulative point must end after its start time.
            Temporality::Cumulative => self.config.start_time_unix_nano,
        })
    }

    /// Values refused because too many metrics were held (ever; the caller takes
    /// differences to count them per line).
    pub fn refused_values(&self) -> u64 {
        self.metrics.refused()
    }

    /// Metrics whose values went into their overflow point since the last call, with how
    /// many values did, so the caller can warn (proto reads no clock to rate-limit).
    pub fn take_overflows(&mut self) -> Vec<Overflowed> {
        self.metrics.take_overflowed()
    }

    /// Streams held now, overflow streams included.
    pub fn stream_count(&self) -> usize {
        self.streams.len()
    }

    /// Metrics fed by the sources held now.
    pub fn metric_count(&self) -> usize {
        self.metrics.source_metrics()
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
        let delta = config.temporality == Temporality::Delta;
        let (metrics, released) = (&mut self.metrics, &mut self.released);
        let hasher = self.streams.hasher().clone();
        self.streams.retain(|key, stream| {
            let mut points = Vec::new();
            stream.take(key, &config, close(stream, t), &mut points);
            if !points.is_empty() {
                export.streams.push((key.clone(), points));
            }
            // Delta: nothing pending, nothing to keep but where it ended.
            if delta && stream.pending_points() == 0 {
                released.remember(hasher.hash_one(key), stream.floor());
                metrics.release(key);
                return false;
            }
            true
        });
        shrink_table(&mut self.streams);
        self.metrics.shrink();
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
                    self.metrics.readmit(&key);
                    let mut stream = self.new_stream(&key);
                    stream.put_back(points, cumulative);
                    self.streams.insert(key, stream);
                }
            }
        }
    }
}
