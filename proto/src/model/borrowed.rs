//! Borrowed points: what the line parsers emit. A [`PointRef`] borrows its name, unit and
//! attributes from the log line (or from the parser's scratch space), so the aggregator
//! can find an existing stream without building an owned [`StreamKey`]; only a new stream
//! or a caller that keeps points (`Vec<Point>`) pays for the owned strings.
//!
//! A [`KeyRef`] and the [`StreamKey`] of the same stream hash the same and compare equal
//! (`KeyRef::matches`), which is what a lookup by borrowed key needs.

use std::borrow::Cow;
use std::hash::{Hash, Hasher};

use super::{Kind, Point, StreamKey};
use crate::text::same;

/// One attribute as a parser read it: borrowed from the line, owned only when it had to
/// be decoded (a JSON string with escapes).
pub type AttributeRef<'a> = (Cow<'a, str>, Cow<'a, str>);

/// The identity of a stream, borrowed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KeyRef<'a> {
    pub name: &'a str,
    /// UCUM unit, empty when unknown.
    pub unit: &'a str,
    pub kind: Kind,
    /// Sorted by key with unique keys, as in a [`StreamKey`]: the parsers normalize them.
    pub attributes: &'a [AttributeRef<'a>],
}

/// One accepted value, borrowed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PointRef<'a> {
    pub key: KeyRef<'a>,
    /// Unix time in nanoseconds.
    pub time_unix_nano: u64,
    pub value: f64,
}

/// Where the line parsers put the points of an accepted line. A parser emits nothing for
/// a line it rejects, so a sink never has to take points back.
pub trait PointSink {
    fn push_point(&mut self, point: PointRef<'_>);

    /// Several values of one stream with one timestamp (an EMF metric's array of values),
    /// in order: a sink can then find the stream once for all of them.
    fn push_values(&mut self, key: KeyRef<'_>, time_unix_nano: u64, values: &[f64]) {
        for &value in values {
            self.push_point(PointRef {
                key,
                time_unix_nano,
                value,
            });
        }
    }
}

/// Keeps owned copies: the parsers' original output, used by tests and the pipeline.
impl PointSink for Vec<Point> {
    fn push_point(&mut self, point: PointRef<'_>) {
        self.push(point.to_point());
    }
}

impl KeyRef<'_> {
    /// The owned key; the attributes are already normalized, so they are copied as is.
    pub fn to_stream_key(&self) -> StreamKey {
        StreamKey {
            name: self.name.to_owned(),
            unit: self.unit.to_owned(),
            kind: self.kind,
            attributes: self
                .attributes
                .iter()
                .map(|(k, v)| (k.as_ref().to_owned(), v.as_ref().to_owned()))
                .collect(),
        }
    }

    /// Whether `key` is the owned form of this key.
    pub fn matches(&self, key: &StreamKey) -> bool {
        same(self.name, &key.name)
            && same(self.unit, &key.unit)
            && self.kind == key.kind
            && self.attributes.len() == key.attributes.len()
            && self
                .attributes
                .iter()
                .zip(&key.attributes)
                .all(|((k, v), (key_k, key_v))| same(k, key_k) && same(v, key_v))
    }
}

impl PointRef<'_> {
    pub fn to_point(&self) -> Point {
        Point {
            key: self.key.to_stream_key(),
            time_unix_nano: self.time_unix_nano,
            value: self.value,
        }
    }
}

/// The one hash of a stream identity, for both the owned and the borrowed key.
fn hash_key<'s, H: Hasher>(
    name: &str,
    unit: &str,
    kind: Kind,
    attributes: impl ExactSizeIterator<Item = (&'s str, &'s str)>,
    state: &mut H,
) {
    name.hash(state);
    unit.hash(state);
    state.write_u8(kind as u8);
    state.write_usize(attributes.len());
    for (k, v) in attributes {
        k.hash(state);
        v.hash(state);
    }
}

impl Hash for StreamKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let attributes = self
            .attributes
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()));
        hash_key(&self.name, &self.unit, self.kind, attributes, state);
    }
}

impl Hash for KeyRef<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let attributes = self
            .attributes
            .iter()
            .map(|(k, v)| (k.as_ref(), v.as_ref()));
        hash_key(self.name, self.unit, self.kind, attributes, state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{BuildHasher, RandomState};

    #[test]
    fn borrowed_and_owned_keys_of_a_stream_hash_and_compare_the_same() {
        let attributes = [
            (Cow::Borrowed("env"), Cow::Borrowed("prod")),
            (Cow::Owned("vip".to_owned()), Cow::Borrowed("")),
        ];
        let key = KeyRef {
            name: "orders",
            unit: "ms",
            kind: Kind::Sum,
            attributes: &attributes,
        };
        let owned = key.to_stream_key();
        let hasher = RandomState::new();
        assert!(key.matches(&owned));
        assert_eq!(hasher.hash_one(key), hasher.hash_one(&owned));
        let other = KeyRef {
            attributes: &attributes[..1],
            ..key
        };
        assert!(!other.matches(&owned));
        assert!(!KeyRef {
            kind: Kind::Gauge,
            ..key
        }
        .matches(&owned));
    }
}
