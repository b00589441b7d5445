//! One StatsD line: `name:value[:value…]|type[|field…]`, its values scaled or weighted by
//! the sample rate (docs/statsd.md has the mapping table and why).

use smallvec::SmallVec;

use super::{fields, LineOutcome};
use crate::lines::readers::fields::{finite_number, is_instrument_name, AttributeList};
use crate::lines::readers::scan::{split_byte, split_once_byte, trim};
use crate::lines::Reason;
use crate::model::{KeyRef, Kind, PointRef, PointSink};

/// A histogram sample sent at rate `r` is recorded round(1/r) times, so its count and sum
/// estimate what the client saw. Below this rate the repeats would cost more than the
/// function saved by sampling: such a line is rejected.
pub(super) const MIN_HISTOGRAM_RATE: f64 = 1.0 / 10_000.0;
/// The most aggregator updates one line may cost: one sample at the lowest rate. Without
/// it a multi-value line (`t:1:2:…|ms|@0.0001`) would cost values × 10,000 updates, CPU
/// the function pays for; such a line is rejected (`bad_sample_rate`) instead.
pub(super) const MAX_COPIES_PER_LINE: usize = 10_000;

pub(super) fn parse(line: &str, received_unix_nano: u64, out: &mut dyn PointSink) -> LineOutcome {
    if line.starts_with("_e{") {
        return LineOutcome::Event;
    }
    if line.starts_with("_sc|") {
        return LineOutcome::ServiceCheck;
    }
    match metric(line, received_unix_nano, out) {
        Ok(()) => LineOutcome::Accepted,
        Err(reason) => LineOutcome::Rejected(reason),
    }
}

fn metric(line: &str, received_unix_nano: u64, out: &mut dyn PointSink) -> Result<(), Reason> {
    let (head, rest) = split_once_byte(line, b'|').ok_or(Reason::StatsdSyntax)?;
    let (name, values) = split_once_byte(head, b':').ok_or(Reason::StatsdSyntax)?;
    let (kind, rest) = split_once_byte(rest, b'|').unwrap_or((rest, ""));
    let (kind, unit) = kind_of(trim(kind))?;
    if !is_instrument_name(name) {
        return Err(Reason::InvalidName);
    }
    let mut attributes = AttributeList::new();
    let fields = fields::parse(rest, received_unix_nano, &mut attributes)?;
    // Every value is read before any is emitted: a line is kept or rejected as a whole.
    let mut samples: SmallVec<[f64; 4]> = SmallVec::new();
    for value in split_byte(values, b':') {
        samples.push(finite_number(value)?);
    }
    let mut repeat = 1;
    match kind {
        Kind::UpDownSum if fields.rate < 1.0 => {
            let scale = 1.0 / fields.rate;
            for sample in &mut samples {
                *sample *= scale;
                if !sample.is_finite() {
                    return Err(Reason::BadValue);
                }
            }
        }
        Kind::Histogram if fields.rate < 1.0 => {
            if fields.rate < MIN_HISTOGRAM_RATE {
                return Err(Reason::BadSampleRate);
            }
            repeat = (1.0 / fields.rate).round() as usize;
            if samples.len().saturating_mul(repeat) > MAX_COPIES_PER_LINE {
                return Err(Reason::BadSampleRate);
            }
        }
        // A gauge is a reading, not an event: a sampled reading is still the reading.
        _ => {}
    }
    let key = KeyRef {
        name,
        unit,
        kind,
        attributes: &attributes,
    };
    for &value in &samples {
        for _ in 0..repeat {
            out.push_point(PointRef {
                key,
                time_unix_nano: fields.time_unix_nano,
                value,
            });
        }
    }
    Ok(())
}

/// The stream kind and unit of a StatsD type.
fn kind_of(kind: &str) -> Result<(Kind, &'static str), Reason> {
    match kind {
        // Clients send decrements as negative counts: a monotonic sum could not hold them.
        "c" => Ok((Kind::UpDownSum, "")),
        "g" => Ok((Kind::Gauge, "")),
        "ms" => Ok((Kind::Histogram, "ms")),
        "h" | "d" => Ok((Kind::Histogram, "")),
        "s" => Err(Reason::SetUnsupported),
        _ => Err(Reason::UnknownType),
    }
}
