//! The demo: a local OTLP sink, a local Lambda sandbox running metricline and a Python
//! function that prints every metric line format, and the metrics the sink receives,
//! printed as a table as they arrive. No AWS account, no collector.
//!
//! `demo <binary> --lmi` runs the sandbox as Lambda Managed Instances instead (docs/lmi.md): four
//! runtime workers serve requests concurrently, nothing is frozen, and metricline exports
//! on its timer while the environment runs.

use std::time::{Duration, Instant};

use metricline_tests::harness::{exporter_env, Otlp};
use metricline_tests::sandbox::{self, Sandbox};
use metricline_tests::sink::{PointKind, ReceivedPoint, Sink};

fn kind(p: &ReceivedPoint) -> &'static str {
    match p.kind {
        PointKind::Sum => "sum",
        PointKind::Gauge => "gauge",
        PointKind::Histogram => "histogram",
        PointKind::ExponentialHistogram => "exp-histogram",
        PointKind::Summary => "summary",
    }
}

fn value(p: &ReceivedPoint) -> String {
    match p.kind {
        PointKind::Sum | PointKind::Gauge => format!("{}", p.value),
        _ => format!("count={} sum={}", p.count, p.value),
    }
}

fn print_points(points: &[ReceivedPoint]) {
    for p in points {
        let attributes: Vec<String> = p
            .attributes
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let unit = if p.unit.is_empty() {
            String::new()
        } else {
            format!(" [{}]", p.unit)
        };
        println!(
            "  {:<36} {:<14} {:<48} {}{unit}",
            p.metric,
            kind(p),
            attributes.join(","),
            value(p)
        );
    }
}

/// Prints what arrived since `seen`, waiting briefly for the first new point.
fn show_new(sink: &Sink, seen: &mut usize, title: &str) {
    show_new_within(sink, seen, title, Duration::from_secs(3));
}

fn show_new_within(sink: &Sink, seen: &mut usize, title: &str, wait: Duration) {
    sink.wait_until(wait, |p| p.len() > *seen);
    let points = sink.points();
    println!("\n== {title}: {} new data points", points.len() - *seen);
    let mut new = points[*seen..].to_vec();
    new.sort_by(|a, b| (&a.metric, &a.attributes).cmp(&(&b.metric, &b.attributes)));
    print_points(&new);
    *seen = points.len();
}

/// The sandbox with metricline and the `lines` function, exporting to `sink`; `workers`
/// makes it Lambda Managed Instances.
fn start(
    sink: &Sink,
    python: &std::path::Path,
    binary: &std::ffi::OsStr,
    workers: Option<usize>,
) -> Sandbox {
    let mut builder = Sandbox::builder()
        .extension(binary)
        .function_dir(sandbox::sample_function("lines"))
        .function_name("checkout-demo")
        .python(python);
    for (k, v) in exporter_env(sink, Otlp::HttpProtobuf) {
        builder = builder.env(k, v);
    }
    builder = match workers {
        Some(n) => builder
            .managed_instances(n)
            .env("OTEL_METRIC_EXPORT_INTERVAL", "1000"),
        None => builder.env("METRICLINE_FLUSH", "end"),
    };
    match builder.env("METRICLINE_LOG", "info").start() {
        Ok(sandbox) => sandbox,
        Err(e) => {
            eprintln!("the sandbox did not start: {e}");
            std::process::exit(1);
        }
    }
}

fn main() {
    let lmi = std::env::args().skip(2).any(|a| a == "--lmi");
    let Some(python) = sandbox::venv_python() else {
        eprintln!("no Python venv: run scripts/setup-python.sh first");
        std::process::exit(1);
    };
    // scripts/demo.sh builds the binary and passes its path.
    let Some(binary) = std::env::args_os().nth(1) else {
        eprintln!("usage: demo <path of the metricline binary> (scripts/demo.sh passes it)");
        std::process::exit(2);
    };
    let sink = Sink::start();
    println!(
        "OTLP sink listening: gRPC {} and HTTP {}",
        sink.grpc_endpoint(),
        sink.http_endpoint()
    );
    let mut sandbox = start(&sink, &python, &binary, lmi.then_some(4));
    for (name, ready) in sandbox.ready_times() {
        println!("extension {name} ready (start → first /next) in {ready:?}");
    }
    println!("\nThe function prints Powertools EMF, datadog_lambda JSON and MONITORING| lines.");
    let mut seen = 0;
    if lmi {
        managed_rounds(&mut sandbox, &sink, &mut seen);
    } else {
        on_demand_invokes(&mut sandbox, &sink, &mut seen);
    }
    let shutdown = sandbox.shutdown();
    show_new(&sink, &mut seen, "SHUTDOWN (last report, final flush)");
    let ext = &shutdown.extensions[0];
    println!(
        "\nmetricline exited {} the deadline after {:?} (killed: {}), peak RSS {} KiB",
        if ext.exited_before_deadline {
            "before"
        } else {
            "after"
        },
        ext.exit_after.unwrap_or_default(),
        ext.killed,
        ext.peak_rss_kb
    );
    println!(
        "{} requests, {} data points received",
        sink.requests().len(),
        seen
    );
    let log = sandbox.extension_log();
    if !log.is_empty() {
        println!("\nextension log:\n{log}");
    }
}

fn on_demand_invokes(sandbox: &mut Sandbox, sink: &Sink, seen: &mut usize) {
    let invokes = [
        r#"{}"#,
        r#"{"repeat":2}"#,
        r#"{"malformed":true}"#,
        r#"{"action":"fail"}"#,
    ];
    for (n, payload) in invokes.iter().enumerate() {
        let result = sandbox.invoke(payload);
        let title = format!(
            "invoke {} {payload} → {:?}, post-runtime {:?}",
            n + 1,
            result.status,
            result.post_runtime
        );
        show_new(sink, seen, &title);
    }
}

/// Lambda Managed Instances: rounds of concurrent requests; what each round printed reaches
/// the sink on metricline's 1 s timer, with no INVOKE event and no freeze.
fn managed_rounds(sandbox: &mut Sandbox, sink: &Sink, seen: &mut usize) {
    println!("Lambda Managed Instances: 4 runtime workers, OTEL_METRIC_EXPORT_INTERVAL=1000");
    let rounds: [&[&str]; 2] = [
        &["{}"; 8],
        &[
            r#"{"repeat":2}"#,
            r#"{"malformed":true}"#,
            r#"{"action":"fail"}"#,
            r#"{"action":"oom"}"#,
        ],
    ];
    for (n, payloads) in rounds.iter().enumerate() {
        let results = sandbox.invoke_concurrently(payloads);
        let ended = Instant::now();
        let statuses: Vec<String> = results.iter().map(|r| format!("{:?}", r.status)).collect();
        let before = *seen;
        let title = format!(
            "round {}: {} concurrent requests → {}",
            n + 1,
            payloads.len(),
            statuses.join(", ")
        );
        show_new_within(sink, seen, &title, Duration::from_secs(5));
        if *seen > before {
            println!(
                "  (first export of the round {:?} after its requests ended, environment still running)",
                ended.elapsed()
            );
        }
    }
}
