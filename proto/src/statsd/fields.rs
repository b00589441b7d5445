//! The optional fields after a StatsD line's type: `@rate`, `#tags` and `T<epoch>`. Any
//! other field is ignored, as DogStatsD servers ignore fields they do not know: the
//! container id `c:`, external data `e:`, cardinality `card:` and whatever clients add next.

use std::borrow::Cow;

use crate::lines::readers::fields::EpochUnit;
use crate::lines::readers::fields::{
    epoch_nanos, finite_number, normalize, split_tag, AttributeList,
};
use crate::lines::readers::scan::split_byte;
use crate::lines::Reason;

/// What the optional fields of one line say, besides its tags.
#[derive(Debug)]
pub(super) struct Fields {
    /// In (0, 1]; 1 when the line has no `@` field.
    pub(super) rate: f64,
    pub(super) time_unix_nano: u64,
}

/// Reads the `|`-separated fields that follow the type (`fields` is empty when there are
/// none); values without `T` are stamped `received_unix_nano`. The tags go to
/// `attributes`, normalized (sorted by key, the last value of a repeated key kept): filled
/// in place, as a list of a few hundred bytes costs more to move than to fill.
pub(super) fn parse<'a>(
    fields: &'a str,
    received_unix_nano: u64,
    attributes: &mut AttributeList<'a>,
) -> Result<Fields, Reason> {
    let mut read = Fields {
        rate: 1.0,
        time_unix_nano: received_unix_nano,
    };
    if fields.is_empty() {
        return Ok(read);
    }
    for field in split_byte(fields, b'|') {
        match field.as_bytes().first() {
            Some(b'@') => read.rate = sample_rate(&field[1..])?,
            Some(b'#') => {
                for entry in split_byte(&field[1..], b',') {
                    if let Some((key, value)) = split_tag(entry)? {
                        attributes.push((Cow::Borrowed(key), Cow::Borrowed(value)));
                    }
                }
            }
            // DogStatsD's timestamp is in seconds; the log lines' epoch rule reads that
            // and also milliseconds, and `T0` means "when received".
            Some(b'T') => {
                read.time_unix_nano =
                    epoch_nanos(&field[1..], EpochUnit::SecondsOrMillis, received_unix_nano)?
            }
            _ => {}
        }
    }
    normalize(attributes);
    Ok(read)
}

/// A client sends a value with probability `rate`; 0 would mean it never sends.
fn sample_rate(text: &str) -> Result<f64, Reason> {
    finite_number(text)
        .ok()
        .filter(|rate| *rate > 0.0 && *rate <= 1.0)
        .ok_or(Reason::BadSampleRate)
}
