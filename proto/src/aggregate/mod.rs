//! Per-stream aggregation into 10 s epoch-aligned buckets (DESIGN.md §5).
//!
//! OWNER: helper "aggregate+otlp". Skeleton: the names below are the contract.

use crate::model::{Point, StreamKey};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Temporality {
    Delta,
    Cumulative,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistogramAggregation {
    Exponential,
    ExplicitBuckets,
}

#[derive(Debug, Clone, Copy)]
pub struct AggregationConfig {
    pub temporality: Temporality,
    pub histograms: HistogramAggregation,
    /// Start time of cumulative streams: the extension's start.
    pub start_time_unix_nano: u64,
}

/// Data taken out of the aggregator for one export; can be put back if the export fails.
#[derive(Debug, Default, Clone)]
pub struct Export {
    pub streams: Vec<(StreamKey, Vec<DataPoint>)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DataPoint {
    pub start_time_unix_nano: u64,
    pub time_unix_nano: u64,
    pub value: f64,
}

impl Export {
    pub fn point_count(&self) -> usize {
        self.streams.iter().map(|(_, p)| p.len()).sum()
    }
    pub fn is_empty(&self) -> bool {
        self.point_count() == 0
    }
}

#[derive(Debug)]
pub struct Aggregator {
    _config: AggregationConfig,
}

impl Aggregator {
    pub fn new(config: AggregationConfig) -> Self {
        Aggregator { _config: config }
    }
    pub fn record(&mut self, _point: Point) {}
    /// Takes every value with a timestamp at or before `t_unix_nano`, closing open buckets.
    pub fn take_until(&mut self, _t_unix_nano: u64) -> Export {
        Export::default()
    }
    /// Puts back an export that was not delivered; the next take carries it again, once.
    pub fn put_back(&mut self, _export: Export) {}
    /// Data points waiting (pending buckets and put-back points).
    pub fn pending_points(&self) -> usize {
        0
    }
    /// Drops the oldest data points until at most `max_points` wait; returns how many went.
    pub fn shed_oldest(&mut self, _max_points: usize) -> usize {
        0
    }
}
