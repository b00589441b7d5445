//! Borrowed views of JSON lines: strings that borrow from the input unless they hold
//! escapes, and an object's members kept undecoded so each parser decodes only what it
//! reads.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde::Deserialize as DeriveDeserialize;
use serde_json::value::RawValue;

use super::number::parse_f64;
use super::scan::trim_ascii;

/// A JSON string that borrows from the input when it has no escapes.
///
/// serde's derive only borrows a `Cow<str>` that is a field's whole type; inside a `Vec`
/// or as a map key it always allocates, which this type avoids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Text<'a>(pub(crate) Cow<'a, str>);

impl<'a> Text<'a> {
    pub(crate) fn borrowed(text: &'a str) -> Self {
        Text(Cow::Borrowed(text))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(TextVisitor)
    }
}

/// The members of a JSON object in document order, values undecoded.
///
/// EMF documents reference their metric and dimension members by name, and a record in
/// Lambda's JSON log format is checked for several keys; one pass over the object serves
/// all of those lookups.
#[derive(Debug, Default)]
pub(crate) struct Members<'a>(Vec<(Text<'a>, &'a RawValue)>);

impl<'a> Members<'a> {
    /// The first member named `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&'a RawValue> {
        self.0
            .iter()
            .find(|(k, _)| k.0 == key)
            .map(|(_, value)| *value)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Members<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MembersVisitor;
        impl<'de> Visitor<'de> for MembersVisitor {
            type Value = Members<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut members = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some(key) = map.next_key::<Text<'de>>()? {
                    let value: &'de RawValue = map.next_value()?;
                    members.push((key, value));
                }
                Ok(Members(members))
            }
        }
        deserializer.deserialize_map(MembersVisitor)
    }
}

/// The members that tell what an object is and where a line may hide in it, read in one
/// pass without collecting the others (most JSON log lines are not metrics).
///
/// Only for text starting with `{`: serde's derived structs also accept arrays.
#[derive(Debug, Default, DeriveDeserialize)]
pub(crate) struct Markers<'a> {
    #[serde(rename = "_aws", borrow, default)]
    pub(crate) aws: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(crate) m: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(crate) v: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(crate) e: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(crate) t: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(crate) message: Option<&'a RawValue>,
}

impl<'a> Markers<'a> {
    /// The markers of an object already read in full; `null` reads as absent, as it does
    /// for the derived reader.
    pub(crate) fn of(members: &Members<'a>) -> Self {
        let get = |key| members.get(key).filter(|raw| text_of(raw) != "null");
        Markers {
            aws: get("_aws"),
            m: get("m"),
            v: get("v"),
            e: get("e"),
            t: get("t"),
            message: get("message"),
        }
    }
}

/// Reads the [`Markers`] of `text`; `None` if it is not one JSON object.
pub(crate) fn markers(text: &str) -> Option<Markers<'_>> {
    if !text.starts_with('{') {
        return None;
    }
    serde_json::from_str(text).ok()
}

/// Parses `text` as one JSON object; `None` if it is not exactly that.
pub(crate) fn object(text: &str) -> Option<Members<'_>> {
    serde_json::from_str(text).ok()
}

/// Decodes an undecoded member; `None` on any type mismatch.
pub(crate) fn decode<'a, T: Deserialize<'a>>(raw: &'a RawValue) -> Option<T> {
    serde_json::from_str(raw.get()).ok()
}

/// Reads a field with serde's derive as the JSON text of its value, `null` being absent.
pub(crate) fn raw_text<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<&'de str>, D::Error> {
    let raw: Option<&'de RawValue> = Deserialize::deserialize(deserializer)?;
    Ok(raw.map(RawValue::get))
}

/// The value of a JSON string given as its text (which must be valid JSON); `None` for
/// any other value. Borrowed when the string has no escape: then its text is its value.
pub(crate) fn string_value(text: &str) -> Option<Cow<'_, str>> {
    match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Some(plain) if !plain.contains('\\') => Some(Cow::Borrowed(plain)),
        _ => serde_json::from_str::<Text>(text).ok().map(|text| text.0),
    }
}

/// The member's JSON text without surrounding whitespace.
pub(crate) fn text_of(raw: &RawValue) -> &str {
    trim_ascii(raw.get())
}

/// A finite JSON number, given as its JSON text without surrounding whitespace; `None`
/// for anything else, booleans and strings included.
pub(crate) fn finite_number(text: &str) -> Option<f64> {
    match text.as_bytes().first() {
        Some(b'-' | b'0'..=b'9') => parse_f64(text).filter(|v| v.is_finite()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_borrow_plain_keys_and_decode_escaped_ones() {
        let members = object(r#"{"a":1,"b\u0020c":"x","a":2}"#).unwrap();
        assert_eq!(text_of(members.get("a").unwrap()), "1");
        assert!(matches!(members.0[0].0 .0, Cow::Borrowed(_)));
        assert_eq!(text_of(members.get("b c").unwrap()), r#""x""#);
        assert!(members.get("z").is_none());
    }

    #[test]
    fn markers_pick_out_the_format_keys_and_skip_the_rest() {
        let markers =
            markers(r#"{"level":"INFO","message":"x","m":"a","v":null,"n":[1]}"#).unwrap();
        assert_eq!(markers.message.map(text_of), Some(r#""x""#));
        assert_eq!(markers.m.map(text_of), Some(r#""a""#));
        assert!(markers.v.is_none() && markers.aws.is_none() && markers.e.is_none());
        assert!(super::markers("[1,2]").is_none());
        assert!(super::markers(r#"{"m":1,"m":2}"#).is_none());
    }

    #[test]
    fn object_rejects_non_objects_and_trailing_data() {
        assert!(object("[1]").is_none());
        assert!(object(r#"{"a":1} x"#).is_none());
        assert!(object(r#"{"a":"#).is_none());
    }

    #[test]
    fn finite_number_refuses_booleans_strings_and_overflow() {
        let m = object(r#"{"n":-2.5e1,"b":true,"s":"3","big":1e999}"#).unwrap();
        assert_eq!(finite_number(text_of(m.get("n").unwrap())), Some(-25.0));
        assert_eq!(finite_number(text_of(m.get("b").unwrap())), None);
        assert_eq!(finite_number(text_of(m.get("s").unwrap())), None);
        assert_eq!(finite_number(text_of(m.get("big").unwrap())), None);
    }
}
