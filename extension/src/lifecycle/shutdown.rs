//! The SHUTDOWN flush, whatever the flush strategy (docs/lmi.md for Lambda Managed
//! Instances): wait briefly for late telemetry, export everything, and end at least 100 ms
//! before `deadlineMs`.

use super::clock::deadline_instant;
use crate::flush::flusher::{Attempt, Deliver, Flusher, Take};
use crate::pipeline::{Pipeline, Shared};
use std::time::Duration;
use tokio::time::Instant;

/// The shutdown export ends at least this long before SHUTDOWN's deadline.
pub const SHUTDOWN_MARGIN: Duration = Duration::from_millis(100);
/// Longest wait for the last `platform.report`s at SHUTDOWN...
const LATE_TELEMETRY: Duration = Duration::from_millis(500);
/// ...leaving at least this much of the shutdown budget for the export.
const KEEP_FOR_EXPORT: Duration = Duration::from_millis(300);
/// The shutdown budget when Lambda sends no deadline.
const NO_SHUTDOWN_DEADLINE: Duration = Duration::from_secs(2);

/// The instant SHUTDOWN's `deadlineMs` stands for.
pub fn deadline(deadline_ms: u64) -> Instant {
    deadline_instant(deadline_ms, NO_SHUTDOWN_DEADLINE)
}

/// Waits until `reported` holds (bounded), then exports everything before `deadline`.
pub async fn flush<D: Deliver>(
    shared: &Shared,
    flusher: &Flusher<D>,
    deadline: Instant,
    reported: Option<impl Fn(&Pipeline) -> bool>,
) {
    let now = Instant::now();
    let left = deadline.saturating_duration_since(now);
    if let Some(reported) = reported {
        let wait = LATE_TELEMETRY.min(left.saturating_sub(KEEP_FOR_EXPORT));
        shared.wait_until(now + wait, reported).await;
    }
    let export_deadline = deadline.checked_sub(SHUTDOWN_MARGIN).unwrap_or(now);
    flusher
        .flush(Take::All, export_deadline, Attempt::Always)
        .await;
}
