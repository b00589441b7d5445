//! The metric model shared by every stage: a [`Point`] is one accepted value of one stream.
//! The line parsers emit [`PointRef`]s, borrowed views of the same, so that a value of a
//! stream the aggregator already holds costs no allocation (see `borrowed.rs`).

mod borrowed;

pub use borrowed::{AttributeRef, KeyRef, PointRef, PointSink};

/// Point attributes, sorted by key with unique keys, so that equal sets compare and hash equal.
/// Values are strings: tags, EMF dimensions and our own attributes are all strings.
pub type Attributes = Vec<(String, String)>;

/// What a stream aggregates into. Log-line sums are monotonic: negative counts are
/// rejected at parse time (docs/metrics.md), and platform counters only grow. StatsD counters
/// are the one exception: clients send decrements as negative counts (docs/statsd.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// Monotonic sum of the values.
    Sum,
    /// Last value per bucket, with that value's own timestamp.
    Gauge,
    /// Each value is a sample.
    Histogram,
    /// Non-monotonic sum: values may be negative (StatsD counters).
    UpDownSum,
}

/// The identity of a stream: aggregation happens per key. `Hash` is written by hand (in
/// `borrowed.rs`) so that a [`KeyRef`] of the same stream hashes the same.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct StreamKey {
    pub name: String,
    /// UCUM unit, empty when unknown.
    pub unit: String,
    pub kind: Kind,
    pub attributes: Attributes,
}

/// One accepted value, timestamped by its own source.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub key: StreamKey,
    /// Unix time in nanoseconds.
    pub time_unix_nano: u64,
    pub value: f64,
}

impl StreamKey {
    /// Builds a key, sorting and de-duplicating the attributes (the last value of a key wins).
    pub fn new(
        name: impl Into<String>,
        unit: impl Into<String>,
        kind: Kind,
        attributes: Attributes,
    ) -> Self {
        StreamKey {
            name: name.into(),
            unit: unit.into(),
            kind,
            attributes: normalize_attributes(attributes),
        }
    }
}

/// Sorts attributes by key and keeps the last value written for a repeated key.
pub fn normalize_attributes(mut attributes: Attributes) -> Attributes {
    normalize_in_place(&mut attributes);
    attributes
}

/// [`normalize_attributes`] for owned and borrowed attributes alike.
pub(crate) fn normalize_in_place<K: Ord, V>(attributes: &mut Vec<(K, V)>) {
    if attributes.len() < 2 {
        return;
    }
    // A stable sort keeps the written order among equal keys; reversing first makes the
    // last-written value come first, which `dedup_by` keeps. In place: no new allocation.
    attributes.reverse();
    attributes.sort_by(|a, b| a.0.cmp(&b.0));
    attributes.dedup_by(|later, kept| later.0 == kept.0);
}

pub const NANOS_PER_SEC: u64 = 1_000_000_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_sorted_and_last_duplicate_wins() {
        let key = StreamKey::new(
            "m",
            "",
            Kind::Sum,
            vec![
                ("b".into(), "1".into()),
                ("a".into(), "x".into()),
                ("b".into(), "2".into()),
            ],
        );
        assert_eq!(
            key.attributes,
            vec![("a".into(), "x".into()), ("b".into(), "2".into())]
        );
    }
}
