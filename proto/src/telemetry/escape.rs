//! JSON string escapes, decoded into a buffer the batch reader keeps: the lines a function
//! prints as JSON reach us as Telemetry API strings full of `\"`, and decoding them with
//! serde_json would allocate a `String` per record.

use crate::lines::readers::plain::plain_length;

/// Decodes the JSON string at the start of `text` (opening quote included), appending its
/// value to `out`; returns how many bytes of `text` it took, quotes included. `None` for
/// anything but a well-formed string whose escapes all decode to characters (a lone
/// surrogate does not, and serde_json refuses it as a Rust string too); `out` may then
/// hold part of the value (the batch reader cuts it back).
pub(super) fn decode_string(text: &str, out: &mut String) -> Option<usize> {
    let bytes = text.as_bytes();
    if bytes.first() != Some(&b'"') {
        return None;
    }
    let mut at = 1;
    loop {
        let run = plain_length(&bytes[at..])?;
        // Every stop byte is ASCII, so both ends of the run are character boundaries.
        out.push_str(&text[at..at + run]);
        at += run;
        match bytes[at] {
            b'"' => return Some(at + 1),
            b'\\' => match bytes.get(at + 1) {
                // A JSON line inside a record is mostly `\"`: its character is the byte
                // itself, without `escape`'s decoding (−15% per EMF line decoded).
                Some(&ascii @ (b'"' | b'\\' | b'/')) => {
                    out.push(char::from(ascii));
                    at += 2;
                }
                _ => {
                    let (decoded, length) = escape(&bytes[at + 1..])?;
                    out.push(decoded);
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
        let mut out = String::new();
        decode_string(text, &mut out).map(|length| (out, length))
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
}
