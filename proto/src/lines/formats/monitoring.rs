//! Datadog's `MONITORING|<epoch>|<value>|<type>|<name>[|#<tags>]` line (docs/metrics.md).

use std::borrow::Cow;

use crate::lines::readers::fields::{
    epoch_nanos, finite_number, is_instrument_name, normalize, split_tag, AttributeList, EpochUnit,
};
use crate::lines::readers::scan::{split_byte, trim};
use crate::lines::Reason;
use crate::model::{KeyRef, Kind, PointRef, PointSink};

pub(crate) const MARKER: &str = "MONITORING|";

/// Parses one line that starts with [`MARKER`] and has no surrounding whitespace; appends
/// one point.
pub(crate) fn parse(line: &str, event_time: u64, out: &mut dyn PointSink) -> Result<usize, Reason> {
    let rest = line.strip_prefix(MARKER).ok_or(Reason::FieldCount)?;
    // After the marker: epoch, value, type, name and an optional tag field.
    let mut fields = [""; 5];
    let mut count = 0;
    for field in split_byte(rest, b'|') {
        *fields.get_mut(count).ok_or(Reason::FieldCount)? = field;
        count += 1;
    }
    if count < 4 {
        return Err(Reason::FieldCount);
    }
    let [epoch, value, kind, name, tags] = fields;
    // Spaces around a field are layout, not content (`| orders.placed |`).
    let (name, tags) = (trim(name), trim(tags));

    let time_unix_nano = epoch_nanos(epoch, EpochUnit::SecondsOrMillis, event_time)?;
    let value = finite_number(value)?;
    let kind = kind_of(trim(kind)).ok_or(Reason::UnknownType)?;
    if kind == Kind::Sum && value < 0.0 {
        return Err(Reason::NegativeCount);
    }
    if !is_instrument_name(name) {
        return Err(Reason::InvalidName);
    }
    let mut attributes = AttributeList::new();
    if !tags.is_empty() {
        let tags = tags.strip_prefix('#').ok_or(Reason::BadTags)?;
        for entry in split_byte(tags, b',') {
            if let Some((key, value)) = split_tag(entry)? {
                attributes.push((Cow::Borrowed(key), Cow::Borrowed(value)));
            }
        }
        normalize(&mut attributes);
    }
    out.push_point(PointRef {
        key: KeyRef {
            name,
            unit: "",
            kind,
            attributes: &attributes,
        },
        time_unix_nano,
        value,
    });
    Ok(1)
}

fn kind_of(kind: &str) -> Option<Kind> {
    const KINDS: [(&str, Kind); 5] = [
        ("count", Kind::Sum),
        ("gauge", Kind::Gauge),
        ("histogram", Kind::Histogram),
        ("distribution", Kind::Histogram),
        ("check", Kind::Gauge),
    ];
    KINDS
        .iter()
        .find(|(written, _)| written.eq_ignore_ascii_case(kind))
        .map(|&(_, kind)| kind)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Point;

    const EVENT: u64 = 7_000_000_000;
    const T: u64 = 1_764_151_200_000_000_000;

    fn one(line: &str) -> Result<Point, Reason> {
        let mut out = Vec::new();
        parse(line, EVENT, &mut out)?;
        assert_eq!(out.len(), 1);
        Ok(out.remove(0))
    }

    fn attrs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn count_with_tags() {
        let p = one("MONITORING|1764151200|3|count|orders.placed|#env:prod,vip").unwrap();
        assert_eq!(p.key.name, "orders.placed");
        assert_eq!(p.key.kind, Kind::Sum);
        assert_eq!(p.key.unit, "");
        assert_eq!(p.key.attributes, attrs(&[("env", "prod"), ("vip", "")]));
        assert_eq!((p.time_unix_nano, p.value), (T, 3.0));
    }

    #[test]
    fn five_fields_and_empty_trailing_tag_field() {
        for line in [
            "MONITORING|1764151200|1|gauge|a",
            "MONITORING|1764151200|1|gauge|a|",
        ] {
            let p = one(line).unwrap();
            assert_eq!((p.key.kind, p.key.attributes.len()), (Kind::Gauge, 0));
        }
    }

    #[test]
    fn field_count_other_than_5_or_6_is_rejected() {
        for line in [
            "MONITORING|",
            "MONITORING|1764151200|1|gauge",
            "MONITORING|1764151200|1|gauge|a|#x|extra",
            "MONITORING|1764151200|1|gauge|a|#x|",
        ] {
            assert_eq!(one(line), Err(Reason::FieldCount), "{line}");
        }
    }

    #[test]
    fn types_map_case_insensitively() {
        for (ty, kind) in [
            ("count", Kind::Sum),
            ("COUNT", Kind::Sum),
            ("gauge", Kind::Gauge),
            ("Histogram", Kind::Histogram),
            ("distribution", Kind::Histogram),
            ("check", Kind::Gauge),
        ] {
            let p = one(&format!("MONITORING|1764151200|2|{ty}|a")).unwrap();
            assert_eq!(p.key.kind, kind, "{ty}");
        }
        assert_eq!(one("MONITORING|1|2|measure|a"), Err(Reason::UnknownType));
        assert_eq!(one("MONITORING|1|2||a"), Err(Reason::UnknownType));
    }

    #[test]
    fn empty_or_zero_epoch_takes_the_event_time_and_ms_are_detected() {
        assert_eq!(one("MONITORING||1|gauge|a").unwrap().time_unix_nano, EVENT);
        assert_eq!(one("MONITORING|0|1|gauge|a").unwrap().time_unix_nano, EVENT);
        let ms = one("MONITORING|1764151200500|1|gauge|a").unwrap();
        assert_eq!(ms.time_unix_nano, T + 500_000_000);
        assert_eq!(
            one("MONITORING|yesterday|1|gauge|a"),
            Err(Reason::BadTimestamp)
        );
    }

    #[test]
    fn values_must_be_finite_numbers() {
        let p = one("MONITORING| 1 | -1.5 | gauge | a |").unwrap();
        assert_eq!(p.key.name, "a");
        assert_eq!(p.value, -1.5);
        for value in ["", "NaN", "inf", "ten"] {
            let line = format!("MONITORING|1|{value}|gauge|a");
            assert_eq!(one(&line), Err(Reason::BadValue), "{line}");
        }
    }

    #[test]
    fn negative_count_is_rejected() {
        assert_eq!(one("MONITORING|1|-1|count|a"), Err(Reason::NegativeCount));
        assert_eq!(one("MONITORING|1|0|count|a").unwrap().value, 0.0);
    }

    #[test]
    fn invalid_names_are_rejected() {
        for name in ["", "9lives", "has space", "a:b", " "] {
            let line = format!("MONITORING|1|1|gauge|{name}");
            assert_eq!(one(&line), Err(Reason::InvalidName), "{line}");
        }
    }

    #[test]
    fn tags_need_one_leading_hash_and_skip_empty_entries() {
        let p = one("MONITORING|1|1|gauge|a|#,k:v:w,,#x").unwrap();
        assert_eq!(p.key.attributes, attrs(&[("#x", ""), ("k", "v:w")]));
        assert_eq!(one("MONITORING|1|1|gauge|a|env:prod"), Err(Reason::BadTags));
        assert_eq!(one("MONITORING|1|1|gauge|a|#:v"), Err(Reason::BadTags));
    }
}
