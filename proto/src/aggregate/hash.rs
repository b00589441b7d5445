//! A fast hasher for stream keys: the stream lookup runs once per accepted value.
//!
//! Keys come from the function's own logs, so there is no untrusted party to defend
//! against with a keyed hash (SipHash); a folded 64×64→128-bit multiply per word mixes
//! well enough for the hash table and costs a few cycles.

use hashbrown::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};

/// Hash-table builder for stream keys (and the metric identities of an export).
pub(crate) type StreamHashBuilder = BuildHasherDefault<StreamHasher>;

/// Odd 64-bit constant (the fractional part of the golden ratio).
const MIX: u64 = 0x9e37_79b9_7f4a_7c15;

#[derive(Default, Clone, Copy)]
pub(crate) struct StreamHasher(u64);

impl StreamHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        let product = u128::from(self.0 ^ word) * u128::from(MIX);
        self.0 = (product as u64) ^ ((product >> 64) as u64);
    }
}

impl Hasher for StreamHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(u64::from_le_bytes(chunk.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            // The length keeps "a" and "a\0" apart.
            self.add(last_word(rest) ^ ((rest.len() as u64) << 59));
        }
    }

    // String terminators and lengths: a rotate-xor suffices, the next word's multiply
    // mixes them in; this halves the multiplies per key.
    #[inline]
    fn write_u8(&mut self, n: u8) {
        self.0 = self.0.rotate_left(8) ^ u64::from(n);
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.0 = self.0.rotate_left(16) ^ n as u64;
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // A last multiply, so that a trailing rotate-xor is mixed into every bit too.
        let mut last = *self;
        last.add(0);
        last.0
    }
}

/// The 1 to 7 bytes of `rest` as a little-endian word, zero-padded: two overlapping loads
/// instead of a copy into a buffer, which compiles to a call of `memcpy` per string.
#[inline]
fn last_word(rest: &[u8]) -> u64 {
    let n = rest.len();
    if n >= 4 {
        let low = u64::from(u32::from_le_bytes(rest[..4].try_into().expect("4 bytes")));
        let high = u64::from(u32::from_le_bytes(
            rest[n - 4..].try_into().expect("4 bytes"),
        ));
        low | high << ((n - 4) * 8)
    } else {
        let (first, middle, last) = (rest[0], rest[n / 2], rest[n - 1]);
        u64::from(first) | u64::from(middle) << (n / 2 * 8) | u64::from(last) << ((n - 1) * 8)
    }
}

/// Shrinks a hash table that holds under a quarter of its capacity, keeping room to grow.
pub(super) fn shrink_table<K: Hash + Eq, V>(table: &mut HashMap<K, V, StreamHashBuilder>) {
    if table.capacity() > 64 && table.len() < table.capacity() / 4 {
        table.shrink_to(table.len() * 2);
    }
}

#[cfg(test)]
mod tests {
    use super::last_word;

    #[test]
    fn the_last_word_is_the_zero_padded_little_endian_bytes() {
        let bytes = [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77];
        for n in 1..=7 {
            let mut word = [0u8; 8];
            word[..n].copy_from_slice(&bytes[..n]);
            assert_eq!(
                last_word(&bytes[..n]),
                u64::from_le_bytes(word),
                "{n} bytes"
            );
        }
    }
}
