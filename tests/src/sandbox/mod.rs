//! A local Lambda sandbox on 127.0.0.1: the Runtime, Extensions and Telemetry APIs, real
//! processes started like Lambda starts them (extensions from `/opt/extensions`, a Python
//! runtime), platform events in Lambda's order, freeze/thaw with SIGSTOP/SIGCONT, invoke
//! timeouts and the shutdown deadline, plus the measurements the benchmarks need.
//!
//! [`Builder::managed_instances`] runs it as Lambda Managed Instances instead: several
//! runtime workers serving concurrent invocations, no freeze, no INVOKE for extensions,
//! thin reports and no `runtimeDone` ([`Sandbox::invoke_concurrently`]).
//!
//! The API is blocking: the servers run on the sandbox's own tokio runtime thread. The
//! processes are tied to the thread that starts them or restarts the runtime (they get
//! SIGKILL when it ends, so an interrupted test leaves nothing behind): drive a sandbox from
//! one long-lived thread, not from a pooled one such as tokio's `spawn_blocking`.

pub mod cgroup;
mod client;
mod delivery;
mod events;
mod extensions_api;
mod init;
mod invoke;
mod lifecycle;
mod managed;
mod process;
mod runtime_api;
mod server;
mod state;
mod telemetry_api;
mod workers;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use client::RuntimeClient;
pub use events::iso8601;
pub use lifecycle::{ExtensionExit, InvokeResult, InvokeStatus, ShutdownResult};
pub use process::function_record;

/// Lambda's log format setting (`AWS_LAMBDA_LOG_FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Settings of a sandbox, set through [`Sandbox::builder`].
#[derive(Clone)]
pub struct Builder {
    extensions: Vec<(PathBuf, String)>,
    function_dir: Option<PathBuf>,
    handler: String,
    env: Vec<(String, String)>,
    log_format: LogFormat,
    timeout: Duration,
    memory_mb: u64,
    shutdown_budget: Duration,
    telemetry_api: bool,
    function_name: String,
    python: Option<PathBuf>,
    runtime_client: RuntimeClient,
    lambda_limits: bool,
    /// Lambda Managed Instances with this many runtime workers.
    managed_workers: Option<usize>,
    refused_schemas: Vec<String>,
}

/// The running sandbox; see [`Sandbox::invoke`] and [`Sandbox::shutdown`].
pub struct Sandbox {
    shared: Arc<state::Shared>,
    settings: Builder,
    runtime_api: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    invokes: u64,
    init_duration: Option<Duration>,
    ready: Vec<(String, Option<Duration>)>,
    down: bool,
    /// Lambda's limits, when asked for and available; removed after the processes.
    cgroup: Option<cgroup::Cgroup>,
    _dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn builder() -> Builder {
        Builder {
            extensions: Vec::new(),
            function_dir: None,
            handler: "handler.handler".into(),
            env: Vec::new(),
            log_format: LogFormat::Text,
            timeout: Duration::from_secs(10),
            memory_mb: 128,
            shutdown_budget: Duration::from_secs(2),
            telemetry_api: true,
            function_name: "metricline-sandbox".into(),
            python: None,
            runtime_client: RuntimeClient::Bootstrap,
            lambda_limits: false,
            managed_workers: None,
            refused_schemas: Vec::new(),
        }
    }

    /// Every extension's output, each line prefixed with its name (print it on failure).
    pub fn extension_log(&self) -> String {
        let state = self.shared.lock();
        let mut out = String::new();
        for ext in &state.extensions {
            for line in &ext.log {
                out.push_str(&format!("[{}] {line}\n", ext.name));
            }
        }
        out
    }

    /// Every line the function printed (markers excluded).
    pub fn function_log(&self) -> Vec<String> {
        self.shared.lock().function_log.clone()
    }

    /// Every Telemetry API event emitted so far, in order.
    pub fn events(&self) -> Vec<serde_json::Value> {
        self.shared.lock().events.clone()
    }

    /// Whether an extension has acknowledged the batch holding this request's `runtimeDone`
    /// (and so, by Lambda's ordering, every function record of that invoke).
    pub fn runtime_done_delivered(&self, request_id: &str) -> bool {
        let state = self.shared.lock();
        state
            .extensions
            .iter()
            .any(|e| e.runtime_done_delivered.contains_key(request_id))
    }

