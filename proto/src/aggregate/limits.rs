//! What the aggregator may hold at once (docs/limits.md): per metric at most `cardinality`
//! attribute sets, with one overflow stream for the values of further sets (the
//! OpenTelemetry metrics SDK's rule), and at most `metrics` metrics fed by the sources.
//!
//! A metric is a (name, unit, kind): the identity OTLP groups data points by. Its entry
//! lives as long as it holds a stream, so in delta mode both counts follow what is pending
//! since the last export, not everything ever seen.

use hashbrown::{Equivalent, HashMap};
use std::borrow::Cow;
use std::hash::{Hash, Hasher};

use super::hash::{shrink_table, StreamHashBuilder};
use crate::model::{AttributeRef, Kind, StreamKey};
use crate::text::same;

/// The OpenTelemetry SDK's default cardinality limit.
pub const DEFAULT_CARDINALITY_LIMIT: usize = 2000;
/// Metrics the sources may hold at once (the extension's own metrics are not counted).
pub const DEFAULT_METRIC_LIMIT: usize = 1000;

/// The only attribute of a metric's overflow point.
pub const OVERFLOW_ATTRIBUTE: (&str, &str) = ("otel.metric.overflow", "true");
pub(super) const OVERFLOW_SET: [AttributeRef<'static>; 1] = [(
    Cow::Borrowed(OVERFLOW_ATTRIBUTE.0),
    Cow::Borrowed(OVERFLOW_ATTRIBUTE.1),
)];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Attribute sets per metric before the overflow point (at least 1).
    pub cardinality: usize,
    /// Metrics fed by the sources, beyond which new names are refused.
    pub metrics: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            cardinality: DEFAULT_CARDINALITY_LIMIT,
            metrics: DEFAULT_METRIC_LIMIT,
        }
    }
}

/// Where a value offered to the aggregator went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// Into the stream of its own attribute set.
    Stream,
    /// Into its metric's overflow point: the metric held `cardinality` sets already.
    Overflow,
    /// Refused: `metrics` metrics were held already and this is a new one. Counted by the
    /// caller (`too_many_metrics`).
    TooManyMetrics,
    /// Not a finite number (the parsers reject those before).
    NotFinite,
}

/// Values of one metric that went into its overflow point since the caller last asked
/// ([`Aggregator::take_overflows`](super::Aggregator::take_overflows)), for its warn line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overflowed {
    pub name: String,
    pub values: u64,
}

/// Whether `attributes` is exactly the overflow set (a value a source sent with it joins
/// the overflow point rather than counting as a set).
pub(super) fn is_overflow_set<K: AsRef<str>, V: AsRef<str>>(attributes: &[(K, V)]) -> bool {
    matches!(attributes, [(k, v)] if k.as_ref() == OVERFLOW_ATTRIBUTE.0 && v.as_ref() == OVERFLOW_ATTRIBUTE.1)
}

#[derive(Debug, PartialEq, Eq)]
struct MetricKey {
    name: Box<str>,
    unit: Box<str>,
    kind: Kind,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct MetricRef<'a> {
    pub name: &'a str,
    pub unit: &'a str,
    pub kind: Kind,
}

impl<'a> MetricRef<'a> {
    pub fn of(key: &'a StreamKey) -> Self {
        MetricRef {
            name: &key.name,
            unit: &key.unit,
            kind: key.kind,
        }
    }
}

fn hash_metric<H: Hasher>(name: &str, unit: &str, kind: Kind, state: &mut H) {
    name.hash(state);
    unit.hash(state);
    state.write_u8(kind as u8);
}

impl From<MetricRef<'_>> for MetricKey {
    fn from(metric: MetricRef<'_>) -> Self {
        MetricKey {
            name: metric.name.into(),
            unit: metric.unit.into(),
            kind: metric.kind,
        }
    }
}

impl Hash for MetricKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_metric(&self.name, &self.unit, self.kind, state);
    }
}

impl Hash for MetricRef<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_metric(self.name, self.unit, self.kind, state);
    }
}

impl Equivalent<MetricKey> for MetricRef<'_> {
    fn equivalent(&self, key: &MetricKey) -> bool {
        self.kind == key.kind && same(self.name, &key.name) && same(self.unit, &key.unit)
    }
}

