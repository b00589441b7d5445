//! CloudWatch Embedded Metric Format documents (docs/metrics.md): every MetricDirective ×
//! DimensionSet yields one stream per metric, and every value is one sample.
//!
//! A document is all or nothing: if any directive, dimension set, metric or value breaks
//! a rule, the whole document is rejected with that rule's reason and no point of it is
//! kept. CloudWatch itself refuses an invalid document as a whole, and keeping half of
//! one would count some of the function's metrics while the rejection counter says the
//! line was dropped.
//!
//! Not supported (rejected as `bad_value`): the statistic-set values (`{Max,Min,Sum,Count}`)
//! that only the OpenTelemetry collector's EMF exporter writes.

mod line;
mod samples;
mod unit;

use std::borrow::Cow;
use std::ops::Range;

use serde::Deserialize;
use serde_json::value::RawValue;
use smallvec::SmallVec;

use crate::lines::readers::fields::{epoch_nanos, is_instrument_name, normalize, EpochUnit};
use crate::lines::readers::json::{self, Members, Text};
use crate::lines::Reason;
use crate::model::{AttributeRef, KeyRef, Kind, PointSink};
use samples::{read_samples, Samples};

pub(crate) use line::parse_line;

/// The attribute that carries a directive's `Namespace`.
pub const NAMESPACE_ATTRIBUTE: &str = "aws.cloudwatch.namespace";

/// Limits of the EMF specification.
const MAX_METRICS_PER_DIRECTIVE: usize = 100;
const MAX_DIMENSIONS_PER_SET: usize = 30;
const MAX_VALUES_PER_METRIC: usize = 100;

/// The attributes of a DimensionSet's streams: its dimensions and the namespace.
type DimensionAttributes<'d> = SmallVec<[AttributeRef<'d>; 4]>;

/// A DimensionSet: the names of the dimensions.
type DimensionSet<'a> = SmallVec<[Text<'a>; 2]>;

/// The `_aws` member. Absent optional fields and `null` read the same. Its lists are sized
/// for a usual document, which then needs no heap allocation.
#[derive(Default, Deserialize)]
struct Metadata<'a> {
    /// The JSON text of the value.
    #[serde(
        rename = "Timestamp",
        borrow,
        default,
        deserialize_with = "json::raw_text"
    )]
    timestamp: Option<&'a str>,
    #[serde(rename = "CloudWatchMetrics", borrow, default)]
    directives: Option<SmallVec<[Directive<'a>; 1]>>,
}

#[derive(Default, Deserialize)]
struct Directive<'a> {
    #[serde(rename = "Namespace", borrow, default)]
    namespace: Option<Text<'a>>,
    #[serde(rename = "Dimensions", borrow, default)]
    dimensions: Option<SmallVec<[DimensionSet<'a>; 1]>>,
    #[serde(rename = "Metrics", borrow, default)]
    metrics: Option<SmallVec<[MetricDefinition<'a>; 2]>>,
}

/// `StorageResolution` is ignored: resolution is the exporter's business in OTLP.
#[derive(Default, Deserialize)]
struct MetricDefinition<'a> {
    #[serde(rename = "Name", borrow, default)]
    name: Option<Text<'a>>,
    #[serde(rename = "Unit", borrow, default)]
    unit: Option<Text<'a>>,
}

/// Parses a document whose root has an `_aws` member; emits its points once the whole
/// document is accepted.
pub(crate) fn parse(
    root: &Members<'_>,
    event_time: u64,
    out: &mut dyn PointSink,
) -> Result<usize, Reason> {
    let metadata = root.get("_aws").ok_or(Reason::MissingField)?;
    // serde's derived structs also accept arrays (fields by position); `_aws` must be an
    // object.
    if !json::text_of(metadata).starts_with('{') {
        return Err(Reason::EmfShape);
    }
    let metadata: Metadata = json::decode(metadata).ok_or(Reason::EmfShape)?;
    accept(
        &metadata,
        &|name| root.get(name).map(RawValue::get),
        event_time,
        out,
    )
}

/// The JSON text of the root's first member of a name.
type Lookup<'r, 'd> = &'r dyn Fn(&str) -> Option<&'d str>;

/// Checks a document whose `_aws` member is decoded; emits its points once the whole
/// document is accepted.
fn accept<'d>(
    metadata: &'d Metadata<'_>,
    member: Lookup<'_, 'd>,
    event_time: u64,
    out: &mut dyn PointSink,
) -> Result<usize, Reason> {
    // A missing Timestamp is treated like an empty epoch: the telemetry event's time.
    let time_unix_nano = match metadata.timestamp {
        None => event_time,
        Some(text) if text.starts_with(|c: char| c.is_ascii_digit()) => {
            epoch_nanos(text, EpochUnit::Millis, event_time)?
        }
        Some(_) => return Err(Reason::BadTimestamp),
    };
    let directives = metadata.directives.as_ref().ok_or(Reason::MissingField)?;
    let mut document = Document::default();
    for directive in directives {
        document.add_directive(directive, member)?;
    }
    Ok(document.emit(time_unix_nano, out))
}

