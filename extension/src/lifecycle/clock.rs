//! Lambda deadlines arrive as Unix epoch milliseconds; timers need monotonic instants.

use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::time::Instant;

/// The instant of the epoch-millisecond `deadline_ms`, or `now + fallback` when the
/// deadline is missing (0). A deadline already past maps to now.
pub fn deadline_instant(deadline_ms: u64, fallback: Duration) -> Instant {
    let now = Instant::now();
    if deadline_ms == 0 {
        return now + fallback;
    }
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    now + Duration::from_millis(deadline_ms.saturating_sub(now_ms))
}
