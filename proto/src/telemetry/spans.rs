//! The `spans` of a platform record, read leniently: an entry that is not a span is
//! dropped, and a `spans` that is not a list reads as no spans, because spans only refine
//! an event and a strange one must not cost the event its status and metrics.
//!
//! Read in one pass, each entry's members as they come. serde's own way to try a span and
//! then anything else (untagged enums) first copies the whole list into a tree of its own:
//! that was ~5,000 instructions per event, a tenth of an idle invoke's. What is kept and
//! what is dropped is the same as that way's, entry by entry (the tests compare both).

use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::records::Span;

/// A visitor's methods for every value that is neither a list nor an object (a string, a
/// number, `true`, `null`…): the value is read, and stands for `$nothing`.
macro_rules! scalars_read_as {
    ($nothing:expr) => {
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok($nothing)
        }

        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($nothing)
        }

        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($nothing)
        }

        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($nothing)
        }

        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($nothing)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($nothing)
        }
    };
}

/// `deserialize_with` for a record's `spans`.
pub(super) fn lenient<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Span>, D::Error> {
    deserializer.deserialize_any(SpanList)
}

struct SpanList;

impl<'de> Visitor<'de> for SpanList {
    type Value = Vec<Span>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of spans")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut entries: A) -> Result<Vec<Span>, A::Error> {
        let mut spans = Vec::new();
        while let Some(MaybeSpan(span)) = entries.next_element()? {
            spans.extend(span);
        }
        Ok(spans)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Vec<Span>, A::Error> {
        ValueVisitor.visit_map(map).map(|_| Vec::new())
    }

    scalars_read_as!(Vec::new());
}

/// One entry: a span, or `None` for anything else (read to its end all the same).
struct MaybeSpan(Option<Span>);

impl<'de> Deserialize<'de> for MaybeSpan {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(EntryVisitor).map(MaybeSpan)
    }
}

/// Any JSON value, told apart only as far as a span's members need.
enum Value {
    Text(String),
    Number(f64),
    Null,
    Other,
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Value, E> {
        Ok(Value::Text(text.to_owned()))
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<Value, E> {
        Ok(Value::Text(text))
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Value, E> {
        Ok(Value::Number(n))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Number(n as f64))
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Value, E> {
        Ok(Value::Number(n as f64))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Value, E> {
        Ok(Value::Other)
    }

    // Nested values are read as values too, not skipped: serde_json skips without a depth
    // limit, where reading stops at its recursion limit as the untagged reading did (a list
    // nested past it costs the whole event, as before, rather than only its spans).
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        while seq.next_element::<Value>()?.is_some() {}
        Ok(Value::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        while map.next_entry::<IgnoredAny, Value>()?.is_some() {}
        Ok(Value::Other)
    }
}

/// A span's members, as the entry gives them; `valid` falls at the first that could not
/// be a span's (a wrong type, a member twice), as serde's derived reader would refuse it.
struct Members {
    name: Option<String>,
    start: Option<Option<String>>,
    duration_ms: Option<f64>,
    valid: bool,
}

impl Members {
    fn new() -> Self {
        Members {
            name: None,
            start: None,
            duration_ms: None,
            valid: true,
        }
    }

    fn name(&mut self, value: Value) {
        match value {
            Value::Text(name) if self.name.is_none() => self.name = Some(name),
            _ => self.valid = false,
        }
    }

    fn start(&mut self, value: Value) {
        match value {
            Value::Text(start) if self.start.is_none() => self.start = Some(Some(start)),
            Value::Null if self.start.is_none() => self.start = Some(None),
            _ => self.valid = false,
        }
    }

    fn duration_ms(&mut self, value: Value) {
        match value {
            Value::Number(ms) if self.duration_ms.is_none() => self.duration_ms = Some(ms),
            _ => self.valid = false,
        }
    }

    /// The span, if every member was a span's and the required ones were there.
    fn span(self) -> Option<Span> {
        if !self.valid {
            return None;
        }
        Some(Span {
            name: self.name?,
            start: self.start.flatten(),
            duration_ms: self.duration_ms?,
        })
    }
}

/// A member's key: one of a span's, or another (ignored, as serde's derive ignores it).
enum Key {
    Name,
    Start,
    DurationMs,
    Other,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a member's key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Key, E> {
        Ok(match key {
            "name" => Key::Name,
            "start" => Key::Start,
            "durationMs" => Key::DurationMs,
            _ => Key::Other,
        })
    }
}

struct EntryVisitor;

impl<'de> Visitor<'de> for EntryVisitor {
    type Value = Option<Span>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a span")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<Span>, A::Error> {
        let mut members = Members::new();
        while let Some(key) = map.next_key()? {
            match key {
                Key::Name => members.name(map.next_value()?),
                Key::Start => members.start(map.next_value()?),
                Key::DurationMs => members.duration_ms(map.next_value()?),
                Key::Other => drop(map.next_value::<Value>()?),
            }
        }
        Ok(members.span())
    }

    /// serde's derived reader also takes a span's members in order, as a list of exactly
    /// three: `[name, start, durationMs]`.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<Span>, A::Error> {
        let mut members = Members::new();
        let mut count = 0;
        while let Some(value) = seq.next_element::<Value>()? {
            match count {
                0 => members.name(value),
                1 => members.start(value),
                2 => members.duration_ms(value),
                _ => members.valid = false,
            }
            count += 1;
        }
        Ok(if count == 3 { members.span() } else { None })
    }

