//! Measures the OTLP receiver in the sandbox with a layer binary (docs/otlp-receiver.md):
//! ready time (spawn → first `/next`) with the receiver on and off, and, under `end`, the
//! post-runtime time and peak RSS of a function whose OpenTelemetry SDK exports 50 spans,
//! 20 metric points and a log record per invoke through the receiver.
//!
//! `cargo build -p metricline-tests --bin otlp_bench && target/debug/otlp_bench
//!  [--binary PATH] [--starts N] [--invokes N] [--flood-only true] [--json-floods SHAPES]`
//!
//! `--json-floods all` (or a comma-separated list of `kb`, `tiny-json`, `tiny`) runs only
//! the floods forwarded to an `http/json` backend.

use std::path::PathBuf;
use std::time::Duration;

use metricline_tests::layer;
use metricline_tests::otel_function::spans_delivered;
use metricline_tests::sandbox::{self, InvokeStatus};
use metricline_tests::sink::{Fault, Sink};

const WARMUP: usize = 5;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples.get(samples.len() / 2).copied().unwrap_or_default()
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

fn main() -> Result<(), String> {
    let mut binary =
        sandbox::crate_dir().join("../target/x86_64-unknown-linux-musl/layer/metricline");
    let (mut starts, mut invokes) = (20usize, 50usize);
    let mut flood_only = false;
    let mut json_floods = None;
    let usage = "otlp_bench [--binary PATH] [--starts N] [--invokes N] [--flood-only true] \
                 [--json-floods SHAPES]";
    for (flag, value) in metricline_tests::cli::flag_values(usage)? {
        match flag.as_str() {
            "--binary" => binary = PathBuf::from(value),
            "--starts" => starts = value.parse().map_err(|e| format!("--starts: {e}"))?,
            "--invokes" => invokes = value.parse().map_err(|e| format!("--invokes: {e}"))?,
            "--flood-only" => flood_only = value == "true",
            "--json-floods" => json_floods = Some(value),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    let python = sandbox::venv_python().ok_or("no .venv: run scripts/setup-python.sh")?;
    println!("| what | median |\n|---|---|");
    if let Some(shapes) = json_floods {
        return json_backend_floods(&binary, &python, &shapes);
    }
    if flood_only {
        return floods(&binary, &python);
    }
    // Alternating on and off, so that the machine's load drifts into both alike.
    let sink = Sink::start();
    let mut ready = [Vec::with_capacity(starts), Vec::with_capacity(starts)];
    for _ in 0..starts {
        for on in [false, true] {
            let receiver = if on {
                format!(
                    "127.0.0.1:{},127.0.0.1:{}",
                    metricline_tests::ports::tcp(),
                    metricline_tests::ports::tcp()
                )
            } else {
                "off".to_string()
            };
            let env = [
                ("METRICLINE_FLUSH", "end"),
                ("METRICLINE_LOG", "warn"),
                ("METRICLINE_OTLP_RECEIVER", receiver.as_str()),
            ];
            let mut sandbox = layer::start_sandbox(&binary, "bench", &python, &sink, &env)?;
            let first = sandbox.ready_times().first().and_then(|(_, t)| *t);
            sandbox.shutdown();
            ready[on as usize].push(first.ok_or("the extension never called /next")?);
        }
    }
    let [off, on] = ready;
    println!(
        "| ready time, receiver off, {starts} starts | {} |",
        ms(median(off))
    );
    let label = "receiver on (gRPC and HTTP)";
    println!(
        "| ready time, {label}, {starts} starts | {} |",
        ms(median(on))
    );
    let setup = receiver_setup_times(&binary, &python, &sink, starts)?;
    let what = "receiver set-up inside the extension (its debug log)";
    println!("| {what}, {starts} starts | {} |", ms(median(setup)));

    let sink = Sink::start();
    let port = metricline_tests::ports::tcp();
    let receiver = format!("off,127.0.0.1:{port}");
    let url = format!("http://127.0.0.1:{port}");
    let env = [
        ("METRICLINE_FLUSH", "end"),
        ("METRICLINE_LOG", "warn"),
        ("METRICLINE_OTLP_RECEIVER", receiver.as_str()),
        ("OTEL_RECEIVER_URL", url.as_str()),
    ];
    let mut sandbox = layer::start_sandbox(&binary, "otel", &python, &sink, &env)?;
    let mut post_runtime = Vec::with_capacity(invokes);
    for i in 0..invokes {
        let result = sandbox.invoke(r#"{"spans":50,"points":20}"#);
        if result.status != InvokeStatus::Success || !result.extensions_ready {
            return Err(format!(
                "invoke {i}: {result:?}\n{}",
                sandbox.extension_log()
            ));
        }
        if i >= WARMUP {
            post_runtime.push(result.post_runtime);
        }
    }
    let rss = sandbox
        .extension_peak_rss_kb()
        .iter()
        .filter_map(|(_, kb)| *kb)
        .max();
    sandbox.shutdown();
    let spans = spans_delivered(&sink);
    if spans != 50 * invokes {
        return Err(format!(
            "{spans} spans reached the sink, not {}",
            50 * invokes
        ));
    }
    let steady = invokes - WARMUP;
    println!("| post-runtime time, `end`, 50 spans + 20 points + 1 log record per invoke, {steady} invokes | {} |", ms(median(post_runtime)));
    println!(
        "| peak RSS of the extension, same run | {} kB |",
        rss.unwrap_or(0)
    );
    floods(&binary, &python)
}

/// The receiver flooded while the backend is down, each invoke posting 20 traces requests
/// of ~2 MB (just under the size limit) against the default 4 MiB buffer: spans of 1 kB
/// (5 invokes, 200 MB in all), empty spans (two bytes each: what decoding would amplify
/// most), and empty OTLP/JSON spans, past and within the JSON budget (2 invokes each);
/// peak RSS of the extension.
fn floods(binary: &std::path::Path, python: &std::path::Path) -> Result<(), String> {
    let shapes = [
        ("~2 MB of spans of 1 kB", r#""kib":1900"#, 5),
        ("~2 MB of empty spans", r#""kib":1900,"shape":"tiny""#, 2),
        (
            "~2 MB of empty OTLP/JSON spans",
            r#""kib":1900,"shape":"tiny-json""#,
            2,
        ),
        (
            "46 KiB of empty OTLP/JSON spans (just within the JSON budget)",
            r#""kib":46,"shape":"tiny-json""#,
            2,
        ),
    ];
    for (what, event, invokes) in shapes {
        flood(binary, python, what, event, invokes, false)?;
    }
    Ok(())
}

/// The receiver flooded while the traces backend is up and configured for `http/json`, so
/// that every flush writes what was received as OTLP/JSON: 2 invokes each posting 20
/// traces requests, of ~2 MB of 1 kB spans (`kb`), of 46 KiB of empty OTLP/JSON spans
/// (`tiny-json`: within the budget of a received JSON body), of ~2 MB of empty protobuf
/// spans (`tiny`); peak RSS of the extension.
fn json_backend_floods(
    binary: &std::path::Path,
    python: &std::path::Path,
    which: &str,
) -> Result<(), String> {
    let shapes = [
        ("kb", "~2 MB of spans of 1 kB", r#""kib":1900"#),
        (
            "tiny-json",
            "46 KiB of empty OTLP/JSON spans",
            r#""kib":46,"shape":"tiny-json""#,
        ),
        (
            "tiny",
            "~2 MB of empty spans",
            r#""kib":1900,"shape":"tiny""#,
        ),
    ];
    for (name, what, event) in shapes {
        if which == "all" || which.split(',').any(|w| w == name) {
            flood(binary, python, what, event, 2, true)?;
        }
    }
    Ok(())
}

fn flood(
    binary: &std::path::Path,
    python: &std::path::Path,
    what: &str,
    event: &str,
    invokes: usize,
    json_backend: bool,
) -> Result<(), String> {
    let sink = Sink::start();
    let (protocol, backend) = if json_backend {
        ("http/json", "backend up, traces over http/json")
    } else {
        sink.fail_next(100_000, Fault::Unavailable);
        ("http/protobuf", "backend down")
    };
    let port = metricline_tests::ports::tcp();
    let receiver = format!("off,127.0.0.1:{port}");
    let url = format!("http://127.0.0.1:{port}");
    let env = [
        ("METRICLINE_FLUSH", "end"),
        ("METRICLINE_LOG", "warn"),
        ("METRICLINE_OTLP_RECEIVER", receiver.as_str()),
        ("OTEL_RECEIVER_URL", url.as_str()),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "300"),
        ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", protocol),
    ];
    let mut sandbox = layer::start_sandbox(binary, "otel", python, &sink, &env)?;
    let mut statuses = Vec::new();
    for i in 0..invokes {
        let result = sandbox.invoke(&format!(r#"{{"flood":20,{event}}}"#));
        // Every request answered, whether accepted (200) or refused (400, 413).
        let answered = result
            .response
            .as_deref()
            .filter(|r| r.contains(r#""flood""#) && r.contains("20}"));
        match answered {
            Some(response) => statuses.push(response.to_string()),
            None => {
                return Err(format!(
                    "flood invoke {i}: {result:?}\n{}",
                    sandbox.extension_log()
                ))
            }
        }
    }
    let rss = sandbox
        .extension_peak_rss_kb()
        .iter()
        .filter_map(|(_, kb)| *kb)
        .max();
    sandbox.shutdown();
    let requests = 20 * invokes;
    let spans = spans_delivered(&sink);
    println!(
        "| peak RSS of the extension, receiver flooded with {requests} requests of {what}, {backend} (answers: {}; {spans} spans delivered in {} requests) | {} kB |",
        statuses.last().map(String::as_str).unwrap_or(""),
        sink.traces().len(),
        rss.unwrap_or(0)
    );
    Ok(())
}

/// The receiver's own set-up time, from the extension's debug line "set up in N µs".
fn receiver_setup_times(
    binary: &std::path::Path,
    python: &std::path::Path,
    sink: &Sink,
    starts: usize,
) -> Result<Vec<Duration>, String> {
    let mut times = Vec::with_capacity(starts);
    for _ in 0..starts {
        let receiver = format!(
            "127.0.0.1:{},127.0.0.1:{}",
            metricline_tests::ports::tcp(),
            metricline_tests::ports::tcp()
        );
        let env = [
            ("METRICLINE_FLUSH", "end"),
            ("METRICLINE_LOG", "debug"),
            ("METRICLINE_OTLP_RECEIVER", receiver.as_str()),
        ];
        let mut sandbox = layer::start_sandbox(binary, "bench", python, sink, &env)?;
        sandbox.shutdown();
        let log = sandbox.extension_log();
        let micros = log
            .split("set up in ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next()?.parse::<u64>().ok())
            .ok_or_else(|| format!("no set-up time in the log:\n{log}"))?;
        times.push(Duration::from_micros(micros));
    }
    Ok(times)
}
