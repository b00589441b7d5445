//! A reader for plain JSON: the JSON that metric lines are nearly always written in, with
//! no escape in any string and little nesting. On such text it reads values in place, at
//! a fraction of a general reader's cost per token; on anything else (an escape, a control
//! character, deep nesting, any syntax error) it gives up with `None`, and the caller reads
//! the line with serde_json instead. So it only ever has to be right about what it
//! accepts: exactly valid JSON, each string's text being its value.

use super::scan::{below, equal, find};
use crate::text::starts_with;

/// Deeper than this, the reader gives up (serde_json's own limit is 128).
const MAX_DEPTH: u32 = 16;

/// The bytes that end the plain part of a string: the closing quote, an escape, and the
/// control characters JSON does not allow there.
const STRING_STOPS: [bool; 256] = {
    let mut stops = [false; 256];
    let mut byte = 0;
    while byte < 0x20 {
        stops[byte] = true;
        byte += 1;
    }
    stops[b'"' as usize] = true;
    stops[b'\\' as usize] = true;
    stops
};

/// Where the first of [`STRING_STOPS`] is in `bytes`, eight bytes at a time.
pub(crate) fn plain_length(bytes: &[u8]) -> Option<usize> {
    find(bytes, string_stops, |b| STRING_STOPS[usize::from(b)])
}

/// Marks the first of [`STRING_STOPS`] in a word of eight bytes (see [`below`]).
#[inline]
pub(crate) fn string_stops(word: u64) -> u64 {
    below(word, 0x20) | equal(word, b'"') | equal(word, b'\\')
}

/// A cursor over JSON text; a clone is a saved position to come back to.
#[derive(Clone)]
pub(crate) struct Plain<'a> {
    text: &'a str,
    at: usize,
    depth: u32,
}

