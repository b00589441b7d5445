//! JSON string escapes, decoded into a buffer the batch reader keeps: the lines a function
//! prints as JSON reach us as Telemetry API strings full of `\"`, and decoding them with
//! serde_json would allocate a `String` per record.
//!
//! The buffer holds bytes, not a `String`: the text between two escapes is written a whole
//! word of eight bytes at a time, and only the bytes before the word's first stop are taken
//! in, where a `String` could only take them in one call to `memcpy` per run (an EMF line
//! has dozens of runs). What it holds is UTF-8 all the same: runs of the (UTF-8) body that
//! begin and end at ASCII bytes, and the characters of escapes. The reader checks it, once
//! per batch.

use crate::lines::readers::plain::{plain_length, string_stops};

/// Decoded values, one after another, in room that is written a whole word at a time: a
/// store of eight bytes where `Vec::extend_from_slice` would be a call (the layer is built
/// for size, which keeps it out of line).
#[derive(Debug, Default)]
pub(super) struct Decoded {
    /// Zeroed once, when it grows; the first `len` bytes hold values.
    room: Vec<u8>,
    len: usize,
}

impl Decoded {
    pub(super) fn len(&self) -> usize {
        self.len
    }

    pub(super) fn bytes(&self) -> &[u8] {
        &self.room[..self.len]
    }

    /// Forgets the values from `len` on.
    pub(super) fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }

    /// Forgets every value, and gives back the room past `keep` bytes.
    pub(super) fn clear(&mut self, keep: usize) {
        self.len = 0;
        if self.room.len() > keep {
            self.room.truncate(keep);
            self.room.shrink_to_fit();
        }
    }

    /// The room the buffer holds on to.
    #[cfg(test)]
    pub(super) fn room(&self) -> usize {
        self.room.capacity()
    }

    /// Writes a whole word just past the values without taking it in; [`Decoded::take`]
    /// then takes as many of its bytes as belong to the value.
    #[inline]
    fn stage_word(&mut self, word: [u8; 8]) {
        if self.room.len() < self.len + 8 {
            self.grow(8);
        }
        self.room[self.len..self.len + 8].copy_from_slice(&word);
    }

    /// Takes in the first `n` (at most eight) bytes of the staged word.
    #[inline]
    fn take(&mut self, n: usize) {
        self.len += n;
    }

    #[inline]
    fn push_byte(&mut self, byte: u8) {
        if self.room.len() == self.len {
            self.grow(1);
        }
        self.room[self.len] = byte;
        self.len += 1;
    }

    fn push(&mut self, bytes: &[u8]) {
        if self.room.len() < self.len + bytes.len() {
            self.grow(bytes.len());
        }
        self.room[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }

    #[cold]
    fn grow(&mut self, at_least: usize) {
        let room = (self.len + at_least).max(2 * self.room.len()).max(4096);
        self.room.resize(room, 0);
    }
}

/// Decodes the JSON string at the start of `text` (opening quote included), appending its
/// value to `out` as UTF-8; returns how many bytes of `text` it took, quotes included.
/// `None` for anything but a well-formed string whose escapes all decode to characters (a
/// lone surrogate does not, and serde_json refuses it as a Rust string too); `out` may then
/// hold part of the value (the batch reader cuts it back).
pub(super) fn decode_string(text: &str, out: &mut Decoded) -> Option<usize> {
    let bytes = text.as_bytes();
    if bytes.first() != Some(&b'"') {
        return None;
    }
    let mut at = 1;
    loop {
        // The text up to the next quote, backslash or control character, a whole word at a
        // time while eight bytes are left. One loop for the text and the escapes: a JSON line
        // is mostly runs of a few bytes between `\"`, and a scan of its own per run cost
        // about 320 instructions more per EMF line (2.4%).
        let stop = match bytes.get(at..at + 8) {
            Some(chunk) => {
                let word: [u8; 8] = chunk.try_into().expect("eight bytes");
                out.stage_word(word);
                let stops = string_stops(u64::from_le_bytes(word));
                if stops == 0 {
                    out.take(8);
                    at += 8;
                    continue;
                }
                let run = stops.trailing_zeros() as usize / 8;
                out.take(run);
                at + run
            }
            None => {
                let rest = &bytes[at..];
                let run = plain_length(rest)?;
                out.push(&rest[..run]);
                at + run
            }
        };
        at = stop;
        match bytes[at] {
            b'"' => return Some(at + 1),
            b'\\' => match bytes.get(at + 1) {
                // A JSON line inside a record is mostly `\"`: its character is the byte
                // itself, without `escape`'s decoding (−15% per EMF line decoded).
                Some(&ascii @ (b'"' | b'\\' | b'/')) => {
                    out.push_byte(ascii);
                    at += 2;
                }
                _ => {
                    let (decoded, length) = escape(&bytes[at + 1..])?;
                    out.push(decoded.encode_utf8(&mut [0; 4]).as_bytes());
                    at += 1 + length;
                }
            },
            // A control character, which JSON allows only escaped.
            _ => return None,
        }
    }
}

