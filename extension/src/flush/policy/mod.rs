//! When to flush: the `METRICLINE_FLUSH` strategies of docs/configuration.md as pure decisions over
//! an injected clock, so every rule is unit-testable without a sandbox.

use std::collections::VecDeque;
use std::time::Duration;
use tokio::time::Instant;

/// `METRICLINE_FLUSH`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// After each invoke's `runtimeDone`, export everything, then `/next`.
    End,
    /// At an INVOKE, export if at least this long has passed since the last flush.
    Periodic(Duration),
    /// Export on a timer while the sandbox runs.
    Continuous(Duration),
    /// `End` while invokes are rare, `Periodic` while they are frequent ([`Adaptive`]).
    Adaptive,
}

impl Strategy {
    pub const ACCEPTED: &'static str = "end, periodic,<ms>, continuous,<ms>, adaptive";

    /// Parses `end`, `periodic,<ms>`, `continuous,<ms>` or `adaptive` (case-insensitive,
    /// `<ms>` a positive integer).
    pub fn parse(value: &str) -> Option<Strategy> {
        let value = value.trim().to_ascii_lowercase();
        let (name, interval) = match value.split_once(',') {
            Some((name, ms)) => (name.trim(), Some(ms.trim())),
            None => (value.as_str(), None),
        };
        let interval = match interval {
            None => None,
            Some(ms) => match ms.parse::<u64>() {
                Ok(ms) if ms > 0 => Some(Duration::from_millis(ms)),
                _ => return None,
            },
        };
        match (name, interval) {
            ("end", None) => Some(Strategy::End),
            ("adaptive", None) => Some(Strategy::Adaptive),
            ("periodic", Some(d)) => Some(Strategy::Periodic(d)),
            ("continuous", Some(d)) => Some(Strategy::Continuous(d)),
            _ => None,
        }
    }
}

/// What to do for one invoke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvokePlan {
    /// Wait for this invoke's `runtimeDone` (bounded by its deadline), then export all.
    End,
    /// Export what is due now, concurrently with the function, then `/next`.
    Periodic { flush_now: bool },
    /// Wait for `runtimeDone` while a timer exports every `interval`.
    Continuous { interval: Duration },
}

/// Is a periodic flush due at `now`?
pub fn periodic_due(last_flush: Option<Instant>, interval: Duration, now: Instant) -> bool {
    match last_flush {
        None => true,
        Some(last) => now.saturating_duration_since(last) >= interval,
    }
}

/// The adaptive strategy's thresholds. Chosen so a function invoked about every 6 s or more
/// often pays no post-runtime export time, while a rarely invoked one still delivers its
/// data right after each invoke:
/// - switch to `periodic,10000` once [`ENTER_PERIODIC`](Self::ENTER_PERIODIC) (10) invokes
///   arrived within the last [`WINDOW`](Self::WINDOW) (60 s);
/// - switch back to `end` when fewer than [`LEAVE_PERIODIC`](Self::LEAVE_PERIODIC) (4)
///   invokes arrived in the last 60 s (the gap between the thresholds keeps a rate near
///   one of them from flapping).
#[derive(Debug)]
pub struct Adaptive {
    recent: VecDeque<Instant>,
    periodic: bool,
}

impl Default for Adaptive {
    fn default() -> Self {
        Adaptive::new()
    }
}

impl Adaptive {
    pub const WINDOW: Duration = Duration::from_secs(60);
    pub const ENTER_PERIODIC: usize = 10;
    pub const LEAVE_PERIODIC: usize = 4;
    pub const PERIODIC_INTERVAL: Duration = Duration::from_secs(10);

    pub fn new() -> Self {
        Adaptive {
            recent: VecDeque::with_capacity(Self::ENTER_PERIODIC + 1),
            periodic: false,
        }
    }

    /// Records an INVOKE at `now` and says whether this invoke runs in periodic mode.
    pub fn on_invoke(&mut self, now: Instant) -> bool {
        while let Some(&oldest) = self.recent.front() {
            if now.saturating_duration_since(oldest) >= Self::WINDOW {
                self.recent.pop_front();
            } else {
                break;
            }
        }
        self.recent.push_back(now);
        // Only the count up to the entry threshold matters: keep memory constant.
        if self.recent.len() > Self::ENTER_PERIODIC {
            self.recent.pop_front();
        }
        let count = self.recent.len();
        if self.periodic && count < Self::LEAVE_PERIODIC {
            self.periodic = false;
        } else if !self.periodic && count >= Self::ENTER_PERIODIC {
            self.periodic = true;
        }
        self.periodic
    }

    #[cfg(test)]
    pub(crate) fn is_periodic(&self) -> bool {
        self.periodic
    }
}

/// Turns the configured strategy into one plan per invoke.
#[derive(Debug)]
pub struct Planner {
    strategy: Strategy,
    adaptive: Adaptive,
    last_flush: Option<Instant>,
}

impl Planner {
    pub fn new(strategy: Strategy) -> Self {
        Planner {
            strategy,
            adaptive: Adaptive::new(),
            last_flush: None,
        }
    }

    /// The plan for an INVOKE received at `now`.
    pub fn on_invoke(&mut self, now: Instant) -> InvokePlan {
        match self.strategy {
            Strategy::End => InvokePlan::End,
            Strategy::Continuous(interval) => InvokePlan::Continuous { interval },
            Strategy::Periodic(interval) => InvokePlan::Periodic {
                flush_now: periodic_due(self.last_flush, interval, now),
            },
            Strategy::Adaptive => {
                if self.adaptive.on_invoke(now) {
                    InvokePlan::Periodic {
                        flush_now: periodic_due(self.last_flush, Adaptive::PERIODIC_INTERVAL, now),
                    }
                } else {
                    InvokePlan::End
                }
            }
        }
    }

    pub fn last_flush(&self) -> Option<Instant> {
        self.last_flush
    }

    /// Remembers that a flush started at `now` (the interval counts from flush starts).
    /// Called only where flushes start (`lifecycle/active.rs`, `start_flush`).
    pub fn flushed(&mut self, now: Instant) {
        self.last_flush = Some(now);
    }
}

#[cfg(test)]
mod tests;
