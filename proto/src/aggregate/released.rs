//! Where the delta streams the aggregator let go ended, so that one seen again continues
//! its intervals (contiguous, never overlapping) instead of restarting at its bucket.
//!
//! A stream's state goes as soon as its export leaves nothing pending; only its last end
//! stays here, 16 bytes keyed by the stream's 64-bit hash, at most [`CAPACITY`] of them.
//! When full, the older half is forgotten and their latest end becomes a floor for every
//! stream not found here: such a stream never reaches back past it, so it cannot overlap
//! what it exported before, at the price of a gap (docs/limits.md).

use hashbrown::HashMap;

use super::hash::StreamHashBuilder;

/// Ends remembered at most: a 16 Ki-slot table (about 280 KB) holds this many.
pub const CAPACITY: usize = 14_336;

#[derive(Debug, Default)]
pub(super) struct Released {
    ends: HashMap<u64, u64, StreamHashBuilder>,
    /// Latest end among the forgotten ones.
    floor: u64,
}

impl Released {
    /// Remembers that the stream with `hash` exported up to `end`.
    pub fn remember(&mut self, hash: u64, end: u64) {
        if self.ends.len() >= CAPACITY && !self.ends.contains_key(&hash) {
            self.forget_older_half();
        }
        self.ends.insert(hash, end);
    }

    /// The end a stream seen again continues from, if it is remembered.
    pub fn take(&mut self, hash: u64) -> Option<u64> {
        self.ends.remove(&hash)
    }

    /// No stream that is not remembered ever exported past this.
    pub fn floor(&self) -> u64 {
        self.floor
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    fn forget_older_half(&mut self) {
        let mut ends: Vec<u64> = self.ends.values().copied().collect();
        let middle = ends.len() / 2;
        let (_, &mut median, _) = ends.select_nth_unstable(middle);
        self.ends.retain(|_, end| *end > median);
        self.floor = self.floor.max(median);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_table_forgets_its_older_half_into_the_floor() {
        let mut released = Released::default();
        for k in 0..CAPACITY as u64 {
            released.remember(k, 1000 + k);
        }
        assert_eq!((released.len(), released.floor()), (CAPACITY, 0));
        released.remember(u64::MAX, 5);
        let half = CAPACITY as u64 / 2;
        assert_eq!(released.floor(), 1000 + half);
        assert_eq!(released.take(half), None, "forgotten: at the floor");
        assert_eq!(released.take(half + 1), Some(1001 + half));
        assert_eq!(released.take(u64::MAX), Some(5));
        assert!(released.len() < CAPACITY / 2 + 1);
    }
}
