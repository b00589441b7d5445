//! The protobuf wire format, written into one growing buffer.
//!
//! A nested message's length comes before its bytes. Rather than measure every message
//! before writing it (prost's way, which measures the deepest fields once per level), a
//! message is written after a one-byte length slot that is filled in when the message
//! ends; the rare message of 128 bytes or more moves its bytes up to make room for a
//! longer length. Lengths and every other varint stay in their shortest form, so the
//! bytes are the ones prost writes.

/// Protobuf wire types.
const VARINT: u32 = 0;
const FIXED64: u32 = 1;
const LENGTH_DELIMITED: u32 = 2;

pub(super) struct Writer {
    pub(super) out: Vec<u8>,
}

/// Where an open nested message's bytes start.
#[must_use = "a nested message must be ended"]
pub(super) struct Nested(usize);

impl Writer {
    pub(super) fn with_capacity(capacity: usize) -> Writer {
        Writer {
            out: Vec::with_capacity(capacity),
        }
    }

    /// Inlined for the one-byte case: most values written are small (bucket counts,
    /// field keys, short lengths).
    #[inline]
    fn varint(&mut self, value: u64) {
        if value < 0x80 {
            self.out.push(value as u8);
        } else {
            self.long_varint(value);
        }
    }

    fn long_varint(&mut self, mut value: u64) {
        while value >= 0x80 {
            self.out.push(value as u8 | 0x80);
            value >>= 7;
        }
        self.out.push(value as u8);
    }

    fn key(&mut self, field: u32, wire_type: u32) {
        self.varint(u64::from(field << 3 | wire_type));
    }

    /// Opens a nested message as field `field`; [`Writer::end`] closes it.
    pub(super) fn begin(&mut self, field: u32) -> Nested {
        self.key(field, LENGTH_DELIMITED);
        self.out.push(0);
        Nested(self.out.len())
    }

    pub(super) fn end(&mut self, nested: Nested) {
        let start = nested.0;
        let len = self.out.len() - start;
        if len < 0x80 {
            self.out[start - 1] = len as u8;
            return;
        }
        let mut prefix = [0u8; 10];
        let mut n = 0;
        let mut rest = len as u64;
        while rest >= 0x80 {
            prefix[n] = rest as u8 | 0x80;
            rest >>= 7;
            n += 1;
        }
        prefix[n] = rest as u8;
        n += 1;
        // The slot holds one byte; make room for the other n - 1 and shift the message up.
        self.out
            .splice(start - 1..start, prefix[..n].iter().copied());
    }

    /// A nested message with one call: `body` writes its fields.
    pub(super) fn message(&mut self, field: u32, body: impl FnOnce(&mut Writer)) {
        let nested = self.begin(field);
        body(self);
        self.end(nested);
    }

    /// A string field, left out when empty (proto3's default).
    pub(super) fn string(&mut self, field: u32, value: &str) {
        if !value.is_empty() {
            self.string_always(field, value);
        }
    }

    /// A string field even when empty: a member of a `oneof`, whose presence is its meaning.
    pub(super) fn string_always(&mut self, field: u32, value: &str) {
        self.key(field, LENGTH_DELIMITED);
        self.varint(value.len() as u64);
        self.out.extend_from_slice(value.as_bytes());
    }

    /// An `int64`/`uint64`/enum/bool field as a varint, left out when zero.
    pub(super) fn uint(&mut self, field: u32, value: u64) {
        if value != 0 {
            self.uint_always(field, value);
        }
    }

    pub(super) fn uint_always(&mut self, field: u32, value: u64) {
        self.key(field, VARINT);
        self.varint(value);
    }

    /// An `sint32` field (zigzag), left out when zero.
    pub(super) fn sint32(&mut self, field: u32, value: i32) {
        self.uint(field, u64::from(((value << 1) ^ (value >> 31)) as u32));
    }

    /// A `fixed64` field, left out when zero.
    pub(super) fn fixed64(&mut self, field: u32, value: u64) {
        if value != 0 {
            self.key(field, FIXED64);
            self.out.extend_from_slice(&value.to_le_bytes());
        }
    }

    /// A `double` field even when zero: `optional` fields and `oneof` members.
    pub(super) fn double_always(&mut self, field: u32, value: f64) {
        self.key(field, FIXED64);
        self.out.extend_from_slice(&value.to_le_bytes());
    }

    /// An `optional double`: written when present, whatever its value.
    pub(super) fn optional_double(&mut self, field: u32, value: Option<f64>) {
        if let Some(value) = value {
            self.double_always(field, value);
        }
    }

    /// A packed `repeated fixed64` field, left out when empty.
    pub(super) fn packed_fixed64(
        &mut self,
        field: u32,
        values: impl ExactSizeIterator<Item = u64>,
    ) {
        if values.len() > 0 {
            self.key(field, LENGTH_DELIMITED);
            self.varint(8 * values.len() as u64);
            for value in values {
                self.out.extend_from_slice(&value.to_le_bytes());
            }
        }
    }

    /// A packed `repeated uint64` field, left out when empty.
    pub(super) fn packed_uint64(&mut self, field: u32, values: &[u64]) {
        if !values.is_empty() {
            let nested = self.begin(field);
            // At least a byte each: one reservation instead of a check per value.
            self.out.reserve(values.len());
            for &value in values {
                self.varint(value);
            }
            self.end(nested);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_messages_get_their_shortest_length_prefix() {
        for len in [0usize, 1, 127, 128, 300, 16_383, 16_384, 70_000] {
            let mut w = Writer::with_capacity(0);
            w.message(1, |w| w.out.extend(std::iter::repeat_n(7u8, len)));
            let mut expected = vec![0x0a];
            prost::encoding::encode_varint(len as u64, &mut expected);
            expected.extend(std::iter::repeat_n(7u8, len));
            assert_eq!(w.out, expected, "{len}");
        }
    }

    #[test]
    fn sint32_is_zigzag() {
        let mut w = Writer::with_capacity(0);
        w.sint32(1, -1);
        w.sint32(1, 1);
        w.sint32(1, i32::MIN);
        assert_eq!(
            w.out,
            [0x08, 1, 0x08, 2, 0x08, 0xff, 0xff, 0xff, 0xff, 0x0f]
        );
    }
}
