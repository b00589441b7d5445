//! The retry buffer's bounds: what waits in the aggregator (pending buckets and points put
//! back after a failed export) is kept within a number of data points and a number of
//! bytes, by dropping the oldest data points first.

use super::stream::Stream;
use super::Aggregator;

/// A bound on what waits for export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub points: usize,
    /// Bytes of the waiting data points (their buckets or put-back points with their
    /// heap parts; the stream keys are bounded by [`Limits`](super::Limits) instead).
    pub bytes: usize,
}

impl Aggregator {
    /// Data points a take would produce now: pending buckets plus put-back points.
    pub fn pending_points(&self) -> usize {
        self.streams.values().map(Stream::pending_points).sum()
    }

    /// Bytes the pending data points take, as [`Budget::bytes`] counts them.
    pub fn pending_bytes(&self) -> usize {
        self.streams
            .values()
            .flat_map(Stream::pending)
            .map(|(_, bytes)| bytes)
            .sum()
    }

    /// [`shed_to`](Self::shed_to) with a bound on points only.
    pub fn shed_oldest(&mut self, max_points: usize) -> usize {
        self.shed_to(Budget {
            points: max_points,
            bytes: usize::MAX,
        })
    }

    /// Drops the oldest data points (by time, across streams) until what waits fits
    /// `budget`, and returns how many it dropped. The count is of aggregated data points
    /// (one per stream and bucket, or per put-back point), not of the raw values in them;
    /// the caller counts it into `metricline.points.dropped`.
    pub fn shed_to(&mut self, budget: Budget) -> usize {
        let mut pending: Vec<(u64, usize)> =
            self.streams.values().flat_map(Stream::pending).collect();
        let mut points = pending.len();
        let mut bytes: usize = pending.iter().map(|&(_, b)| b).sum();
        if points <= budget.points && bytes <= budget.bytes {
            return 0;
        }
        pending.sort_unstable_by_key(|&(time, _)| time);
        let mut excess = 0;
        for &(_, size) in &pending {
            if points <= budget.points && bytes <= budget.bytes {
                break;
            }
            points -= 1;
            bytes -= size;
            excess += 1;
        }
        let cut = pending[excess - 1].0;
        // Everything older than `cut` goes, and as many points at `cut` as still needed
        // (which of the points at `cut` is arbitrary: their sizes may differ a little).
        let older = pending.partition_point(|&(time, _)| time < cut);
        let mut quota_at_cut = excess - older;
        let mut dropped = 0;
        for stream in self.streams.values_mut() {
            dropped += stream.shed(cut, &mut quota_at_cut);
        }
        dropped
    }
}
