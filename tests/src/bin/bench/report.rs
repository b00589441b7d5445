//! The markdown table: each measured number beside its DESIGN.md §9 budget, plus the
//! criterion throughput numbers read from `cargo bench` output.

use std::fmt::Write;
use std::time::Duration;

use crate::measure::{Alone, FlushRun, Params, Ready};
use crate::stats::{median, ms, quantile};

/// Everything one bench run measured.
pub struct Measured {
    pub binary_bytes: u64,
    pub ready: Ready,
    pub runs: Vec<FlushRun>,
    /// (benchmark id, throughput or time as criterion printed it), from `--criterion`.
    pub criterion: Vec<(String, String)>,
    /// The peer extension, with `--peer`.
    pub peer: Option<Peer>,
    /// The function's times without any extension, with `--lambda-mb`.
    pub without_extension: Option<Alone>,
}

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

/// `(id, middle estimate)` for every benchmark in criterion's terminal output: its
/// throughput when it has one, else its time.
pub fn parse_criterion(output: &str) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = Vec::new();
    let mut last_line = "";
    for line in output.lines() {
        if let Some((before, after)) = line.split_once("time:") {
            // Long ids sit alone on the line above their `time:` line.
            let before = before.trim();
            let id = if before.is_empty() {
                last_line.trim()
            } else {
                before
            };
            if let Some(time) = middle(after) {
                found.push((id.to_owned(), time));
            }
        } else if let Some((_, after)) = line.split_once("thrpt:") {
            if let (Some(last), Some(thrpt)) = (found.last_mut(), middle(after)) {
                last.1 = thrpt;
            }
        }
        if !line.trim().is_empty() {
            last_line = line;
        }
    }
    found
}

/// `"[low unit mid unit high unit]"` → `"mid unit"`, criterion's estimate.
fn middle(interval: &str) -> Option<String> {
    let inner = interval
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']');
    let parts: Vec<&str> = inner.split_whitespace().collect();
    (parts.len() == 6).then(|| format!("{} {}", parts[2], parts[3]))
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "**not met**"
    }
}

