//! The sandbox measurements: ready times over repeated starts, and per flush strategy the
//! post-runtime time of each invoke, peak RSS and the extension's CPU time per line.

use std::path::Path;
use std::time::Duration;

use metricline_tests::expect::total;
use metricline_tests::layer;
use metricline_tests::rotel::Rotel;
use metricline_tests::sandbox::{InvokeStatus, Sandbox};
use metricline_tests::sink::Sink;

use crate::stats;

/// What the benchmark varies; see `--help`.
pub struct Params {
    pub starts: usize,
    pub invokes: usize,
    pub lines: usize,
    /// Invokes at the start left out of the steady-state numbers.
    pub warmup: usize,
    /// `METRICLINE_LOG` of the extension (`debug` adds its own ready time to the table).
    pub log: String,
}

/// One flush strategy under load.
pub struct FlushRun {
    /// `METRICLINE_FLUSH`, with `@rotel` when rotel-agent was the backend.
    pub strategy: String,
    /// `runtimeDone` delivered → the extension's `/next`, per invoke.
    pub post_runtime: Vec<Duration>,
    /// `runtimeDone` emitted → the extension's `/next`: what Lambda reports as the
    /// `extensionOverhead` span, the Telemetry API's buffering (timeoutMs 25) included.
    pub overhead: Vec<Duration>,
    /// VmHWM just before SHUTDOWN.
    pub peak_rss_kb: u64,
    /// Lines the extension reported as accepted (all of them, when nothing is lost); only
    /// the sink can tell.
    pub accepted_lines: Option<f64>,
    /// StatsD datagrams the kernel dropped (`metricline.statsd.datagrams.dropped`), as
    /// the sink received the count.
    pub dropped_datagrams: f64,
    /// The extension's CPU time up to SHUTDOWN (init included).
    pub cpu: Option<Duration>,
}

impl FlushRun {
    /// Post-runtime times after the warm-up invokes.
    pub fn steady(&self, warmup: usize) -> &[Duration] {
        &self.post_runtime[warmup.min(self.post_runtime.len())..]
    }
    /// `extensionOverhead` after the warm-up invokes.
    pub fn steady_overhead(&self, warmup: usize) -> &[Duration] {
        &self.overhead[warmup.min(self.overhead.len())..]
    }
}

/// The flush strategy and the extension's log level (the harness default, `debug`, would
/// measure the logging too).
fn env<'a>(strategy: &'a str, p: &'a Params) -> [(&'static str, &'a str); 2] {
    [("METRICLINE_FLUSH", strategy), ("METRICLINE_LOG", &p.log)]
}

/// Ready times over repeated starts: as the sandbox sees them (spawn → first `/next`), and
/// as the extension logs them at debug level (its `main` → just before the first `/next`).
pub struct Ready {
    pub sandbox: Vec<Duration>,
    pub own: Vec<Duration>,
}

/// The extension's own "ready in N µs" debug line.
fn own_ready(log: &str) -> Option<Duration> {
    let rest = log.split("ready in ").nth(1)?;
    let micros: u64 = rest.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_micros(micros))
}

/// Spawn → first `/next` of the extension, over `p.starts` fresh sandboxes.
pub fn ready_times(binary: &Path, python: &Path, p: &Params) -> Result<Ready, String> {
    let sink = Sink::start();
    let mut ready = Ready {
        sandbox: Vec::with_capacity(p.starts),
        own: Vec::new(),
    };
    for _ in 0..p.starts {
        let mut sandbox = layer::start_sandbox(binary, "bench", python, &sink, &env("end", p))?;
        let times = sandbox.ready_times();
        ready.own.extend(own_ready(&sandbox.extension_log()));
        sandbox.shutdown();
        match times.first() {
            Some((_, Some(t))) => ready.sandbox.push(*t),
            _ => return Err("the extension never called /next".into()),
        }
    }
    Ok(ready)
}

/// The extension's CPU time and peak RSS (KiB) so far, then SHUTDOWN, which it must leave
/// by itself before the deadline.
pub fn usage_then_shutdown(
    sandbox: &mut Sandbox,
    label: &str,
) -> Result<(Option<Duration>, u64), String> {
    let cpu = stats::child_pid("metricline").and_then(stats::cpu_time);
    let peak_rss_kb = sandbox
        .extension_peak_rss_kb()
        .iter()
        .filter_map(|(_, kb)| *kb)
        .max()
        .unwrap_or(0);
    let shutdown = sandbox.shutdown();
    if !shutdown.extension_exited_before_deadline {
        return Err(format!(
            "{label}: shutdown {shutdown:?}\n{}",
            sandbox.extension_log()
        ));
    }
    Ok((cpu, peak_rss_kb))
}

/// `invokes` invokes of `lines` lines each under one flush strategy, then SHUTDOWN.
/// `strategy` is a `METRICLINE_FLUSH` value, exported to the sink, or followed by `@rotel`
/// to export to rotel-agent (a collector none of us wrote; it decodes and drops), or by
/// `+statsd` to have the function send its lines as one-line StatsD datagrams instead.
pub fn flush_run(
    binary: &Path,
    python: &Path,
    strategy: &str,
    p: &Params,
) -> Result<FlushRun, String> {
    let sink = Sink::start();
    let (strategy_flush, statsd) = match strategy.strip_suffix("+statsd") {
        Some(flush) => (flush, true),
        None => (strategy, false),
    };
    let (flush, rotel) = match strategy_flush.split_once('@') {
        Some((flush, "rotel")) => (flush, Some(Rotel::start(python, false)?)),
        Some((_, other)) => return Err(format!("unknown backend {other} (only rotel)")),
        None => (strategy_flush, None),
    };
    let endpoint = rotel.as_ref().map(Rotel::http_endpoint);
    let mut env = env(flush, p).to_vec();
    if let Some(endpoint) = &endpoint {
        env.push(("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint));
    }
    let mut sandbox = layer::start_sandbox(binary, "bench", python, &sink, &env)?;
    let payload = format!(r#"{{"lines":{},"statsd":{statsd}}}"#, p.lines);
    let mut post_runtime = Vec::with_capacity(p.invokes);
    let mut overhead = Vec::with_capacity(p.invokes);
    for i in 0..p.invokes {
        let result = sandbox.invoke(&payload);
        if result.status != InvokeStatus::Success || !result.extensions_ready {
            return Err(format!(
                "{strategy}: invoke {i}: {result:?}\n{}",
                sandbox.extension_log()
            ));
        }
        post_runtime.push(result.post_runtime);
        overhead.push(result.extension_overhead);
    }
    // Thawed only inside invoke(): the process is stopped but its counters are readable.
    let (cpu, peak_rss_kb) = usage_then_shutdown(&mut sandbox, strategy)?;
    let accepted = &[("metricline.outcome", "accepted")];
    Ok(FlushRun {
        strategy: strategy.to_owned(),
        post_runtime,
        overhead,
        peak_rss_kb,
        dropped_datagrams: sink.total("metricline.statsd.datagrams.dropped", &[]),
        accepted_lines: rotel
            .is_none()
            .then(|| total(&sink.points(), "metricline.lines", accepted)),
        cpu,
    })
}
