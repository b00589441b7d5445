//! Whether a body is a request of its signal: every known field has the wire type its
//! schema says, text is UTF-8, nested messages are well formed down to the leaves, unknown
//! fields are skippable, nesting stays within prost's recursion limit. The walk keeps no
//! state but the call stack (at most that limit deep), so a body of any shape is checked
//! in constant memory.

use prost::encoding::decode_varint;

use super::schema::{self, Kind, Schema};
use super::{fields, Value, WireError};
use crate::relay::Signal;

/// prost's recursion limit: deeper bodies are refused by a decode, so by us too.
const RECURSION_LIMIT: u32 = 100;

/// Checks `body` as an `Export<Signal>ServiceRequest`.
pub fn check(signal: Signal, body: &[u8]) -> Result<(), WireError> {
    message(schema::request(signal), body, RECURSION_LIMIT)
}

fn message(schema: &Schema, bytes: &[u8], depth_left: u32) -> Result<(), WireError> {
    for field in fields(bytes) {
        let field = field.map_err(|e| WireError(format!("{}: {e}", schema.name)))?;
        let Some(kind) = schema.kind(field.number) else {
            continue;
        };
        let wrong = || {
            WireError(format!(
                "{}: field {} is not a {}",
                schema.name,
                field.number,
                describe(kind)
            ))
        };
        match (kind, field.value) {
            (Kind::Varint | Kind::PackedVarint, Value::Varint) => {}
            (Kind::Fixed64 | Kind::PackedFixed64, Value::Fixed64) => {}
            (Kind::Fixed32, Value::Fixed32) => {}
            (Kind::Bytes, Value::Len(_)) => {}
            (Kind::Str | Kind::Strs, Value::Len(text)) => {
                if std::str::from_utf8(text).is_err() {
                    return Err(WireError(format!(
                        "{}: field {} is not UTF-8 text",
                        schema.name, field.number
                    )));
                }
            }
            (Kind::Message(inner), Value::Len(bytes)) => {
                if depth_left == 0 {
                    return Err(WireError("messages nested too deep".into()));
                }
                message(inner, bytes, depth_left - 1)?;
            }
            (Kind::PackedVarint, Value::Len(mut run)) => {
                while !run.is_empty() {
                    decode_varint(&mut run).map_err(|_| wrong())?;
                }
            }
            (Kind::PackedFixed64, Value::Len(run)) if run.len() % 8 == 0 => {}
            _ => return Err(wrong()),
        }
    }
    Ok(())
}

fn describe(kind: Kind) -> String {
    match kind {
        Kind::Varint => "varint".into(),
        Kind::Fixed64 => "64-bit value".into(),
        Kind::Fixed32 => "32-bit value".into(),
        Kind::Str | Kind::Strs => "string".into(),
        Kind::Bytes => "bytes field".into(),
        Kind::Message(schema) => format!("{} message", schema.name),
        Kind::PackedVarint => "varint or packed varints".into(),
        Kind::PackedFixed64 => "64-bit value or packed 64-bit values".into(),
    }
}
