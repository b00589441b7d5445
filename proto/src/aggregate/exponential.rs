//! Base-2 exponential histogram, shaped like the OpenTelemetry SDK's: at most 160 buckets
//! per range, starting at scale 20 and lowering the scale whenever a value would not fit.
//!
//! Bucket `i` at scale `s` holds the values in `(2^(i·2^-s), 2^((i+1)·2^-s)]` (upper
//! inclusive, as in OTLP). Exact powers of two are mapped exactly; other values near a
//! boundary may land one bucket off, which the OTel specification allows.

/// Most buckets kept per range (positive or negative), as in the OTel SDK default.
pub const MAX_SIZE: usize = 160;
/// The scale a new histogram starts at; it only ever goes down.
pub const MAX_SCALE: i32 = 20;

/// One range (positive or negative) of bucket counts, starting at bucket index `offset`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExponentialBuckets {
    pub offset: i32,
    pub counts: Vec<u64>,
}

/// A base-2 exponential histogram of samples with count, sum, min and max.
#[derive(Debug, Clone, PartialEq)]
pub struct ExponentialHistogram {
    pub count: u64,
    pub sum: f64,
    /// Smallest sample; meaningless while `count` is 0.
    pub min: f64,
    /// Largest sample; meaningless while `count` is 0.
    pub max: f64,
    pub scale: i32,
    /// Samples equal to 0 (the zero threshold is 0).
    pub zero_count: u64,
    pub positive: ExponentialBuckets,
    /// Buckets of the absolute values of negative samples.
    pub negative: ExponentialBuckets,
}

impl Default for ExponentialHistogram {
    fn default() -> Self {
        ExponentialHistogram {
            count: 0,
            sum: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            scale: MAX_SCALE,
            zero_count: 0,
            positive: ExponentialBuckets::default(),
            negative: ExponentialBuckets::default(),
        }
    }
}

impl ExponentialHistogram {
    /// Adds one finite sample.
    pub fn record(&mut self, value: f64) {
        self.count += 1;
        self.sum += value;
        self.min = self.min.min(value);
        self.max = self.max.max(value);
        if value == 0.0 {
            self.zero_count += 1;
            return;
        }
        let magnitude = value.abs();
        let index = bucket_index(magnitude, self.scale);
        let range = if value > 0.0 {
            &self.positive
        } else {
            &self.negative
        };
        let change = range.scale_change_to_fit(index, index);
        if change > 0 {
            self.downscale(change);
        }
        let index = index >> change;
        let range = if value > 0.0 {
            &mut self.positive
        } else {
            &mut self.negative
        };
        range.add(index, 1);
    }

    /// Adds every sample of `other`, lowering the scale as far as both need.
    pub fn merge(&mut self, other: &ExponentialHistogram) {
        if other.count == 0 {
            return;
        }
        let target = self.scale.min(other.scale);
        let mut change = self.scale - target;
        let other_change = other.scale - target;
        // Both ranges must fit at the common scale; find the extra lowering they need.
        let mut extra = 0;
        for (mine, theirs) in [
            (&self.positive, &other.positive),
            (&self.negative, &other.negative),
        ] {
            let (Some(a), Some(b)) = (mine.span(change), theirs.span(other_change)) else {
                continue;
            };
            extra = extra.max(change_to_fit(a.0.min(b.0).into(), a.1.max(b.1).into()));
        }
        change += extra;
        if change > 0 {
            self.downscale(change);
        }
        let other_change = other.scale - self.scale;
        for (mine, theirs) in [
            (&mut self.positive, &other.positive),
            (&mut self.negative, &other.negative),
        ] {
            for (k, &n) in theirs.counts.iter().enumerate() {
                if n > 0 {
                    mine.add((theirs.offset + k as i32) >> other_change, n);
                }
            }
        }
        self.count += other.count;
        self.sum += other.sum;
        self.zero_count += other.zero_count;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    fn downscale(&mut self, change: i32) {
        self.scale -= change;
        self.positive.downscale(change);
        self.negative.downscale(change);
    }
}

impl ExponentialBuckets {
    /// First and last bucket index after lowering the scale by `change`; `None` if empty.
    fn span(&self, change: i32) -> Option<(i32, i32)> {
        if self.counts.is_empty() {
            return None;
        }
        let last = self.offset + self.counts.len() as i32 - 1;
        Some((self.offset >> change, last >> change))
    }

