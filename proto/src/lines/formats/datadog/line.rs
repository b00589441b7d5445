//! A Datadog JSON text line read in one pass of the [plain reader](crate::lines::readers::plain):
//! `m`, `v`, `e` and `t` are read in place as the object is scanned, instead of a serde
//! pass keeping them undecoded and one more pass for each.
//!
//! Only the common, well-formed case is handled here. Whenever the pass gives up, for any
//! reason (an escape, a duplicate marker, an `m` that is not a string, a broken tag ...),
//! the caller falls back to the general reader, which decides what the line is and which
//! rule it breaks; so the outcomes stay exactly the general reader's.

use std::borrow::Cow;

use super::{emit, value_and_time};
use crate::lines::readers::fields::{split_tag, AttributeList};
use crate::lines::readers::plain::{unquote, Plain};
use crate::lines::{Format, Outcome};
use crate::model::PointSink;

/// Parses a text line that is a JSON object without an `_aws` member; `None` when the pass
/// gives up, for the caller to read the line the general way. Not a metric unless it has
/// `m` and `v` (not `null`).
pub(crate) fn parse_line(line: &str, event_time: u64, out: &mut dyn PointSink) -> Option<Outcome> {
    let (mut name, mut value, mut epoch) = (None, None, None);
    let mut attributes = AttributeList::new();
    // Which of `m`, `v`, `e`, `t` and `message` were seen, one bit each: the general
    // reader refuses a second member of a name it looks for.
    let mut seen = 0u8;
    let mut json = Plain::new(line);
    json.object(|key, json| {
        let bit = match key {
            "m" => 1,
            "v" => 2,
            "e" => 4,
            "t" => 8,
            "message" => 16,
            // The general reader tells EMF documents from Datadog metrics.
            "_aws" => return None,
            _ => return json.value().map(drop),
        };
        if seen & bit != 0 {
            return None;
        }
        seen |= bit;
        if bit == 8 {
            return read_tags(json, &mut attributes);
        }
        let text = json.value()?;
        let not_null = (text != "null").then_some(text);
        match bit {
            // A name that is not a string is the general reader's to reject.
            1 => {
                name = not_null
                    .map(|text| unquote(text).ok_or(()))
                    .transpose()
                    .ok()?
            }
            2 => value = not_null,
            4 => epoch = not_null,
            _ => {}
        }
        Some(())
    })?;
    if !json.at_end() {
        return None;
    }
    let (Some(name), Some(value)) = (name, value) else {
        return Some(Outcome::NotMetric);
    };
    let format = Format::Datadog;
    Some(match value_and_time(name, Some(value), epoch, event_time) {
        Ok((value, time)) => Outcome::Accepted {
            format,
            points: emit(name, &mut attributes, value, time, out),
        },
        Err(reason) => Outcome::Rejected { format, reason },
    })
}

/// `t`: `null`, or an array of tag strings read into attributes that borrow from the
/// line. `None` for anything else or a broken tag.
fn read_tags<'a>(json: &mut Plain<'a>, attributes: &mut AttributeList<'a>) -> Option<()> {
    if json.null() {
        return Some(());
    }
    json.array(|json| {
        if let Some((key, value)) = split_tag(json.string()?).ok()? {
            attributes.push((Cow::Borrowed(key), Cow::Borrowed(value)));
        }
        Some(())
    })
}
