//! The sandbox measurements: ready times over repeated starts, and per flush strategy the
//! post-runtime time of each invoke, peak RSS and the extension's CPU time per line.

use std::path::Path;
use std::time::Duration;

use metricline_tests::expect::total;
use metricline_tests::layer;
use metricline_tests::rotel::Rotel;
use metricline_tests::sandbox::{self, Builder, InvokeStatus, Sandbox};
use metricline_tests::sink::Sink;

use crate::stats;

/// The extension under test: metricline, or a peer extension built from crates.io.
pub struct Extension<'a> {
    pub binary: &'a Path,
    /// The name it registers under: its file name in a layer.
    pub name: &'a str,
    pub peer: bool,
}

impl Extension<'_> {
    /// Its process's command name (the kernel keeps 15 bytes of it).
    fn comm(&self) -> &str {
        &self.name[..self.name.len().min(15)]
    }
}

/// What the benchmark varies; see `--help`.
pub struct Params {
    pub starts: usize,
    pub invokes: usize,
    pub lines: usize,
    /// What the function prints: `mixed`, `monitoring`, `datadog` or `emf`.
    pub format: String,
    /// Run the function and the extension under Lambda's limits for this memory size (a
    /// cgroup: the memory limit and memory/1769 of a CPU).
    pub lambda_mb: Option<u64>,
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
    /// The function's own time per invoke (invoke → its answer), which the extension
    /// lengthens when it takes CPU the function would have had.
    pub durations: Vec<Duration>,
    /// Wall time of all the invokes over their number: one invoke's whole cycle, the
    /// extension's post-runtime work included, as back-to-back invokes see it.
    pub cycle: Duration,
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
    /// The extension's CPU time once the sandbox is initialized: exec → first `/next`.
    pub init_cpu: Option<Duration>,
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
/// measure the logging too); a peer gets its own settings, exporting to the same sink.
fn env(extension: &Extension, strategy: &str, p: &Params, sink: &Sink) -> Vec<(String, String)> {
    let pairs = if extension.peer {
        vec![
            ("LAMBDA_OTEL_EXPORTER_ENDPOINT", sink.http_endpoint()),
            ("LAMBDA_OTEL_EXPORTER_PROTOCOL", "http".into()),
            ("LAMBDA_OTEL_FLUSH_STRATEGY", strategy.into()),
            ("RUST_LOG", p.log.clone()),
        ]
    } else {
        vec![
            ("METRICLINE_FLUSH", strategy.into()),
            ("METRICLINE_LOG", p.log.clone()),
        ]
    };
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

fn start(
    extension: &Extension,
    python: &Path,
    sink: &Sink,
    env: &[(String, String)],
    p: &Params,
) -> Result<Sandbox, String> {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let builder = layer::sandbox_builder_named(
        extension.binary,
        extension.name,
        "bench",
        python,
        sink,
        &env,
    );
    limited(builder, p).start()
}

/// The extension's CPU time so far, read while the sandbox has it frozen.
fn cpu_now(extension: &Extension) -> Option<Duration> {
    stats::child_pid(extension.comm()).and_then(stats::cpu_time)
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
pub fn ready_times(extension: &Extension, python: &Path, p: &Params) -> Result<Ready, String> {
    let sink = Sink::start();
    let mut ready = Ready {
        sandbox: Vec::with_capacity(p.starts),
        own: Vec::new(),
    };
    let env = env(extension, "end", p, &sink);
    for _ in 0..p.starts {
        let mut sandbox = start(extension, python, &sink, &env, p)?;
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
    comm: &str,
) -> Result<(Option<Duration>, u64), String> {
    let cpu = stats::child_pid(comm).and_then(stats::cpu_time);
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
    extension: &Extension,
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
    let mut env = env(extension, flush, p, &sink);
    if let Some(endpoint) = endpoint {
        env.push(("OTEL_EXPORTER_OTLP_ENDPOINT".into(), endpoint));
    }
    let mut sandbox = start(extension, python, &sink, &env, p)?;
    let init_cpu = cpu_now(extension);
    let payload = payload(p, statsd);
    let mut post_runtime = Vec::with_capacity(p.invokes);
    let mut overhead = Vec::with_capacity(p.invokes);
    let mut durations = Vec::with_capacity(p.invokes);
    let started = std::time::Instant::now();
    for i in 0..p.invokes {
        let result = sandbox.invoke(&payload);
        if result.status != InvokeStatus::Success || !result.extensions_ready {
            return Err(format!(
                "{strategy}: invoke {i}: {result:?}\n{}",
                sandbox.extension_log()
            ));
        }
        post_runtime.push(result.post_runtime);
        durations.push(result.duration);
        overhead.push(result.extension_overhead);
    }
    let cycle = started.elapsed() / p.invokes.max(1) as u32;
    // Thawed only inside invoke(): the process is stopped but its counters are readable.
    let (cpu, peak_rss_kb) = usage_then_shutdown(&mut sandbox, strategy, extension.comm())?;
    let accepted = &[("metricline.outcome", "accepted")];
    Ok(FlushRun {
        strategy: strategy.to_owned(),
        post_runtime,
        durations,
        cycle,
        overhead,
        peak_rss_kb,
        dropped_datagrams: sink.total("metricline.statsd.datagrams.dropped", &[]),
        accepted_lines: (rotel.is_none() && !extension.peer)
            .then(|| total(&sink.points(), "metricline.lines", accepted)),
        cpu,
        init_cpu,
    })
}

/// Lambda's limits on a sandbox, with `--lambda-mb`.
fn limited(builder: Builder, p: &Params) -> Builder {
    match p.lambda_mb {
        Some(mb) => builder.memory_mb(mb).lambda_limits(),
        None => builder,
    }
}

/// The function's time per invoke with no extension at all, under the same limits: what
/// the extension's runs are compared with.
pub fn without_extension(python: &Path, p: &Params) -> Result<Alone, String> {
    let builder = Sandbox::builder()
        .function_dir(sandbox::sample_function("bench"))
        .python(python);
    let mut sandbox = limited(builder, p).start()?;
    let payload = payload(p, false);
    let mut durations = Vec::with_capacity(p.invokes);
    let started = std::time::Instant::now();
    for i in 0..p.invokes {
        let result = sandbox.invoke(&payload);
        if result.status != InvokeStatus::Success {
            return Err(format!("no extension: invoke {i}: {result:?}"));
        }
        durations.push(result.duration);
    }
    let cycle = started.elapsed() / p.invokes.max(1) as u32;
    sandbox.shutdown();
    Ok(Alone { durations, cycle })
}

/// The function's times with no extension: per invoke, and the whole cycle.
pub struct Alone {
    pub durations: Vec<Duration>,
    pub cycle: Duration,
}

/// The bench function's event: how many lines of which format to print.
/// The bench function's event: `lines` lines of `p.format`, or as many StatsD datagrams.
fn payload(p: &Params, statsd: bool) -> String {
    format!(
        r#"{{"lines":{},"format":"{}","statsd":{statsd}}}"#,
        p.lines, p.format
    )
}

/// Runs and parameters made up for the report's and the chart's tests.
#[cfg(test)]
pub mod test_run {
    use super::*;

    /// A run of `strategy` whose extension took `cpu_ms` of CPU (1 ms of it init), 0.5 ms
    /// of post-runtime time after each of its 100 invokes and 4 MiB of peak RSS.
    pub fn run(strategy: &str, cpu_ms: u64) -> FlushRun {
        FlushRun {
            strategy: strategy.into(),
            post_runtime: vec![Duration::from_micros(500); 100],
            durations: Vec::new(),
            cycle: Duration::ZERO,
            overhead: Vec::new(),
            peak_rss_kb: 4096,
            accepted_lines: None,
            dropped_datagrams: 0.0,
            cpu: Some(Duration::from_millis(cpu_ms)),
            init_cpu: Some(Duration::from_millis(1)),
        }
    }

    /// 100 invokes of 1000 lines of `format`.
    pub fn params(format: &str) -> Params {
        Params {
            starts: 1,
            invokes: 100,
            lines: 1000,
            format: format.into(),
            lambda_mb: None,
            warmup: 10,
            log: "warn".into(),
        }
    }
}
