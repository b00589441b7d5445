//! The memory benchmark (`scripts/bench-memory.sh`): the four hostile workloads of
//! docs/limits.md against the layer's release binary with default settings, in a sandbox
//! under Lambda's limits for a 128 MB function where the machine allows (a cgroup with
//! 128 MB and 128/1769 of a CPU). Prints a markdown table of peak RSS beside the 16 MB
//! budget, with the post-runtime time, the extension's CPU time and what reached the sink.

mod workloads;

use std::path::PathBuf;
use std::process::ExitCode;

use metricline_tests::layer;
use metricline_tests::sandbox::{self, cgroup};
use workloads::{Measured, Workload};

const USAGE: &str =
    "bench_memory [--binary PATH | --zip PATH] [--memory-mb MB] [--only abcd] [--env K=V]...
  --binary     an extension binary (default: dist/metricline-x86_64.zip, unpacked)
  --memory-mb  Lambda's limits for this memory size (default 128; 0: no limits)
  --only       which workloads, by letter (default abcd)
  --env        a setting of the extension instead of its default (repeatable)";

const BUDGET_KB: u64 = 16 * 1024;

struct Args {
    binary: Option<PathBuf>,
    zip: PathBuf,
    memory_mb: u64,
    only: String,
    env: Vec<(String, String)>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        binary: None,
        zip: layer::dist_dir().join("metricline-x86_64.zip"),
        memory_mb: 128,
        only: "abcd".into(),
        env: Vec::new(),
    };
    for (flag, value) in metricline_tests::cli::flag_values(USAGE)? {
        match flag.as_str() {
            "--binary" => args.binary = Some(value.into()),
            "--zip" => args.zip = value.into(),
            "--memory-mb" => args.memory_mb = value.parse().map_err(|e| format!("{flag}: {e}"))?,
            "--only" => args.only = value,
            "--env" => {
                let (k, v) = value
                    .split_once('=')
                    .ok_or(format!("{flag} {value}: not K=V"))?;
                args.env.push((k.to_owned(), v.to_owned()));
            }
            _ => return Err(format!("unknown option {flag}\n{USAGE}")),
        }
    }
    Ok(args)
}

fn mb(kb: u64) -> String {
    format!("{:.1} MB", kb as f64 / 1024.0)
}

fn table(rows: &[Measured], limits: &str) -> String {
    let mut out = format!(
        "Sandbox: {limits}\n\n| workload | peak RSS (VmHWM) | budget | post-runtime median | extension CPU | wall | at the sink |\n|---|---|---|---|---|---|---|\n"
    );
    for m in rows {
        let verdict = if m.peak_rss_kb <= BUDGET_KB {
            "met"
        } else {
            "MISSED"
        };
        let oom = if m.oom_kills > 0 {
            format!(" ({} OOM kills)", m.oom_kills)
        } else {
            String::new()
        };
        out.push_str(&format!(
            "| ({}) {} | {} | ≤ 16 MB: {verdict} | {:.2} ms | {:.0} ms | {:.1} s | {}{oom} |\n",
            m.workload.letter(),
            m.workload.describe(),
            mb(m.peak_rss_kb),
            m.post_runtime_median.as_secs_f64() * 1e3,
            m.cpu.as_secs_f64() * 1e3,
            m.wall.as_secs_f64(),
            m.accounted,
        ));
    }
    out
}

fn run() -> Result<String, String> {
    let args = parse_args()?;
    let python = sandbox::venv_python().ok_or("no .venv: run scripts/setup-python.sh")?;
    let opt = tempfile::tempdir().map_err(|e| e.to_string())?;
    let binary = match args.binary {
        Some(binary) => binary,
        None => layer::unpack(&args.zip, opt.path())?,
    };
    let memory_mb = (args.memory_mb > 0).then_some(args.memory_mb);
    let limits = match (memory_mb, cgroup::available()) {
        (None, _) => "no limits".to_string(),
        (Some(mb), Ok(())) => format!(
            "Lambda's limits for {mb} MB (cgroup: {mb} MB, {:.1}% of one CPU)",
            100.0 * mb as f64 / cgroup::MB_PER_VCPU as f64
        ),
        (Some(_), Err(why)) => format!("no limits ({why})"),
    };
    let settings: Vec<String> = args.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let limits = match settings.is_empty() {
        true => format!("{limits}; default settings"),
        false => format!("{limits}; {}", settings.join(" ")),
    };
    eprintln!("bench_memory: {} under {limits}", binary.display());
    let mut rows = Vec::new();
    for workload in Workload::ALL {
        if !args.only.contains(workload.letter()) {
            continue;
        }
        eprintln!(
            "bench_memory: ({}) {}",
            workload.letter(),
            workload.describe()
        );
        rows.push(workloads::run(
            workload, &binary, &python, memory_mb, &args.env,
        )?);
    }
    Ok(table(&rows, &limits))
}

fn main() -> ExitCode {
    match run() {
        Ok(table) => {
            print!("{table}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bench_memory: {e}");
            ExitCode::FAILURE
        }
    }
}
