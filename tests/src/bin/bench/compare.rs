//! The rows about what the extension costs: its CPU (init, per invoke, per line), under
//! Lambda's limits for a small function, and beside a peer extension (docs/cpu.md).

use std::fmt::Write;
use std::time::Duration;

use crate::measure::{FlushRun, Params, Ready};
use crate::report::{verdict, Measured};
use crate::stats::{median, ms};

/// Another project's extension, measured like metricline with its `end` flush.
pub struct Peer {
    pub name: String,
    pub ready: Ready,
    pub run: FlushRun,
}

/// The four figures the side-by-side table and the chart compare.
pub struct Figures {
    pub ready_ms: f64,
    /// Whole-process CPU (init included) per line the function printed.
    pub cpu_per_line_us: f64,
    pub peak_rss_mib: f64,
    pub post_runtime_ms: f64,
}

impl Figures {
    pub fn of(ready: &Ready, run: &FlushRun, p: &Params) -> Option<Figures> {
        let lines = (p.invokes * p.lines).max(1) as f64;
        Some(Figures {
            ready_ms: median(&ready.sandbox).as_secs_f64() * 1e3,
            cpu_per_line_us: run.cpu?.as_secs_f64() * 1e6 / lines,
            peak_rss_mib: run.peak_rss_kb as f64 / 1024.0,
            post_runtime_ms: median(run.steady(p.warmup)).as_secs_f64() * 1e3,
        })
    }
}

/// metricline's `end` run beside the peer's, when both were measured.
pub fn side_by_side(m: &Measured, p: &Params) -> Option<(Figures, Figures)> {
    let peer = m.peer.as_ref()?;
    let ours = m.runs.iter().find(|r| r.strategy == "end")?;
    Some((
        Figures::of(&m.ready, ours, p)?,
        Figures::of(&peer.ready, &peer.run, p)?,
    ))
}

fn row(t: &mut String, what: &str, got: String) {
    let _ = writeln!(t, "| {what} | {got} | — |  |");
}

/// The CPU rows of every run, then the small-Lambda and side-by-side rows when measured.
pub fn rows(t: &mut String, m: &Measured, p: &Params) {
    for run in &m.runs {
        cpu_rows(t, "", run, p);
    }
    if let Some(peer) = &m.peer {
        cpu_rows(t, "", &peer.run, p);
    }
    if let (Some(alone), Some(mb)) = (&m.without_extension, p.lambda_mb) {
        let steady = |d: &[Duration]| median(&d[p.warmup.min(d.len())..]);
        let diff = |a: Duration, b: Duration| (a.as_secs_f64() - b.as_secs_f64()) * 1e3;
        let runs = m.runs.iter().chain(m.peer.iter().map(|peer| &peer.run));
        for run in runs {
            let (with, without) = (steady(&run.durations), steady(&alone.durations));
            row(t, &format!("{mb} MB Lambda ({mb}/1769 of a CPU), `{}`: the function's own time per invoke (median, steady), with / without any extension, difference; whole invoke cycle (all invokes' wall time / invokes), with / without, difference", run.strategy),
                format!("{} / {}, {:+.3} ms; {} / {}, {:+.3} ms", ms(with), ms(without), diff(with, without),
                    ms(run.cycle), ms(alone.cycle), diff(run.cycle, alone.cycle)));
        }
    }
    if let Some((ours, peer)) = side_by_side(m, p) {
        let pair = |t: &mut String, what: &str, a: f64, b: f64, unit: &str| {
            let ratio = format!("peer ÷ metricline = {:.2}", b / a);
            row(
                t,
                &format!("side by side, `end`: {what}, metricline / peer"),
                format!("{a:.3} / {b:.3} {unit} ({ratio})"),
            );
        };
        pair(
            t,
            "ready (spawn → first `/next`, median)",
            ours.ready_ms,
            peer.ready_ms,
            "ms",
        );
        pair(
            t,
            "CPU per function line (whole process, init included)",
            ours.cpu_per_line_us,
            peer.cpu_per_line_us,
            "µs",
        );
        pair(t, "peak RSS", ours.peak_rss_mib, peer.peak_rss_mib, "MiB");
        pair(
            t,
            "post-runtime per invoke (median, steady)",
            ours.post_runtime_ms,
            peer.post_runtime_ms,
            "ms",
        );
    }
}

/// The CPU rows of one run: init, per invoke and per line after init, and the whole.
fn cpu_rows(t: &mut String, who: &str, run: &FlushRun, p: &Params) {
    let (Some(cpu), Some(init)) = (run.cpu, run.init_cpu) else {
        return;
    };
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let after_init = cpu.saturating_sub(init);
    let lines = p.invokes * p.lines;
    let per_line = if lines == 0 {
        "no lines".to_owned()
    } else {
        format!(
            "{:.3} µs per line ({:.3} µs after init)",
            us(cpu) / lines as f64,
            us(after_init) / lines as f64
        )
    };
    let whole = lines > 0 && p.format == "mixed";
    let _ = writeln!(
        t,
        "| {who}extension CPU, `{}`, {} invokes × {} {} lines: init (exec → first `/next`); per invoke after init; whole process per line | {:.0} µs; {:.1} µs; {per_line} | {} | {} |",
        run.strategy, p.invokes, p.lines, p.format, us(init),
        us(after_init) / p.invokes.max(1) as f64,
        if whole { "≤ 1 µs per line (whole process)" } else { "—" },
        if whole && who.is_empty() { verdict(us(cpu) / lines as f64 <= 1.0) } else { "" },
    );
}
