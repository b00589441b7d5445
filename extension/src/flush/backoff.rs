//! Backoff while the backend keeps failing (docs/decisions.md): after a failed export, flushes
//! only buffer until the backoff ends, so invokes do not each pay the full export timeout.
//! The pause between the attempts of one export is a different clock: `export/classify.rs`.

use std::time::Duration;
use tokio::time::Instant;

/// Exponential backoff: 1 s after the first failure, doubling up to 60 s; a `Retry-After`
/// from the backend is honoured when it asks for longer. Any delivery resets it.
#[derive(Debug, Default)]
pub struct Backoff {
    failures: u32,
    until: Option<Instant>,
}

impl Backoff {
    pub const FIRST: Duration = Duration::from_secs(1);
    pub const MAX: Duration = Duration::from_secs(60);

    pub fn new() -> Self {
        Backoff::default()
    }

    /// May a flush at `now` talk to the backend?
    pub fn allows(&self, now: Instant) -> bool {
        self.until.is_none_or(|until| now >= until)
    }

    /// The backend answered (delivered, partially or rejected): it is reachable.
    pub fn on_success(&mut self) {
        self.failures = 0;
        self.until = None;
    }

    /// A retryable failure at `now`; returns how long flushes only buffer.
    pub fn on_failure(&mut self, now: Instant, retry_after: Option<Duration>) -> Duration {
        let exponent = self.failures.min(16);
        self.failures = self.failures.saturating_add(1);
        let wait = Self::FIRST
            .saturating_mul(1u32 << exponent)
            .min(Self::MAX)
            .max(retry_after.unwrap_or_default().min(Self::MAX));
        self.until = Some(now + wait);
        wait
    }

    #[cfg(test)]
    pub(crate) fn failures(&self) -> u32 {
        self.failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_from_one_second_up_to_a_minute() {
        let t0 = Instant::now();
        let mut backoff = Backoff::new();
        let waits: Vec<u64> = (0..9)
            .map(|_| backoff.on_failure(t0, None).as_secs())
            .collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
    }

    #[test]
    fn blocks_until_the_wait_is_over_and_resets_on_success() {
        let t0 = Instant::now();
        let mut backoff = Backoff::new();
        assert!(backoff.allows(t0));
        backoff.on_failure(t0, None);
        assert!(!backoff.allows(t0 + Duration::from_millis(999)));
        assert!(backoff.allows(t0 + Duration::from_secs(1)));
        backoff.on_failure(t0, None);
        backoff.on_success();
        assert!(backoff.allows(t0));
        assert_eq!(backoff.on_failure(t0, None), Backoff::FIRST);
    }

    #[test]
    fn honours_a_longer_retry_after_but_not_beyond_the_cap() {
        let t0 = Instant::now();
        let mut backoff = Backoff::new();
        assert_eq!(
            backoff.on_failure(t0, Some(Duration::from_secs(30))),
            Duration::from_secs(30)
        );
        assert_eq!(
            backoff.on_failure(t0, Some(Duration::from_secs(3600))),
            Backoff::MAX
        );
        // A shorter Retry-After does not shorten the exponential wait.
        let mut backoff = Backoff::new();
        backoff.on_failure(t0, None);
        backoff.on_failure(t0, None);
        assert_eq!(
            backoff.on_failure(t0, Some(Duration::from_millis(10))),
            Duration::from_secs(4)
        );
    }
}