    scalars_read_as!(None);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// serde's untagged reading, the way `spans` was read before: the judge.
    fn untagged(json: &str) -> Result<Vec<Span>, serde_json::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum MaybeSpan {
            Span(Span),
            Other(IgnoredAny),
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum MaybeSpans {
            List(Vec<MaybeSpan>),
            Other(IgnoredAny),
        }
        Ok(match serde_json::from_str::<MaybeSpans>(json)? {
            MaybeSpans::List(entries) => entries
                .into_iter()
                .filter_map(|entry| match entry {
                    MaybeSpan::Span(span) => Some(span),
                    MaybeSpan::Other(_) => None,
                })
                .collect(),
            MaybeSpans::Other(_) => Vec::new(),
        })
    }

    fn one_pass(json: &str) -> Result<Vec<Span>, serde_json::Error> {
        lenient(&mut serde_json::Deserializer::from_str(json))
    }

    fn scalar() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(r#""responseLatency""#.to_owned()),
            Just(r#""2026-01-01T00:00:00.000Z""#.to_owned()),
            Just(r#""a\"b\u00e9""#.to_owned()),
            Just("1.5".to_owned()),
            Just("-3".to_owned()),
            Just("18446744073709551615".to_owned()),
            Just("null".to_owned()),
            Just("true".to_owned()),
            Just("[]".to_owned()),
            Just(r#"{"a":[1]}"#.to_owned()),
        ]
    }

    /// A span's members in any order, some missing, some twice, some of the wrong type,
    /// or an entry of another kind.
    fn entry() -> impl Strategy<Value = String> {
        let key = prop_oneof![
            Just("name"),
            Just("start"),
            Just("durationMs"),
            Just("na\\u006de"),
            Just("duration_ms"),
            Just("extra"),
        ];
        let object = prop::collection::vec((key, scalar()), 0..5).prop_map(|members| {
            let members: Vec<String> = members
                .into_iter()
                .map(|(key, value)| format!(r#""{key}":{value}"#))
                .collect();
            format!("{{{}}}", members.join(","))
        });
        let list = prop::collection::vec(scalar(), 0..5)
            .prop_map(|values| format!("[{}]", values.join(",")));
        prop_oneof![6 => object, 2 => list, 1 => scalar()]
    }

    fn spans() -> impl Strategy<Value = String> {
        let list = prop::collection::vec(entry(), 0..5)
            .prop_map(|entries| format!("[{}]", entries.join(",")));
        prop_oneof![8 => list, 1 => entry()]
    }

    proptest! {
        #[test]
        fn keeps_and_drops_what_serdes_untagged_reading_does(json in spans()) {
            prop_assert_eq!(one_pass(&json).ok(), untagged(&json).ok(), "{}", json);
        }
    }

    #[test]
    fn a_well_formed_list_keeps_every_span() {
        let json = r#"[{"name":"responseLatency","start":"2026-01-01T00:00:00Z","durationMs":1.5},
            {"durationMs":2,"name":"responseDuration","start":null,"extra":{}}]"#;
        assert_eq!(one_pass(json).unwrap(), untagged(json).unwrap());
        assert_eq!(one_pass(json).unwrap().len(), 2);
    }

    /// serde_json skips a value without a depth limit; the untagged reading stopped at its
    /// recursion limit, failing the whole record, and so does this one.
    #[test]
    fn nesting_past_the_recursion_limit_fails_as_before() {
        let deep = format!("[{}{}]", "[".repeat(200), "]".repeat(200));
        assert!(untagged(&deep).is_err());
        assert!(one_pass(&deep).is_err());
        let deep_member = format!(
            r#"[{{"name":"a","durationMs":1,"x":{}{}}}]"#,
            "[".repeat(200),
            "]".repeat(200)
        );
        assert!(untagged(&deep_member).is_err());
        assert!(one_pass(&deep_member).is_err());
    }
}
