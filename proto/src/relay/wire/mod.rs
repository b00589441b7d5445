//! A received protobuf request handled on the wire, never decoded into messages: the
//! decoded form of a body made of many tiny entries (empty spans, empty attributes: two
//! bytes each on the wire, a hundred and more in memory) would weigh many times the body,
//! so the memory budget could not hold with the receiver flooded. Instead, the request is
//! checked against the OTLP schema by walking its bytes, its items are counted the same
//! way, and only each top-level entry's `resource` is rewritten: every other byte is
//! copied as received. Memory is then the body plus the enriched copy, whatever the body
//! holds.
//!
//! Varints and keys are read by prost's own functions, so that what counts as malformed
//! is what a prost decode would refuse.

mod check;
mod items;
mod schema;
mod splice;
mod values;

pub use check::check;
pub use items::{entries, items};
pub use splice::{enrich, Added};
pub use values::values;

use prost::encoding::{decode_key, decode_varint, skip_field, DecodeContext, WireType};

/// Why the bytes are not the message they should be; shown to the SDK in the 400 answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireError(pub String);

impl std::fmt::Display for WireError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A field's value as it lies in the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    Varint,
    Fixed64,
    Fixed32,
    Len(&'a [u8]),
    /// A (deprecated) group, already skipped: only unknown fields may be one.
    Group,
}

/// One field of a message.
#[derive(Debug, Clone, Copy)]
pub struct Field<'a> {
    pub number: u32,
    pub value: Value<'a>,
    /// The whole field, key included, to copy unchanged.
    pub raw: &'a [u8],
}

/// The fields of one message, in order; stops at the first malformed one.
pub struct Fields<'a> {
    rest: &'a [u8],
    failed: bool,
}

pub fn fields(message: &[u8]) -> Fields<'_> {
    Fields {
        rest: message,
        failed: false,
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<Field<'a>, WireError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() || self.failed {
            return None;
        }
        let field = read_field(&mut self.rest);
        self.failed = field.is_err();
        Some(field)
    }
}

fn read_field<'a>(rest: &mut &'a [u8]) -> Result<Field<'a>, WireError> {
    let start: &'a [u8] = rest;
    let (number, wire_type) = decode_key(rest).map_err(|e| WireError(e.to_string()))?;
    let value = match wire_type {
        WireType::Varint => {
            decode_varint(rest).map_err(|e| WireError(e.to_string()))?;
            Value::Varint
        }
        WireType::SixtyFourBit => {
            take(rest, 8, number)?;
            Value::Fixed64
        }
        WireType::ThirtyTwoBit => {
            take(rest, 4, number)?;
            Value::Fixed32
        }
        WireType::LengthDelimited => {
            let len = decode_varint(rest).map_err(|e| WireError(e.to_string()))?;
            let len = usize::try_from(len).unwrap_or(usize::MAX);
            Value::Len(take(rest, len, number)?)
        }
        WireType::StartGroup | WireType::EndGroup => {
            skip_field(wire_type, number, rest, DecodeContext::default())
                .map_err(|e| WireError(e.to_string()))?;
            Value::Group
        }
    };
    let used = start.len() - rest.len();
    Ok(Field {
        number,
        value,
        raw: &start[..used],
    })
}

fn take<'a>(rest: &mut &'a [u8], len: usize, number: u32) -> Result<&'a [u8], WireError> {
    if rest.len() < len {
        return Err(WireError(format!(
            "field {number} runs {len} bytes past the end of its message"
        )));
    }
    let (value, after) = rest.split_at(len);
    *rest = after;
    Ok(value)
}

/// The length-delimited payloads of field `number` of a message already checked.
pub fn payloads(message: &[u8], number: u32) -> impl Iterator<Item = &[u8]> {
    fields(message)
        .filter_map(Result::ok)
        .filter(move |f| f.number == number)
        .filter_map(|f| match f.value {
            Value::Len(payload) => Some(payload),
            _ => None,
        })
}

#[cfg(test)]
mod tests;
