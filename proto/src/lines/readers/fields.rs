//! Field rules shared by the line formats (docs/metrics.md): epochs, instrument names and
//! Datadog tags.

use smallvec::{Array, SmallVec};

use super::number::parse_f64;
use super::scan::{split_once_byte, trim};
use crate::lines::Reason;
use crate::model::AttributeRef;

/// The unit an epoch is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EpochUnit {
    /// Datadog: seconds, but a value ≥ 1e11 is read as milliseconds (a JavaScript
    /// `Date.now()` would otherwise land in the year 5000).
    SecondsOrMillis,
    /// EMF `_aws.Timestamp`.
    Millis,
}

const MILLIS_THRESHOLD: u64 = 100_000_000_000;

/// Converts an epoch (integer or decimal) to Unix nanoseconds; empty or zero means the
/// telemetry event's time. Integer arithmetic keeps a decimal epoch exact to the nanosecond.
pub(crate) fn epoch_nanos(text: &str, unit: EpochUnit, event_time: u64) -> Result<u64, Reason> {
    let text = trim(text);
    if text.is_empty() {
        return Ok(event_time);
    }
    // The usual epoch is an integer: read at once, without a search for a fraction.
    let nanos = match whole_number(text) {
        Some(whole) => scaled(whole, "", unit),
        None => match split_once_byte(text, b'.') {
            None => None,
            Some((int, frac)) => decimal_nanos(int, frac, unit),
        },
    }
    .or_else(|| exponent_nanos(text, unit))
    .ok_or(Reason::BadTimestamp)?;
    Ok(if nanos == 0 { event_time } else { nanos })
}

fn decimal_nanos(int: &str, frac: &str, unit: EpochUnit) -> Option<u64> {
    if int.len() + frac.len() == 0 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    scaled(whole_number(int)?, frac, unit)
}

/// Digits only, read in the same pass that checks them; `None` for anything else or on
/// overflow.
fn whole_number(int: &str) -> Option<u64> {
    if int.len() <= 19 {
        // Nineteen digits always fit: no overflow check per digit.
        return int.bytes().try_fold(0u64, |whole, b| {
            let digit = b.wrapping_sub(b'0');
            (digit <= 9).then(|| whole * 10 + u64::from(digit))
        });
    }
    int.bytes().try_fold(0u64, |whole, b| {
        let digit = b.checked_sub(b'0').filter(|d| *d <= 9)?;
        whole.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

/// `whole` and the fraction's digits in nanoseconds, `whole` in seconds or milliseconds
/// (see [`EpochUnit`]); `None` on overflow.
fn scaled(whole: u64, frac: &str, unit: EpochUnit) -> Option<u64> {
    let in_millis = unit == EpochUnit::Millis || whole >= MILLIS_THRESHOLD;
    let (per_unit, places) = if in_millis {
        (1_000_000, 6)
    } else {
        (1_000_000_000, 9)
    };
    whole
        .checked_mul(per_unit)?
        .checked_add(fraction(frac, places))
}

/// The first `places` digits of a fraction as an integer of that many places.
fn fraction(digits: &str, places: usize) -> u64 {
    if digits.is_empty() {
        // The usual integer epoch.
        return 0;
    }
    let mut value = 0u64;
    let mut bytes = digits.bytes();
    for _ in 0..places {
        value = value * 10 + bytes.next().map_or(0, |b| u64::from(b - b'0'));
    }
    value
}

/// `1.7641512e9`: rare, but a float printed by some emitters.
fn exponent_nanos(text: &str, unit: EpochUnit) -> Option<u64> {
    if !text.contains(['e', 'E']) {
        return None;
    }
    let value: f64 = text
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite() && *v >= 0.0)?;
    let in_millis = unit == EpochUnit::Millis || value >= MILLIS_THRESHOLD as f64;
    let nanos = value * if in_millis { 1e6 } else { 1e9 };
    (nanos < u64::MAX as f64).then_some(nanos as u64)
}

/// A finite number written as text.
pub(crate) fn finite_number(text: &str) -> Result<f64, Reason> {
    parse_f64(trim(text))
        .filter(|v| v.is_finite())
        .ok_or(Reason::BadValue)
}

/// The OpenTelemetry instrument name rule: an ASCII letter, then letters, digits,
/// `_ . - /`, at most 255 characters.
pub(crate) fn is_instrument_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    match bytes.split_first() {
        Some((first, rest)) => {
            bytes.len() <= 255
                && first.is_ascii_alphabetic()
                && rest.iter().all(|&b| NAME_BYTES[usize::from(b)])
        }
        None => false,
    }
}

/// The bytes an instrument name may hold after its first: one lookup per byte of every
/// line's name, where the rule's five tests were several instructions each.
const NAME_BYTES: [bool; 256] = {
    let mut allowed = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        let b = byte as u8;
        allowed[byte] = b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'/');
        byte += 1;
    }
    allowed
};

