//! Init, freeze/thaw and shutdown of a sandbox: the phases around the invokes.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use serde_json::json;

use super::process::{self, Environment};
use super::server::{self, ApiConfig};
use super::state::{Extension, Shared};
use super::{events, Builder, LogFormat, Sandbox};

pub use super::invoke::{InvokeResult, InvokeStatus};

/// Lambda's limit for the whole init phase.
const INIT_LIMIT: Duration = Duration::from_secs(10);

/// How one extension ended at shutdown.
#[derive(Debug, Clone)]
pub struct ExtensionExit {
    pub name: String,
    pub exited_before_deadline: bool,
    pub killed: bool,
    /// SHUTDOWN sent → process gone.
    pub exit_after: Option<Duration>,
    pub exit_code: Option<i32>,
    /// Peak RSS over the process's life, KiB (`wait4` rusage).
    pub peak_rss_kb: u64,
}

#[derive(Debug, Clone)]
pub struct ShutdownResult {
    pub extensions: Vec<ExtensionExit>,
    /// Every extension exited by itself before `deadlineMs`.
    pub extension_exited_before_deadline: bool,
    /// Some extension had to be SIGKILLed at the deadline.
    pub killed: bool,
}

fn common_env(b: &Builder) -> Vec<(String, String)> {
    let mut vars: Vec<(String, String)> = [
        ("AWS_LAMBDA_FUNCTION_NAME", b.function_name.clone()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", b.memory_mb.to_string()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_DEFAULT_REGION", "us-east-1".into()),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    vars.extend(b.env.iter().cloned());
    vars
}

/// The runtime's environment: the common one plus what only the runtime sees.
pub(super) fn runtime_env(b: &Builder) -> Vec<(String, String)> {
    let mut vars = common_env(b);
    let task_root = b.function_dir.clone().unwrap_or_default();
    let format = match b.log_format {
        LogFormat::Text => "Text",
        LogFormat::Json => "JSON",
    };
    vars.extend([
        ("_HANDLER".to_owned(), b.handler.clone()),
        (
            "LAMBDA_TASK_ROOT".to_owned(),
            task_root.display().to_string(),
        ),
        ("AWS_LAMBDA_LOG_FORMAT".to_owned(), format.to_owned()),
        (
            "AWS_LAMBDA_LOG_GROUP_NAME".to_owned(),
            format!("/aws/lambda/{}", b.function_name),
        ),
        (
            "AWS_LAMBDA_LOG_STREAM_NAME".to_owned(),
            "2026/01/01/[$LATEST]sandbox".to_owned(),
        ),
    ]);
    vars
}

impl Sandbox {
    pub(super) fn spawn_runtime(&self) -> Result<u32, String> {
        let b = &self.settings;
        let python = b
            .python
            .clone()
            .or_else(super::venv_python)
            .ok_or("no Python")?;
        let dir = b.function_dir.clone().ok_or("no function_dir")?;
        let vars = runtime_env(b);
        let env = Environment {
            runtime_api: &self.runtime_api,
            vars: &vars,
        };
        let bootstrap = super::crate_dir().join("functions/bootstrap.py");
        process::spawn_runtime(&self.shared, &python, &bootstrap, &dir, &env, b.log_format)
            .map_err(|e| format!("starting the runtime: {e}"))
    }

    fn pids(&self) -> Vec<u32> {
        let s = self.shared.lock();
        let runtime = s.runtime.pid.filter(|_| s.runtime.exit.is_none());
        let live = s.extensions.iter().filter(|e| e.alive()).map(|e| e.pid);
        runtime.into_iter().chain(live).collect()
    }

    /// Stops telemetry deliveries (waiting for one in flight), then SIGSTOPs every process.
    pub(super) fn freeze(&self) {
        self.shared.update(|s| s.frozen = true);
        self.shared.frozen.send_replace(true);
        self.shared
            .wait(Duration::from_secs(6), |s| s.in_flight == 0);
        for pid in self.pids() {
            process::signal(pid, libc::SIGSTOP);
        }
    }

    pub(super) fn thaw(&self) {
        for pid in self.pids() {
            process::signal(pid, libc::SIGCONT);
        }
        self.shared.update(|s| s.frozen = false);
        self.shared.frozen.send_replace(false);
    }

    /// Sends SHUTDOWN, waits for every extension to exit until `deadlineMs`, kills the rest.
    pub fn shutdown(&mut self) -> ShutdownResult {
        self.thaw();
        let runtime = {
            let s = self.shared.lock();
            s.runtime.pid.filter(|_| s.runtime.exit.is_none())
        };
        if let Some(pid) = runtime {
            process::signal(pid, libc::SIGKILL);
        }
        let sent = Instant::now();
        let deadline = sent + self.settings.shutdown_budget;
        let deadline_ms = events::epoch_ms(SystemTime::now() + self.settings.shutdown_budget);
        let event = json!({ "eventType": "SHUTDOWN", "shutdownReason": "spindown", "deadlineMs": deadline_ms });
        self.shared.update(|s| {
            s.shutting_down = true;
            for ext in s.extensions.iter_mut().filter(|e| e.alive()) {
                if ext.wants("SHUTDOWN") {
                    ext.send(event.clone());
                } else {
                    process::signal(ext.pid, libc::SIGKILL);
                }
            }
        });
        let budget = deadline.saturating_duration_since(Instant::now());
        self.shared
            .wait(budget, |s| s.extensions.iter().all(|e| !e.alive()));
        let killed: Vec<u32> = {
            let s = self.shared.lock();
            s.extensions
                .iter()
                .filter(|e| e.alive())
                .map(|e| e.pid)
                .collect()
        };
        for pid in &killed {
            process::signal(*pid, libc::SIGKILL);
        }
        self.shared.wait(Duration::from_secs(5), |s| {
            s.extensions.iter().all(|e| !e.alive())
        });
        self.down = true;
        let s = self.shared.lock();
        let extensions: Vec<ExtensionExit> = s
            .extensions
            .iter()
            .map(|e| ExtensionExit {
                name: e.name.clone(),
                exited_before_deadline: !killed.contains(&e.pid)
                    && e.exit
                        .is_some_and(|x| x.at <= deadline && x.signal.is_none()),
                killed: killed.contains(&e.pid),
                exit_after: e.exit.map(|x| x.at.saturating_duration_since(sent)),
                exit_code: e.exit.and_then(|x| x.code),
                peak_rss_kb: e.exit.map_or(0, |x| x.max_rss_kb),
            })
            .collect();
        ShutdownResult {
            extension_exited_before_deadline: extensions.iter().all(|e| e.exited_before_deadline),
            killed: extensions.iter().any(|e| e.killed),
            extensions,
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if !self.down {
            for pid in self.pids() {
                process::signal(pid, libc::SIGKILL);
            }
        }
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Starts the API server on its own runtime thread; returns its address.
fn serve(shared: Arc<Shared>, config: ApiConfig) -> (String, tokio::sync::oneshot::Sender<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind sandbox APIs");
    let addr = listener.local_addr().expect("sandbox address").to_string();
    listener
        .set_nonblocking(true)
        .expect("nonblocking listener");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    std::thread::Builder::new()
        .name("lambda-sandbox".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("sandbox runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                tokio::spawn(server::serve(listener, shared, Arc::new(config)));
                let _ = stopped.await;
            });
            runtime.shutdown_background();
        })
        .expect("spawn sandbox thread");
    (addr, stop)
}

pub(super) fn start(settings: Builder) -> Result<Sandbox, String> {
    let shared = Arc::new(Shared::new());
    let config = ApiConfig {
        function_name: settings.function_name.clone(),
        function_version: "$LATEST".into(),
        handler: settings.handler.clone(),
        account_id: "123456789012".into(),
        region: "us-east-1".into(),
        telemetry_api: settings.telemetry_api,
    };
    let (runtime_api, stop) = serve(shared.clone(), config);
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let ext_dir = dir.path().join("opt/extensions");
    std::fs::create_dir_all(&ext_dir).map_err(|e| e.to_string())?;
    let mut sandbox = Sandbox {
        shared: shared.clone(),
        settings,
        runtime_api,
        stop: Some(stop),
        invokes: 0,
        init_duration: None,
        ready: Vec::new(),
        down: false,
        _dir: dir,
    };
    let init_start = Instant::now();
    let b = sandbox.settings.clone();
    shared.update(|s| s.emit(events::init_start(&b.function_name, "init")));
    let vars = common_env(&b);
    let env = Environment {
        runtime_api: &sandbox.runtime_api,
        vars: &vars,
    };
    for (index, (path, name)) in b.extensions.iter().enumerate() {
        let link = ext_dir.join(name);
        std::os::unix::fs::symlink(
            std::fs::canonicalize(path).map_err(|e| format!("{}: {e}", path.display()))?,
            &link,
        )
        .map_err(|e| e.to_string())?;
        shared.update(|s| s.extensions.push(Extension::new(name.clone())));
        let pid = process::spawn_extension(&shared, index, &link, &env)
            .map_err(|e| format!("starting {name}: {e}"))?;
        shared.update(|s| s.extensions[index].pid = pid);
    }
    // The runtime starts once every extension has registered (or died trying).
    let registered = shared.wait(INIT_LIMIT, |s| {
        s.extensions.iter().all(|e| e.id.is_some() || !e.alive())
    });
    if !registered {
        return Err(format!(
            "extensions did not register:\n{}",
            sandbox.extension_log()
        ));
    }
    sandbox.spawn_runtime()?;
    let runtime_ready = shared.wait(INIT_LIMIT, |s| {
        let ran = s.runtime.waiting && s.markers.iter().all(|m| *m >= 1);
        ran || s.runtime.exit.is_some() || s.runtime.init_error.is_some()
    });
    let status = if runtime_ready && shared.lock().runtime.waiting {
        "success"
    } else {
        "error"
    };
    shared.update(|s| s.emit(events::init_runtime_done(status, "init")));
    let extensions_ready = shared.wait(INIT_LIMIT, |s| s.extensions_waiting());
    let init = init_start.elapsed();
    sandbox.init_duration = Some(init);
    shared.update(|s| s.emit(events::init_report(status, "init", init)));
    sandbox.ready = shared
        .lock()
        .extensions
        .iter()
        .map(|e| {
            (
                e.name.clone(),
                e.first_next.map(|t| t.duration_since(e.spawned)),
            )
        })
        .collect();
    if status != "success" || !extensions_ready {
        let (init_error, function_log) = {
            let s = shared.lock();
            (s.runtime.init_error.clone(), s.function_log.join("\n"))
        };
        return Err(format!(
            "init failed (runtime {status}, extensions ready: {extensions_ready}, init error {init_error:?})\nfunction:\n{function_log}\nextensions:\n{}",
            sandbox.extension_log()
        ));
    }
    sandbox.freeze();
    Ok(sandbox)
}
