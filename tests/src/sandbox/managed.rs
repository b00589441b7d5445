//! Lambda Managed Instances in the sandbox: the runtime workers, concurrent invocations
//! (each `platform.start`, then the request's JSON records, then its thin `platform.report`
//! as it ends; no `runtimeDone`, no INVOKE to extensions, no freeze).

use std::time::{Duration, Instant, SystemTime};

use super::events::{self, RuntimeFacts};
use super::invoke::{error_body, new_request_id, outcome, InvokeResult, InvokeStatus};
use super::process::{self, Environment};
use super::state::RuntimeInvoke;
use super::{workers, Builder, LogFormat, RuntimeClient, Sandbox};

/// A request dispatched and not yet reported.
struct Running {
    request_id: String,
    started_at: SystemTime,
    started: Instant,
    deadline: Instant,
}

impl Builder {
    /// Runs as Lambda Managed Instances (`AWS_LAMBDA_INITIALIZATION_TYPE=
    /// lambda-managed-instances`) with `workers` runtime processes: registering for `INVOKE`
    /// is refused (and fails init), only Telemetry schema 2025-01-29 is accepted, function
    /// records are JSON with `requestId`, nothing is frozen, and each request ends with a
    /// thin `platform.report` instead of `runtimeDone`. Invoke with
    /// [`Sandbox::invoke_concurrently`].
    pub fn managed_instances(mut self, workers: usize) -> Self {
        self.managed_workers = Some(workers.max(1));
        self.log_format = LogFormat::Json;
        self
    }
    /// Answers 400 to Telemetry API subscriptions with this schema version (an older
    /// platform), to test the fallback.
    pub fn refuse_schema(mut self, version: impl Into<String>) -> Self {
        self.refused_schemas.push(version.into());
        self
    }
}

impl Sandbox {
    /// Each Telemetry API subscription request, in order: its schema version and the
    /// status it was answered with.
    pub fn subscriptions(&self) -> Vec<(String, u16)> {
        self.shared.lock().subscriptions.clone()
    }

    /// Starts `n` runtime workers (the Python runtime's processes).
    pub(super) fn spawn_workers(&self, n: usize) -> Result<(), String> {
        let (python, dir, vars) = self.runtime_launch()?;
        let env = Environment {
            runtime_api: &self.runtime_api,
            vars: &vars,
        };
        let (program, args) = RuntimeClient::Bootstrap.command(&python, &dir, "");
        let launch = process::Launch {
            program: &program,
            args: &args,
            task_root: &dir,
        };
        self.shared.update(|s| {
            s.workers.pids = vec![0; n];
            s.workers.exits = vec![None; n];
        });
        for index in 0..n {
            let pid = process::spawn_worker(&self.shared, index, &launch, &env)
                .map_err(|e| format!("starting runtime worker {index}: {e}"))?;
            self.shared.update(|s| s.workers.pids[index] = pid);
        }
        Ok(())
    }

    /// Kills the workers still running and waits for them to be gone.
    pub(super) fn kill_workers(&self) {
        let live: Vec<u32> = {
            let s = self.shared.lock();
            let workers = s.workers.pids.iter().zip(&s.workers.exits);
            workers
                .filter(|(_, e)| e.is_none())
                .map(|(p, _)| *p)
                .collect()
        };
        for pid in live {
            process::signal(pid, libc::SIGKILL);
        }
        self.shared.wait(Duration::from_secs(5), |s| {
            s.workers.exits.iter().all(Option::is_some)
        });
    }

    /// Lambda Managed Instances: invokes the function once per payload, all at once (the
    /// workers take them as they become free), and returns once every request has ended,
    /// in payload order. Each request's thin report is emitted as it ends.
    pub fn invoke_concurrently(&mut self, payloads: &[&str]) -> Vec<InvokeResult> {
        assert!(
            self.settings.managed_workers.is_some(),
            "invoke_concurrently needs Builder::managed_instances"
        );
        let timeout = self.settings.timeout;
        let running: Vec<Running> = payloads
            .iter()
            .map(|payload| {
                let request_id = new_request_id();
                let started_at = SystemTime::now();
                let started = Instant::now();
                self.shared.update(|s| s.emit(events::start(&request_id)));
                workers::dispatch(
                    &self.shared,
                    RuntimeInvoke {
                        request_id: request_id.clone(),
                        deadline_ms: events::epoch_ms(started_at + timeout),
                        payload: (*payload).to_owned(),
                    },
                );
                Running {
                    request_id,
                    started_at,
                    started,
                    deadline: started + timeout,
                }
            })
            .collect();
        let mut results: Vec<Option<InvokeResult>> = vec![None; running.len()];
        while results.iter().any(Option::is_none) {
            let open: Vec<&Running> = running
                .iter()
                .zip(&results)
                .filter(|(_, r)| r.is_none())
                .map(|(r, _)| r)
                .collect();
            // Every answer and every flushed output wakes this; the earliest deadline too.
            let wake = open.iter().map(|r| r.deadline).min().expect("one open");
            self.shared
                .wait(wake.saturating_duration_since(Instant::now()), |s| {
                    open.iter().any(|r| {
                        s.workers.answers.contains_key(&r.request_id)
                            && s.workers.output_flushed(&r.request_id)
                    })
                });
            for (i, r) in running.iter().enumerate() {
                if results[i].is_none() {
                    results[i] = self.end_if_over(r);
                }
            }
        }
        results.into_iter().map(|r| r.expect("ended")).collect()
    }

    /// The result of request `r` and its thin report, if it has ended: answered with its
    /// output read, or past its deadline (a timeout, unless answered meanwhile).
    fn end_if_over(&mut self, r: &Running) -> Option<InvokeResult> {
        let now = Instant::now();
        let answer = {
            let s = self.shared.lock();
            let answer = s.workers.answers.get(&r.request_id).cloned();
            let flushed = s.workers.output_flushed(&r.request_id);
            match answer {
                Some(answer) if flushed || now >= r.deadline => Some(answer),
                None if now >= r.deadline => None,
                _ => return None,
            }
        };
        let (status, error_type, response, ended) = match &answer {
            Some((answer, at)) => {
                let (status, error_type, response) = outcome(answer);
                (status, error_type, response, *at)
            }
            None => (
                InvokeStatus::Timeout,
                Some("Sandbox.Timedout".to_owned()),
                None,
                now,
            ),
        };
        let duration = ended.saturating_duration_since(r.started);
        let facts = RuntimeFacts {
            request_id: &r.request_id,
            status: status.as_str(),
            error_type: error_type.as_deref(),
            started: r.started_at,
            duration,
            response_latency: duration,
            produced_bytes: response.as_ref().map_or(0, String::len),
            overhead: Duration::ZERO,
        };
        self.shared.update(|s| s.emit(events::thin_report(&facts)));
        self.invokes += 1;
        Some(InvokeResult {
            request_id: r.request_id.clone(),
            status,
            response,
            error_type,
            error_body: answer.as_ref().and_then(|(a, _)| error_body(a)),
            duration,
            post_runtime: Duration::ZERO,
            extension_overhead: Duration::ZERO,
            extensions_ready: true,
        })
    }
}
