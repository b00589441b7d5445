//! The `/next` loop on Lambda Managed Instances (docs/lmi.md): no INVOKE events and no
//! freeze, so a timer exports while `/next` waits for SHUTDOWN, with the same flusher
//! (retry, backoff, bounded buffer) as the on-demand loop.

use super::next_event;
use super::shutdown;
use crate::extensions_api::{ExtensionsApi, NextEvent};
use crate::flush::flusher::{Attempt, Deliver, Flusher, Take};
use crate::pipeline::{Pipeline, Shared};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::{sleep_until, timeout_at, Instant};

/// A timer export may take as long as the exporter allows (`OTEL_EXPORTER_OTLP_TIMEOUT`,
/// which the flusher applies), as an OpenTelemetry SDK's periodic reader's export timeout is
/// independent of its interval: a budget tied to a short interval would cut off exports the
/// backend had already accepted, and their data would be sent twice.
const TIMER_EXPORT_BUDGET: Duration = Duration::from_secs(3600);

pub struct Managed<D> {
    api: ExtensionsApi,
    shared: Arc<Shared>,
    flusher: Flusher<D>,
    /// `OTEL_METRIC_EXPORT_INTERVAL`.
    interval: Duration,
}

impl<D: Deliver> Managed<D> {
    pub fn new(
        api: ExtensionsApi,
        shared: Arc<Shared>,
        flusher: Flusher<D>,
        interval: Duration,
    ) -> Self {
        Managed {
            api,
            shared,
            flusher,
            interval,
        }
    }

    pub async fn run(mut self) {
        let mut tick = Instant::now() + self.interval;
        // A timer export runs to its end even when `/next` answers meanwhile: the data it
        // took from the aggregator is only put back by the export itself.
        let mut export = None;
        loop {
            let next = next_event(&mut self.api);
            tokio::pin!(next);
            let (event, unfinished) = loop {
                match export.take() {
                    Some(mut in_flight) => tokio::select! {
                        event = &mut next => break (event, Some(in_flight)),
                        _ = &mut in_flight => {}
                    },
                    None => tokio::select! {
                        event = &mut next => break (event, None),
                        _ = sleep_until(tick) => {
                            let now = Instant::now();
                            tick = now + self.interval;
                            export = Some(Box::pin(self.flusher.flush(
                                Take::Until,
                                now + TIMER_EXPORT_BUDGET,
                                Attempt::UnlessBackingOff,
                            )));
                        }
                    },
                }
            };
            match event {
                Some(NextEvent::Shutdown {
                    reason,
                    deadline_ms,
                }) => {
                    crate::debug!("SHUTDOWN ({reason})");
                    let deadline = shutdown::deadline(deadline_ms);
                    if let Some(in_flight) = unfinished {
                        let cut = deadline
                            .checked_sub(shutdown::SHUTDOWN_MARGIN)
                            .unwrap_or_else(Instant::now);
                        if timeout_at(cut, in_flight).await.is_err() {
                            crate::warn!(
                                "a timer export was still running at the shutdown deadline"
                            );
                            return;
                        }
                    }
                    let reported = Some(|p: &Pipeline| p.all_reported());
                    return shutdown::flush(&self.shared, &self.flusher, deadline, reported).await;
                }
                Some(NextEvent::Invoke { request_id, .. }) => {
                    // Not registered for INVOKE here; an INVOKE changes nothing.
                    crate::debug!("unexpected INVOKE {request_id} on Lambda Managed Instances");
                    export = unfinished;
                }
                None => return,
            }
        }
    }
}
