//! Freeze/thaw and shutdown of a sandbox, and the environment its processes get.

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use serde_json::json;

use super::process::{self, Environment};

use super::{events, Builder, LogFormat, Sandbox};

pub use super::invoke::{InvokeResult, InvokeStatus};

/// How one extension ended at shutdown.
#[derive(Debug, Clone)]
pub struct ExtensionExit {
    pub name: String,
    pub exited_before_deadline: bool,
    pub killed: bool,
    /// SHUTDOWN sent → process gone.
    pub exit_after: Option<Duration>,
    pub exit_code: Option<i32>,
    /// Peak RSS until SHUTDOWN was sent, KiB (`VmHWM`). Not `wait4`'s `ru_maxrss`: Linux
    /// keeps the forking parent's peak in it across exec, which made it report the test
    /// process's size instead of the extension's.
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

pub(super) fn common_env(b: &Builder) -> Vec<(String, String)> {
    let mut vars: Vec<(String, String)> = [
        ("AWS_LAMBDA_FUNCTION_NAME", b.function_name.clone()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", b.memory_mb.to_string()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_DEFAULT_REGION", "us-east-1".into()),
        (
            "AWS_LAMBDA_INITIALIZATION_TYPE",
            match b.managed_workers {
                Some(_) => "lambda-managed-instances",
                None => "on-demand",
            }
            .into(),
        ),
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
        // Keep the sample function folders free of __pycache__.
        ("PYTHONDONTWRITEBYTECODE".to_owned(), "1".to_owned()),
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

/// What starting a runtime process takes: Python, the function folder, the environment.
pub(super) type RuntimeLaunch = (PathBuf, PathBuf, Vec<(String, String)>);

impl Sandbox {
    /// The runtime's Python, function folder and environment.
    pub(super) fn runtime_launch(&self) -> Result<RuntimeLaunch, String> {
        let b = &self.settings;
        let python = b
            .python
            .clone()
            .or_else(super::venv_python)
            .ok_or("no Python")?;
        let dir = b.function_dir.clone().ok_or("no function_dir")?;
        Ok((python, dir, runtime_env(b)))
    }

    pub(super) fn spawn_runtime(&self) -> Result<u32, String> {
        let b = &self.settings;
        let (python, dir, vars) = self.runtime_launch()?;
        let env = Environment {
            runtime_api: &self.runtime_api,
            vars: &vars,
        };
        let client = b.runtime_client;
        let (program, args) = client.command(&python, &dir, &b.handler);
        let launch = process::Launch {
            program: &program,
            args: &args,
            task_root: &dir,
        };
        let marks = !client.prints_marker();
        let pid = process::spawn_runtime(&self.shared, &launch, &env, b.log_format, marks)
            .map_err(|e| format!("starting the runtime ({client:?}): {e}"))?;
        self.limit(pid)?;
        Ok(pid)
    }

    /// Puts a process just spawned under Lambda's limits, if the sandbox has them.
    pub(super) fn limit(&self, pid: u32) -> Result<(), String> {
        match &self.cgroup {
            Some(cgroup) => cgroup.add(pid),
            None => Ok(()),
        }
    }

    fn pids(&self) -> Vec<u32> {
        let s = self.shared.lock();
        let runtime = s.runtime.pid.filter(|_| s.runtime.exit.is_none());
        let live = s.extensions.iter().filter(|e| e.alive()).map(|e| e.pid);
        let workers = s.workers.pids.iter().zip(&s.workers.exits);
        let workers = workers
            .filter(|(_, exit)| exit.is_none())
            .map(|(pid, _)| *pid);
        runtime.into_iter().chain(live).chain(workers).collect()
    }

    /// Stops telemetry deliveries (waiting for those in flight), then SIGSTOPs every process.
    pub(super) fn freeze(&self) {
        if self.settings.managed_workers.is_some() {
            return; // Lambda Managed Instances never freeze.
        }
        self.shared.update(|s| s.frozen = true);
        self.shared
            .wait(Duration::from_secs(6), |s| s.in_flight == 0);
        for pid in self.pids() {
            process::signal(pid, libc::SIGSTOP);
        }
    }

    /// SIGCONTs every process; the telemetry batches that fell due while frozen are
    /// delivered now, as Lambda delivers its backlog once the environment runs again.
    pub(super) fn thaw(&self) {
        if self.settings.managed_workers.is_some() {
            return;
        }
        for pid in self.pids() {
            process::signal(pid, libc::SIGCONT);
        }
        let thaws = self.shared.update(|s| {
            s.frozen = false;
            s.in_flight += std::mem::take(&mut s.due_at_thaw);
            s.thaws += 1;
            s.thaws
        });
        self.shared.thaws.send_replace(thaws);
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
        self.kill_workers();
        let peaks: Vec<(u32, u64)> = self
            .pids()
            .into_iter()
            .map(|pid| (pid, process::vm_hwm_kb(pid).unwrap_or(0)))
            .collect();
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
                peak_rss_kb: peaks
                    .iter()
                    .find(|(pid, _)| *pid == e.pid)
                    .map_or(0, |(_, kb)| *kb),
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
