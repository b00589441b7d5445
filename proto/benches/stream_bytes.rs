//! Bytes per stream held by the aggregator (docs/limits.md): a counting allocator measures
//! what 10,000 streams take, key and state, hash table included, once recorded and once
//! exported and let go; and the bytes per pending data point the retry buffer counts.
//!
//! `cargo bench -p metricline-proto --bench stream_bytes`

use std::alloc::{GlobalAlloc, Layout, System};
use std::borrow::Cow;
use std::sync::atomic::{AtomicIsize, Ordering};

use metricline_proto::aggregate::{
    AggregationConfig, Aggregator, HistogramAggregation, Limits, Temporality,
};
use metricline_proto::model::{KeyRef, Kind, PointRef};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to the system allocator, only counting the sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const STREAMS: usize = 10_000;
const S: u64 = 1_000_000_000;
const T0: u64 = 1_764_151_200 * S;

/// `STREAMS` streams of `name` (attributes `env:prod`, `user:u<i>`), `samples` values each.
fn fill(agg: &mut Aggregator, name: &str, kind: Kind, samples: usize) {
    for i in 0..STREAMS {
        let user = format!("u{i:05}");
        let attributes = [
            (Cow::Borrowed("env"), Cow::Borrowed("prod")),
            (Cow::Borrowed("user"), Cow::Borrowed(user.as_str())),
        ];
        for k in 0..samples {
            agg.record_ref(PointRef {
                key: KeyRef {
                    name,
                    unit: "ms",
                    kind,
                    attributes: &attributes,
                },
                time_unix_nano: T0 + S,
                value: 1.0 + (k * 37 % 500) as f64,
            });
        }
    }
}

fn measure(what: &str, kind: Kind, samples: usize) {
    let config = AggregationConfig {
        temporality: Temporality::Delta,
        histograms: HistogramAggregation::Exponential,
        start_time_unix_nano: T0,
    };
    let limits = Limits {
        cardinality: STREAMS,
        ..Limits::default()
    };
    let before = LIVE.load(Ordering::Relaxed);
    let mut agg = Aggregator::with_limits(config, limits);
    fill(&mut agg, "shop.requests", kind, samples);
    let held = LIVE.load(Ordering::Relaxed) - before;
    let pending = agg.pending_bytes() / agg.pending_points();
    let export = agg.take_all(T0 + 5 * S);
    drop(export);
    let released = LIVE.load(Ordering::Relaxed) - before;
    println!(
        "| {what} | {} | {pending} | {} |",
        held / STREAMS as isize,
        released / STREAMS as isize
    );
}

fn main() {
    println!("| stream (2 attributes) | bytes per stream held | bytes per pending point | bytes per stream after export |");
    println!("|---|---|---|---|");
    measure("sum, 1 value", Kind::Sum, 1);
    measure("exponential histogram, 1 value", Kind::Histogram, 1);
    measure("exponential histogram, 100 values", Kind::Histogram, 100);
}
