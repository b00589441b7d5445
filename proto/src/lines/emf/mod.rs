//! CloudWatch Embedded Metric Format documents (DESIGN.md §3): every MetricDirective ×
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

mod unit;

use std::fmt;

use serde::de::{Deserializer, IgnoredAny, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::fields::{epoch_nanos, is_instrument_name, EpochUnit};
use super::json::{self, Members, Text};
use super::Reason;
use crate::model::{normalize_attributes, Attributes, Kind, Point, StreamKey};

/// The attribute that carries a directive's `Namespace`.
pub const NAMESPACE_ATTRIBUTE: &str = "aws.cloudwatch.namespace";

/// Limits of the EMF specification.
const MAX_METRICS_PER_DIRECTIVE: usize = 100;
const MAX_DIMENSIONS_PER_SET: usize = 30;
const MAX_VALUES_PER_METRIC: usize = 100;

/// The `_aws` member. Absent optional fields and `null` read the same.
#[derive(Deserialize)]
struct Metadata<'a> {
    #[serde(rename = "Timestamp", borrow, default)]
    timestamp: Option<&'a RawValue>,
    #[serde(rename = "CloudWatchMetrics", borrow, default)]
    directives: Option<Vec<Directive<'a>>>,
}

#[derive(Deserialize)]
struct Directive<'a> {
    #[serde(rename = "Namespace", borrow, default)]
    namespace: Option<Text<'a>>,
    #[serde(rename = "Dimensions", borrow, default)]
    dimensions: Option<Vec<Vec<Text<'a>>>>,
    #[serde(rename = "Metrics", borrow, default)]
    metrics: Option<Vec<MetricDefinition<'a>>>,
}

/// `StorageResolution` is ignored: resolution is the exporter's business in OTLP.
#[derive(Deserialize)]
struct MetricDefinition<'a> {
    #[serde(rename = "Name", borrow, default)]
    name: Option<Text<'a>>,
    #[serde(rename = "Unit", borrow, default)]
    unit: Option<Text<'a>>,
}

/// Parses a document whose root has an `_aws` member; appends its points.
pub(crate) fn parse(
    root: &Members<'_>,
    event_time: u64,
    out: &mut Vec<Point>,
) -> Result<usize, Reason> {
    let metadata = root.get("_aws").ok_or(Reason::MissingField)?;
    // serde's derived structs also accept arrays (fields by position); `_aws` must be an
    // object.
    if !json::text_of(metadata).starts_with('{') {
        return Err(Reason::EmfShape);
    }
    let metadata: Metadata = json::decode(metadata).ok_or(Reason::EmfShape)?;
    // A missing Timestamp is treated like an empty epoch: the telemetry event's time.
    let time_unix_nano = match metadata.timestamp.map(json::text_of) {
        None => event_time,
        Some(text) if text.starts_with(|c: char| c.is_ascii_digit()) => {
            epoch_nanos(text, EpochUnit::Millis, event_time)?
        }
        Some(_) => return Err(Reason::BadTimestamp),
    };
    let directives = metadata.directives.ok_or(Reason::MissingField)?;
    let start = out.len();
    let mut samples = Vec::new();
    for directive in &directives {
        directive_points(directive, root, time_unix_nano, &mut samples, out)?;
    }
    Ok(out.len() - start)
}

