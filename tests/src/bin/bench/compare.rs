//! The rows about what the extension costs: its CPU (init, per invoke, per line), under
//! Lambda's limits for a small function, and beside a peer extension (docs/cpu.md).

use std::fmt::Write;
use std::time::Duration;

use crate::measure::{FlushRun, Params, Ready};
use crate::report::{verdict, Measured};
use crate::stats::{median, ms};

/// The flush a user who sets nothing gets (`METRICLINE_FLUSH`'s default): the one the CPU
/// budget binds and the chart adds beside the two `end` bars.
pub const DEFAULT_FLUSH: &str = "adaptive";

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
        Some(Figures {
            ready_ms: median(&ready.sandbox).as_secs_f64() * 1e3,
            cpu_per_line_us: per_line_us(run, p)?,
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
    let whole = lines > 0 && p.format == "mixed" && who.is_empty();
    let within = us(cpu) / lines.max(1) as f64 <= 1.0;
    let (budget, mark) = match (whole, run.strategy == DEFAULT_FLUSH) {
        (false, _) => ("—", ""),
        (true, true) => (
            "≤ 1 µs per line (whole process), the default flush's budget",
            verdict(within),
        ),
        // Another flush, measured against the same line for reference: the budget binds
        // the default (docs/decisions.md, "Budgets").
        (true, false) => (
            "for reference: 1 µs (the budget is the default flush's)",
            if within { "under" } else { "over" },
        ),
    };
    let _ = writeln!(
        t,
        "| {who}extension CPU, `{}`, {} invokes × {} {} lines: init (exec → first `/next`); per invoke after init; whole process per line | {:.0} µs; {:.1} µs; {per_line} | {budget} | {mark} |",
        run.strategy, p.invokes, p.lines, p.format, us(init),
        us(after_init) / p.invokes.max(1) as f64,
    );
}

/// Whole-process CPU (init included) per line the function printed, in µs.
fn per_line_us(run: &FlushRun, p: &Params) -> Option<f64> {
    let lines = p.invokes * p.lines;
    (lines > 0).then_some(run.cpu?.as_secs_f64() * 1e6 / lines as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::test_run::{params, run};

    /// The mark column (the last) of the CPU row of `run`.
    fn mark(run: &FlushRun, p: &Params) -> String {
        let mut t = String::new();
        cpu_rows(&mut t, "", run, p);
        let cells: Vec<&str> = t.trim_end().trim_end_matches('|').split('|').collect();
        cells.last().unwrap().trim().to_owned()
    }

    #[test]
    fn the_budget_is_judged_on_the_default_flush_and_others_are_shown_against_it() {
        let mixed = params("mixed");
        // 100 ms over 100,000 lines is 1 µs per line: at the budget; 101 ms is over.
        assert_eq!(mark(&run(DEFAULT_FLUSH, 100), &mixed), "met");
        assert_eq!(mark(&run(DEFAULT_FLUSH, 101), &mixed), "**not met**");
        assert_eq!(mark(&run("end", 101), &mixed), "over");
        assert_eq!(mark(&run("periodic,100", 90), &mixed), "under");
        // One format alone is not the budget's workload.
        assert_eq!(mark(&run(DEFAULT_FLUSH, 200), &params("emf")), "");
    }
}
