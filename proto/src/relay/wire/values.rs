//! Counting a checked request's objects and array elements as its OTLP/JSON holds them,
//! by walking its bytes: what writing it as JSON for an `http/json` backend costs, the
//! same measure as the budget of a received JSON body ([`crate::relay::MAX_JSON_VALUES`]).
//! Each embedded message is an object, each element of a repeated number or string an
//! array element; a message that is an array element counts once, as in the JSON pass.

use super::schema::{self, Kind, Schema};
use super::{fields, Value};
use crate::relay::Signal;

/// The objects and array elements of a request [`super::check`]ed for `signal`.
pub fn values(signal: Signal, request: &[u8]) -> usize {
    1 + count(schema::request(signal), request)
}

fn count(schema: &Schema, message: &[u8]) -> usize {
    fields(message)
        .filter_map(Result::ok)
        .map(|field| match (schema.kind(field.number), field.value) {
            (Some(Kind::Message(inner)), Value::Len(bytes)) => 1 + count(inner, bytes),
            // A packed run: one varint per byte without the continuation bit.
            (Some(Kind::PackedVarint), Value::Len(run)) => {
                run.iter().filter(|&&b| b & 0x80 == 0).count()
            }
            (Some(Kind::PackedFixed64), Value::Len(run)) => run.len() / 8,
            (Some(Kind::PackedVarint | Kind::PackedFixed64 | Kind::Strs), _) => 1,
            _ => 0,
        })
        .sum()
}
