//! The benchmark command (`scripts/bench.sh`): runs the layer's release binary in the local
//! sandbox and prints a markdown table of ready time, peak RSS, post-runtime time per
//! strategy and lines per second, each beside its docs/measurements.md budget.

mod chart;
mod compare;
mod managed;
mod measure;
mod report;
mod stats;

use std::path::PathBuf;
use std::process::ExitCode;

use metricline_tests::layer::{self, Arch};
use metricline_tests::sandbox;

use compare::Peer;
use measure::{Extension, Params};
use report::Measured;

const USAGE: &str = "bench [--binary PATH | --zip PATH] [--criterion FILE] [--starts N] \
[--invokes N] [--lines N] [--format F] [--warmup N] [--log LEVEL] [--strategies 'end;end@rotel;periodic,100;adaptive;end+statsd']
[--peer PATH] [--svg PATH] [--lambda-mb MB]
  --binary     an extension binary (default: dist/metricline-x86_64.zip, unpacked)
  --format     what the function prints: mixed (default), monitoring, datadog or emf
  --peer       another extension's binary (opentelemetry-lambda-extension), measured the same
               way with its `end` flush, side by side
  --svg        writes a chart of metricline beside the peer there (needs --peer)
  --lambda-mb  runs everything under Lambda's limits for MB (memory, MB/1769 of a CPU), and
               the function alone too: the extension's cost in the function's own time
  --criterion  saved output of `cargo bench -p metricline-proto --bench throughput`
  --strategies METRICLINE_FLUSH values, separated by ';', exported to the sink, or with
               `@rotel` to rotel-agent; `+statsd`: the lines go as StatsD datagrams
               (default: end;end@rotel;periodic,100;adaptive;end+statsd)
  --log        METRICLINE_LOG (default warn; debug adds the extension's own ready time)
  --lmi N      only Lambda Managed Instances: rounds of N concurrent requests (docs/lmi.md)";

struct Args {
    binary: Option<PathBuf>,
    zip: PathBuf,
    criterion: Option<PathBuf>,
    peer: Option<PathBuf>,
    svg: Option<PathBuf>,
    strategies: Vec<String>,
    params: Params,
    lmi_workers: Option<usize>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        binary: None,
        zip: layer::dist_dir().join("metricline-x86_64.zip"),
        criterion: None,
        peer: None,
        svg: None,
        strategies: ["end", "end@rotel", "periodic,100", "adaptive", "end+statsd"]
            .map(String::from)
            .to_vec(),
        params: Params {
            starts: 25,
            invokes: 100,
            lines: 1000,
            format: "mixed".into(),
            lambda_mb: None,
            warmup: 10,
            log: "warn".into(),
        },
        lmi_workers: None,
    };
    for (flag, value) in metricline_tests::cli::flag_values(USAGE)? {
        let number = || value.parse::<usize>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--binary" => args.binary = Some(value.into()),
            "--zip" => args.zip = value.into(),
            "--criterion" => args.criterion = Some(value.into()),
            "--peer" => args.peer = Some(value.into()),
            "--svg" => args.svg = Some(value.into()),
            "--format" => args.params.format = value,
            "--lambda-mb" => args.params.lambda_mb = Some(number()? as u64),
            "--strategies" => {
                args.strategies = value
                    .split(';')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            }
            "--starts" => args.params.starts = number()?,
            "--invokes" => args.params.invokes = number()?,
            "--lines" => args.params.lines = number()?,
            "--warmup" => args.params.warmup = number()?,
            "--log" => args.params.log = value,
            "--lmi" => args.lmi_workers = Some(number()?.max(1)),
            _ => return Err(format!("unknown option {flag}\n{USAGE}")),
        }
    }
    Ok(args)
}

fn run() -> Result<String, String> {
    let args = parse_args()?;
    let python = sandbox::venv_python().ok_or("no .venv: run scripts/setup-python.sh")?;
    // Unpacked into a folder named like /opt: the file name is what the extension registers.
    let opt = tempfile::tempdir().map_err(|e| e.to_string())?;
    let binary = match args.binary {
        Some(binary) => binary,
        None => layer::unpack(&args.zip, opt.path())?,
    };
    let binary_bytes = std::fs::metadata(&binary)
        .map_err(|e| format!("{}: {e}", binary.display()))?
        .len();
    if let Ok(linking) = layer::elf_linking(&std::fs::read(&binary).unwrap_or_default()) {
        if linking.machine != Arch::X86_64.elf_machine() {
            return Err(format!("{} is not an x86_64 binary", binary.display()));
        }
    }
    eprintln!("bench: {} ({binary_bytes} bytes)", binary.display());
    let p = &args.params;
    if let Some(workers) = args.lmi_workers {
        return managed::run(&binary, &python, workers, p);
    }
    eprintln!("bench: ready time over {} starts", p.starts);
    let metricline = Extension {
        binary: &binary,
        name: "metricline",
        peer: false,
    };
    let ready = measure::ready_times(&metricline, &python, p)?;
    let mut runs = Vec::new();
    for strategy in &args.strategies {
        eprintln!(
            "bench: {strategy}: {} invokes × {} {} lines",
            p.invokes, p.lines, p.format
        );
        runs.push(measure::flush_run(&metricline, &python, strategy, p)?);
    }
    let peer = match &args.peer {
        Some(binary) => {
            let name = binary
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("peer");
            let peer = Extension {
                binary,
                name,
                peer: true,
            };
            eprintln!("bench: peer {name}: ready time, then `end`");
            let ready = measure::ready_times(&peer, &python, p)?;
            let mut run = measure::flush_run(&peer, &python, "end", p)?;
            run.strategy = format!("{name} end");
            Some(Peer {
                name: name.to_owned(),
                ready,
                run,
            })
        }
        None => None,
    };
    let without_extension = match p.lambda_mb {
        Some(mb) => {
            eprintln!("bench: the function alone under {mb} MB limits");
            Some(measure::without_extension(&python, p)?)
        }
        None => None,
    };
    let criterion = match &args.criterion {
        Some(file) => report::parse_criterion(
            &std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?,
        ),
        None => Vec::new(),
    };
    let measured = Measured {
        binary_bytes,
        ready,
        runs,
        criterion,
        peer,
        without_extension,
    };
    if let Some(svg) = &args.svg {
        let chart = chart::svg(&measured, p).ok_or("--svg needs --peer and an `end` run")?;
        std::fs::write(svg, chart).map_err(|e| format!("{}: {e}", svg.display()))?;
    }
    Ok(report::table(&measured, p))
}

fn main() -> ExitCode {
    match run() {
        Ok(table) => {
            print!("{table}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bench: {e}");
            ExitCode::FAILURE
        }
    }
}