impl<'a> Plain<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Plain {
            text,
            at: 0,
            depth: 0,
        }
    }

    /// Whether only whitespace is left.
    pub(crate) fn at_end(&mut self) -> bool {
        self.skip_whitespace();
        self.at == self.text.len()
    }

    /// The whole text being read.
    pub(crate) fn text(&self) -> &'a str {
        self.text
    }

    /// Where the next value starts, as an offset into the text: for callers that read a
    /// value this reader gives up on (one with escapes, say) and then [`Self::advance`].
    pub(crate) fn position(&mut self) -> usize {
        self.skip_whitespace();
        self.at
    }

    /// Moves on by `bytes` that the caller has read from [`Self::position`].
    pub(crate) fn advance(&mut self, bytes: usize) {
        self.at += bytes;
    }

    /// Reads an object, handing each member's key to `member`, which must read the value.
    pub(crate) fn object(
        &mut self,
        mut member: impl FnMut(&'a str, &mut Self) -> Option<()>,
    ) -> Option<()> {
        self.container(b'{', b'}', |json| {
            let key = json.string()?;
            json.expect(b':')?;
            member(key, json)
        })
    }

    /// Reads an array, `element` reading each element.
    pub(crate) fn array(&mut self, element: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.container(b'[', b']', element)
    }

    /// Reads a `null` if one is next.
    pub(crate) fn null(&mut self) -> bool {
        self.skip_whitespace();
        self.literal("null").is_some()
    }

    /// Reads a string without escapes; its text is its value.
    #[inline]
    pub(crate) fn string(&mut self) -> Option<&'a str> {
        self.expect(b'"')?;
        let start = self.at;
        let length = plain_length(&self.text.as_bytes()[start..])?;
        self.at = start + length;
        // Right after the text: a control character (a tab, say) ends it too, and must
        // not be taken for whitespace before a closing quote.
        self.skip_byte(b'"').then_some(())?;
        // The quotes are ASCII, so both ends are character boundaries.
        Some(&self.text[start..start + length])
    }

    /// Reads any value; returns its text, as serde_json's `RawValue` would hold it.
    pub(crate) fn value(&mut self) -> Option<&'a str> {
        self.skip_whitespace();
        let start = self.at;
        match *self.text.as_bytes().get(start)? {
            b'"' => drop(self.string()?),
            b'{' => self.object(|_, json| json.value().map(drop))?,
            b'[' => self.array(|json| json.value().map(drop))?,
            b'-' | b'0'..=b'9' => self.number()?,
            b't' => self.literal("true")?,
            b'f' => self.literal("false")?,
            b'n' => self.literal("null")?,
            _ => return None,
        }
        Some(&self.text[start..self.at])
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`; what follows is the
    /// caller's to check (`01` stops after `0`, and `1` is then no `,`).
    fn number(&mut self) -> Option<()> {
        self.skip_byte(b'-');
        match self.peek_byte()? {
            b'0' => self.at += 1,
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.skip_byte(b'.') {
            self.peek_byte().filter(u8::is_ascii_digit)?;
            self.digits();
        }
        if self.skip_byte(b'e') || self.skip_byte(b'E') {
            let _ = self.skip_byte(b'+') || self.skip_byte(b'-');
            self.peek_byte().filter(u8::is_ascii_digit)?;
            self.digits();
        }
        Some(())
    }

    fn digits(&mut self) {
        while self.peek_byte().is_some_and(|b| b.is_ascii_digit()) {
            self.at += 1;
        }
    }

    fn literal(&mut self, word: &str) -> Option<()> {
        starts_with(&self.text[self.at..], word).then(|| self.at += word.len())
    }

    /// `open`, elements separated by `,`, `close`: the shape of objects and arrays.
    fn container(
        &mut self,
        open: u8,
        close: u8,
        mut element: impl FnMut(&mut Self) -> Option<()>,
    ) -> Option<()> {
        self.expect(open)?;
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        self.skip_whitespace();
        if !self.skip_byte(close) {
            loop {
                element(self)?;
                self.skip_whitespace();
                if self.skip_byte(close) {
                    break;
                }
                self.expect(b',')?;
            }
        }
        self.depth -= 1;
        Some(())
    }

    /// Skips whitespace, then `byte`.
    fn expect(&mut self, byte: u8) -> Option<()> {
        self.skip_whitespace();
        self.skip_byte(byte).then_some(())
    }

    fn skip_byte(&mut self, byte: u8) -> bool {
        let found = self.peek_byte() == Some(byte);
        self.at += usize::from(found);
        found
    }

    fn peek_byte(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    /// JSON's whitespace: space, tab, line feed, carriage return.
    fn skip_whitespace(&mut self) {
        while matches!(self.peek_byte(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }
}

/// The value of a string's text as [`Plain::value`] returns it; `None` for other values.
pub(crate) fn unquote(value: &str) -> Option<&str> {
    value.strip_prefix('"')?.strip_suffix('"')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::value::RawValue;

    /// The text of every value of an array, as the plain reader reads them.
    fn values(text: &str) -> Option<Vec<&str>> {
        let mut json = Plain::new(text);
        let mut values = Vec::new();
        json.array(|json| {
            values.push(json.value()?);
            Some(())
        })?;
        json.at_end().then_some(values)
    }

    #[test]
    fn reads_what_serde_json_reads_and_gives_the_same_text() {
        for text in [
            "[]",
            " [ 1 , -0.5e+3 , 0 , 1E9 , \"a b\" , \"é\" , true , false , null ] ",
            r#"[{"a":[1,{"b":{}}],"c":""},[[]],-12.25]"#,
        ] {
            let plain = values(text).expect(text);
            let serde: Vec<&RawValue> = serde_json::from_str(text).unwrap();
            let serde: Vec<&str> = serde.iter().map(|raw| raw.get()).collect();
            assert_eq!(plain, serde, "{text}");
        }
    }

    #[test]
    fn gives_up_on_escapes_invalid_json_and_deep_nesting() {
        let deep = format!("{}{}", "[".repeat(20), "]".repeat(20));
        for text in [
            r#"["a\"b"]"#,
            r#"["\u0061"]"#,
            "[\"a\tb\"]",
            "[\"a\t\"]",
            "[\"a\n \"]",
            "[01]",
            "[1.]",
            "[.5]",
            "[-]",
            "[1e]",
            "[+1]",
            "[tru]",
            "[nul]",
            "[1,]",
            "[,1]",
            "[1 2]",
            r#"[{"a"}]"#,
            r#"[{"a":1,}]"#,
            r#"[{1:2}]"#,
            "[1] x",
            "[\"a]",
            "[1",
            &deep,
        ] {
            assert_eq!(values(text), None, "{text}");
        }
        let valid_but_deep: Result<Vec<&RawValue>, _> = serde_json::from_str(&deep);
        assert!(valid_but_deep.is_ok());
    }

    proptest::proptest! {
        #[test]
        fn plain_length_finds_the_first_stop_byte(
            bytes in proptest::collection::vec(
                proptest::prop_oneof![0x20u8..0x7f, 0u8..=255, proptest::strategy::Just(b'"')],
                0..40,
            ),
        ) {
            let expected = bytes.iter().position(|&b| STRING_STOPS[usize::from(b)]);
            proptest::prop_assert_eq!(plain_length(&bytes), expected);
        }
    }

    #[test]
    fn unquote_takes_strings_only() {
        assert_eq!(unquote(r#""a b""#), Some("a b"));
        assert_eq!(unquote("12"), None);
    }
}
