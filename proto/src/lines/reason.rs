//! Why a monitoring line was rejected: the bounded values of the `metricline.reason`
//! attribute (docs/metrics.md, docs/decisions.md).

/// Why a monitoring line was rejected. A small closed set, so that `metricline.reason`
/// never grows the number of self-metric streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reason {
    /// A `MONITORING|` line without 5 or 6 `|`-separated fields.
    FieldCount,
    /// The epoch (or EMF `_aws.Timestamp`) is not a non-negative number of a representable
    /// time.
    BadTimestamp,
    /// A value is not a finite number (a string, a boolean, `NaN`, an object ...).
    BadValue,
    /// A `MONITORING|` type other than count, gauge, histogram, distribution or check.
    UnknownType,
    /// A count (or an EMF value with unit `Count`) below zero: sums are monotonic.
    NegativeCount,
    /// The metric name is not a valid OpenTelemetry instrument name.
    InvalidName,
    /// Tags without their leading `#`, a tag with an empty key, or a Datadog `t` that is
    /// not an array of strings.
    BadTags,
    /// The line holds an EMF marker but is not valid JSON (often a truncated document).
    MalformedJson,
    /// A required EMF field is absent: `CloudWatchMetrics`, `Namespace`, `Dimensions`,
    /// `Metrics` or a metric's `Name`.
    MissingField,
    /// An EMF `_aws` block of the wrong shape (a field of the wrong JSON type).
    EmfShape,
    /// More than 100 metrics in one EMF MetricDirective.
    EmfTooManyMetrics,
    /// More than 30 dimensions in one EMF DimensionSet.
    EmfTooManyDimensions,
    /// More than 100 values in one EMF metric member.
    EmfTooManyValues,
    /// A metric or dimension referenced by a directive is not a member of the document.
    EmfMissingMember,
    /// A dimension member whose value is not a string.
    EmfBadDimension,
    /// An EMF `Unit` that is not one of CloudWatch's units.
    EmfUnknownUnit,
    /// A new metric name while the aggregator holds as many metrics as it may
    /// (`METRICLINE_METRIC_LIMIT`, docs/limits.md). Decided by the aggregator, not a parser.
    TooManyMetrics,
    /// A StatsD line that is not `name:value[:value…]|type[|field…]` (no `:` or `|`, or
    /// not UTF-8).
    StatsdSyntax,
    /// A StatsD sample rate `|@r` that is not a number in (0, 1], or too small for a
    /// histogram sample to be weighted by (docs/statsd.md).
    BadSampleRate,
    /// A StatsD set (`|s`): metricline has no distinct-value aggregation (docs/statsd.md).
    SetUnsupported,
}

impl Reason {
    /// Every reason, for pre-registering self metrics or documenting them.
    pub const ALL: [Reason; 20] = [
        Reason::FieldCount,
        Reason::BadTimestamp,
        Reason::BadValue,
        Reason::UnknownType,
        Reason::NegativeCount,
        Reason::InvalidName,
        Reason::BadTags,
        Reason::MalformedJson,
        Reason::MissingField,
        Reason::EmfShape,
        Reason::EmfTooManyMetrics,
        Reason::EmfTooManyDimensions,
        Reason::EmfTooManyValues,
        Reason::EmfMissingMember,
        Reason::EmfBadDimension,
        Reason::EmfUnknownUnit,
        Reason::TooManyMetrics,
        Reason::StatsdSyntax,
        Reason::BadSampleRate,
        Reason::SetUnsupported,
    ];

    /// The value of the `metricline.reason` attribute.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::FieldCount => "field_count",
            Reason::BadTimestamp => "bad_timestamp",
            Reason::BadValue => "bad_value",
            Reason::UnknownType => "unknown_type",
            Reason::NegativeCount => "negative_count",
            Reason::InvalidName => "invalid_name",
            Reason::BadTags => "bad_tags",
            Reason::MalformedJson => "malformed_json",
            Reason::MissingField => "missing_field",
            Reason::EmfShape => "emf_shape",
            Reason::EmfTooManyMetrics => "emf_too_many_metrics",
            Reason::EmfTooManyDimensions => "emf_too_many_dimensions",
            Reason::EmfTooManyValues => "emf_too_many_values",
            Reason::EmfMissingMember => "emf_missing_member",
            Reason::EmfBadDimension => "emf_bad_dimension",
            Reason::EmfUnknownUnit => "emf_unknown_unit",
            Reason::TooManyMetrics => "too_many_metrics",
            Reason::StatsdSyntax => "statsd_syntax",
            Reason::BadSampleRate => "bad_sample_rate",
            Reason::SetUnsupported => "set_unsupported",
        }
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_values_are_distinct_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for reason in Reason::ALL {
            let s = reason.as_str();
            assert!(seen.insert(s), "duplicate {s}");
            assert!(
                s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{s}"
            );
        }
    }
}
