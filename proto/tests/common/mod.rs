//! Readers of an [`Export`] shared by the aggregation tests.

use metricline_proto::aggregate::{DataPoint, Export};

/// The points of one stream in `export`.
pub fn points(export: &Export, name: &str) -> Vec<DataPoint> {
    export
        .streams
        .iter()
        .filter(|(k, _)| k.name == name)
        .flat_map(|(_, p)| p.clone())
        .collect()
}

/// `(start, end, sum)` of each point.
pub fn intervals(points: &[DataPoint]) -> Vec<(u64, u64, f64)> {
    points
        .iter()
        .map(|p| (p.start_time_unix_nano, p.time_unix_nano, p.value.sum()))
        .collect()
}
