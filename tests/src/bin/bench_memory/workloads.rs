//! The four hostile workloads of docs/limits.md, each in a fresh sandbox with default
//! settings: what the function prints, and what is read back (peak RSS, post-runtime time,
//! the extension's CPU time, and whether every value is accounted for at the sink).

use std::path::Path;
use std::time::{Duration, Instant};

use metricline_tests::expect::total;
use metricline_tests::layer;
use metricline_tests::sandbox::InvokeStatus;
use metricline_tests::sink::{Fault, Sink};

/// A 10-minute outage in 10 s buckets.
const OUTAGE_BUCKETS: u64 = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// 200,000 distinct attribute sets over 100 invokes, one metric.
    Sets,
    /// 10,000 metric names over 100 invokes.
    Names,
    /// A 10-minute backend outage at 1,000 mixed lines per invoke over ~2,000 streams.
    Outage,
    /// One invoke printing 100,000 lines.
    Burst,
}

impl Workload {
    pub const ALL: [Workload; 4] = [
        Workload::Sets,
        Workload::Names,
        Workload::Outage,
        Workload::Burst,
    ];

    pub fn letter(self) -> char {
        match self {
            Workload::Sets => 'a',
            Workload::Names => 'b',
            Workload::Outage => 'c',
            Workload::Burst => 'd',
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Workload::Sets => "200,000 distinct attribute sets over 100 invokes, one metric",
            Workload::Names => "10,000 metric names over 100 invokes",
            Workload::Outage => {
                "10-minute outage (503), 1,000 mixed lines per invoke over 2,000 streams"
            }
            Workload::Burst => "one invoke printing 100,000 mixed lines",
        }
    }

    /// The function, and the payload of invoke `k` (from 1).
    fn payload(self, k: u64) -> (&'static str, String) {
        match self {
            Workload::Sets => ("unique_tags", format!(r#"{{"invoke":{k},"tagged":2000}}"#)),
            Workload::Names => ("unique_tags", format!(r#"{{"invoke":{k},"named":100}}"#)),
            // Invoke k is stamped in the k-th 10 s bucket of the last 10 minutes, so the
            // extension holds ten minutes' worth of buckets after 60 quick invokes.
            Workload::Outage => {
                let age = (OUTAGE_BUCKETS - k) * 10;
                let p = format!(r#"{{"invoke":{k},"mixed":1000,"streams":2000,"age":{age}}}"#);
                ("unique_tags", p)
            }
            Workload::Burst => ("bench", r#"{"lines":100000}"#.to_string()),
        }
    }

    fn invokes(self) -> u64 {
        match self {
            Workload::Sets | Workload::Names => 100,
            Workload::Outage => OUTAGE_BUCKETS,
            Workload::Burst => 1,
        }
    }
}

pub struct Measured {
    pub workload: Workload,
    /// VmHWM of the extension just before SHUTDOWN.
    pub peak_rss_kb: u64,
    pub post_runtime_median: Duration,
    /// The extension's CPU time up to SHUTDOWN (init included).
    pub cpu: Duration,
    pub wall: Duration,
    /// What the sink shows of the values: a sentence for the table.
    pub accounted: String,
    pub oom_kills: u64,
}

fn cpu_time(pid: u32) -> Duration {
    let schedstat = std::fs::read_to_string(format!("/proc/{pid}/schedstat")).unwrap_or_default();
    let ns = schedstat
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok());
    Duration::from_nanos(ns.unwrap_or(0))
}

pub fn run(
    workload: Workload,
    binary: &Path,
    python: &Path,
    memory_mb: Option<u64>,
) -> Result<Measured, String> {
    let sink = Sink::start();
    let (function, _) = workload.payload(1);
    let env = [("METRICLINE_LOG", "warn")];
    let mut builder = layer::sandbox_builder(binary, function, python, &sink, &env)
        .timeout(Duration::from_secs(60));
    if let Some(mb) = memory_mb {
        builder = builder.memory_mb(mb).lambda_limits();
    }
    let mut sandbox = builder.start()?;
    if workload == Workload::Outage {
        sink.fail_next(usize::MAX / 2, Fault::Unavailable);
    }
    let started = Instant::now();
    let mut post_runtime = Vec::new();
    for k in 1..=workload.invokes() {
        let result = sandbox.invoke(&workload.payload(k).1);
        if result.status != InvokeStatus::Success || !result.extensions_ready {
            return Err(format!(
                "invoke {k}: {result:?}\n{}",
                sandbox.extension_log()
            ));
        }
        post_runtime.push(result.post_runtime);
    }
    let wall = started.elapsed();
    let pid = sandbox.extension_pids().first().map(|(_, pid)| *pid);
    let cpu = pid.map(cpu_time).unwrap_or_default();
    let peak_rss_kb = sandbox
        .extension_peak_rss_kb()
        .iter()
        .filter_map(|(_, kb)| *kb)
        .max()
        .unwrap_or(0);
    // The backend is back for the shutdown flush: what the buffer kept is delivered.
    sink.clear_faults();
    let shutdown = sandbox.shutdown();
    if !shutdown.extension_exited_before_deadline {
        return Err(format!(
            "shutdown {shutdown:?}\n{}",
            sandbox.extension_log()
        ));
    }
    post_runtime.sort();
    Ok(Measured {
        workload,
        peak_rss_kb,
        post_runtime_median: post_runtime[post_runtime.len() / 2],
        cpu,
        wall,
        accounted: accounted(workload, &sink),
        oom_kills: sandbox.cgroup().map_or(0, |c| c.usage().oom_kills),
    })
}

/// What reached the sink, against what the function printed.
fn accounted(workload: Workload, sink: &Sink) -> String {
    let points = sink.points();
    let lines = |outcome: &str| {
        total(
            &points,
            "metricline.lines",
            &[("metricline.outcome", outcome)],
        )
    };
    let dropped = total(&points, "metricline.points.dropped", &[]);
    match workload {
        Workload::Sets => {
            let printed: f64 = (0..2000u64).map(|i| (1 + i % 7) as f64).sum::<f64>() * 100.0;
            let overflow = sink.count("signups", &[("otel.metric.overflow", "true")]);
            format!(
                "signups total {} of {printed} printed; {overflow} overflow points",
                sink.total("signups", &[])
            )
        }
        Workload::Names => {
            let names = points
                .iter()
                .filter(|p| p.metric.starts_with("user."))
                .count();
            format!(
                "{names} name points, {} lines accepted, {} rejected",
                lines("accepted"),
                lines("rejected")
            )
        }
        Workload::Outage => format!(
            "{} lines accepted; after recovery {} points delivered, {dropped} counted dropped",
            lines("accepted"),
            points.len()
        ),
        Workload::Burst => format!(
            "{} lines accepted, {} rejected",
            lines("accepted"),
            lines("rejected")
        ),
    }
}
