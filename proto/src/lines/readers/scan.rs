//! String scanning for the short fields of a line. `str::split` and `str::trim` are
//! general (any pattern, Unicode whitespace); on fields of a few bytes their setup costs
//! more than the search itself, and a `MONITORING|` line runs a dozen of them. These do
//! the same job with plain byte loops; results are the same as the `str` methods'.

use crate::text::same_bytes;

/// `text.split_once(byte)` for an ASCII `byte`.
#[inline]
pub(crate) fn split_once_byte(text: &str, byte: u8) -> Option<(&str, &str)> {
    debug_assert!(byte.is_ascii());
    let at = find_byte(text.as_bytes(), byte)?;
    // An ASCII byte is always a character boundary.
    Some((&text[..at], &text[at + 1..]))
}

/// Whether the JSON string `"word"`, quotes included, is anywhere in `text`: what
/// `text.contains` would say, at a fraction of its cost on a line (its searcher's setup
/// costs more than the search). Looks for the word's first byte, not the quote, the
/// commonest byte of JSON.
pub(crate) fn contains_quoted(text: &str, word: &str) -> bool {
    let (bytes, word) = (text.as_bytes(), word.as_bytes());
    let Some(&first) = word.first() else {
        return text.contains("\"\"");
    };
    let mut from = 1;
    while let Some(found) = bytes.get(from..).and_then(|rest| find_byte(rest, first)) {
        let at = from + found;
        let end = at + word.len();
        if bytes[at - 1] == b'"'
            && bytes
                .get(at..end)
                .is_some_and(|here| same_bytes(here, word))
            && bytes.get(end) == Some(&b'"')
        {
            return true;
        }
        from = at + 1;
    }
    false
}

/// Where `byte` first is in `bytes`.
#[inline]
fn find_byte(bytes: &[u8], byte: u8) -> Option<usize> {
    find(bytes, |word| equal(word, byte), |b| b == byte)
}

const ONES: u64 = u64::from_ne_bytes([1; 8]);

/// Where the first byte of `bytes` is that `marks` marks in its word of eight (read
/// little-endian: the first byte is the lowest) and `is` says of a byte of the last, short
/// word. Eight bytes at a time: on the strings and fields of a line, a byte loop spends
/// several instructions on every byte.
#[inline]
pub(crate) fn find(
    bytes: &[u8],
    marks: impl Fn(u64) -> u64,
    is: impl Fn(u8) -> bool,
) -> Option<usize> {
    let mut chunks = bytes.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let marked = marks(u64::from_le_bytes(
            chunk.try_into().expect("chunks of eight"),
        ));
        if marked != 0 {
            return Some(at + marked.trailing_zeros() as usize / 8);
        }
        at += 8;
    }
    let rest = chunks.remainder().iter().position(|&b| is(b))?;
    Some(at + rest)
}

/// The high bit of the first byte of `word` below `n` (at most 0x80) is set, and of no byte
/// before it; a borrow may mark bytes after it too, so only the first mark counts.
#[inline]
pub(crate) fn below(word: u64, n: u8) -> u64 {
    word.wrapping_sub(ONES * u64::from(n)) & !word & (ONES << 7)
}

/// [`below`]'s mark on the first byte of `word` equal to `byte`.
#[inline]
pub(crate) fn equal(word: u64, byte: u8) -> u64 {
    below(word ^ (ONES * u64::from(byte)), 1)
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

    proptest::proptest! {
        #[test]
        fn contains_quoted_is_str_contains(
            text in "[\"_amws ]{0,24}",
            word in proptest::prop_oneof![
                proptest::strategy::Just("_aws"),
                proptest::strategy::Just("m"),
                proptest::strategy::Just(""),
            ],
        ) {
            let expected = text.contains(&format!("\"{word}\""));
            proptest::prop_assert_eq!(contains_quoted(&text, word), expected);
        }
    }

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
    fn finds_the_first_byte_like_a_byte_loop() {
        // Neighbours of `|` (0x7c) and bytes a borrow could confuse, at every offset of
        // words and remainders, with and without a match.
        let fillers = [0x00, 0x01, 0x7b, 0x7d, 0x80, 0xfc, 0xfd, 0xff, b'a'];
        for len in 0..40 {
            for filler in fillers {
                for (first, second) in [(None, None), (Some(0), None), (Some(len / 2), Some(len))] {
                    let mut bytes = vec![filler; len + 1];
                    for at in [first, second].into_iter().flatten() {
                        bytes[at.min(len)] = b'|';
                    }
                    let expected = bytes.iter().position(|&b| b == b'|');
                    assert_eq!(find_byte(&bytes, b'|'), expected, "{bytes:?}");
                }
            }
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
