//! The hot path allocates nothing per record once warmed up (docs/cpu.md): the batch
//! reader reuses its buffers, and a line of a stream the aggregator already has is parsed
//! and recorded in place. Counted by a global allocator that counts this thread's calls.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use metricline_proto::aggregate::{
    AggregationConfig, Aggregator, HistogramAggregation, Temporality,
};
use metricline_proto::lines::{parse_record_into, Formats, Outcome};
use metricline_proto::telemetry::{BatchReader, EventRef};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

fn allocations_in(f: impl FnOnce()) -> u64 {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

/// One line of each format the benchmark's function prints (the EMF one with a metric of
/// several values), and a Node.js-prefixed one.
const LINES: [&str; 4] = [
    "MONITORING|1764151200|1|count|shop.requests|#route:/cart,tenant:acme",
    r#"{"m":"shop.orders.value","v":12.5,"e":1764151200,"t":["env:prod","tenant:acme"]}"#,
    r#"{"_aws":{"Timestamp":1764151200000,"CloudWatchMetrics":[{"Namespace":"Shop","Dimensions":[["service","route"]],"Metrics":[{"Name":"Latency","Unit":"Milliseconds"},{"Name":"Orders","Unit":"Count"}]}]},"service":"orders","route":"/cart","Latency":[12.5,8.25,30.0],"Orders":1}"#,
    "2026-01-01T00:00:00.000Z\t8a1c-4f\tINFO\tMONITORING|1764151200|2|gauge|shop.queue.depth|#tenant:acme",
];

/// A Telemetry API body of `count` text records cycling through [`LINES`].
fn body(count: usize) -> String {
    let events: Vec<String> = (0..count)
        .map(|i| {
            serde_json::json!({
                "time": "2026-01-01T00:00:00.001Z",
                "type": "function",
                "record": LINES[i % LINES.len()],
            })
            .to_string()
        })
        .collect();
    format!("[{}]", events.join(","))
}

fn aggregator() -> Aggregator {
    Aggregator::new(AggregationConfig {
        temporality: Temporality::Delta,
        histograms: HistogramAggregation::Exponential,
        start_time_unix_nano: 0,
    })
}

/// Reads `body` and feeds every record to `aggregator`; returns the accepted lines.
fn ingest(reader: &mut BatchReader, body: &str, aggregator: &mut Aggregator) -> usize {
    let mut accepted = 0;
    for event in reader.read(body.as_bytes()).expect("a JSON array") {
        let Ok(EventRef::Log {
            time_unix_nano,
            record,
            ..
        }) = event
        else {
            panic!("{event:?}");
        };
        let outcome = parse_record_into(record, time_unix_nano, Formats::default(), aggregator);
        accepted += usize::from(matches!(outcome, Outcome::Accepted { .. }));
    }
    accepted
}

#[test]
fn a_warm_reader_reads_a_batch_without_allocating() {
    let body = body(1000);
    let mut reader = BatchReader::default();
    assert_eq!(reader.read(body.as_bytes()).unwrap().count(), 1000);
    let allocations = allocations_in(|| {
        let events = reader.read(body.as_bytes()).unwrap();
        assert_eq!(events.filter(Result::is_ok).count(), 1000);
    });
    assert_eq!(allocations, 0);
}

#[test]
fn lines_of_known_streams_are_parsed_and_aggregated_without_allocating() {
    for line in LINES {
        let record = serde_json::json!({
            "time": "2026-01-01T00:00:00.001Z",
            "type": "function",
            "record": line,
        });
        let body = format!("[{record}]");
        let (mut reader, mut aggregator) = (BatchReader::default(), aggregator());
        // A stream keeps its latest values aside before they reach its histogram, whose
        // buckets then grow with the first values it takes.
        for _ in 0..16 {
            assert_eq!(ingest(&mut reader, &body, &mut aggregator), 1, "{line}");
        }
        let allocations = allocations_in(|| {
            for _ in 0..16 {
                assert_eq!(ingest(&mut reader, &body, &mut aggregator), 1, "{line}");
            }
        });
        assert_eq!(allocations, 0, "{line}");
    }
}
