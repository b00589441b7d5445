//! The memory bound of an OTLP/JSON body. JSON has to be decoded into messages before it
//! can be held as protobuf, and decoding amplifies: an empty object `{}` (three bytes with
//! its comma) becomes a whole message of a few hundred bytes, and a Vec doubling as it
//! grows can hold twice that. So before decoding, one pass over the text counts what the
//! decode will allocate one by one (objects, and the elements of arrays), and a body with
//! more than [`MAX_JSON_VALUES`] is refused: the decoded form then stays within a bound
//! that does not depend on the body's shape (docs/otlp-receiver.md has the figures).
//!
//! The pass keeps the kind of each open container in a fixed bit stack, so it allocates
//! nothing; a body nested deeper than serde_json accepts is refused here already.

/// Objects and array elements one JSON request may hold.
pub const MAX_JSON_VALUES: usize = 16 * 1024;
/// serde_json's own nesting limit.
const MAX_DEPTH: usize = 128;

/// Why a body is refused before decoding, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Over {
    /// More objects and array elements than the budget: a size bound.
    Budget(String),
    /// Nested deeper than serde_json reads: not a request it could decode.
    Depth(String),
}

/// Counts the body's objects and array elements; `Err` with the reason past a limit.
pub fn check(body: &[u8]) -> Result<(), Over> {
    check_with(body, MAX_JSON_VALUES)
}

fn check_with(body: &[u8], max: usize) -> Result<(), Over> {
    let values = count(body).map_err(Over::Depth)?;
    if values > max {
        return Err(Over::Budget(format!(
            "{values} objects and array elements, over the {max} a JSON request may hold: \
             send smaller batches, or protobuf"
        )));
    }
    Ok(())
}

/// The body's objects and array elements; `Err` past the nesting limit.
pub(super) fn count(body: &[u8]) -> Result<usize, String> {
    let mut arrays = [0u64; MAX_DEPTH / 64];
    let mut depth = 0usize;
    let mut values = 0usize;
    let mut strings = Strings::default();
    // Whether an element starts at the next value: just after `[` or an array's `,`.
    let mut element_pending = false;
    for &byte in body {
        if strings.inside(byte) {
            continue;
        }
        if byte.is_ascii_whitespace() {
            continue;
        }
        let in_array = depth > 0 && arrays[(depth - 1) / 64] >> ((depth - 1) % 64) & 1 == 1;
        if element_pending && byte != b']' {
            values += 1;
            element_pending = false;
        }
        match byte {
            b'{' | b'[' => {
                if depth == MAX_DEPTH {
                    return Err(format!("nested deeper than {MAX_DEPTH} levels"));
                }
                let (word, bit) = (depth / 64, depth % 64);
                arrays[word] &= !(1 << bit);
                arrays[word] |= u64::from(byte == b'[') << bit;
                depth += 1;
                values += usize::from(byte == b'{' && !in_array);
                element_pending = byte == b'[';
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                element_pending = false;
            }
            b',' => element_pending = in_array,
            _ => {}
        }
    }
    Ok(values)
}

/// Whether a byte of JSON text is inside a string, fed the text byte by byte: strings are
/// skipped with their escapes, so what they hold is never read as structure.
#[derive(Default)]
pub(super) struct Strings {
    open: bool,
    escaped: bool,
}

impl Strings {
    /// Whether `byte` belongs to a string begun before it (its text, an escape, its closing
    /// quote). An opening quote is not inside: it is structure, and begins a string.
    pub fn inside(&mut self, byte: u8) -> bool {
        if !self.open {
            self.open = byte == b'"';
            return false;
        }
        match byte {
            _ if self.escaped => self.escaped = false,
            b'\\' => self.escaped = true,
            b'"' => self.open = false,
            _ => {}
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The count, read from the refusal of a zero budget.
    fn values(body: &str) -> usize {
        match check_with(body.as_bytes(), 0) {
            Err(Over::Budget(reason)) => reason.split(' ').next().unwrap().parse().unwrap(),
            Err(Over::Depth(reason)) => panic!("{reason}"),
            Ok(()) => 0,
        }
    }

    #[test]
    fn objects_and_array_elements_are_counted_and_text_is_not() {
        assert_eq!(values("{}"), 1);
        assert_eq!(values(r#"{"a":{"b":{}}}"#), 3);
        assert_eq!(values("[1, 2 ,3]"), 3);
        assert_eq!(values("[]"), 0);
        assert_eq!(values("[[], [ ]]"), 2);
        assert_eq!(values(r#"[{}, {"x": [true]}]"#), 3);
        // Braces, brackets, commas and escaped quotes inside strings are text.
        assert_eq!(values(r#"{"k": "{[,]} \"{\" \\"}"#), 1);
        assert_eq!(values(r#"["a,b", "c"]"#), 2);
    }

    #[test]
    fn past_the_budget_or_too_deep_is_refused_with_the_reason() {
        let body = format!("[{}]", vec!["{}"; MAX_JSON_VALUES].join(","));
        assert!(check(body.as_bytes()).is_ok());
        let body = format!("[{}]", vec!["{}"; MAX_JSON_VALUES + 1].join(","));
        let Err(Over::Budget(err)) = check(body.as_bytes()) else {
            panic!("over the budget, accepted");
        };
        assert!(
            err.starts_with(&format!("{} objects", MAX_JSON_VALUES + 1)),
            "{err}"
        );
        let deep = "[".repeat(MAX_DEPTH + 1);
        let Err(Over::Depth(err)) = check(deep.as_bytes()) else {
            panic!("too deep, accepted");
        };
        assert!(err.contains("deeper"), "{err}");
    }
}
