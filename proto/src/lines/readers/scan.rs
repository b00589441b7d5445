//! String scanning for the short fields of a line. `str::split` and `str::trim` are
//! general (any pattern, Unicode whitespace); on fields of a few bytes their setup costs
//! more than the search itself, and a `MONITORING|` line runs a dozen of them. These do
//! the same job with plain byte loops; results are the same as the `str` methods'.

/// `text.split_once(byte)` for an ASCII `byte`.
#[inline]
pub(crate) fn split_once_byte(text: &str, byte: u8) -> Option<(&str, &str)> {
    debug_assert!(byte.is_ascii());
    let at = text.bytes().position(|b| b == byte)?;
    // An ASCII byte is always a character boundary.
    Some((&text[..at], &text[at + 1..]))
}

/// `text.split(byte)` for an ASCII `byte`: every piece, empty ones included.
#[inline]
pub(crate) fn split_byte(text: &str, byte: u8) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let text = rest?;
        Some(match split_once_byte(text, byte) {
            Some((piece, after)) => {
                rest = Some(after);
                piece
            }
            None => {
                rest = None;
                text
            }
        })
    })
}

/// `text.trim()`, without the Unicode search when both ends are visible ASCII (the usual
/// case): such a byte is a whole character, and never whitespace.
#[inline]
pub(crate) fn trim(text: &str) -> &str {
    match text.as_bytes() {
        [first, .., last] if first.is_ascii_graphic() && last.is_ascii_graphic() => text,
        [only] if only.is_ascii_graphic() => text,
        _ => text.trim(),
    }
}

/// `text.trim_matches(|c: char| c.is_ascii_whitespace())`, with the same shortcut.
#[inline]
pub(crate) fn trim_ascii(text: &str) -> &str {
    match text.as_bytes() {
        [first, .., last] if !first.is_ascii_whitespace() && !last.is_ascii_whitespace() => text,
        [only] if !only.is_ascii_whitespace() => text,
        _ => text.trim_matches(|c: char| c.is_ascii_whitespace()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLES: [&str; 12] = [
        "",
        "|",
        "||",
        "a",
        "a|b",
        "|a|",
        "MONITORING|1|2|count|a|#x",
        " a ",
        "\u{a0}é|x\u{2028}",
        "\t",
        "x ",
        " é",
    ];

    #[test]
    fn splits_like_str() {
        for text in SAMPLES {
            assert_eq!(
                split_once_byte(text, b'|'),
                text.split_once('|'),
                "{text:?}"
            );
            let pieces: Vec<_> = split_byte(text, b'|').collect();
            assert_eq!(pieces, text.split('|').collect::<Vec<_>>(), "{text:?}");
        }
    }

    #[test]
    fn trims_like_str() {
        for text in SAMPLES {
            assert_eq!(trim(text), text.trim(), "{text:?}");
            let ascii = text.trim_matches(|c: char| c.is_ascii_whitespace());
            assert_eq!(trim_ascii(text), ascii, "{text:?}");
        }
    }
}
