//! `bench --lmi WORKERS`: the extension on Lambda Managed Instances (docs/lmi.md), in the
//! sandbox's LMI mode: rounds of WORKERS concurrent requests of `--lines` lines each, with
//! the export timer at 1 s. Measures how long after a round's requests ended its lines were
//! at the backend (the environment still running), the extension's CPU time per line, its
//! peak RSS, and its ready time with the SHUTDOWN-only registration.

use std::fmt::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use metricline_tests::expect::total;
use metricline_tests::harness::{exporter_env, Otlp};
use metricline_tests::sandbox::{self, InvokeStatus, Sandbox};
use metricline_tests::sink::Sink;

use crate::measure::{usage_then_shutdown, Params};
use crate::stats::{median, ms, quantile};

/// `OTEL_METRIC_EXPORT_INTERVAL` of the run.
const INTERVAL_MS: u64 = 1000;

pub fn run(binary: &Path, python: &Path, workers: usize, p: &Params) -> Result<String, String> {
    let sink = Sink::start();
    let mut builder = Sandbox::builder()
        .extension_named(binary, "metricline")
        .function_dir(sandbox::sample_function("bench"))
        .python(python)
        .managed_instances(workers)
        .env("OTEL_METRIC_EXPORT_INTERVAL", INTERVAL_MS.to_string());
    for (k, v) in exporter_env(&sink, Otlp::HttpProtobuf) {
        builder = builder.env(k, v);
    }
    let mut sandbox = builder.env("METRICLINE_LOG", &p.log).start()?;
    let ready = sandbox.ready_times().first().and_then(|(_, t)| *t);
    let payload = format!(r#"{{"lines":{}}}"#, p.lines);
    let rounds = p.invokes.div_ceil(workers);
    let accepted = |points: &[_]| {
        total(
            points,
            "metricline.lines",
            &[("metricline.outcome", "accepted")],
        )
    };
    let mut delivered_after = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let results = sandbox.invoke_concurrently(&vec![payload.as_str(); workers]);
        let ended = Instant::now();
        if let Some(bad) = results.iter().find(|r| r.status != InvokeStatus::Success) {
            return Err(format!(
                "round {round}: {bad:?}\n{}",
                sandbox.extension_log()
            ));
        }
        let sent = ((round + 1) * workers * p.lines) as f64;
        let wait = Duration::from_millis(10 * INTERVAL_MS);
        if !sink.wait_until(wait, |points| accepted(points) >= sent) {
            return Err(format!(
                "round {round}: lines not delivered\n{}",
                sandbox.extension_log()
            ));
        }
        delivered_after.push(ended.elapsed());
    }
    let (cpu, peak_rss_kb) = usage_then_shutdown(&mut sandbox, "lmi", "metricline")?;
    let lines = (rounds * workers * p.lines) as f64;
    let mut t = String::new();
    let _ = writeln!(t, "| Lambda Managed Instances ({workers} workers, {} requests × {} lines, timer {INTERVAL_MS} ms) | measured |", rounds * workers, p.lines);
    let _ = writeln!(t, "|---|---|");
    let _ = writeln!(
        t,
        "| ready (spawn → first `/next`, SHUTDOWN-only registration) | {} |",
        ready.map_or("n/a".into(), ms)
    );
    let _ = writeln!(t, "| a round's lines at the backend after its requests ended, median (p90, max) | {} ({}, {}) |",
        ms(median(&delivered_after)), ms(quantile(&delivered_after, 0.9)), ms(quantile(&delivered_after, 1.0)));
    let _ = writeln!(
        t,
        "| extension CPU time per line (init included) | {} |",
        cpu.map_or("n/a".into(), |cpu| format!(
            "{:.3} µs",
            cpu.as_secs_f64() * 1e6 / lines
        ))
    );
    let _ = writeln!(
        t,
        "| peak RSS (VmHWM before SHUTDOWN) | {:.1} MB |",
        peak_rss_kb as f64 / 1024.0
    );
    let _ = writeln!(
        t,
        "| lines accepted / sent | {} / {lines} |",
        accepted(&sink.points())
    );
    Ok(t)
}
