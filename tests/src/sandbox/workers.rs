//! The runtime workers of Lambda Managed Instances: several runtime processes (the Python
//! runtime runs one per concurrent request) share the Runtime API, each `/next` takes the
//! next queued invocation, and answers are kept by request id.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Instant;

use tokio::sync::oneshot;

use super::runtime_api::invocation;
use super::server::{error_reply, ApiConfig, Reply};
use super::state::{Answer, Exit, RuntimeInvoke, Shared};

/// What the worker processes are doing; empty outside Lambda Managed Instances.
#[derive(Default)]
pub struct Workers {
    pub pids: Vec<u32>,
    pub exits: Vec<Option<Exit>>,
    /// `/next` calls waiting for an invocation.
    pub idle: VecDeque<oneshot::Sender<RuntimeInvoke>>,
    /// Invocations no worker has taken yet.
    pub queue: VecDeque<RuntimeInvoke>,
    pub answers: HashMap<String, (Answer, Instant)>,
    /// Per output stream (stdout, stderr): the requests whose output is all out, and how
    /// many workers finished their init output.
    pub flushed: [HashSet<String>; 2],
    pub init_flushed: [usize; 2],
}

impl Workers {
    /// Every worker has finished init and waits in `/next`.
    pub fn all_ready(&self) -> bool {
        let n = self.pids.len();
        self.idle.len() >= n && self.init_flushed.iter().all(|&f| f >= n)
    }

    /// Whether everything request `id` printed has been read, on both streams.
    pub fn output_flushed(&self, id: &str) -> bool {
        self.flushed.iter().all(|f| f.contains(id))
    }

    pub fn any_exited(&self) -> bool {
        self.exits.iter().any(Option::is_some)
    }
}

/// A worker's `/next`: the oldest queued invocation, or the next one dispatched.
pub async fn next(shared: &Shared, config: &ApiConfig) -> Reply {
    let (tx, rx) = oneshot::channel();
    let queued = shared.update(|s| {
        let invoke = s.workers.queue.pop_front();
        if invoke.is_none() {
            s.workers.idle.push_back(tx);
        }
        invoke
    });
    match queued {
        Some(invoke) => invocation(config, invoke),
        None => match rx.await {
            Ok(invoke) => invocation(config, invoke),
            Err(_) => error_reply(http::StatusCode::GONE, "SandboxGone", "shutting down"),
        },
    }
}

/// Hands an invocation to a waiting worker, or queues it for the next `/next`.
pub fn dispatch(shared: &Shared, mut invoke: RuntimeInvoke) {
    shared.update(|s| {
        while let Some(waiter) = s.workers.idle.pop_front() {
            match waiter.send(invoke) {
                Ok(()) => return,
                // That worker is gone; try the next one.
                Err(back) => invoke = back,
            }
        }
        s.workers.queue.push_back(invoke);
    });
}
