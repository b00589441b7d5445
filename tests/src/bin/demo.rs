//! The demo: a local OTLP sink, a local Lambda sandbox running metricline and a Python
//! function that prints every metric line format, and the metrics the sink receives,
//! printed as a table as they arrive. No AWS account, no collector.

use std::time::Duration;

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
    sink.wait_until(Duration::from_secs(3), |p| p.len() > *seen);
    let points = sink.points();
    println!("\n== {title}: {} new data points", points.len() - *seen);
    let mut new = points[*seen..].to_vec();
    new.sort_by(|a, b| (&a.metric, &a.attributes).cmp(&(&b.metric, &b.attributes)));
    print_points(&new);
    *seen = points.len();
}

fn main() {
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
    let mut builder = Sandbox::builder()
        .extension(binary)
        .function_dir(sandbox::sample_function("lines"))
        .function_name("checkout-demo")
        .python(&python);
    for (k, v) in exporter_env(&sink, Otlp::HttpProtobuf) {
        builder = builder.env(k, v);
    }
    let mut sandbox = match builder
        .env("METRICLINE_FLUSH", "end")
        .env("METRICLINE_LOG", "info")
        .start()
    {
        Ok(sandbox) => sandbox,
        Err(e) => {
            eprintln!("the sandbox did not start: {e}");
            std::process::exit(1);
        }
    };
    for (name, ready) in sandbox.ready_times() {
        println!("extension {name} ready (start → first /next) in {ready:?}");
    }
    println!("\nThe function prints Powertools EMF, datadog_lambda JSON and MONITORING| lines.");
    let mut seen = 0;
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
        show_new(&sink, &mut seen, &title);
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
