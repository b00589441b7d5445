//! Which data points make up which OTLP metric: one metric per (name, unit, kind) and
//! metric type, in the order streams were first seen, shared by every encoding.

use hashbrown::HashMap;

use super::points::shape;
use crate::aggregate::{DataPoint, Export, StreamHashBuilder};
use crate::model::{Attributes, Kind, StreamKey};

/// One OTLP metric: its identity and its points with their attributes.
pub(super) struct MetricGroup<'a> {
    pub(super) key: &'a StreamKey,
    pub(super) points: Vec<(&'a Attributes, &'a DataPoint)>,
}

/// The metrics of `export`; none without data points.
pub(super) fn metric_groups(export: &Export) -> Vec<MetricGroup<'_>> {
    let mut groups: Vec<MetricGroup> = Vec::new();
    // (name, unit, kind, data shape) → position in `groups`.
    let mut by_identity: HashMap<(&str, &str, Kind, u8), usize, StreamHashBuilder> =
        HashMap::default();
    for (key, data_points) in &export.streams {
        for point in data_points {
            let identity = (
                key.name.as_str(),
                key.unit.as_str(),
                key.kind,
                shape(&point.value),
            );
            let at = *by_identity.entry(identity).or_insert_with(|| {
                groups.push(MetricGroup {
                    key,
                    points: Vec::new(),
                });
                groups.len() - 1
            });
            groups[at].points.push((&key.attributes, point));
        }
    }
    groups
}
