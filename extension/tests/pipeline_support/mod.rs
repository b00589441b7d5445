//! The pipeline the in-process tests feed: every format, delta, exponential histograms,
//! default limits, as the extension builds it from an empty environment.

use metricline::pipeline::{Pipeline, PipelineConfig, Shared};
use metricline_proto::aggregate::{AggregationConfig, HistogramAggregation, Temporality};
use metricline_proto::lines::Formats;
use metricline_proto::platform::{Arch, PlatformConfig};
use std::sync::Arc;

pub fn shared_pipeline(platform_metrics: bool) -> Arc<Shared> {
    Arc::new(Shared::new(Pipeline::new(PipelineConfig {
        formats: Formats::default(),
        platform_metrics,
        platform: PlatformConfig {
            arch: Arch::X86_64,
            memory_size_mb: Some(128),
        },
        aggregation: AggregationConfig {
            temporality: Temporality::Delta,
            histograms: HistogramAggregation::Exponential,
            start_time_unix_nano: 0,
        },
        limits: Default::default(),
    })))
}
