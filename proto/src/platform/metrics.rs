//! The platform metrics of docs/metrics.md: name, kind and unit of each, and how a value
//! becomes a [`Point`].
//!
//! Platform points carry no attributes. The semantic conventions allow only `faas.trigger`
//! on the `faas.*` metrics, and the Telemetry API does not say what triggered an invoke;
//! request ids are unbounded and never become attributes. Everything that identifies the
//! function and the execution environment is on the resource.

use crate::model::{Kind, Point, StreamKey};

/// The identity of one platform metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metric {
    pub name: &'static str,
    pub unit: &'static str,
    pub kind: Kind,
}

const fn sum(name: &'static str, unit: &'static str) -> Metric {
    Metric {
        name,
        unit,
        kind: Kind::Sum,
    }
}

const fn histogram(name: &'static str, unit: &'static str) -> Metric {
    Metric {
        name,
        unit,
        kind: Kind::Histogram,
    }
}

pub const INVOCATIONS: Metric = sum("faas.invocations", "{invocation}");
pub const ERRORS: Metric = sum("faas.errors", "{error}");
pub const TIMEOUTS: Metric = sum("faas.timeouts", "{timeout}");
pub const COLDSTARTS: Metric = sum("faas.coldstarts", "{coldstart}");
pub const INVOKE_DURATION: Metric = histogram("faas.invoke_duration", "s");
pub const INIT_DURATION: Metric = histogram("faas.init_duration", "s");
pub const MEM_USAGE: Metric = histogram("faas.mem_usage", "By");
pub const DURATION: Metric = histogram("aws.lambda.duration", "s");
pub const BILLED_DURATION: Metric = histogram("aws.lambda.billed_duration", "s");
pub const POST_RUNTIME_DURATION: Metric = histogram("aws.lambda.post_runtime_duration", "s");
pub const RESPONSE_LATENCY: Metric = histogram("aws.lambda.response_latency", "s");
pub const RESPONSE_DURATION: Metric = histogram("aws.lambda.response_duration", "s");
pub const RUNTIME_OVERHEAD: Metric = histogram("aws.lambda.runtime_overhead", "s");
pub const PRODUCED_BYTES: Metric = histogram("aws.lambda.produced_bytes", "By");
pub const RESTORE_DURATION: Metric = histogram("aws.lambda.restore_duration", "s");
pub const OUT_OF_MEMORY: Metric = sum("aws.lambda.out_of_memory", "{invocation}");
pub const ESTIMATED_COST: Metric = sum("aws.lambda.estimated_cost", "USD");
pub const LOGS_DROPPED: Metric = sum("aws.lambda.logs_dropped", "{record}");

/// Every platform metric, in the order of the table in docs/metrics.md.
pub const ALL: [Metric; 18] = [
    INVOCATIONS,
    ERRORS,
    TIMEOUTS,
    COLDSTARTS,
    INVOKE_DURATION,
    INIT_DURATION,
    MEM_USAGE,
    DURATION,
    BILLED_DURATION,
    POST_RUNTIME_DURATION,
    RESPONSE_LATENCY,
    RESPONSE_DURATION,
    RUNTIME_OVERHEAD,
    PRODUCED_BYTES,
    RESTORE_DURATION,
    OUT_OF_MEMORY,
    ESTIMATED_COST,
    LOGS_DROPPED,
];

/// Lambda's "MB" are mebibytes.
pub const BYTES_PER_MB: f64 = 1_048_576.0;

impl Metric {
    /// Appends a point of this metric, unless `value` is negative or not finite: sums must
    /// stay monotonic, and no platform quantity is negative.
    pub(crate) fn emit(self, value: f64, time_unix_nano: u64, out: &mut Vec<Point>) {
        if value.is_finite() && value >= 0.0 {
            out.push(Point {
                key: StreamKey::new(self.name, self.unit, self.kind, Vec::new()),
                time_unix_nano,
                value,
            });
        }
    }

    /// Appends a duration given in milliseconds, in seconds.
    pub(crate) fn emit_ms(self, ms: Option<f64>, time_unix_nano: u64, out: &mut Vec<Point>) {
        if let Some(ms) = ms {
            self.emit(ms / 1000.0, time_unix_nano, out);
        }
    }
}
