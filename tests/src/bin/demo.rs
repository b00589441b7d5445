//! The demo: a local OTLP sink, a local Lambda sandbox running metricline and a Python
//! function (tests/functions/demo) that uses every input metricline takes: it prints every
//! metric line format, sends DogStatsD datagrams to the StatsD listener and OTLP from the
//! OpenTelemetry SDK to the local receiver. The metrics the sink receives are printed as a
//! table as they arrive, with their resources. No AWS account, no collector.
//!
//! `demo <binary> --lmi` runs the sandbox as Lambda Managed Instances instead (docs/lmi.md): four
//! runtime workers serve requests concurrently, nothing is frozen, and metricline exports
//! on its timer while the environment runs.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use metricline_tests::harness::{exporter_env, Otlp};
use metricline_tests::ports;
use metricline_tests::sandbox::{self, Sandbox};
use metricline_tests::sink::{PointKind, ReceivedPoint, Sink};

fn kind(p: &ReceivedPoint) -> &'static str {
    match p.kind {
        // The SDK's counters arrive cumulative (its default), unlike metricline's own.
        PointKind::Sum if p.temporality == 2 => "cumulative sum",
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

/// Returns when the first new point arrived.
fn show_new_within(sink: &Sink, seen: &mut usize, title: &str, wait: Duration) -> Instant {
    sink.wait_until(wait, |p| p.len() > *seen);
    let first = Instant::now();
    // The receiver's requests are forwarded beside metricline's own: wait for the
    // arrivals to settle.
    let mut arrived = sink.points().len();
    while sink.wait_until(Duration::from_millis(300), |p| p.len() > arrived) {
        arrived = sink.points().len();
    }
    let points = sink.points();
    println!("\n== {title}: {} new data points", points.len() - *seen);
    let mut new = points[*seen..].to_vec();
    new.sort_by(|a, b| (&a.metric, &a.attributes).cmp(&(&b.metric, &b.attributes)));
    print_points(&new);
    print_resources(&points[..*seen], &new);
    *seen = points.len();
    first
}

/// The resources of `new` not seen in `old`, each once: the Lambda resource metricline
/// gives its own metrics, and the SDK's resource, which metricline enriches with it.
fn print_resources(old: &[ReceivedPoint], new: &[ReceivedPoint]) {
    // Keyed without service.instance.id: LMI's runtime workers each have an SDK of their own.
    let key = |p: &ReceivedPoint| {
        let mut resource = p.resource.clone();
        let instance = resource.remove("service.instance.id").unwrap_or_default();
        (resource, instance)
    };
    let shown: Vec<_> = old.iter().map(key).collect();
    let mut fresh: BTreeMap<BTreeMap<String, String>, Vec<String>> = BTreeMap::new();
    for (resource, instance) in new.iter().map(key) {
        if shown.iter().any(|(r, i)| *r == resource && *i == instance) {
            continue;
        }
        let instances = fresh.entry(resource).or_default();
        if !instances.contains(&instance) {
            instances.push(instance);
        }
    }
    for (resource, instances) in fresh {
        let whose = if resource.contains_key("telemetry.sdk.name") {
            "the SDK's resource, enriched"
        } else {
            "metricline's resource"
        };
        let attributes: Vec<String> = resource.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let workers = match instances.len() {
            1 => String::new(),
            n => format!(" ({n} runtime workers, a service.instance.id each)"),
        };
        println!("  {whose}{workers}: {}", attributes.join(", "));
    }
}

/// The sandbox with metricline and the `demo` function, exporting to `sink`; `workers`
/// makes it Lambda Managed Instances. The StatsD listener and the OTLP receiver get free
/// loopback ports (not the defaults 8125, 4317 and 4318, which other processes may hold),
/// passed to the function as STATSD_PORT and OTLP_HTTP_PORT.
fn start(
    sink: &Sink,
    python: &std::path::Path,
    binary: &std::ffi::OsStr,
    workers: Option<usize>,
) -> Sandbox {
    let mut builder = Sandbox::builder()
        .extension(binary)
        .function_dir(sandbox::sample_function("demo"))
        .function_name("checkout-demo")
        .python(python);
    for (k, v) in exporter_env(sink, Otlp::HttpProtobuf) {
        builder = builder.env(k, v);
    }
    let (statsd, grpc, http) = (ports::udp(), ports::tcp(), ports::tcp());
    println!(
        "StatsD listener on udp://127.0.0.1:{statsd}, \
         OTLP receiver on gRPC 127.0.0.1:{grpc} and HTTP 127.0.0.1:{http}"
    );
    builder = builder
        .env("METRICLINE_STATSD", format!("127.0.0.1:{statsd}"))
        .env(
            "METRICLINE_OTLP_RECEIVER",
            format!("127.0.0.1:{grpc},127.0.0.1:{http}"),
        )
        .env("STATSD_PORT", statsd.to_string())
        .env("OTLP_HTTP_PORT", http.to_string());
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
        eprintln!("no Python venv: run scripts/setup.sh first");
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
    println!(
        "\nPer invoke the function sends DogStatsD datagrams, OTLP from the OpenTelemetry SDK \
         (a counter and a span) and prints Powertools EMF, datadog_lambda JSON and MONITORING| lines."
    );
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
        "{} metrics requests, {} data points received",
        sink.requests().len(),
        seen
    );
    print_signals(&sink);
    let log = sandbox.extension_log();
    if !log.is_empty() {
        println!("\nextension log:\n{log}");
    }
}

/// The spans and log records the sink received: the SDK's, forwarded by the receiver.
fn print_signals(sink: &Sink) {
    let traces = sink.traces();
    let spans: usize = traces
        .iter()
        .flat_map(|t| &t.resource_spans)
        .flat_map(|r| &r.scope_spans)
        .map(|s| s.spans.len())
        .sum();
    let logs = sink.logs();
    let records: usize = logs
        .iter()
        .flat_map(|l| &l.resource_logs)
        .flat_map(|r| &r.scope_logs)
        .map(|s| s.log_records.len())
        .sum();
    println!(
        "{spans} spans in {} traces requests, {records} log records in {} logs requests",
        traces.len(),
        logs.len()
    );
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
        let first = show_new_within(sink, seen, &title, Duration::from_secs(5));
        if *seen > before {
            println!(
                "  (first export of the round {:?} after its requests ended, environment still running)",
                first - ended
            );
        }
    }
}