fn directive_points(
    directive: &Directive<'_>,
    root: &Members<'_>,
    time_unix_nano: u64,
    samples: &mut Vec<f64>,
    out: &mut Vec<Point>,
) -> Result<(), Reason> {
    let namespace = directive.namespace.as_ref().ok_or(Reason::MissingField)?;
    let dimension_sets = directive.dimensions.as_ref().ok_or(Reason::MissingField)?;
    let metrics = directive.metrics.as_ref().ok_or(Reason::MissingField)?;
    if metrics.len() > MAX_METRICS_PER_DIRECTIVE {
        return Err(Reason::EmfTooManyMetrics);
    }
    let mut attribute_sets = dimension_sets
        .iter()
        .map(|set| dimension_attributes(set, &namespace.0, root))
        .collect::<Result<Vec<_>, _>>()?;
    // `"Dimensions": []` still publishes the metrics, without dimensions, rather than
    // dropping the values silently.
    if attribute_sets.is_empty() {
        attribute_sets.push(dimension_attributes(&[], &namespace.0, root)?);
    }
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
        let member = root.get(&name.0).ok_or(Reason::EmfMissingMember)?;
        read_samples(member, samples)?;
        if kind == Kind::Sum && samples.iter().any(|value| *value < 0.0) {
            return Err(Reason::NegativeCount);
        }
        for attributes in &attribute_sets {
            // The set is already normalized (see below), so the key is built directly
            // instead of re-sorting it for every metric.
            let key = StreamKey {
                name: name.0.clone().into_owned(),
                unit: unit.clone(),
                kind,
                attributes: attributes.clone(),
            };
            push_samples(key, samples, time_unix_nano, out);
        }
    }
    Ok(())
}

/// One point per sample; the key is cloned for all but the last (usually the only) one.
fn push_samples(key: StreamKey, samples: &[f64], time_unix_nano: u64, out: &mut Vec<Point>) {
    let Some((&last, rest)) = samples.split_last() else {
        return;
    };
    out.extend(rest.iter().map(|&value| Point {
        key: key.clone(),
        time_unix_nano,
        value,
    }));
    out.push(Point {
        key,
        time_unix_nano,
        value: last,
    });
}

/// The attributes of one DimensionSet, normalized: each dimension's value, plus the
/// namespace.
fn dimension_attributes(
    set: &[Text<'_>],
    namespace: &str,
    root: &Members<'_>,
) -> Result<Attributes, Reason> {
    if set.len() > MAX_DIMENSIONS_PER_SET {
        return Err(Reason::EmfTooManyDimensions);
    }
    let mut attributes = Attributes::with_capacity(set.len() + 1);
    for dimension in set {
        let member = root.get(&dimension.0).ok_or(Reason::EmfMissingMember)?;
        let value: Text = json::decode(member).ok_or(Reason::EmfBadDimension)?;
        attributes.push((dimension.0.clone().into_owned(), value.0.into_owned()));
    }
    // Last, so that it wins over a dimension that happens to have the same name.
    attributes.push((NAMESPACE_ATTRIBUTE.to_owned(), namespace.to_owned()));
    // Sorted and de-duplicated once per set, as `StreamKey::new` would for every stream.
    Ok(normalize_attributes(attributes))
}

/// A metric member: one number, or an array of up to 100 numbers, read straight into
/// `samples`.
fn read_samples(member: &RawValue, samples: &mut Vec<f64>) -> Result<(), Reason> {
    struct SamplesVisitor<'x>(&'x mut Vec<f64>);
    impl<'de> Visitor<'de> for SamplesVisitor<'_> {
        type Value = Result<(), Reason>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an array of numbers")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while let Some(value) = seq.next_element::<f64>()? {
                if self.0.len() == MAX_VALUES_PER_METRIC {
                    // Read to the end, or the deserializer reports the rest as an error.
                    while seq.next_element::<IgnoredAny>()?.is_some() {}
                    return Ok(Err(Reason::EmfTooManyValues));
                }
                self.0.push(value);
            }
            Ok(Ok(()))
        }
    }

    samples.clear();
    if !json::text_of(member).starts_with('[') {
        samples.push(json::finite_number(member).ok_or(Reason::BadValue)?);
        return Ok(());
    }
    // serde_json refuses numbers beyond f64's range, so every sample read is finite.
    let mut deserializer = serde_json::Deserializer::from_str(member.get());
    deserializer
        .deserialize_seq(SamplesVisitor(samples))
        .unwrap_or(Err(Reason::BadValue))
}

#[cfg(test)]
mod tests;
