//! Per-stream aggregation into 10 s epoch-aligned buckets (docs/metrics.md).
//!
//! Each value lands in the bucket `(k·10 s, (k+1)·10 s]` holding its own timestamp. A take
//! closes the open bucket at the flush instant, so for every stream the exported points
//! cover contiguous, non-overlapping `(start, end]` intervals with `start < end`: the first
//! starts at its bucket's start, each later one at the previous one's end. A value stamped
//! at or before what its stream already exported goes into the next interval. Every
//! accepted value is exported exactly once (in its own stream or its metric's overflow
//! point), or counted as shed by the retry buffer's bounds. What the aggregator holds is
//! bounded: `limits.rs` (attribute sets and metrics), `released.rs` (what is kept of
//! exported delta streams) and `shed.rs` (the retry buffer); docs/limits.md.

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
use shed::Buffer;
pub use value::Value;

use crate::model::{KeyRef, Point, PointRef, PointSink, StreamKey};
use hash::shrink_table;
pub(crate) use hash::StreamHashBuilder;
use limits::{is_overflow_set, Admit, MetricRef, Metrics, OVERFLOW_SET};
use released::Released;
use std::hash::{BuildHasher, Hash};
use std::sync::Arc;
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
    /// Each stream's points in time order. The key is shared with the aggregator's
    /// stream table: an export per invoke would otherwise copy every key's strings.
    pub streams: Vec<(Arc<StreamKey>, Vec<DataPoint>)>,
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
impl Equivalent<Arc<StreamKey>> for KeyRef<'_> {
    fn equivalent(&self, key: &Arc<StreamKey>) -> bool {
        self.matches(key)
    }
}

/// The parsers can record straight into the aggregator (`lines::parse_text_into`); what
/// they push is source data, bounded by the metric limit.
impl PointSink for Aggregator {
    fn push_point(&mut self, point: PointRef<'_>) {
        self.record_ref(point);
    }

    fn push_values(&mut self, key: KeyRef<'_>, time_unix_nano: u64, values: &[f64]) {
        let config = &self.config;
        let added = match self.streams.get_mut(&key) {
            // The common case, one lookup: the values all go to one bucket of a counted
            // stream, which grows by at most that bucket.
            Some(stream) if !stream.is_idle() => values
                .iter()
                .filter(|value| value.is_finite())
                .map(|&value| stream.record(key.kind, key.unit, config, time_unix_nano, value))
                .sum(),
            // A new or idle stream goes through the limits, value by value.
            _ => {
                for &value in values {
                    self.record_ref(PointRef {
                        key,
                        time_unix_nano,
                        value,
                    });
                }
                return;
            }
        };
        self.added(added);
    }
}

#[derive(Debug)]
pub struct Aggregator {
    config: AggregationConfig,
    streams: HashMap<Arc<StreamKey>, Stream, StreamHashBuilder>,
    metrics: Metrics,
    /// Delta streams let go after their export: where each ended.
    released: Released,
    /// The retry buffer's bound and what is pending against it (`shed.rs`).
    buffer: Buffer,
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
            buffer: Buffer::default(),
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
        let overflow_set = is_overflow_set(&key.attributes);
        // Looked up by reference: an existing stream costs no allocation.
        let metric = MetricRef::of(&key);
        self.record_at(&key, metric, overflow_set, false, || key.clone(), t, value);
    }

    /// Adds one value of a source (log lines, receivers), borrowed as the line parsers
    /// emit them: the owned key is built only when the stream is new.
    pub fn record_ref(&mut self, point: PointRef<'_>) -> Recorded {
        if !point.value.is_finite() {
            return Recorded::NotFinite;
        }
        let (key, t, value) = (point.key, point.time_unix_nano, point.value);
        let metric = MetricRef {
            name: key.name,
            unit: key.unit,
            kind: key.kind,
        };
        let overflow_set = is_overflow_set(key.attributes);
        self.record_at(
            &key,
            metric,
            overflow_set,
            true,
            || key.to_stream_key(),
            t,
            value,
        )
    }

    /// Records a value of the stream `key` (of `metric`): into its stream if the table
    /// holds it counted, else where the limits admit it. `source`: see [`Metrics::admit`].
    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn record_at<Q: Hash + Equivalent<Arc<StreamKey>>>(
        &mut self,
        key: &Q,
        metric: MetricRef<'_>,
        overflow_set: bool,
        source: bool,
        owned: impl FnOnce() -> StreamKey,
        t: u64,
        value: f64,
    ) -> Recorded {
        let admit = match self.streams.get_mut(key) {
            Some(stream) if !stream.is_idle() => {
                let added = stream.record(metric.kind, metric.unit, &self.config, t, value);
                self.added(added);
                return Recorded::Stream;
            }
            Some(idle) => {
                let admit = self.metrics.admit(metric, overflow_set, source);
                if admit == Admit::Set {
                    // Woken in place: no second lookup.
                    idle.set_idle(false);
                    let added = idle.record(metric.kind, metric.unit, &self.config, t, value);
                    self.added(added);
                    return Recorded::Stream;
                }
                admit
            }
            None => self.metrics.admit(metric, overflow_set, source),
        };
        self.record_new(admit, metric, owned, t, value)
    }

    /// Records a value the stream table has no counted stream for (none at all, or an idle
    /// one `admit` did not wake), where `admit` sends it.
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
                    // `admit` counted the overflow stream: an idle one is woken.
                    stream.set_idle(false);
                    let added = stream.record(metric.kind, metric.unit, &self.config, t, value);
                    self.added(added);
                    return Recorded::Overflow;
                }
                (overflow.to_stream_key(), Recorded::Overflow)
            }
        };
        let mut stream = self.new_stream(&key);
        let added = stream.record(key.kind, &key.unit, &self.config, t, value);
        self.streams.insert(Arc::new(key), stream);
        self.added(added);
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

    /// Streams held now, overflow streams and idle ones (exported, let go at the next take
    /// unless a value comes first) included.
    pub fn stream_count(&self) -> usize {
        self.streams.len()
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
        let mut export = Export {
            streams: Vec::with_capacity(self.streams.len()),
        };
        let config = self.config;
        let delta = config.temporality == Temporality::Delta;
        let (metrics, released) = (&mut self.metrics, &mut self.released);
        let hasher = self.streams.hasher().clone();
        self.streams.retain(|key, stream| {
            if stream.is_idle() {
                // No value since its export: let it go, keeping only where it ended.
                released.remember(hasher.hash_one(key), stream.floor());
                return false;
            }
            let mut points = Vec::with_capacity(stream.pending_points());
            stream.take(key, &config, close(stream, t), &mut points);
            if !points.is_empty() {
                export.streams.push((Arc::clone(key), points));
            }
            // Delta, nothing pending: the stream stops counting toward its metric's
            // limits (they hold per interval) but stays one interval more, so that a
            // stream seen every interval is not rebuilt every time.
            if delta && stream.pending_points() == 0 {
                metrics.release(key);
                stream.set_idle(true);
            }
            true
        });
        shrink_table(&mut self.streams);
        self.metrics.shrink();
        self.recount();
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
                Some(stream) => {
                    if stream.is_idle() {
                        self.metrics.readmit(&key);
                        stream.set_idle(false);
                    }
                    stream.put_back(points, cumulative);
                }
                None => {
                    self.metrics.readmit(&key);
                    let mut stream = self.new_stream(&key);
                    stream.put_back(points, cumulative);
                    self.streams.insert(key, stream);
                }
            }
        }
        self.recount();
    }
}
