//! Throughput of the hot path (docs/measurements.md): aggregation (points/s), OTLP encoding
//! (data points/s) and parse + aggregate of monitoring lines (lines/s) per format, for
//! a realistic mix and for StatsD datagrams. Budget: ≥ 2 million mixed lines/s on one core.
//!
//! `cargo bench -p metricline-proto --bench throughput -- --warm-up-time 1 --measurement-time 3`
//!
//! Times are the benchmark thread's CPU time, not wall-clock time: on a shared machine
//! (CI, a busy laptop) wall-clock numbers mostly measure the neighbours, while CPU time
//! stays what one core spends, which is what the budget is about.

// Each bench is its own crate root: a shared file is how two of them share a module.
#[path = "shared/cpu_time.rs"]
mod cpu_time;

use std::hint::black_box;

use cpu_time::{Bench, ThreadCpuTime};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use metricline_proto::aggregate::{
    AggregationConfig, Aggregator, Export, HistogramAggregation, Temporality,
};
use metricline_proto::lines::{parse_text_into, Formats};
use metricline_proto::model::{Kind, Point, PointRef, PointSink, StreamKey};
use metricline_proto::otlp::{encode, encode_json, encode_protobuf};
use metricline_proto::resource::{AttributeValue, Resource};
use metricline_proto::statsd::{parse_datagram, Tally};

const S: u64 = 1_000_000_000;
const T0: u64 = 1_764_151_200 * S;
/// Points or lines per benchmark iteration: about one busy invoke.
const BATCH: usize = 1000;

fn config(histograms: HistogramAggregation) -> AggregationConfig {
    AggregationConfig {
        temporality: Temporality::Delta,
        histograms,
        start_time_unix_nano: T0,
    }
}

/// `BATCH` points over 50 streams of `kind`, spread over a few milliseconds.
fn points(kind: Kind) -> Vec<Point> {
    (0..BATCH)
        .map(|i| Point {
            key: StreamKey::new(
                format!("shop.metric{}", i % 10),
                "ms",
                kind,
                vec![
                    ("env".into(), "prod".into()),
                    ("service".into(), format!("svc{}", (i / 10) % 5)),
                ],
            ),
            time_unix_nano: T0 + S + (i as u64) * 1000,
            value: (i % 97) as f64 * 1.5 + 0.25,
        })
        .collect()
}

