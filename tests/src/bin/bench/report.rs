//! The markdown table: each measured number beside its docs/measurements.md budget, plus the
//! criterion throughput numbers read from `cargo bench` output.

use std::fmt::Write;
use std::time::Duration;

use crate::measure::{FlushRun, Params, Ready};
use crate::stats::{median, ms, quantile};

/// Everything one bench run measured.
pub struct Measured {
    pub binary_bytes: u64,
    pub ready: Ready,
    pub runs: Vec<FlushRun>,
    /// (benchmark id, throughput or time as criterion printed it), from `--criterion`.
    pub criterion: Vec<(String, String)>,
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
    let _ = writeln!(t, "| what | measured | budget (docs/measurements.md) | |");
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
        let path = if run.strategy.ends_with("+statsd") {
            "one-line StatsD datagrams: receiving, parsing, aggregation, OTLP export; init included"
        } else {
            "Telemetry API JSON, parsing, aggregation, OTLP export; init included"
        };
        row(
            &mut t,
            &format!("extension end to end, `{}` ({path})", run.strategy),
            match run.accepted_lines {
                Some(accepted) if run.dropped_datagrams > 0.0 => format!(
                    "{per_s}; {accepted} of {sent} lines accepted, {} datagrams dropped by the kernel",
                    run.dropped_datagrams
                ),
                Some(accepted) => format!("{per_s}; {accepted} of {sent} lines accepted"),
                None => per_s,
            },
            "—",
            None,
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
