//! The sandbox's shared state: extensions, the runtime, the Telemetry API subscribers and
//! the event stream, behind one mutex with a condition variable the controller waits on.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::{mpsc, oneshot, watch};

use super::client::MarkerPipes;
use super::workers::Workers;

/// How a process ended.
#[derive(Debug, Clone, Copy)]
pub struct Exit {
    pub at: Instant,
    /// Exit code, or `None` when a signal ended it.
    pub code: Option<i32>,
    pub signal: Option<i32>,
}

/// One item of a subscriber's delivery queue.
#[derive(Debug, Clone)]
pub enum Delivery {
    Event(Value),
    /// A body sent as one POST, as is (tests inject garbage this way).
    Raw(Vec<u8>),
}

pub struct Extension {
    pub name: String,
    pub pid: u32,
    pub spawned: Instant,
    pub id: Option<String>,
    pub events: Vec<String>,
    pub first_next: Option<Instant>,
    pub waiting: bool,
    pub last_next: Option<Instant>,
    /// Each wait in `/next`: from the call to the event handed over (`None`: still waiting).
    pub parked: Vec<(Instant, Option<Instant>)>,
    pub pending: VecDeque<Value>,
    pub waiter: Option<oneshot::Sender<Value>>,
    pub exit: Option<Exit>,
    pub log: Vec<String>,
    /// When the batch carrying each request's `runtimeDone` was acknowledged.
    pub runtime_done_delivered: HashMap<String, Instant>,
    pub init_error: Option<String>,
    pub exit_error: Option<String>,
    /// Why registration was refused (Lambda Managed Instances refuse `INVOKE`).
    pub register_error: Option<String>,
}

impl Extension {
    pub fn new(name: String) -> Extension {
        Extension {
            name,
            pid: 0,
            spawned: Instant::now(),
            id: None,
            events: Vec::new(),
            first_next: None,
            waiting: false,
            last_next: None,
            parked: Vec::new(),
            pending: VecDeque::new(),
            waiter: None,
            exit: None,
            log: Vec::new(),
            runtime_done_delivered: HashMap::new(),
            init_error: None,
            exit_error: None,
            register_error: None,
        }
    }

    pub fn alive(&self) -> bool {
        self.exit.is_none()
    }

    pub fn wants(&self, event: &str) -> bool {
        self.events.iter().any(|e| e == event)
    }

    /// Hands an event to a waiting `/next`, or queues it for the next one.
    pub fn send(&mut self, event: Value) {
        match self.waiter.take() {
            Some(waiter) => {
                self.waiting = false;
                if let Some((_, end @ None)) = self.parked.last_mut() {
                    *end = Some(Instant::now());
                }
                if let Err(event) = waiter.send(event) {
                    self.pending.push_back(event);
                }
            }
            None => self.pending.push_back(event),
        }
    }
}

/// An invocation handed to the runtime's `/next`.
#[derive(Debug, Clone)]
pub struct RuntimeInvoke {
    pub request_id: String,
    pub deadline_ms: u64,
    pub payload: String,
}

/// What the runtime answered for the current invoke.
#[derive(Debug, Clone)]
pub enum Answer {
    Response(String),
    Error { error_type: String, body: String },
}

#[derive(Default)]
pub struct Runtime {
    pub pid: Option<u32>,
    pub generation: u64,
    pub waiting: bool,
    pub waiter: Option<oneshot::Sender<RuntimeInvoke>>,
    pub pending: Option<RuntimeInvoke>,
    pub exit: Option<Exit>,
    pub init_error: Option<String>,
    pub answer: Option<(String, Answer, Instant)>,
    pub next_at: Option<Instant>,
    /// The sandbox's write ends of the live runtime's output pipes, where the sandbox
    /// writes the flushed marker (see `client.rs`).
    pub marker_pipes: Option<Arc<MarkerPipes>>,
}

pub struct Subscriber {
    pub types: Vec<String>,
    pub queue: mpsc::UnboundedSender<Delivery>,
}

impl Subscriber {
    pub fn wants(&self, kind: &str) -> bool {
        let family = kind.split('.').next().unwrap_or(kind);
        self.types.iter().any(|t| t == family)
    }
}

pub struct State {
    pub extensions: Vec<Extension>,
    pub runtime: Runtime,
    pub subscribers: Vec<Subscriber>,
    pub events: Vec<Value>,
    pub frozen: bool,
    /// Telemetry POSTs under way; a freeze waits for them.
    pub in_flight: usize,
    /// Batches that fell due while the sandbox was frozen. A thaw moves them into
    /// `in_flight` at once, so they are delivered before the next freeze however quickly
    /// that comes, rather than only if a delivery task happens to run in between.
    pub due_at_thaw: usize,
    /// How many times the sandbox was thawed.
    pub thaws: u64,
    pub current_request_id: String,
    /// Sandbox markers seen on the function's stdout and stderr.
    pub markers: [u64; 2],
    pub function_log: Vec<String>,
    pub shutting_down: bool,
    /// Status codes answered to injected raw batches (`None`: no answer).
    pub injected_answers: Vec<Option<u16>>,
    /// The runtime workers of Lambda Managed Instances.
    pub workers: Workers,
    /// Each Telemetry API subscription request: its schema version and the answer's status.
    pub subscriptions: Vec<(String, u16)>,
}

pub struct Shared {
    state: Mutex<State>,
    pub changed: Condvar,
    /// Mirrors `State::thaws` for the async delivery tasks.
    pub thaws: watch::Sender<u64>,
}

impl Shared {
    pub fn new() -> Shared {
        Shared {
            state: Mutex::new(State {
                extensions: Vec::new(),
                runtime: Runtime::default(),
                subscribers: Vec::new(),
                events: Vec::new(),
                frozen: false,
                in_flight: 0,
                due_at_thaw: 0,
                thaws: 0,
                current_request_id: String::new(),
                markers: [0, 0],
                function_log: Vec::new(),
                shutting_down: false,
                injected_answers: Vec::new(),
                workers: Workers::default(),
                subscriptions: Vec::new(),
            }),
            changed: Condvar::new(),
            thaws: watch::channel(0).0,
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Changes the state and wakes every waiter.
    pub fn update<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let r = f(&mut self.lock());
        self.changed.notify_all();
        r
    }

    /// Waits until `cond` holds or `timeout` passes; returns whether it held.
    pub fn wait(&self, timeout: Duration, mut cond: impl FnMut(&State) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        let mut state = self.lock();
        loop {
            if cond(&state) {
                return true;
            }
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return false;
            };
            state = self
                .changed
                .wait_timeout(state, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

impl State {
    /// Appends an event to the stream and queues it for every subscriber of its type.
    pub fn emit(&mut self, event: Value) {
        let kind = event["type"].as_str().unwrap_or("").to_owned();
        for sub in &self.subscribers {
            if sub.wants(&kind) {
                let _ = sub.queue.send(Delivery::Event(event.clone()));
            }
        }
        self.events.push(event);
    }

    pub fn extensions_waiting(&self) -> bool {
        self.extensions.iter().all(|e| e.waiting || !e.alive())
    }

    pub fn extension_by_id(&mut self, id: &str) -> Option<(usize, &mut Extension)> {
        self.extensions
            .iter_mut()
            .enumerate()
            .find(|(_, e)| e.id.as_deref() == Some(id))
    }
}
