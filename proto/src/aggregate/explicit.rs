//! Explicit-bucket histogram (`explicit_bucket_histogram`): semantic-convention bounds for
//! seconds, the OTel SDK default bounds for every other unit; buckets are upper inclusive.

/// `http.server.request.duration`-style bounds, advised by the semantic conventions for
/// durations in seconds (`faas.invoke_duration`, `faas.init_duration`, ...).
pub const SECONDS_BOUNDS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// The OTel SDK's default bounds, for every unit other than `s`.
pub const DEFAULT_BOUNDS: [f64; 15] = [
    0.0, 5.0, 10.0, 25.0, 50.0, 75.0, 100.0, 250.0, 500.0, 750.0, 1000.0, 2500.0, 5000.0, 7500.0,
    10000.0,
];

/// Room for the longest bound list plus the overflow bucket, kept inline so that a new
/// histogram does not allocate.
const MAX_BUCKETS: usize = DEFAULT_BOUNDS.len() + 1;

/// A histogram with fixed bounds and count, sum, min and max.
#[derive(Debug, Clone, PartialEq)]
pub struct ExplicitHistogram {
    pub bounds: &'static [f64],
    counts: [u64; MAX_BUCKETS],
    pub count: u64,
    pub sum: f64,
    /// Smallest sample; meaningless while `count` is 0.
    pub min: f64,
    /// Largest sample; meaningless while `count` is 0.
    pub max: f64,
}

impl ExplicitHistogram {
    /// An empty histogram with the bounds for `unit`.
    pub fn for_unit(unit: &str) -> Self {
        if unit == "s" {
            Self::for_bounds(&SECONDS_BOUNDS)
        } else {
            Self::for_bounds(&DEFAULT_BOUNDS)
        }
    }

    /// An empty histogram with `bounds` (at most 15, strictly increasing).
    pub(super) fn for_bounds(bounds: &'static [f64]) -> Self {
        ExplicitHistogram {
            bounds,
            counts: [0; MAX_BUCKETS],
            count: 0,
            sum: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }

    /// One count per bucket: `(-inf, b0], (b0, b1], ..., (bn, +inf)`.
    pub fn bucket_counts(&self) -> &[u64] {
        &self.counts[..=self.bounds.len()]
    }

    /// Adds one finite sample.
    pub fn record(&mut self, value: f64) {
        // Upper-inclusive: the first bound that is >= value closes the sample's bucket.
        let at = self.bounds.partition_point(|&b| b < value);
        self.counts[at] += 1;
        self.count += 1;
        self.sum += value;
        self.min = self.min.min(value);
        self.max = self.max.max(value);
    }

    /// Adds every sample of `other`, which has the same bounds (same stream, same unit).
    pub fn merge(&mut self, other: &ExplicitHistogram) {
        debug_assert_eq!(self.bounds, other.bounds);
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts.iter()) {
            *mine += theirs;
        }
        self.count += other.count;
        self.sum += other.sum;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }
}
