//! Numbers written as text to `f64`, as `str::parse` reads them, with a shortcut for the
//! plain decimals metric lines carry (`12.5`, `-3`, `0.75`): `str::parse` handles every
//! notation and any length, and that generality costs more than the rest of reading a
//! short value.

/// Exact powers of ten: every one up to 10^22 is an `f64` without rounding.
const POWERS_OF_TEN: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// `text.parse::<f64>().ok()`.
pub(crate) fn parse_f64(text: &str) -> Option<f64> {
    plain_decimal(text).or_else(|| text.parse().ok())
}

/// A number of the form `-?[0-9]+(\.[0-9]+)?` with at most 15 digits, which `str::parse`
/// would read the same; `None` for anything else, left to `str::parse`. With at most 15
/// digits the digits read as an integer are exact in an `f64` (below 2^53), as is the
/// power of ten that places the point, so the one division is correctly rounded: the
/// result `str::parse` gives.
fn plain_decimal(text: &str) -> Option<f64> {
    let (negative, digits) = match text.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        all => (false, all),
    };
    if digits.is_empty() || digits.len() > 16 {
        return None;
    }
    let mut mantissa = 0u64;
    let mut point = None;
    for (at, &byte) in digits.iter().enumerate() {
        match byte {
            b'0'..=b'9' => mantissa = mantissa * 10 + u64::from(byte - b'0'),
            b'.' if point.is_none() && at > 0 => point = Some(at),
            _ => return None,
        }
    }
    let places = point.map_or(0, |at| digits.len() - at - 1);
    // `1.` is left to `str::parse`, as are more than 15 digits.
    let digit_count = digits.len() - usize::from(point.is_some());
    if (point.is_some() && places == 0) || digit_count > 15 {
        return None;
    }
    let value = mantissa as f64 / POWERS_OF_TEN[places];
    Some(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn same(text: &str) -> Result<(), TestCaseError> {
        let expected = text.parse::<f64>().ok();
        let read = parse_f64(text);
        prop_assert_eq!(
            read.map(f64::to_bits),
            expected.map(f64::to_bits),
            "{}",
            text
        );
        Ok(())
    }

    #[test]
    fn reads_what_str_parse_reads() {
        for text in [
            "0",
            "-0",
            "-0.0",
            "12.5",
            "007",
            "0.1",
            "-3",
            "1.",
            ".5",
            "+1",
            "-",
            "",
            "1e3",
            "inf",
            "NaN",
            "1.2.3",
            "1-2",
            "999999999999999",
            "9999999999999999",
            "0.000000000000001",
            "123456789.123456",
            "1_0",
        ] {
            same(text).unwrap();
        }
    }

    proptest! {
        #[test]
        fn decimals_read_as_str_parse_reads_them(text in "-?[0-9]{1,17}(\\.[0-9]{0,17})?") {
            same(&text)?;
        }

        #[test]
        fn any_text_reads_as_str_parse_reads_it(text in "[-+0-9.eE]{0,12}") {
            same(&text)?;
        }
    }
}
