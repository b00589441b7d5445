//! Lambda's JSON log format wrapper, `{"timestamp","level","requestId","message"}` around a
//! line the function printed, read in one pass. On Lambda Managed Instances every printed
//! line that is not itself a JSON object comes in one, and the general reader (serde_json:
//! the object's markers, then the message) cost more than the line's own parsing.

use crate::lines::readers::plain::Plain;

/// The members of the wrapper, in the order Lambda writes them; the last is the line.
const MEMBERS: [&str; 4] = ["timestamp", "level", "requestId", "message"];

/// The printed line of a wrapper: an object of [`MEMBERS`] only, each at most once and in
/// any order, every value a string without escapes, `message` among them. `None` for
/// anything else (another member, a repeated one, a value that is no plain string), which
/// the general reader then reads.
///
/// For such an object the general reader finds no metric markers, and reads the message
/// as a text line: what the caller does with the line returned.
pub(super) fn message(record: &str) -> Option<&str> {
    let mut json = Plain::new(record);
    let mut seen = [false; MEMBERS.len()];
    let mut message = None;
    json.object(|key, json| {
        let at = MEMBERS.iter().position(|&name| name == key)?;
        if std::mem::replace(&mut seen[at], true) {
            return None;
        }
        let value = json.string()?;
        if at == MEMBERS.len() - 1 {
            message = Some(value);
        }
        Some(())
    })?;
    json.at_end().then_some(())?;
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_line_of_lambdas_wrapper_only() {
        let wrapper = r#"{"timestamp":"2026-01-01T00:00:00.000Z","level":"INFO","requestId":"r-1","message":"MONITORING|1|2|count|a"}"#;
        assert_eq!(message(wrapper), Some("MONITORING|1|2|count|a"));
        assert_eq!(message(r#" {"message":"x","level":"INFO"} "#), Some("x"));
        for other in [
            // No message, another member, a repeated member.
            r#"{"timestamp":"t","level":"INFO"}"#,
            r#"{"level":"INFO","message":"x","m":"a"}"#,
            r#"{"message":"x","message":"y"}"#,
            // A value that is no plain string: escaped, null, a number, an object.
            r#"{"message":"say \"hi\""}"#,
            r#"{"message":null}"#,
            r#"{"level":1,"message":"x"}"#,
            r#"{"message":{"m":"a","v":1}}"#,
            // Not one object.
            r#"{"message":"x"} {}"#,
            r#""x""#,
        ] {
            assert_eq!(message(other), None, "{other}");
        }
    }
}