/// Reads one Datadog tag: `k:v` split on the first `:`, a bare `k` gets `""`. Spaces around
/// the entry are dropped (`#a:1, b:2` means `b`, not ` b`); an empty entry is `None`; an
/// empty key is rejected, as OpenTelemetry attribute keys must not be empty. Borrows from
/// `entry`, so that a tag of an existing stream costs no allocation.
pub(crate) fn split_tag(entry: &str) -> Result<Option<(&str, &str)>, Reason> {
    let entry = trim(entry);
    if entry.is_empty() {
        return Ok(None);
    }
    let (key, value) = split_once_byte(entry, b':').unwrap_or((entry, ""));
    if key.is_empty() {
        return Err(Reason::BadTags);
    }
    Ok(Some((key, value)))
}

/// The attributes of one point as a parser collects them: on the stack unless there are
/// more than a line usually has.
pub(crate) type AttributeList<'a> = SmallVec<[AttributeRef<'a>; 8]>;

/// Sorts attributes by key and drops all but the last written of a key, as a stream key
/// needs them (the rule of the model's `normalize_in_place`, for any list). Tags are
/// usually written sorted and unique already, which one look tells, and sorting even two
/// elements costs more than that look.
pub(crate) fn normalize<'a, A: Array<Item = AttributeRef<'a>>>(attributes: &mut SmallVec<A>) {
    if attributes.windows(2).all(|pair| pair[0].0 < pair[1].0) {
        return;
    }
    // A stable sort after reversing puts the last written of each key first.
    attributes.reverse();
    attributes.sort_by(|a, b| a.0.cmp(&b.0));
    attributes.dedup_by(|later, kept| later.0 == kept.0);
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVENT: u64 = 42;
    const S: u64 = 1_764_151_200;

    fn secs(text: &str) -> Result<u64, Reason> {
        epoch_nanos(text, EpochUnit::SecondsOrMillis, EVENT)
    }

    #[test]
    fn epoch_seconds_integer_and_decimal_are_exact() {
        assert_eq!(secs("1764151200"), Ok(S * 1_000_000_000));
        assert_eq!(
            secs("1764151200.4133823"),
            Ok(S * 1_000_000_000 + 413_382_300)
        );
        assert_eq!(secs("1764151200."), Ok(S * 1_000_000_000));
        assert_eq!(secs("1.7641512e9"), Ok(S * 1_000_000_000));
    }

    proptest::proptest! {
        /// Integer epochs of any length, against the same rule in 128-bit arithmetic.
        #[test]
        fn integer_epochs_are_exact_or_refused(digits in "[0-9]{1,22}") {
            let whole: u128 = digits.parse().unwrap();
            let per_unit = if whole >= u128::from(MILLIS_THRESHOLD) { 1_000_000 } else { 1_000_000_000 };
            let expected = match u64::try_from(whole * per_unit) {
                Ok(0) => Ok(EVENT),
                Ok(nanos) => Ok(nanos),
                Err(_) => Err(Reason::BadTimestamp),
            };
            proptest::prop_assert_eq!(secs(&digits), expected);
        }
    }

    #[test]
    fn epoch_at_or_above_1e11_is_milliseconds() {
        assert_eq!(secs("1764151200123"), Ok(S * 1_000_000_000 + 123_000_000));
        assert_eq!(secs("1764151200123.5"), Ok(S * 1_000_000_000 + 123_500_000));
        assert_eq!(secs("9999999999"), Ok(9_999_999_999 * 1_000_000_000));
        // Still seconds, but past what Unix nanoseconds in a u64 can hold (year 2554).
        assert_eq!(secs("99999999999"), Err(Reason::BadTimestamp));
        assert_eq!(secs("100000000000"), Ok(100_000_000_000 * 1_000_000));
    }

    #[test]
    fn epoch_empty_or_zero_is_the_event_time() {
        for text in ["", "0", "0.0", " 0 ", "000"] {
            assert_eq!(secs(text), Ok(EVENT), "{text:?}");
        }
    }

    #[test]
    fn epoch_rejects_negative_garbage_and_overflow() {
        for text in [
            "-1",
            "abc",
            "1.2.3",
            ".",
            "1e",
            "inf",
            "NaN",
            "1e30",
            "99999999999999999999",
        ] {
            assert_eq!(secs(text), Err(Reason::BadTimestamp), "{text:?}");
        }
    }

    #[test]
    fn emf_epoch_is_always_milliseconds() {
        let t = epoch_nanos("1764151200000", EpochUnit::Millis, EVENT);
        assert_eq!(t, Ok(S * 1_000_000_000));
        assert_eq!(
            epoch_nanos("1500.25", EpochUnit::Millis, EVENT),
            Ok(1_500_250_000)
        );
    }

    #[test]
    fn values_must_be_finite() {
        assert_eq!(finite_number("-2.5"), Ok(-2.5));
        assert_eq!(finite_number("1e3"), Ok(1000.0));
        for text in ["", "inf", "NaN", "x", "1e999"] {
            assert_eq!(finite_number(text), Err(Reason::BadValue), "{text:?}");
        }
    }

    #[test]
    fn instrument_name_rule() {
        for ok in ["a", "orders.placed", "A_b-c/d.1", &"x".repeat(255)] {
            assert!(is_instrument_name(ok), "{ok}");
        }
        for bad in ["", "1a", "_a", "a b", "a:b", "é", &"x".repeat(256)] {
            assert!(!is_instrument_name(bad), "{bad}");
        }
        // Every byte after a first letter, against the rule as written.
        for byte in 0..=255u8 {
            let allowed = byte.is_ascii_alphanumeric() || b"_.-/".contains(&byte);
            let name = [b'a', byte];
            let name = std::str::from_utf8(&name);
            assert_eq!(name.is_ok_and(is_instrument_name), allowed, "{byte:#x}");
        }
    }

    proptest::proptest! {
        #[test]
        fn normalize_follows_the_model_rule(
            pairs in proptest::collection::vec(("[a-d]{0,2}", "[xy]"), 0..12),
        ) {
            let pairs: Vec<AttributeRef> = pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect();
            let mut list = AttributeList::from_vec(pairs.clone());
            normalize(&mut list);
            let mut expected = pairs;
            crate::model::normalize_in_place(&mut expected);
            proptest::prop_assert_eq!(list.into_vec(), expected);
        }
    }

    #[test]
    fn tags_split_on_first_colon_bare_keys_get_empty_values() {
        let tags = ["env:prod", "vip", "url:http://x", "", " team:a "].map(split_tag);
        let expected = [
            Some(("env", "prod")),
            Some(("vip", "")),
            Some(("url", "http://x")),
            None,
            Some(("team", "a")),
        ]
        .map(Ok);
        assert_eq!(tags, expected);
        assert_eq!(split_tag(":v"), Err(Reason::BadTags));
    }
}
