//! The OTLP messages a request may hold, as the wire sees them: for each known field, what
//! its bytes must be. Written from opentelemetry-proto's generated messages (the version
//! in Cargo.lock); `tests.rs` checks the tables against prost decoding of generated and
//! mutated requests, so a field the tables get wrong shows there.

/// What a known field's bytes must be.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// int32, int64, uint32, uint64, sint32, bool, enum.
    Varint,
    /// fixed64, sfixed64, double.
    Fixed64,
    /// fixed32, float.
    Fixed32,
    /// UTF-8 text.
    Str,
    /// A repeated string: UTF-8 text, one element per field.
    Strs,
    Bytes,
    Message(&'static Schema),
    /// A repeated varint: packed (one length-delimited run) or one value per field.
    PackedVarint,
    /// A repeated fixed64 or double, packed or not.
    PackedFixed64,
}

#[derive(Debug)]
pub struct Schema {
    pub name: &'static str,
    pub fields: &'static [(u32, Kind)],
}

impl Schema {
    /// `None`: an unknown field, skipped as prost skips it.
    pub fn kind(&self, number: u32) -> Option<Kind> {
        self.fields
            .iter()
            .find(|(n, _)| *n == number)
            .map(|(_, kind)| *kind)
    }
}

use Kind::{Bytes, Fixed32, Fixed64, Message, PackedFixed64, PackedVarint, Str, Strs, Varint};

/// The `Export<Signal>ServiceRequest` message.
pub fn request(signal: crate::relay::Signal) -> &'static Schema {
    match signal {
        crate::relay::Signal::Metrics => &METRICS_REQUEST,
        crate::relay::Signal::Traces => &TRACES_REQUEST,
        crate::relay::Signal::Logs => &LOGS_REQUEST,
    }
}

// opentelemetry.proto.common.v1 and resource.v1
static ANY_VALUE: Schema = Schema {
    name: "AnyValue",
    fields: &[
        (1, Str),
        (2, Varint),
        (3, Varint),
        (4, Fixed64),
        (5, Message(&ARRAY_VALUE)),
        (6, Message(&KEY_VALUE_LIST)),
        (7, Bytes),
        (8, Varint),
    ],
};
static ARRAY_VALUE: Schema = Schema {
    name: "ArrayValue",
    fields: &[(1, Message(&ANY_VALUE))],
};
static KEY_VALUE_LIST: Schema = Schema {
    name: "KeyValueList",
    fields: &[(1, Message(&KEY_VALUE))],
};
pub static KEY_VALUE: Schema = Schema {
    name: "KeyValue",
    fields: &[(1, Str), (2, Message(&ANY_VALUE)), (3, Varint)],
};
static SCOPE: Schema = Schema {
    name: "InstrumentationScope",
    fields: &[(1, Str), (2, Str), (3, Message(&KEY_VALUE)), (4, Varint)],
};
static ENTITY_REF: Schema = Schema {
    name: "EntityRef",
    fields: &[(1, Str), (2, Str), (3, Strs), (4, Strs)],
};
pub static RESOURCE: Schema = Schema {
    name: "Resource",
    fields: &[
        (1, Message(&KEY_VALUE)),
        (2, Varint),
        (3, Message(&ENTITY_REF)),
    ],
};

// opentelemetry.proto.trace.v1
static TRACES_REQUEST: Schema = Schema {
    name: "ExportTraceServiceRequest",
    fields: &[(1, Message(&RESOURCE_SPANS))],
};
static RESOURCE_SPANS: Schema = Schema {
    name: "ResourceSpans",
    fields: &[
        (1, Message(&RESOURCE)),
        (2, Message(&SCOPE_SPANS)),
        (3, Str),
    ],
};
static SCOPE_SPANS: Schema = Schema {
    name: "ScopeSpans",
    fields: &[(1, Message(&SCOPE)), (2, Message(&SPAN)), (3, Str)],
};
static SPAN: Schema = Schema {
    name: "Span",
    fields: &[
        (1, Bytes),
        (2, Bytes),
        (3, Str),
        (4, Bytes),
        (5, Str),
        (6, Varint),
        (7, Fixed64),
        (8, Fixed64),
        (9, Message(&KEY_VALUE)),
        (10, Varint),
        (11, Message(&EVENT)),
        (12, Varint),
        (13, Message(&LINK)),
        (14, Varint),
        (15, Message(&STATUS)),
        (16, Fixed32),
    ],
};
static EVENT: Schema = Schema {
    name: "Span.Event",
    fields: &[
        (1, Fixed64),
        (2, Str),
        (3, Message(&KEY_VALUE)),
        (4, Varint),
    ],
};
static LINK: Schema = Schema {
    name: "Span.Link",
    fields: &[
        (1, Bytes),
        (2, Bytes),
        (3, Str),
        (4, Message(&KEY_VALUE)),
        (5, Varint),
        (6, Fixed32),
    ],
};
static STATUS: Schema = Schema {
    name: "Status",
    fields: &[(2, Str), (3, Varint)],
};

