//! Lambda runtime log prefixes: in the text log format a runtime may put a timestamp,
//! request id and level in front of what the function printed.

use super::scan::split_once_byte;

/// The message after a runtime prefix, or `line` itself when it has none.
///
/// Recognised: Node.js and .NET `2026-01-01T00:00:00.000Z\t<requestId>\tINFO\t<message>`,
/// and Python logging `[INFO]\t2026-01-01T00:00:00.000Z\t<requestId>\t<message>`. Only
/// lines starting with a digit or `[` are examined, so most lines cost one byte test.
pub(crate) fn strip_runtime_prefix(line: &str) -> &str {
    match line.as_bytes().first() {
        Some(b'0'..=b'9') => node(line),
        Some(b'[') => python(line),
        _ => None,
    }
    .unwrap_or(line)
}

fn node(line: &str) -> Option<&str> {
    let (time, rest) = split_once_byte(line, b'\t')?;
    let (_request_id, rest) = split_once_byte(rest, b'\t')?;
    let (level, message) = split_once_byte(rest, b'\t')?;
    (is_timestamp(time) && is_level(level)).then_some(message)
}

fn python(line: &str) -> Option<&str> {
    let (level, rest) = split_once_byte(line, b'\t')?;
    let (time, rest) = split_once_byte(rest, b'\t')?;
    let (_request_id, message) = split_once_byte(rest, b'\t')?;
    let level = level.strip_prefix('[')?.strip_suffix(']')?;
    (is_timestamp(time) && is_level(level)).then_some(message)
}

/// An ISO 8601 instant such as `2026-01-01T00:00:00.000Z`: loosely checked, since only
/// its shape tells a prefix from a message that happens to contain tabs.
fn is_timestamp(field: &str) -> bool {
    let bytes = field.as_bytes();
    (10..=40).contains(&bytes.len())
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes[4] == b'-'
        && !bytes.contains(&b' ')
}

fn is_level(field: &str) -> bool {
    (1..=8).contains(&field.len()) && field.bytes().all(|b| b.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_prefix_is_stripped() {
        let line = "2026-01-01T00:00:00.000Z\t5f1c-aa\tINFO\tMONITORING|1|2|count|a";
        assert_eq!(strip_runtime_prefix(line), "MONITORING|1|2|count|a");
        let init = "2026-01-01T00:00:00.000Z\tundefined\tinfo\t{\"m\":1}";
        assert_eq!(strip_runtime_prefix(init), "{\"m\":1}");
    }

    #[test]
    fn python_logging_prefix_is_stripped() {
        let line = "[INFO]\t2026-01-01T00:00:00.000Z\t5f1c-aa\tMONITORING|1|2|count|a";
        assert_eq!(strip_runtime_prefix(line), "MONITORING|1|2|count|a");
    }

    #[test]
    fn lines_without_a_prefix_are_kept() {
        for line in [
            "MONITORING|1|2|count|a",
            "2026 was a year\twith\ttabs\teverywhere",
            "[not a level]\t2026-01-01T00:00:00Z\tid\tmsg",
            "2026-01-01T00:00:00.000Z\tid\tNOT A LEVEL\tmsg",
            "2026-01-01T00:00:00.000Z only one field",
            "[INFO] no tabs",
        ] {
            assert_eq!(strip_runtime_prefix(line), line);
        }
    }
}
