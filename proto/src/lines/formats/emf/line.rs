//! An EMF text line read in one pass of the [plain reader](crate::lines::readers::plain): `_aws` is
//! read straight into its [`Metadata`] and every other member is kept as its JSON text,
//! instead of a serde pass collecting the members and another decoding `_aws` again.
//!
//! Only the common, well-formed case is handled here. Whenever the pass gives up, for any
//! reason (an escape, an array where serde's derive also takes one, a duplicate field
//! ...), the caller falls back to the general reader ([`super::parse`]), which decides
//! what the line is and which rule it breaks; so the outcomes stay exactly the general
//! reader's.

use smallvec::{Array, SmallVec};

use super::{accept, Directive, Metadata, MetricDefinition};
use crate::lines::readers::json::Text;
use crate::lines::readers::plain::Plain;
use crate::lines::Reason;
use crate::model::PointSink;
use crate::text::same;

/// Parses a text line that is an EMF document (a JSON object whose first `_aws` member is
/// an object); `None` when it is anything else or the pass gives up, for the caller to
/// read it the general way. A rejected document emits nothing.
pub(crate) fn parse_line(
    line: &str,
    event_time: u64,
    out: &mut dyn PointSink,
) -> Option<Result<usize, Reason>> {
    let mut json = Plain::new(line);
    let mut metadata: Option<Metadata> = None;
    let mut members = SmallVec::<[(&str, &str); 16]>::new();
    json.object(|key, json| {
        if metadata.is_none() && key == "_aws" {
            read_metadata(json, metadata.insert(Metadata::default()))?;
            // Stands in for `_aws`, whose text is not kept: a metric or dimension named
            // `_aws` then meets an object, as it would have met the real `_aws` (always
            // an object here), and is rejected with the same reason.
            members.push((key, "{}"));
        } else {
            members.push((key, json.value()?));
        }
        Some(())
    })?;
    if !json.at_end() {
        return None;
    }
    let member = |name: &str| members.iter().find(|(key, _)| same(key, name)).map(|m| m.1);
    Some(accept(metadata.as_ref()?, &member, event_time, out))
}

// The readers below fill their structs in place: they are a few hundred bytes each (their
// lists are on the stack), and moving them out of every function and closure would copy
// them over and over.

/// Sets `seen`'s `bit`; `None` if it was set already. serde's derive refuses a duplicate
/// field, so the general reader decides about such documents.
fn once(seen: &mut u8, bit: u8) -> Option<()> {
    let first = *seen & bit == 0;
    *seen |= bit;
    first.then_some(())
}

/// A string field: `null` (read as `None`, as by serde's derive) or a string without
/// escapes.
fn text<'a>(json: &mut Plain<'a>, field: &mut Option<Text<'a>>) -> Option<()> {
    if !json.null() {
        *field = Some(Text::borrowed(json.string()?));
    }
    Some(())
}

/// A list field: `null` (read as `None`) or an array, each element read by `element` into
/// a new default element.
fn list<'a, A: Array>(
    json: &mut Plain<'a>,
    field: &mut Option<SmallVec<A>>,
    mut element: impl FnMut(&mut Plain<'a>, &mut A::Item) -> Option<()>,
) -> Option<()>
where
    A::Item: Default,
{
    if json.null() {
        return Some(());
    }
    let list = field.insert(SmallVec::new());
    json.array(|json| {
        list.push(A::Item::default());
        element(json, list.last_mut()?)
    })
}

fn read_metadata<'a>(json: &mut Plain<'a>, metadata: &mut Metadata<'a>) -> Option<()> {
    let mut seen = 0;
    json.object(|key, json| {
        match key {
            "Timestamp" => {
                once(&mut seen, 1)?;
                metadata.timestamp = Some(json.value()?).filter(|text| *text != "null");
            }
            "CloudWatchMetrics" => {
                once(&mut seen, 2)?;
                list(json, &mut metadata.directives, read_directive)?;
            }
            _ => drop(json.value()?),
        }
        Some(())
    })
}

fn read_directive<'a>(json: &mut Plain<'a>, directive: &mut Directive<'a>) -> Option<()> {
    let mut seen = 0;
    json.object(|key, json| {
        match key {
            "Namespace" => {
                once(&mut seen, 1)?;
                text(json, &mut directive.namespace)?;
            }
            "Dimensions" => {
                once(&mut seen, 2)?;
                list(json, &mut directive.dimensions, |json, set| {
                    json.array(|json| {
                        set.push(Text::borrowed(json.string()?));
                        Some(())
                    })
                })?;
            }
            "Metrics" => {
                once(&mut seen, 4)?;
                list(json, &mut directive.metrics, read_metric)?;
            }
            _ => drop(json.value()?),
        }
        Some(())
    })
}

fn read_metric<'a>(json: &mut Plain<'a>, metric: &mut MetricDefinition<'a>) -> Option<()> {
    let mut seen = 0;
    json.object(|key, json| {
        match key {
            "Name" => {
                once(&mut seen, 1)?;
                text(json, &mut metric.name)?;
            }
            "Unit" => {
                once(&mut seen, 2)?;
                text(json, &mut metric.unit)?;
            }
            _ => drop(json.value()?),
        }
        Some(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Point;

    #[test]
    fn a_metric_or_dimension_named_aws_is_rejected_as_by_the_general_reader() {
        let aws = r#""_aws":{"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[DIMS],"Metrics":[{"Name":"NAME"}]}]}"#;
        for (dims, name, members) in [
            ("", "_aws", ""),
            (r#"["_aws"]"#, "a", r#","a":1"#),
            ("", "a", r#","a":1"#),
        ] {
            let line = format!(
                "{{{}{members}}}",
                aws.replace("DIMS", dims).replace("NAME", name)
            );
            let (mut fast, mut general) = (Vec::<Point>::new(), Vec::<Point>::new());
            let one_pass = parse_line(&line, 1, &mut fast).expect("read in one pass");
            let root = crate::lines::readers::json::object(&line).unwrap();
            assert_eq!(
                one_pass,
                super::super::parse(&root, 1, &mut general),
                "{line}"
            );
            assert_eq!(fast, general);
        }
    }
}
