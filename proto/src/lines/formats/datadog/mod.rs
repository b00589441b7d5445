//! Datadog's JSON log metric `{"m","v","e","t"}` (written with `DD_FLUSH_TO_LOG`),
//! a distribution, so each value is a histogram sample (docs/metrics.md).

mod line;

use std::borrow::Cow;

use serde::de::{Deserializer, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::lines::readers::fields::{
    epoch_nanos, is_instrument_name, normalize, split_tag, AttributeList, EpochUnit,
};
use crate::lines::readers::json::{self, Markers, Text};
use crate::lines::Reason;
use crate::model::{KeyRef, Kind, PointRef, PointSink};

pub(crate) use line::parse_line;

/// Whether an object is a Datadog JSON metric: it has both `m` and `v` (not `null`). `e`
/// may be left out (the event time is used, as for an empty epoch) and `t` is optional.
pub(crate) fn is_candidate(markers: &Markers<'_>) -> bool {
    markers.m.is_some() && markers.v.is_some()
}

/// Parses a candidate object; appends one point.
pub(crate) fn parse(
    markers: &Markers<'_>,
    event_time: u64,
    out: &mut dyn PointSink,
) -> Result<usize, Reason> {
    let name = markers
        .m
        .and_then(json::decode::<Text>)
        .ok_or(Reason::InvalidName)?;
    let (value, time_unix_nano) = value_and_time(
        &name.0,
        markers.v.map(json::text_of),
        markers.e.map(json::text_of),
        event_time,
    )?;
    let mut attributes = AttributeList::new();
    if let Some(tags) = markers.t {
        read_tags(tags, &mut attributes)?;
    }
    Ok(emit(&name.0, &mut attributes, value, time_unix_nano, out))
}

/// Checks the name, then reads `v` and `e` (their JSON text, `null` being absent): the
/// rules before the tags', in the order their reasons are given.
fn value_and_time(
    name: &str,
    value: Option<&str>,
    epoch: Option<&str>,
    event_time: u64,
) -> Result<(f64, u64), Reason> {
    if !is_instrument_name(name) {
        return Err(Reason::InvalidName);
    }
    let value = value
        .and_then(json::finite_number)
        .ok_or(Reason::BadValue)?;
    let time_unix_nano = match epoch {
        None => event_time,
        Some(text) if text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) => {
            epoch_nanos(text, EpochUnit::SecondsOrMillis, event_time)?
        }
        Some(_) => return Err(Reason::BadTimestamp),
    };
    Ok((value, time_unix_nano))
}

/// Emits the point of an accepted metric; returns how many (one).
fn emit(
    name: &str,
    attributes: &mut AttributeList<'_>,
    value: f64,
    time_unix_nano: u64,
    out: &mut dyn PointSink,
) -> usize {
    normalize(attributes);
    out.push_point(PointRef {
        key: KeyRef {
            name,
            unit: "",
            kind: Kind::Histogram,
            attributes,
        },
        time_unix_nano,
        value,
    });
    1
}

/// Reads `t`'s tag strings straight into attributes that borrow from the line (unless a
/// tag has escapes). Its value is the first broken rule; the serde error, a `t` that is
/// not an array of strings.
struct TagsVisitor<'x, 'a>(&'x mut AttributeList<'a>);

impl<'a> Visitor<'a> for TagsVisitor<'_, 'a> {
    type Value = Result<(), Reason>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array of tags")
    }
    fn visit_seq<A: SeqAccess<'a>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while let Some(tag) = seq.next_element::<Text<'a>>()? {
            let split = match &tag.0 {
                Cow::Borrowed(tag) => split_tag(tag)
                    .map(|tag| tag.map(|(key, value)| (Cow::Borrowed(key), Cow::Borrowed(value)))),
                Cow::Owned(tag) => split_tag(tag).map(|tag| {
                    tag.map(|(key, value)| (Cow::Owned(key.into()), Cow::Owned(value.into())))
                }),
            };
            match split {
                Ok(Some(attribute)) => self.0.push(attribute),
                Ok(None) => {}
                Err(reason) => return Ok(Err(reason)),
            }
        }
        Ok(Ok(()))
    }
}