// opentelemetry.proto.logs.v1
static LOGS_REQUEST: Schema = Schema {
    name: "ExportLogsServiceRequest",
    fields: &[(1, Message(&RESOURCE_LOGS))],
};
static RESOURCE_LOGS: Schema = Schema {
    name: "ResourceLogs",
    fields: &[(1, Message(&RESOURCE)), (2, Message(&SCOPE_LOGS)), (3, Str)],
};
static SCOPE_LOGS: Schema = Schema {
    name: "ScopeLogs",
    fields: &[(1, Message(&SCOPE)), (2, Message(&LOG_RECORD)), (3, Str)],
};
static LOG_RECORD: Schema = Schema {
    name: "LogRecord",
    fields: &[
        (1, Fixed64),
        (2, Varint),
        (3, Str),
        (5, Message(&ANY_VALUE)),
        (6, Message(&KEY_VALUE)),
        (7, Varint),
        (8, Fixed32),
        (9, Bytes),
        (10, Bytes),
        (11, Fixed64),
        (12, Str),
    ],
};

// opentelemetry.proto.metrics.v1
static METRICS_REQUEST: Schema = Schema {
    name: "ExportMetricsServiceRequest",
    fields: &[(1, Message(&RESOURCE_METRICS))],
};
static RESOURCE_METRICS: Schema = Schema {
    name: "ResourceMetrics",
    fields: &[
        (1, Message(&RESOURCE)),
        (2, Message(&SCOPE_METRICS)),
        (3, Str),
    ],
};
static SCOPE_METRICS: Schema = Schema {
    name: "ScopeMetrics",
    fields: &[(1, Message(&SCOPE)), (2, Message(&METRIC)), (3, Str)],
};
static METRIC: Schema = Schema {
    name: "Metric",
    fields: &[
        (1, Str),
        (2, Str),
        (3, Str),
        (5, Message(&GAUGE)),
        (7, Message(&SUM)),
        (9, Message(&HISTOGRAM)),
        (10, Message(&EXPONENTIAL_HISTOGRAM)),
        (11, Message(&SUMMARY)),
        (12, Message(&KEY_VALUE)),
    ],
};
static GAUGE: Schema = Schema {
    name: "Gauge",
    fields: &[(1, Message(&NUMBER_POINT))],
};
static SUM: Schema = Schema {
    name: "Sum",
    fields: &[(1, Message(&NUMBER_POINT)), (2, Varint), (3, Varint)],
};
static HISTOGRAM: Schema = Schema {
    name: "Histogram",
    fields: &[(1, Message(&HISTOGRAM_POINT)), (2, Varint)],
};
static EXPONENTIAL_HISTOGRAM: Schema = Schema {
    name: "ExponentialHistogram",
    fields: &[(1, Message(&EXPONENTIAL_POINT)), (2, Varint)],
};
static SUMMARY: Schema = Schema {
    name: "Summary",
    fields: &[(1, Message(&SUMMARY_POINT))],
};
static NUMBER_POINT: Schema = Schema {
    name: "NumberDataPoint",
    fields: &[
        (2, Fixed64),
        (3, Fixed64),
        (4, Fixed64),
        (5, Message(&EXEMPLAR)),
        (6, Fixed64),
        (7, Message(&KEY_VALUE)),
        (8, Varint),
    ],
};
static HISTOGRAM_POINT: Schema = Schema {
    name: "HistogramDataPoint",
    fields: &[
        (2, Fixed64),
        (3, Fixed64),
        (4, Fixed64),
        (5, Fixed64),
        (6, PackedFixed64),
        (7, PackedFixed64),
        (8, Message(&EXEMPLAR)),
        (9, Message(&KEY_VALUE)),
        (10, Varint),
        (11, Fixed64),
        (12, Fixed64),
    ],
};
static EXPONENTIAL_POINT: Schema = Schema {
    name: "ExponentialHistogramDataPoint",
    fields: &[
        (1, Message(&KEY_VALUE)),
        (2, Fixed64),
        (3, Fixed64),
        (4, Fixed64),
        (5, Fixed64),
        (6, Varint),
        (7, Fixed64),
        (8, Message(&BUCKETS)),
        (9, Message(&BUCKETS)),
        (10, Varint),
        (11, Message(&EXEMPLAR)),
        (12, Fixed64),
        (13, Fixed64),
        (14, Fixed64),
    ],
};
static BUCKETS: Schema = Schema {
    name: "ExponentialHistogramDataPoint.Buckets",
    fields: &[(1, Varint), (2, PackedVarint)],
};
static SUMMARY_POINT: Schema = Schema {
    name: "SummaryDataPoint",
    fields: &[
        (2, Fixed64),
        (3, Fixed64),
        (4, Fixed64),
        (5, Fixed64),
        (6, Message(&QUANTILE)),
        (7, Message(&KEY_VALUE)),
        (8, Varint),
    ],
};
static QUANTILE: Schema = Schema {
    name: "SummaryDataPoint.ValueAtQuantile",
    fields: &[(1, Fixed64), (2, Fixed64)],
};
static EXEMPLAR: Schema = Schema {
    name: "Exemplar",
    fields: &[
        (2, Fixed64),
        (3, Fixed64),
        (4, Bytes),
        (5, Bytes),
        (6, Fixed64),
        (7, Message(&KEY_VALUE)),
    ],
};