/// The character an escape stands for, and the length of the escape after its backslash.
fn escape(after_backslash: &[u8]) -> Option<(char, usize)> {
    Some(match *after_backslash.first()? {
        b'"' => ('"', 1),
        b'\\' => ('\\', 1),
        b'/' => ('/', 1),
        b'b' => ('\u{8}', 1),
        b'f' => ('\u{c}', 1),
        b'n' => ('\n', 1),
        b'r' => ('\r', 1),
        b't' => ('\t', 1),
        b'u' => {
            let unit = hex4(after_backslash.get(1..5)?)?;
            match unit {
                // UTF-16: a high surrogate must be followed by an escaped low one.
                0xD800..=0xDBFF => {
                    if after_backslash.get(5..7)? != b"\\u" {
                        return None;
                    }
                    let low = hex4(after_backslash.get(7..11)?)?;
                    if !(0xDC00..=0xDFFF).contains(&low) {
                        return None;
                    }
                    let code = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                    (char::from_u32(code)?, 11)
                }
                _ => (char::from_u32(unit)?, 5),
            }
        }
        _ => return None,
    })
}

fn hex4(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0, |value, &digit| {
        Some(value << 4 | char::from(digit).to_digit(16)?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(text: &str) -> Option<(String, usize)> {
        let mut out = Decoded::default();
        let length = decode_string(text, &mut out)?;
        Some((
            String::from_utf8(out.bytes().to_vec()).expect("UTF-8"),
            length,
        ))
    }

    #[test]
    fn decodes_what_serde_json_decodes() {
        for text in [
            r#""""#,
            r#""plain""#,
            r#""{\"m\":\"a.b\",\"v\":1}""#,
            r#""tab\there\nand\r\\ \/ \b\f""#,
            r#""\u00e9\u0041\uD83D\uDE00 é""#,
        ] {
            let expected: String = serde_json::from_str(text).unwrap();
            assert_eq!(decoded(text), Some((expected, text.len())), "{text}");
        }
        assert_eq!(decoded(r#""a" tail"#), Some(("a".into(), 3)));
    }

    #[test]
    fn refuses_what_serde_json_refuses_as_a_string() {
        for text in [
            "plain",
            r#""open"#,
            r#""bad \x escape""#,
            r#""\u12""#,
            r#""\uD83D alone""#,
            r#""\uD83D\u0041""#,
            r#""\uDE00 low first""#,
            "\"raw\ttab\"",
            r#""ends in \"#,
        ] {
            assert_eq!(decoded(text), None, "{text}");
            assert!(serde_json::from_str::<String>(text).is_err(), "{text}");
        }
    }

    proptest::proptest! {
        /// Any string as serde_json writes it (every character that needs it escaped),
        /// and with `/` and non-ASCII escaped too, at every length around the word size.
        #[test]
        fn decodes_any_string_serde_json_writes(
            value in "(.|[\"\\\\/\u{0}-\u{1f}é€😀]){0,40}",
            escape_more in proptest::bool::ANY,
        ) {
            let mut text = serde_json::to_string(&value).unwrap();
            if escape_more {
                text = text
                    .replace('/', "\\/")
                    .replace('é', "\\u00e9")
                    .replace('😀', "\\uD83D\\uDE00");
            }
            let length = text.len();
            text.push_str(" tail\"");
            proptest::prop_assert_eq!(decoded(&text), Some((value, length)));
        }
    }
}