    /// Whether an extension was waiting in `/next` at `at` (strictly inside the wait). An
    /// export the backend received or answered then was left in flight across `/next`.
    pub fn extension_parked_at(&self, at: Instant) -> bool {
        let state = self.shared.lock();
        state.extensions.iter().any(|e| {
            e.parked
                .iter()
                .any(|&(from, to)| from < at && to.is_none_or(|to| at < to))
        })
    }

    /// Per extension: spawn → first `/next` (its ready time).
    pub fn ready_times(&self) -> Vec<(String, Option<Duration>)> {
        self.ready.clone()
    }

    /// Current peak RSS (VmHWM, KiB) of each live extension.
    pub fn extension_peak_rss_kb(&self) -> Vec<(String, Option<u64>)> {
        let state = self.shared.lock();
        state
            .extensions
            .iter()
            .map(|e| (e.name.clone(), process::vm_hwm_kb(e.pid)))
            .collect()
    }

    /// Name and pid of each live extension (for reading its CPU time from `/proc`).
    pub fn extension_pids(&self) -> Vec<(String, u32)> {
        let state = self.shared.lock();
        let live = state.extensions.iter().filter(|e| e.alive());
        live.map(|e| (e.name.clone(), e.pid)).collect()
    }

    /// Appends an event (any JSON, valid or not) to the telemetry stream.
    pub fn inject_event(&self, event: serde_json::Value) {
        self.shared.update(|s| s.emit(event));
    }

    /// Sends `body` as one Telemetry API POST to every subscriber, in stream order, once:
    /// unlike events, an injected batch is not redelivered after a failure answer.
    pub fn inject_batch(&self, body: impl Into<Vec<u8>>) {
        let body = body.into();
        self.shared.update(|s| {
            for sub in &s.subscribers {
                let _ = sub.queue.send(state::Delivery::Raw(body.clone()));
            }
        });
    }

    /// The status each injected batch was answered with, in order (`None`: no answer).
    /// Injected batches are sent once, never redelivered.
    pub fn injected_answers(&self) -> Vec<Option<u16>> {
        self.shared.lock().injected_answers.clone()
    }

    /// The cgroup holding the processes under Lambda's limits
    /// ([`Builder::lambda_limits`]), if the machine allowed one.
    pub fn cgroup(&self) -> Option<&cgroup::Cgroup> {
        self.cgroup.as_ref()
    }

    /// `127.0.0.1:PORT` of the APIs (the `AWS_LAMBDA_RUNTIME_API` value).
    pub fn runtime_api(&self) -> &str {
        &self.runtime_api
    }
}