#[derive(Debug, Default)]
struct Metric {
    /// Streams of attribute sets held (the overflow stream not included).
    sets: usize,
    /// The overflow stream is held.
    overflow: bool,
    /// Counted in `Metrics::from_sources`.
    from_source: bool,
    /// Index of this metric's entry in `Metrics::overflowed`, while there is one.
    report: Option<usize>,
}

/// The per-metric counts behind the limits.
#[derive(Debug)]
pub(super) struct Metrics {
    limits: Limits,
    table: HashMap<MetricKey, Metric, StreamHashBuilder>,
    from_sources: usize,
    overflowed: Vec<Overflowed>,
    /// Values refused with [`Recorded::TooManyMetrics`], ever.
    refused: u64,
}

/// What a new attribute set of a metric gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Admit {
    /// A stream of its own.
    Set,
    /// The metric's overflow stream.
    Overflow,
    Refused,
}

impl Metrics {
    pub fn new(limits: Limits) -> Self {
        Metrics {
            limits: Limits {
                cardinality: limits.cardinality.max(1),
                ..limits
            },
            table: HashMap::default(),
            from_sources: 0,
            overflowed: Vec::new(),
            refused: 0,
        }
    }

    /// Decides where a value for a set the aggregator holds no stream of goes, and counts
    /// it. `source`: the value comes from a source (log lines, receivers), whose metrics
    /// are bounded; the extension's own and platform metrics are not.
    pub fn admit(&mut self, metric: MetricRef<'_>, overflow_set: bool, source: bool) -> Admit {
        if !self.table.contains_key(&metric) {
            if source && self.from_sources >= self.limits.metrics {
                self.refused += 1;
                return Admit::Refused;
            }
            self.from_sources += usize::from(source);
            let key = MetricKey::from(metric);
            let entry = Metric {
                from_source: source,
                ..Metric::default()
            };
            self.table.insert(key, entry);
        }
        let entry = self.table.get_mut(&metric).expect("inserted above");
        if overflow_set {
            entry.overflow = true;
            return Admit::Overflow;
        }
        if entry.sets < self.limits.cardinality {
            entry.sets += 1;
            return Admit::Set;
        }
        entry.overflow = true;
        match entry.report {
            Some(i) => self.overflowed[i].values += 1,
            None => {
                entry.report = Some(self.overflowed.len());
                self.overflowed.push(Overflowed {
                    name: metric.name.to_owned(),
                    values: 1,
                });
            }
        }
        Admit::Overflow
    }

    /// Counts a stream brought back by a put-back: data already taken is never refused,
    /// even past a limit (new sets overflow until the metric is under it again).
    pub fn readmit(&mut self, key: &StreamKey) {
        let metric = MetricRef::of(key);
        if !self.table.contains_key(&metric) {
            self.table
                .insert(MetricKey::from(metric), Metric::default());
        }
        let entry = self.table.get_mut(&metric).expect("inserted above");
        if is_overflow_set(&key.attributes) {
            entry.overflow = true;
        } else {
            entry.sets += 1;
        }
    }

    /// Uncounts a stream the aggregator let go; a metric without streams is let go too.
    pub fn release(&mut self, key: &StreamKey) {
        let metric = MetricRef::of(key);
        let Some(entry) = self.table.get_mut(&metric) else {
            return;
        };
        if is_overflow_set(&key.attributes) {
            entry.overflow = false;
        } else {
            entry.sets = entry.sets.saturating_sub(1);
        }
        if entry.sets == 0 && !entry.overflow {
            if let Some((_, gone)) = self.table.remove_entry(&metric) {
                self.from_sources -= usize::from(gone.from_source);
            }
        }
    }

    pub fn refused(&self) -> u64 {
        self.refused
    }

    /// Metrics fed by the sources, held now.
    pub fn source_metrics(&self) -> usize {
        self.from_sources
    }

    pub fn take_overflowed(&mut self) -> Vec<Overflowed> {
        if self.overflowed.is_empty() {
            return Vec::new();
        }
        for entry in self.table.values_mut() {
            entry.report = None;
        }
        std::mem::take(&mut self.overflowed)
    }

    /// Gives back table memory a burst of metrics left behind.
    pub fn shrink(&mut self) {
        shrink_table(&mut self.table);
    }
}

impl super::Aggregator {
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

    /// Metrics fed by the sources held now.
    pub fn metric_count(&self) -> usize {
        self.metrics.source_metrics()
    }
}
