//! A fast hasher for stream keys: the stream lookup runs once per accepted value.
//!
//! Keys come from the function's own logs, so there is no untrusted party to defend
//! against with a keyed hash (SipHash); a folded 64×64→128-bit multiply per word mixes
//! well enough for the hash table and costs a few cycles.

use hashbrown::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};

/// Hash-table builder for stream keys.
pub(super) type StreamHashBuilder = BuildHasherDefault<StreamHasher>;

/// Odd 64-bit constant (the fractional part of the golden ratio).
const MIX: u64 = 0x9e37_79b9_7f4a_7c15;

#[derive(Default, Clone, Copy)]
pub(super) struct StreamHasher(u64);

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
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            // The length keeps "a" and "a\0" apart.
            self.add(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 59));
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

/// Shrinks a hash table that holds under a quarter of its capacity, keeping room to grow.
pub(super) fn shrink_table<K: Hash + Eq, V>(table: &mut HashMap<K, V, StreamHashBuilder>) {
    if table.capacity() > 64 && table.len() < table.capacity() / 4 {
        table.shrink_to(table.len() * 2);
    }
}
