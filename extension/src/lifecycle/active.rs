//! The `/next` loop once everything is set up: one flush plan per INVOKE (docs/configuration.md),
//! and the final flush at SHUTDOWN. No export is ever in flight across a `/next` call.

use super::clock::deadline_instant;
use super::next_event;
use super::shutdown;
use crate::extensions_api::{ExtensionsApi, NextEvent};
use crate::flush::flusher::{Attempt, Deliver, Flushed, Flusher, Take};
use crate::flush::policy::{InvokePlan, Planner};
use crate::pipeline::{Pipeline, Shared};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::{sleep_until, Instant};

/// An invoke's flush must end this long before its deadline: the function's timeout
/// covers our post-runtime time too.
const INVOKE_MARGIN: Duration = Duration::from_millis(50);
/// The invoke deadline when Lambda sends none: the maximum function timeout.
const NO_INVOKE_DEADLINE: Duration = Duration::from_secs(900);

pub struct Active<D> {
    api: ExtensionsApi,
    shared: Arc<Shared>,
    flusher: Flusher<D>,
    planner: Planner,
    last_request: Option<String>,
}

impl<D: Deliver> Active<D> {
    pub fn new(
        api: ExtensionsApi,
        shared: Arc<Shared>,
        flusher: Flusher<D>,
        planner: Planner,
    ) -> Self {
        Active {
            api,
            shared,
            flusher,
            planner,
            last_request: None,
        }
    }

    pub async fn run(mut self) {
        loop {
            match next_event(&mut self.api).await {
                Some(NextEvent::Invoke {
                    request_id,
                    deadline_ms,
                }) => {
                    self.on_invoke(&request_id, deadline_ms).await;
                    self.last_request = Some(request_id);
                }
                Some(NextEvent::Shutdown {
                    reason,
                    deadline_ms,
                }) => {
                    crate::debug!("SHUTDOWN ({reason})");
                    return self.on_shutdown(deadline_ms).await;
                }
                None => return,
            }
        }
    }

    async fn on_invoke(&mut self, request_id: &str, deadline_ms: u64) {
        let now = Instant::now();
        let deadline = deadline_instant(deadline_ms, NO_INVOKE_DEADLINE);
        let export_deadline = deadline.checked_sub(INVOKE_MARGIN).unwrap_or(now);
        match self.planner.on_invoke(now) {
            InvokePlan::End => {
                self.wait_runtime_done(request_id, deadline).await;
                let done = Instant::now();
                self.flush(done, Take::All, export_deadline, Attempt::UnlessBackingOff)
                    .await;
            }
            InvokePlan::Periodic { flush_now: false } => {}
            InvokePlan::Periodic { flush_now: true } => {
                self.flush(now, Take::Until, export_deadline, Attempt::UnlessBackingOff)
                    .await;
            }
            InvokePlan::Continuous { interval } => {
                self.continuous(request_id, deadline, export_deadline, interval)
                    .await
            }
        }
    }

    /// Exports on a timer until the invoke's `runtimeDone`, then waits only for an export
    /// already in flight.
    async fn continuous(
        &mut self,
        request_id: &str,
        deadline: Instant,
        export_deadline: Instant,
        interval: Duration,
    ) {
        let shared = self.shared.clone();
        let runtime_done = shared.wait_until(deadline, |p| p.runtime_done_seen(request_id));
        tokio::pin!(runtime_done);
        let flusher = &self.flusher;
        let planner = &mut self.planner;
        let mut in_flight = None;
        loop {
            match in_flight.take() {
                Some(mut export) => {
                    tokio::select! {
                        _ = &mut runtime_done => {
                            export.await;
                            return;
                        }
                        _ = &mut export => {}
                    }
                }
                None => {
                    let tick = planner
                        .last_flush()
                        .map_or_else(Instant::now, |last| last + interval);
                    tokio::select! {
                        _ = &mut runtime_done => return,
                        _ = sleep_until(tick) => {
                            in_flight = Some(Box::pin(start_flush(
                                planner,
                                flusher,
                                Instant::now(),
                                Take::Until,
                                export_deadline,
                                Attempt::UnlessBackingOff,
                            )));
                        }
                    }
                }
            }
        }
    }

    async fn wait_runtime_done(&self, request_id: &str, deadline: Instant) {
        let seen = self
            .shared
            .wait_until(deadline, |p| p.runtime_done_seen(request_id))
            .await;
        if !seen {
            crate::debug!("no runtimeDone for {request_id} before its deadline");
        }
    }

    async fn on_shutdown(&mut self, deadline_ms: u64) {
        let last = self.last_request.take();
        let reported = last.map(|last| move |p: &Pipeline| p.report_seen(&last));
        shutdown::flush(
            &self.shared,
            &self.flusher,
            shutdown::deadline(deadline_ms),
            reported,
        )
        .await;
    }

    /// Flushes at `now` and waits for it (see [`start_flush`]).
    async fn flush(&mut self, now: Instant, take: Take, deadline: Instant, attempt: Attempt) {
        let flush = start_flush(
            &mut self.planner,
            &self.flusher,
            now,
            take,
            deadline,
            attempt,
        );
        flush.await;
    }
}

/// Starts a flush at `now`: the one place that both notes the start in the planner (the
/// periodic and continuous intervals count from flush starts) and hands the work to the
/// flusher, so the two never disagree about when the last flush began.
fn start_flush<'a, D: Deliver>(
    planner: &mut Planner,
    flusher: &'a Flusher<D>,
    now: Instant,
    take: Take,
    deadline: Instant,
    attempt: Attempt,
) -> impl Future<Output = Flushed> + 'a {
    planner.flushed(now);
    flusher.flush(take, deadline, attempt)
}
