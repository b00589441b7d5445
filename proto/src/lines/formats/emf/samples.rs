//! An EMF metric member's values: one number, or an array of up to 100 numbers.
//!
//! Arrays of plain numbers are read in place; any other array is left to serde_json, whose
//! verdict (and conversion of each number) the in-place reading reproduces exactly.

use std::fmt;
use std::ops::Range;

use serde::de::{Deserializer, IgnoredAny, SeqAccess, Visitor};
use smallvec::SmallVec;

use super::MAX_VALUES_PER_METRIC;
use crate::lines::readers::json;
use crate::lines::readers::number::parse_f64;
use crate::lines::readers::plain::Plain;
use crate::lines::Reason;

/// The values of a document's metrics; on the stack for a usual document.
pub(super) type Samples = SmallVec<[f64; 16]>;

/// Appends the values of a metric member (its JSON text) to `samples`; returns where they
/// went.
pub(super) fn read_samples(member: &str, samples: &mut Samples) -> Result<Range<usize>, Reason> {
    let start = samples.len();
    if !member.starts_with('[') {
        samples.push(json::finite_number(member).ok_or(Reason::BadValue)?);
        return Ok(start..samples.len());
    }
    let read = match read_plain(member, samples, start) {
        Some(read) => read,
        None => {
            samples.truncate(start);
            read_with_serde(member, samples, start)
        }
    };
    read.map(|()| start..samples.len())
}

/// Reads an array of numbers in place; `None` when it holds anything else (or a number
/// whose conversion is left to serde_json), for serde_json to read it.
fn read_plain(member: &str, samples: &mut Samples, start: usize) -> Option<Result<(), Reason>> {
    let mut json = Plain::new(member);
    let mut too_many = false;
    json.array(|json| {
        if too_many {
            // Past the limit the rest needs only be JSON, as for serde_json below.
            return json.value().map(drop);
        }
        let value = json.value().and_then(plain_number)?;
        if samples.len() - start == MAX_VALUES_PER_METRIC {
            too_many = true;
        } else {
            samples.push(value);
        }
        Some(())
    })?;
    json.at_end().then_some(if too_many {
        Err(Reason::EmfTooManyValues)
    } else {
        Ok(())
    })
}

/// A JSON number token as serde_json converts it, when `str::parse` is sure to agree: at
/// most 15 digits and no exponent. Such a number's digits fit a `u64` below 2^53 and its
/// decimal point is at most 15 places in, so serde_json's one multiplication or division
/// by an exact power of ten is the correctly rounded result, which `str::parse` also
/// gives; integers become `f64` by the same rounding in both. Longer numbers, where they
/// may differ, go to serde_json.
fn plain_number(token: &str) -> Option<f64> {
    let bytes = token.as_bytes();
    let numeric = matches!(bytes.first(), Some(b'-' | b'0'..=b'9'));
    let digits = bytes.iter().filter(|b| b.is_ascii_digit()).count();
    let exponent = bytes.iter().any(|&b| b == b'e' || b == b'E');
    if !numeric || digits > 15 || exponent {
        return None;
    }
    parse_f64(token)
}

/// Reads the array with serde_json; it refuses numbers beyond f64's range, so every
/// sample read is finite.
fn read_with_serde(member: &str, samples: &mut Samples, start: usize) -> Result<(), Reason> {
    /// The samples so far, and where this member's begin.
    struct SamplesVisitor<'x>(&'x mut Samples, usize);
    impl<'de> Visitor<'de> for SamplesVisitor<'_> {
        type Value = Result<(), Reason>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an array of numbers")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while let Some(value) = seq.next_element::<f64>()? {
                if self.0.len() - self.1 == MAX_VALUES_PER_METRIC {
                    // Read to the end, or the deserializer reports the rest as an error.
                    while seq.next_element::<IgnoredAny>()?.is_some() {}
                    return Ok(Err(Reason::EmfTooManyValues));
                }
                self.0.push(value);
            }
            Ok(Ok(()))
        }
    }

    let mut deserializer = serde_json::Deserializer::from_str(member);
    deserializer
        .deserialize_seq(SamplesVisitor(samples, start))
        .unwrap_or(Err(Reason::BadValue))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn both(member: &str) -> (Result<Vec<f64>, Reason>, Result<Vec<f64>, Reason>) {
        let mut plain = Samples::from_slice(&[0.5]);
        let read = read_samples(member, &mut plain).map(|range| plain[range].to_vec());
        let mut serde = Samples::from_slice(&[0.5]);
        let by_serde = read_with_serde(member, &mut serde, 1).map(|()| serde[1..].to_vec());
        (read, by_serde)
    }

    #[test]
    fn arrays_read_in_place_agree_with_serde_json() {
        let many = |n: usize, extra: &str| {
            let values: Vec<String> = (0..n).map(|i| i.to_string()).collect();
            format!("[{}{extra}]", values.join(","))
        };
        for member in [
            "[]",
            "[12.5, 8, -0, 0.000125, 123456789012345, 1234567890123456789, 1e3, 1E-400]",
            "[1e999]",
            r#"[1,"2"]"#,
            "[1,null]",
            "[[1]]",
            &many(100, ""),
            &many(101, ""),
            &many(101, r#","x""#),
            &many(100, r#","x""#),
            &many(101, r#",{"a\"":1}"#),
        ] {
            let (read, by_serde) = both(member);
            assert_eq!(read, by_serde, "{member}");
        }
    }

    proptest! {
        #[test]
        fn numbers_convert_as_serde_json_converts_them(
            number in "-?(0|[1-9][0-9]{0,20})(\\.[0-9]{1,20})?([eE][+-]?[0-9]{1,3})?",
        ) {
            let (read, by_serde) = both(&format!("[{number}]"));
            prop_assert_eq!(read, by_serde);
        }
    }
}