fn aggregation(c: &mut Bench) {
    let mut group = c.benchmark_group("aggregate");
    group.throughput(Throughput::Elements(BATCH as u64));
    for (name, kind, histograms) in [
        ("sum", Kind::Sum, HistogramAggregation::Exponential),
        ("gauge", Kind::Gauge, HistogramAggregation::Exponential),
        (
            "exponential_histogram",
            Kind::Histogram,
            HistogramAggregation::Exponential,
        ),
        (
            "explicit_histogram",
            Kind::Histogram,
            HistogramAggregation::ExplicitBuckets,
        ),
    ] {
        let batch = points(kind);
        let mut agg = Aggregator::new(config(histograms));
        group.bench_function(name, |b| {
            b.iter_batched(
                || batch.clone(),
                |points| points.into_iter().for_each(|p| agg.record(p)),
                BatchSize::SmallInput,
            )
        });
    }
    // Baseline: only freeing the points (their key strings), which `record` also does.
    let batch = points(Kind::Sum);
    group.bench_function("drop_points_only", |b| {
        b.iter_batched(
            || batch.clone(),
            |points| points.into_iter().for_each(|p| drop(black_box(p))),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

/// A flush of 150 streams (50 of each kind), 5 points (10 s buckets) each.
fn export() -> (Export, AggregationConfig) {
    let cfg = config(HistogramAggregation::Exponential);
    let mut agg = Aggregator::new(cfg);
    for kind in [Kind::Sum, Kind::Gauge, Kind::Histogram] {
        for (i, mut p) in points(kind).into_iter().enumerate() {
            p.time_unix_nano = T0 + (i as u64 / 50 % 5) * 10 * S + S;
            agg.record(p);
        }
    }
    (agg.take_until(T0 + 50 * S), cfg)
}

fn resource() -> Resource {
    Resource {
        attributes: vec![
            (
                "service.name".into(),
                AttributeValue::Str("checkout".into()),
            ),
            ("cloud.provider".into(), AttributeValue::Str("aws".into())),
            ("faas.max_memory".into(), AttributeValue::Int(134_217_728)),
        ],
    }
}

fn encoding(c: &mut Bench) {
    let (export, cfg) = export();
    let resource = resource();
    let mut group = c.benchmark_group("encode");
    group.throughput(Throughput::Elements(export.point_count() as u64));
    group.bench_function("protobuf", |b| {
        b.iter(|| encode_protobuf(&encode(&resource, black_box(&export), &cfg)))
    });
    group.bench_function("json", |b| {
        b.iter(|| encode_json(&encode(&resource, black_box(&export), &cfg)))
    });
    group.finish();
}

/// A sink that only makes sure each point is built.
struct Discard;

impl PointSink for Discard {
    fn push_point(&mut self, point: PointRef<'_>) {
        black_box(point);
    }
}

const MONITORING: &str = "MONITORING|1764151200|3|count|orders.placed|#env:prod,vip";
const NODE_PREFIX: &str = "2026-01-01T00:00:00.000Z\t6f7f0961-7b3a-4b8d-9b59-0e4a3c1e2f10\tINFO\t";

/// Lines with varying names, values and tags, as a function would print them.
fn lines(kind: &str) -> Vec<String> {
    let line = |kind: &str, i: usize| {
        let name = i % 8;
        let env = ["prod", "dev", "staging"][i % 3];
        let value = (i % 89) as f64 * 0.75;
        match kind {
            "monitoring" => format!(
                "MONITORING|1764151200|{value}|{}|shop.metric{name}|#env:{env},vip",
                ["count", "gauge", "histogram"][i % 3]
            ),
            "datadog" => format!(
                r#"{{"m":"shop.metric{name}","v":{value},"e":1764151200,"t":["env:{env}","product:latte"]}}"#
            ),
            _ => format!(
                r#"{{"_aws":{{"Timestamp":1764151200000,"CloudWatchMetrics":[{{"Namespace":"Shop","Dimensions":[["service"]],"Metrics":[{{"Name":"Latency{name}","Unit":"Milliseconds"}}]}}]}},"service":"{env}","Latency{name}":[{value},8]}}"#
            ),
        }
    };
    (0..BATCH)
        .map(|i| match kind {
            "node_prefixed" => format!("{NODE_PREFIX}{}", line("monitoring", i)),
            // A realistic mix: plain logs between monitoring lines of every format.
            "mixed" => match i % 10 {
                0 | 1 => line("monitoring", i),
                2 => format!("{NODE_PREFIX}{MONITORING}"),
                3 | 4 => line("datadog", i),
                5 => line("emf", i),
                6 => format!("{NODE_PREFIX}processed order {i} in 12 ms"),
                7 => r#"{"level":"info","message":"cart updated","items":3}"#.to_string(),
                8 => "START RequestId: 6f7f0961 Version: $LATEST".to_string(),
                _ => format!("INFO payment accepted for order {i}"),
            },
            kind => line(kind, i),
        })
        .collect()
}

fn parse_and_aggregate(c: &mut Bench) {
    let mut group = c.benchmark_group("parse_aggregate");
    group.throughput(Throughput::Elements(BATCH as u64));
    for kind in ["monitoring", "datadog", "emf", "node_prefixed", "mixed"] {
        let batch = lines(kind);
        let mut agg = Aggregator::new(config(HistogramAggregation::Exponential));
        group.bench_function(kind, |b| {
            b.iter(|| {
                for line in &batch {
                    parse_text_into(line, T0, Formats::default(), &mut agg);
                }
            })
        });
    }
    group.finish();
    // The parsers alone, points discarded: what parse_aggregate spends outside the
    // aggregator.
    let mut group = c.benchmark_group("parse_only");
    group.throughput(Throughput::Elements(BATCH as u64));
    for kind in ["monitoring", "datadog", "emf", "mixed"] {
        let batch = lines(kind);
        group.bench_function(kind, |b| {
            b.iter(|| {
                for line in &batch {
                    parse_text_into(line, T0, Formats::default(), &mut Discard);
                }
            })
        });
    }
    group.finish();
    // The whole post-runtime work of one invoke: its lines, the final flush, protobuf.
    let mut group = c.benchmark_group("invoke");
    group.throughput(Throughput::Elements(BATCH as u64));
    let batch = lines("mixed");
    let resource = resource();
    let cfg = config(HistogramAggregation::Exponential);
    let mut agg = Aggregator::new(cfg);
    let mut now = T0 + 60 * S;
    group.bench_function("mixed_1000_lines_take_all_protobuf", |b| {
        b.iter(|| {
            for line in &batch {
                parse_text_into(line, now, Formats::default(), &mut agg);
            }
            now += 1_000_000;
            encode_protobuf(&encode(&resource, &agg.take_all(now), &cfg))
        })
    });
    group.finish();
}

/// DogStatsD lines as clients write them, the `monitoring` lines' streams: counters,
/// gauges and distributions in turn, 8 names × 3 tag values, two tags each; every
/// fourth counter sampled at 0.5.
fn statsd_lines() -> Vec<String> {
    (0..BATCH)
        .map(|i| {
            let (name, env) = (i % 8, ["prod", "dev", "staging"][i % 3]);
            let value = (i % 89) as f64 * 0.75;
            let kind = match i % 12 {
                0 => "c|@0.5",
                _ => ["c", "g", "d"][i % 3],
            };
            format!("shop.metric{name}:{value}|{kind}|#env:{env},vip")
        })
        .collect()
}

/// `BATCH` lines as `BATCH` one-line datagrams (an unbuffered client such as pip `statsd`)
/// and as datagrams of 10 lines (a buffering client); throughput is per line.
fn statsd(c: &mut Bench) {
    let lines = statsd_lines();
    let single: Vec<Vec<u8>> = lines.iter().map(|l| l.as_bytes().to_vec()).collect();
    let packed: Vec<Vec<u8>> = lines
        .chunks(10)
        .map(|c| c.join("\n").into_bytes())
        .collect();
    let mut group = c.benchmark_group("parse_aggregate");
    group.throughput(Throughput::Elements(BATCH as u64));
    for (name, datagrams) in [("statsd", &single), ("statsd_10_per_datagram", &packed)] {
        let mut agg = Aggregator::new(config(HistogramAggregation::Exponential));
        // As the extension does: every line's outcome counted for `metricline.lines`.
        let mut tally = Tally::default();
        group.bench_function(name, |b| {
            b.iter(|| {
                for datagram in datagrams {
                    parse_datagram(datagram, T0, &mut agg, |_, outcome| tally.count(outcome));
                }
            })
        });
    }
    group.finish();
    let mut group = c.benchmark_group("parse_only");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("statsd", |b| {
        b.iter(|| {
            for datagram in &single {
                parse_datagram(datagram, T0, &mut Discard, |_, outcome| {
                    black_box(outcome);
                });
            }
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().with_measurement(ThreadCpuTime);
    targets = aggregation, encoding, parse_and_aggregate, statsd
}
criterion_main!(benches);
