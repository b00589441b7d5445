//! Rate limit for the rejected-line log: at most one line per reason per minute, so a
//! function printing a malformed line per invoke does not flood its own log.

use metricline_proto::lines::Reason;
use std::time::Duration;
use tokio::time::Instant;

const EVERY: Duration = Duration::from_secs(60);

#[derive(Debug, Default)]
pub struct RejectLog {
    last: Vec<(Reason, Instant)>,
}

impl RejectLog {
    /// Whether a rejection for `reason` at `now` may be logged (and if so, remembers it).
    pub fn allows(&mut self, reason: Reason, now: Instant) -> bool {
        match self.last.iter_mut().find(|(r, _)| *r == reason) {
            Some((_, at)) if now.saturating_duration_since(*at) < EVERY => false,
            Some((_, at)) => {
                *at = now;
                true
            }
            None => {
                self.last.push((reason, now));
                true
            }
        }
    }
}