    /// How much the scale must drop so that this range plus `[low, high]` fits.
    fn scale_change_to_fit(&self, low: i32, high: i32) -> i32 {
        let (mut low, mut high) = (i64::from(low), i64::from(high));
        if !self.counts.is_empty() {
            low = low.min(i64::from(self.offset));
            high = high.max(i64::from(self.offset) + self.counts.len() as i64 - 1);
        }
        change_to_fit(low, high)
    }

    fn add(&mut self, index: i32, n: u64) {
        if self.counts.is_empty() {
            self.offset = index;
            self.counts.push(n);
        } else if index < self.offset {
            let grow = (self.offset - index) as usize;
            self.counts.splice(0..0, std::iter::repeat_n(0, grow));
            self.offset = index;
            self.counts[0] += n;
        } else {
            let at = (index - self.offset) as usize;
            if at >= self.counts.len() {
                self.counts.resize(at + 1, 0);
            }
            self.counts[at] += n;
        }
    }

    /// Merges neighbouring buckets: bucket `i` becomes bucket `i >> change`.
    fn downscale(&mut self, change: i32) {
        if change == 0 || self.counts.is_empty() {
            return;
        }
        let offset = self.offset >> change;
        let last = (self.offset + self.counts.len() as i32 - 1) >> change;
        // In place, front to back: bucket `k` moves to a position at or before `k`, whose
        // own count has already been moved out, so no second vector is needed.
        for k in 0..self.counts.len() {
            let n = std::mem::take(&mut self.counts[k]);
            self.counts[(((self.offset + k as i32) >> change) - offset) as usize] += n;
        }
        self.counts.truncate((last - offset + 1) as usize);
        self.offset = offset;
    }
}

/// How much the scale must drop so that bucket indexes `low..=high` span at most
/// [`MAX_SIZE`] buckets.
fn change_to_fit(low: i64, high: i64) -> i32 {
    let mut change = 0;
    while (high >> change) - (low >> change) + 1 > MAX_SIZE as i64 {
        change += 1;
    }
    change
}

/// The bucket of a positive finite `value` at `scale`.
pub fn bucket_index(value: f64, scale: i32) -> i32 {
    let (exponent, mantissa, exact_power_of_two) = decompose(value);
    if scale <= 0 {
        // 2^e itself closes the bucket below it (buckets are upper inclusive).
        let e = if exact_power_of_two {
            exponent - 1
        } else {
            exponent
        };
        return (e >> -scale) as i32;
    }
    let first = exponent << scale;
    if exact_power_of_two {
        return (first - 1) as i32;
    }
    let within = (mantissa.log2() * f64::from(1u32 << scale)).floor() as i64;
    (first + within.clamp(0, (1i64 << scale) - 1)) as i32
}

/// Splits a positive finite value into `(e, m, m == 1)` with `value = m · 2^e`, `m ∈ [1, 2)`.
fn decompose(value: f64) -> (i64, f64, bool) {
    let bits = value.to_bits();
    let raw_exponent = ((bits >> 52) & 0x7ff) as i64;
    let fraction = bits & ((1u64 << 52) - 1);
    if raw_exponent == 0 {
        // Subnormal: value = fraction · 2^-1074.
        let top = 63 - i64::from(fraction.leading_zeros());
        let mantissa = fraction as f64 / (1u64 << top) as f64;
        return (top - 1074, mantissa, fraction.is_power_of_two());
    }
    let mantissa = f64::from_bits((1023u64 << 52) | fraction);
    (raw_exponent - 1023, mantissa, fraction == 0)
}
