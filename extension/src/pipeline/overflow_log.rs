//! Rate limit for the cardinality warning: at most one line per metric per minute, so a
//! function tagging every line with a user id does not flood its own log.

use std::time::Duration;
use tokio::time::Instant;

const EVERY: Duration = Duration::from_secs(60);

#[derive(Debug, Default)]
pub struct OverflowLog {
    /// Metrics warned about within the last minute. Entries older than that are dropped
    /// at the next warning, so this holds at most the metrics that overflowed in a minute.
    last: Vec<(String, Instant)>,
}

impl OverflowLog {
    /// Whether an overflow of `metric` at `now` may be logged (and if so, remembers it).
    pub fn allows(&mut self, metric: &str, now: Instant) -> bool {
        self.last
            .retain(|(_, at)| now.saturating_duration_since(*at) < EVERY);
        if self.last.iter().any(|(m, _)| m == metric) {
            return false;
        }
        self.last.push((metric.to_owned(), now));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn once_per_metric_per_minute() {
        let mut log = OverflowLog::default();
        let t = Instant::now();
        assert!(log.allows("a", t));
        assert!(!log.allows("a", t + Duration::from_secs(59)));
        assert!(log.allows("b", t + Duration::from_secs(1)));
        assert!(log.allows("a", t + Duration::from_secs(60)));
        assert_eq!(log.last.len(), 2, "b is still within its minute");
    }
}