/// The streams of a document, validated in full before any point is emitted (a document
/// is all or nothing). Everything borrows from the document; the attribute sets are
/// normalized once each, and shared by all the metrics of their directive.
///
/// Sized for a usual document (one DimensionSet, a few metrics and values), which then
/// needs no heap allocation.
#[derive(Default)]
struct Document<'d> {
    attribute_sets: SmallVec<[DimensionAttributes<'d>; 1]>,
    streams: SmallVec<[EmfStream<'d>; 4]>,
    /// The samples of every metric, each metric's a range of them.
    samples: Samples,
}

struct EmfStream<'d> {
    name: &'d str,
    unit: Cow<'static, str>,
    kind: Kind,
    /// Index into `attribute_sets`.
    attributes: usize,
    samples: Range<usize>,
}

impl<'d> Document<'d> {
    fn add_directive(
        &mut self,
        directive: &'d Directive<'_>,
        member: Lookup<'_, 'd>,
    ) -> Result<(), Reason> {
        let namespace = directive.namespace.as_ref().ok_or(Reason::MissingField)?;
        let dimension_sets = directive.dimensions.as_ref().ok_or(Reason::MissingField)?;
        let metrics = directive.metrics.as_ref().ok_or(Reason::MissingField)?;
        if metrics.len() > MAX_METRICS_PER_DIRECTIVE {
            return Err(Reason::EmfTooManyMetrics);
        }
        let first_set = self.attribute_sets.len();
        for set in dimension_sets {
            let attributes = dimension_attributes(set, &namespace.0, member)?;
            self.attribute_sets.push(attributes);
        }
        // `"Dimensions": []` still publishes the metrics, without dimensions, rather than
        // dropping the values silently.
        if dimension_sets.is_empty() {
            let attributes = dimension_attributes(&[], &namespace.0, member)?;
            self.attribute_sets.push(attributes);
        }
        let sets = first_set..self.attribute_sets.len();
        for metric in metrics {
            let name = metric.name.as_ref().ok_or(Reason::MissingField)?;
            if !is_instrument_name(&name.0) {
                return Err(Reason::InvalidName);
            }
            let written_unit = metric.unit.as_ref().map(|unit| unit.0.as_ref());
            let unit = unit::ucum(written_unit).ok_or(Reason::EmfUnknownUnit)?;
            let kind = match written_unit {
                Some("Count") => Kind::Sum,
                _ => Kind::Histogram,
            };
            let samples = member(&name.0).ok_or(Reason::EmfMissingMember)?;
            let samples = read_samples(samples, &mut self.samples)?;
            if kind == Kind::Sum && self.samples[samples.clone()].iter().any(|v| *v < 0.0) {
                return Err(Reason::NegativeCount);
            }
            for attributes in sets.clone() {
                self.streams.push(EmfStream {
                    name: &name.0,
                    unit: unit.clone(),
                    kind,
                    attributes,
                    samples: samples.clone(),
                });
            }
        }
        Ok(())
    }

    /// One point per sample of every stream, in document order; returns how many.
    fn emit(&self, time_unix_nano: u64, out: &mut dyn PointSink) -> usize {
        let mut points = 0;
        for stream in &self.streams {
            let key = KeyRef {
                name: stream.name,
                unit: &stream.unit,
                kind: stream.kind,
                attributes: &self.attribute_sets[stream.attributes],
            };
            let values = &self.samples[stream.samples.clone()];
            out.push_values(key, time_unix_nano, values);
            points += values.len();
        }
        points
    }
}

/// The attributes of one DimensionSet, normalized: each dimension's value, plus the
/// namespace.
fn dimension_attributes<'d>(
    set: &'d [Text<'_>],
    namespace: &'d str,
    member: Lookup<'_, 'd>,
) -> Result<DimensionAttributes<'d>, Reason> {
    if set.len() > MAX_DIMENSIONS_PER_SET {
        return Err(Reason::EmfTooManyDimensions);
    }
    let mut attributes = DimensionAttributes::with_capacity(set.len() + 1);
    for dimension in set {
        let value = member(&dimension.0).ok_or(Reason::EmfMissingMember)?;
        let value = json::string_value(value).ok_or(Reason::EmfBadDimension)?;
        attributes.push((Cow::Borrowed(dimension.0.as_ref()), value));
    }
    // Last, so that it wins over a dimension that happens to have the same name.
    attributes.push((Cow::Borrowed(NAMESPACE_ATTRIBUTE), Cow::Borrowed(namespace)));
    // Sorted and de-duplicated once per set, not for every stream.
    normalize(&mut attributes);
    Ok(attributes)
}

#[cfg(test)]
mod tests;