pub fn table(m: &Measured, p: &Params) -> String {
    let mut t = String::new();
    let row = |t: &mut String, what: &str, got: String, budget: &str, ok: Option<bool>| {
        let mark = ok.map_or("", verdict);
        let _ = writeln!(t, "| {what} | {got} | {budget} | {mark} |");
    };
    let _ = writeln!(t, "| what | measured | budget (DESIGN.md §9) | |");
    let _ = writeln!(t, "|---|---|---|---|");
    let mb = m.binary_bytes as f64 / 1048576.0;
    row(
        &mut t,
        "stripped binary, x86_64 static",
        format!("{mb:.2} MiB ({} bytes)", m.binary_bytes),
        "≤ 3 MB",
        Some(m.binary_bytes <= 3_000_000),
    );
    let ready = &m.ready.sandbox;
    let med = median(ready);
    row(&mut t, &format!("spawn → registered, subscribed, first `/next`, as the sandbox sees it (median of {} starts; p90)", ready.len()),
        format!("{} ({})", ms(med), ms(quantile(ready, 0.9))), "≤ 2 ms median", Some(med <= Duration::from_millis(2)));
    if !m.ready.own.is_empty() {
        let own = &m.ready.own;
        row(
            &mut t,
            "the same, as the extension logs it (`main` → first `/next`; median, p90)",
            format!("{} ({})", ms(median(own)), ms(quantile(own, 0.9))),
            "",
            None,
        );
    }
    for run in &m.runs {
        let rss = run.peak_rss_kb;
        row(
            &mut t,
            &format!(
                "peak RSS (VmHWM before SHUTDOWN), `{}`, {} lines per invoke",
                run.strategy, p.lines
            ),
            format!("{:.2} MiB", rss as f64 / 1024.0),
            "≤ 5 MB",
            Some(rss * 1024 <= 5_000_000),
        );
    }
    for run in &m.runs {
        let end = run.strategy.starts_with("end");
        let all = &run.post_runtime;
        let steady = run.steady(p.warmup);
        let (budget, limit) = if end {
            ("≤ 1 ms median", 1.0)
        } else {
            ("≤ 0.3 ms median (steady state)", 0.3)
        };
        let med = median(steady);
        row(&mut t, &format!("post-runtime per invoke, `{}`: median (p90) over invokes {}–{}; all {}: median (p90)",
                run.strategy, p.warmup + 1, all.len(), all.len()),
            format!("{} ({}); {} ({})", ms(med), ms(quantile(steady, 0.9)), ms(median(all)), ms(quantile(all, 0.9))),
            budget, Some(med.as_secs_f64() * 1e3 <= limit));
    }
    for run in &m.runs {
        let overhead = run.steady_overhead(p.warmup);
        row(
            &mut t,
            &format!("`extensionOverhead` (runtimeDone emitted → `/next`, Telemetry API buffering included), `{}`: median (p90) over invokes {}–{}", run.strategy, p.warmup + 1, run.overhead.len()),
            format!("{} ({})", ms(median(overhead)), ms(quantile(overhead, 0.9))),
            "—",
            None,
        );
    }
    for run in &m.runs {
        let sent = (p.invokes * p.lines) as f64;
        // Every line was accepted when the sink says so; rotel cannot say.
        let lines = run.accepted_lines.unwrap_or(sent);
        let per_s = run.cpu.map_or("n/a".into(), |cpu| {
            format!("{:.0} lines per CPU-second", lines / cpu.as_secs_f64())
        });
        row(&mut t, &format!("extension end to end, `{}` (Telemetry API JSON, parsing, aggregation, OTLP export; init included)", run.strategy),
            match run.accepted_lines {
                Some(accepted) => format!("{per_s}; {accepted} of {sent} lines accepted"),
                None => per_s,
            }, "—", None);
    }
    for run in &m.runs {
        cpu_rows(&mut t, "", run, p);
    }
    if let Some(peer) = &m.peer {
        cpu_rows(&mut t, "", &peer.run, p);
    }
    if let (Some(alone), Some(mb)) = (&m.without_extension, p.lambda_mb) {
        let steady = |d: &[Duration]| median(&d[p.warmup.min(d.len())..]);
        let diff = |a: Duration, b: Duration| (a.as_secs_f64() - b.as_secs_f64()) * 1e3;
        let runs = m.runs.iter().chain(m.peer.iter().map(|peer| &peer.run));
        for run in runs {
            let (with, without) = (steady(&run.durations), steady(&alone.durations));
            row(&mut t, &format!("{mb} MB Lambda ({mb}/1769 of a CPU), `{}`: the function's own time per invoke (median, steady), with / without any extension, difference; whole invoke cycle (all invokes' wall time / invokes), with / without, difference", run.strategy),
                format!("{} / {}, {:+.3} ms; {} / {}, {:+.3} ms", ms(with), ms(without), diff(with, without),
                    ms(run.cycle), ms(alone.cycle), diff(run.cycle, alone.cycle)), "—", None);
        }
    }
    if let Some((ours, peer)) = side_by_side(m, p) {
        let pair = |t: &mut String, what: &str, a: f64, b: f64, unit: &str| {
            let ratio = format!("peer ÷ metricline = {:.2}", b / a);
            row(
                t,
                &format!("side by side, `end`: {what}, metricline / peer"),
                format!("{a:.3} / {b:.3} {unit} ({ratio})"),
                "—",
                None,
            );
        };
        pair(
            &mut t,
            "ready (spawn → first `/next`, median)",
            ours.ready_ms,
            peer.ready_ms,
            "ms",
        );
        pair(
            &mut t,
            "CPU per function line (whole process, init included)",
            ours.cpu_per_line_us,
            peer.cpu_per_line_us,
            "µs",
        );
        pair(
            &mut t,
            "peak RSS",
            ours.peak_rss_mib,
            peer.peak_rss_mib,
            "MiB",
        );
        pair(
            &mut t,
            "post-runtime per invoke (median, steady)",
            ours.post_runtime_ms,
            peer.post_runtime_ms,
            "ms",
        );
    }
    for (id, estimate) in &m.criterion {
        let budget = if id.starts_with("parse_aggregate") {
            "≥ 2 M lines/s (mixed formats)"
        } else {
            "—"
        };
        let ok = id
            .starts_with("parse_aggregate/mixed")
            .then(|| elements_per_s(estimate) >= 2e6);
        row(
            &mut t,
            &format!("criterion `{id}` (one core)"),
            estimate.clone(),
            budget,
            ok,
        );
    }
    t
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

/// `"2.31 Melem/s"` → 2.31e6.
fn elements_per_s(thrpt: &str) -> f64 {
    let (value, unit) = thrpt.split_once(' ').unwrap_or((thrpt, ""));
    let scale = match unit.chars().next() {
        Some('K') => 1e3,
        Some('M') => 1e6,
        Some('G') => 1e9,
        _ => 1.0,
    };
    value.parse::<f64>().unwrap_or(0.0) * scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ids_on_their_own_line_and_inline() {
        let out = "parse_aggregate/mixed\n                        time:   [400 µs 410 µs 420 µs]\n                        thrpt:  [2.38 Melem/s 2.43 Melem/s 2.50 Melem/s]\nencode/protobuf  time:   [1 ms 1 ms 1 ms]\n  thrpt:  [1 Kelem/s 2 Kelem/s 3 Kelem/s]\nend_flush/take_all      time:   [45.7 µs 48.7 µs 51.6 µs]\n";
        let found = parse_criterion(out);
        assert_eq!(
            found[0],
            ("parse_aggregate/mixed".into(), "2.43 Melem/s".into())
        );
        assert_eq!(found[1], ("encode/protobuf".into(), "2 Kelem/s".into()));
        assert_eq!(found[2], ("end_flush/take_all".into(), "48.7 µs".into()));
        assert_eq!(elements_per_s("2.43 Melem/s"), 2.43e6);
    }
}