impl Builder {
    /// Adds an extension binary, started as `/opt/extensions/<file name>`.
    pub fn extension(self, path: impl AsRef<Path>) -> Self {
        let path = path.as_ref().to_path_buf();
        let name = path
            .file_name()
            .expect("file name")
            .to_string_lossy()
            .into_owned();
        self.extension_named(path, name)
    }
    /// Adds an extension binary under another file name in `/opt/extensions`.
    pub fn extension_named(mut self, path: impl AsRef<Path>, name: impl Into<String>) -> Self {
        self.extensions
            .push((path.as_ref().to_path_buf(), name.into()));
        self
    }
    /// The folder holding the function's `handler.py`.
    pub fn function_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.function_dir = Some(dir.as_ref().to_path_buf());
        self
    }
    pub fn handler(mut self, handler: impl Into<String>) -> Self {
        self.handler = handler.into();
        self
    }
    /// A function environment variable (visible to the runtime and the extensions).
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }
    pub fn log_format(mut self, format: LogFormat) -> Self {
        self.log_format = format;
        self
    }
    /// The function timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
    pub fn memory_mb(mut self, mb: u64) -> Self {
        self.memory_mb = mb;
        self
    }
    /// Time between SHUTDOWN and SIGKILL (Lambda: 2 s with extensions).
    pub fn shutdown_budget(mut self, budget: Duration) -> Self {
        self.shutdown_budget = budget;
        self
    }
    /// `false` makes the Telemetry API answer 202 and deliver nothing, like local emulators.
    pub fn telemetry_api(mut self, present: bool) -> Self {
        self.telemetry_api = present;
        self
    }
    pub fn function_name(mut self, name: impl Into<String>) -> Self {
        self.function_name = name.into();
        self
    }
    /// The Python interpreter of the runtime (default: the workspace's `.venv`).
    pub fn python(mut self, python: impl AsRef<Path>) -> Self {
        self.python = Some(python.as_ref().to_path_buf());
        self
    }
    /// The runtime interface client that runs the function (default: the sandbox's own
    /// Python loop); also sets the handler to that runtime's default (`index.handler` for
    /// Node), which a later [`Builder::handler`] overrides. Not with
    /// [`Builder::managed_instances`], whose workers are the sandbox's own loop.
    pub fn runtime_client(mut self, client: RuntimeClient) -> Self {
        self.runtime_client = client;
        self.handler = client.default_handler().into();
        self
    }
    /// Runs the runtime and the extensions under Lambda's limits for `memory_mb`: one
    /// cgroup with that memory limit and `memory_mb / 1769` of one CPU (see `cgroup.rs`).
    /// Where the machine has no writable cgroup the sandbox runs without limits and says
    /// so on stderr; a test that needs them checks [`cgroup::require`] first.
    pub fn lambda_limits(mut self) -> Self {
        self.lambda_limits = true;
        self
    }
    /// Starts the processes and runs the init phase; the sandbox is frozen on return.
    pub fn start(self) -> Result<Sandbox, String> {
        init::start(self)
    }
}

/// The folder of this crate (`tests/`).
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A sample function folder under `tests/functions/`.
pub fn sample_function(name: &str) -> PathBuf {
    crate_dir().join("functions").join(name)
}

/// A sandbox with the stand-in Python extension (`functions/fake_extension`), which writes
/// what it received to `out` at SHUTDOWN, beside the `simple` function.
pub fn with_fake_extension(python: &Path, out: &Path) -> Builder {
    Sandbox::builder()
        .extension(sample_function("fake_extension").join("fake-extension"))
        .function_dir(sample_function("simple"))
        .python(python)
        .env(
            "PATH",
            python
                .parent()
                .expect("python in a folder")
                .display()
                .to_string()
                + ":/usr/bin:/bin",
        )
        .env("FAKE_EXTENSION_OUT", out.display().to_string())
}

/// The workspace venv's Python (`scripts/setup-python.sh`), if it exists.
pub fn venv_python() -> Option<PathBuf> {
    let python = crate_dir().join("../.venv/bin/python");
    python.exists().then_some(python)
}

/// The venv's Python for a test that needs it. Without it the test fails, naming the
/// command that creates it: a test that silently does nothing would pass.
pub fn require_python(test: &str) -> PathBuf {
    venv_python()
        .unwrap_or_else(|| panic!("{test}: no Python venv at .venv: run scripts/setup.sh first"))
}

/// Says a test is skipped for want of something on this machine; with `CI=true` (where
/// everything must be there) it fails the test instead.
pub fn skip(message: &str) {
    if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
        panic!("{message}");
    }
    eprintln!("SKIPPED {message}");
}

/// Whether `path`, which `scripts/setup.sh` installs (`what`: npm packages, say), is
/// there; if not, the test is skipped saying so, or fails under CI ([`skip`]).
pub fn installed_or_skip(test: &str, path: &Path, what: &str) -> bool {
    if path.exists() {
        return true;
    }
    skip(&format!(
        "{test}: {what} is not installed; run scripts/setup.sh"
    ));
    false
}

/// The metricline binary under test. Cargo builds it before the integration tests of the
/// crate that owns it (`extension/tests/`) and tells them its path in
/// `CARGO_BIN_EXE_metricline`, so a test never runs a stale or missing binary.
pub fn extension_binary() -> PathBuf {
    std::env::var_os("CARGO_BIN_EXE_metricline")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            panic!(
                "CARGO_BIN_EXE_metricline is not set: tests that run the extension belong in \
                 extension/tests/, where cargo builds the binary first"
            )
        })
}
