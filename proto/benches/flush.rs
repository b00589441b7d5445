//! The CPU work of an `end` flush (docs/measurements.md, post-runtime ≤ 1 ms): take every
//! stream of one invoke out of the aggregator and encode it as an OTLP protobuf body. The invoke is
//! the sandbox benchmark's (tests/functions/bench): 1000 lines of every format over the
//! ~60 streams a busy instrumented function writes.
//!
//! `cargo bench -p metricline-proto --bench flush`

// Each bench is its own crate root: a shared file is how two of them share a module.
#[path = "shared/cpu_time.rs"]
mod cpu_time;

use std::hint::black_box;

use cpu_time::{Bench, ThreadCpuTime};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use metricline_proto::aggregate::{
    AggregationConfig, Aggregator, HistogramAggregation, Temporality,
};
use metricline_proto::lines::{parse_text_into, Formats};
use metricline_proto::otlp::{encode, encode_protobuf, OtlpBody, Request};
use metricline_proto::resource::{AttributeValue, Resource};

const S: u64 = 1_000_000_000;
const NOW: u64 = 1_764_151_200;

const ROUTES: [&str; 5] = ["/cart", "/checkout", "/search", "/orders", "/login"];
const TENANTS: [&str; 4] = ["acme", "globex", "initech", "umbrella"];

/// The ten lines of block `i` of the sandbox benchmark's function.
fn block(i: usize) -> [String; 10] {
    let (route, tenant) = (ROUTES[i % 5], TENANTS[i % 4]);
    let emf = |dims: &str, metrics: &str, members: &str| {
        format!(
            r#"{{"_aws":{{"Timestamp":{}000,"CloudWatchMetrics":[{{"Namespace":"Shop","Dimensions":[{dims}],"Metrics":[{metrics}]}}]}},"service":"orders",{members}}}"#,
            NOW
        )
    };
    [
        format!("MONITORING|{NOW}|1|count|shop.requests|#route:{route},tenant:{tenant}"),
        format!(
            "MONITORING|{NOW}|{}|gauge|shop.queue.depth|#tenant:{tenant}",
            i % 50
        ),
        format!(
            "MONITORING|{NOW}|{:.3}|histogram|shop.db.query_time|#route:{route}",
            0.002 * (i % 13) as f64
        ),
        format!(
            "MONITORING|{NOW}|{:.2}|distribution|shop.cart.value|#tenant:{tenant},env:prod",
            10.5 + (i % 90) as f64
        ),
        format!("MONITORING|{NOW}|2|count|shop.cache.hits|#route:{route}"),
        format!(
            r#"{{"m":"shop.orders.value","v":{},"e":{NOW},"t":["env:prod","tenant:{tenant}","dd_lambda_layer:datadog-python311_8.130.0"]}}"#,
            12.5 + (i % 40) as f64
        ),
        format!(
            r#"{{"m":"shop.payment.latency","v":{},"e":{NOW},"t":["provider:card"]}}"#,
            0.05 * (i % 9) as f64
        ),
        format!(
            r#"{{"m":"shop.items","v":{},"e":{NOW},"t":["route:{route}"]}}"#,
            i % 6
        ),
        emf(
            r#"["service","route"]"#,
            r#"{"Name":"Latency","Unit":"Milliseconds"},{"Name":"Orders","Unit":"Count"}"#,
            &format!(
                r#""route":"{route}","Latency":[{},8.25,30.0],"Orders":1"#,
                12.5 + (i % 7) as f64
            ),
        ),
        emf(
            r#"["service"]"#,
            r#"{"Name":"PayloadSize","Unit":"Bytes"}"#,
            &format!(r#""PayloadSize":{}"#, 512 + i),
        ),
    ]
}

fn resource() -> Resource {
    let text = |k: &str, v: &str| (k.to_string(), AttributeValue::Str(v.to_string()));
    Resource {
        attributes: vec![
            text("service.name", "checkout"),
            text("cloud.provider", "aws"),
            text("cloud.platform", "aws_lambda"),
            text("cloud.region", "us-east-1"),
            text("faas.name", "checkout"),
            text("faas.version", "$LATEST"),
            text(
                "faas.instance",
                "2026/11/26/[$LATEST]0f1e2d3c4b5a69788796a5b4c3d2e1f0",
            ),
            (
                "faas.max_memory".to_string(),
                AttributeValue::Int(1024 << 20),
            ),
        ],
    }
}

/// An aggregator holding one invoke's 1000 lines, ready to be flushed.
fn one_invoke(config: AggregationConfig) -> Aggregator {
    let mut aggregator = Aggregator::new(config);
    for i in 0..100 {
        for line in block(i) {
            parse_text_into(&line, NOW * S, Formats::default(), &mut aggregator);
        }
    }
    aggregator
}

fn flush(c: &mut Bench) {
    let config = AggregationConfig {
        temporality: Temporality::Delta,
        histograms: HistogramAggregation::Exponential,
        start_time_unix_nano: (NOW - 60) * S,
    };
    let resource = resource();
    let after = (NOW + 1) * S;
    let mut group = c.benchmark_group("end_flush");
    group.bench_function("take_all", |b| {
        b.iter_batched(
            || one_invoke(config),
            |mut aggregator| black_box(aggregator.take_all(after)),
            BatchSize::LargeInput,
        )
    });
    let export = one_invoke(config).take_all(after);
    // Through opentelemetry-proto's message, then protobuf.
    group.bench_function("message_protobuf", |b| {
        b.iter(|| encode_protobuf(&encode(&resource, black_box(&export), &config)))
    });
    // Written straight from the export: what the extension sends.
    group.bench_function("request_protobuf", |b| {
        b.iter(|| {
            Request {
                resource: &resource,
                export: black_box(&export),
                config: &config,
            }
            .protobuf()
        })
    });
    group.bench_function("take_all_request_protobuf", |b| {
        b.iter_batched(
            || one_invoke(config),
            |mut aggregator| {
                let export = aggregator.take_all(after);
                Request {
                    resource: &resource,
                    export: &export,
                    config: &config,
                }
                .protobuf()
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
    eprintln!(
        "end_flush: {} streams, {} points, {} protobuf bytes",
        export.streams.len(),
        export.point_count(),
        Request {
            resource: &resource,
            export: &export,
            config: &config
        }
        .protobuf()
        .len()
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().with_measurement(ThreadCpuTime);
    targets = flush
}
criterion_main!(benches);