/// Reads `t`, an array of tag strings, into `attributes`.
fn read_tags<'a>(tags: &'a RawValue, attributes: &mut AttributeList<'a>) -> Result<(), Reason> {
    let mut deserializer = serde_json::Deserializer::from_str(tags.get());
    match deserializer.deserialize_seq(TagsVisitor(attributes)) {
        Ok(read) => read,
        Err(_) => Err(Reason::BadTags),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Point;

    const EVENT: u64 = 7_000_000_000;
    const T: u64 = 1_764_151_200_000_000_000;

    fn one(line: &str) -> Result<Point, Reason> {
        let markers = json::markers(line).expect("test input is a JSON object");
        assert!(is_candidate(&markers));
        let mut out = Vec::new();
        parse(&markers, EVENT, &mut out)?;
        assert_eq!(out.len(), 1);
        Ok(out.remove(0))
    }

    #[test]
    fn design_example_is_a_histogram_sample() {
        let p =
            one(r#"{"m":"orders.value","v":12.5,"e":1764151200,"t":["env:prod","vip"]}"#).unwrap();
        assert_eq!(p.key.name, "orders.value");
        assert_eq!((p.key.kind, p.key.unit.as_str()), (Kind::Histogram, ""));
        let expected = vec![("env".into(), "prod".into()), ("vip".into(), String::new())];
        assert_eq!(p.key.attributes, expected);
        assert_eq!((p.time_unix_nano, p.value), (T, 12.5));
    }

    #[test]
    fn epoch_rules_match_monitoring_lines() {
        let at = |e: &str| one(&format!(r#"{{"m":"a","v":1,"e":{e}}}"#));
        assert_eq!(at("1764151200000").unwrap().time_unix_nano, T);
        assert_eq!(at("1764151200.25").unwrap().time_unix_nano, T + 250_000_000);
        assert_eq!(at("0").unwrap().time_unix_nano, EVENT);
        assert_eq!(at("null").unwrap().time_unix_nano, EVENT);
        assert_eq!(one(r#"{"m":"a","v":1}"#).unwrap().time_unix_nano, EVENT);
        for bad in ["-5", r#""1764151200""#, "true", "[1]"] {
            assert_eq!(at(bad), Err(Reason::BadTimestamp), "{bad}");
        }
    }

    #[test]
    fn name_must_be_a_non_empty_valid_string() {
        for m in [r#""""#, "7", r#""a b""#, "[]"] {
            let line = format!(r#"{{"m":{m},"v":1,"e":1}}"#);
            assert_eq!(one(&line), Err(Reason::InvalidName), "{line}");
        }
        let escaped = one(r#"{"m":"a\/b","v":1,"e":1}"#).unwrap();
        assert_eq!(escaped.key.name, "a/b");
    }

    #[test]
    fn value_must_be_a_finite_number_not_a_boolean() {
        for v in ["true", r#""1""#, "1e999", "[1]", "{}"] {
            let line = format!(r#"{{"m":"a","v":{v},"e":1}}"#);
            assert_eq!(one(&line), Err(Reason::BadValue), "{line}");
        }
        assert_eq!(one(r#"{"m":"a","v":-3,"e":1}"#).unwrap().value, -3.0);
    }

    #[test]
    fn tags_must_be_an_array_of_strings() {
        assert!(one(r#"{"m":"a","v":1,"e":1,"t":[]}"#)
            .unwrap()
            .key
            .attributes
            .is_empty());
        assert!(one(r#"{"m":"a","v":1,"e":1,"t":null}"#)
            .unwrap()
            .key
            .attributes
            .is_empty());
        for t in [r#""env:prod""#, "[1]", r#"["ok",null]"#, r#"[":v"]"#, "{}"] {
            let line = format!(r#"{{"m":"a","v":1,"e":1,"t":{t}}}"#);
            assert_eq!(one(&line), Err(Reason::BadTags), "{line}");
        }
    }
}
