//! The extension's own settings (docs/configuration.md): `METRICLINE_*`, `OTEL_SDK_DISABLED`
//! and the aggregation-related `OTEL_*` variables. Every unparsable value yields one warning naming
//! the variable and the accepted values, and falls back to a safe default: a bad setting
//! never stops the function.

use crate::flush::policy::Strategy;
use crate::log::Level;
use crate::otlp_receiver::{Addresses, ReceiverSettings};
use metricline_proto::aggregate::{Budget, HistogramAggregation, Limits, Temporality};
use metricline_proto::lines::Formats;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

/// Looks an environment variable up; tests pass a map instead of the real environment.
pub type Env<'a> = &'a (dyn Fn(&str) -> Option<String> + Sync);

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub flush: Strategy,
    pub formats: Formats,
    pub platform_metrics: bool,
    /// `METRICLINE_BUFFER_POINTS` and `METRICLINE_BUFFER_BYTES`.
    pub buffer: Budget,
    /// `METRICLINE_CARDINALITY_LIMIT` and `METRICLINE_METRIC_LIMIT`.
    pub limits: Limits,
    pub log_level: Level,
    pub temporality: Temporality,
    pub histograms: HistogramAggregation,
    pub otlp_receiver: ReceiverSettings,
    /// `OTEL_METRIC_EXPORT_INTERVAL`: the flush timer on Lambda Managed Instances.
    pub export_interval: Duration,
    /// `METRICLINE_STATSD`: the StatsD listener's UDP address; `None` when `off`.
    pub statsd: Option<SocketAddr>,
}

/// Where StatsD and DogStatsD clients send by default (and Datadog's extension listens).
pub const STATSD_DEFAULT: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 8125);

impl Default for Config {
    fn default() -> Self {
        Config {
            flush: Strategy::Adaptive,
            formats: Formats::default(),
            platform_metrics: true,
            buffer: Budget {
                points: 100_000,
                bytes: DEFAULT_BUFFER_BYTES,
            },
            limits: Limits::default(),
            log_level: Level::Warn,
            temporality: Temporality::Delta,
            histograms: HistogramAggregation::Exponential,
            otlp_receiver: ReceiverSettings::default(),
            export_interval: Duration::from_millis(10_000),
            statsd: Some(STATSD_DEFAULT),
        }
    }
}

/// What the retry buffer's data points may take by default: with the streams, the
/// encoder's buffers and the process itself this keeps the extension within 16 MB of
/// peak RSS through a long outage (docs/limits.md).
pub const DEFAULT_BUFFER_BYTES: usize = 2 << 20;

/// `OTEL_SDK_DISABLED=true` (case-insensitive): register with Lambda and idle.
pub fn sdk_disabled(env: Env<'_>) -> bool {
    value(env, "OTEL_SDK_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// `AWS_LAMBDA_INITIALIZATION_TYPE=lambda-managed-instances`: Lambda Managed Instances
/// (docs/lmi.md).
pub fn managed_instances(env: Env<'_>) -> bool {
    value(env, "AWS_LAMBDA_INITIALIZATION_TYPE").as_deref() == Some("lambda-managed-instances")
}

/// A set value, trimmed; the OpenTelemetry spec treats an empty value as unset.
fn value(env: Env<'_>, name: &str) -> Option<String> {
    env(name)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Reads `name` with `parse`; on failure records a warning and keeps `default`.
fn setting<T>(
    env: Env<'_>,
    name: &str,
    accepted: &str,
    default: T,
    parse: impl Fn(&str) -> Option<T>,
    warnings: &mut Vec<String>,
) -> T {
    match value(env, name) {
        None => default,
        Some(raw) => parse(&raw).unwrap_or_else(|| {
            warnings.push(format!(
                "{name}={raw:?} is not valid (accepted: {accepted}); using the default"
            ));
            default
        }),
    }
}

/// `true` or `false`, case-insensitive (the OpenTelemetry spec's booleans).
pub(crate) fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

fn parse_positive(v: &str) -> Option<usize> {
    v.parse::<usize>().ok().filter(|&n| n > 0)
}

fn parse_temporality(v: &str) -> Option<Temporality> {
    match v.to_ascii_lowercase().as_str() {
        // Low memory means delta for every instrument metricline has (counters, histograms).
        "delta" | "lowmemory" => Some(Temporality::Delta),
        "cumulative" => Some(Temporality::Cumulative),
        _ => None,
    }
}

fn parse_histograms(v: &str) -> Option<HistogramAggregation> {
    match v.to_ascii_lowercase().as_str() {
        "base2_exponential_bucket_histogram" => Some(HistogramAggregation::Exponential),
        "explicit_bucket_histogram" => Some(HistogramAggregation::ExplicitBuckets),
        _ => None,
    }
}

/// `off`, or `<ip>:<port>`; `localhost:<port>` is 127.0.0.1, so that no name lookup delays
/// the start.
fn parse_statsd(v: &str) -> Option<Option<SocketAddr>> {
    if v.eq_ignore_ascii_case("off") {
        return Some(None);
    }
    if let Some(port) = v.strip_prefix("localhost:") {
        let port = port.parse().ok()?;
        return Some(Some(SocketAddr::new(Ipv4Addr::LOCALHOST.into(), port)));
    }
    v.parse().ok().map(Some)
}

impl Config {
    /// Reads every setting; the second value holds one warning line per invalid variable.
    pub fn from_env(env: Env<'_>) -> (Config, Vec<String>) {
        let d = Config::default();
        let mut w = Vec::new();
        let config = Config {
            flush: setting(
                env,
                "METRICLINE_FLUSH",
                Strategy::ACCEPTED,
                d.flush,
                Strategy::parse,
                &mut w,
            ),
            formats: setting(
                env,
                "METRICLINE_FORMATS",
                "a comma-separated list of monitoring, datadog, emf; or none",
                d.formats,
                |v| v.parse::<Formats>().ok(),
                &mut w,
            ),
            platform_metrics: setting(
                env,
                "METRICLINE_PLATFORM_METRICS",
                "true, false",
                d.platform_metrics,
                parse_bool,
                &mut w,
            ),
            buffer: Budget {
                points: setting(
                    env,
                    "METRICLINE_BUFFER_POINTS",
                    "a positive integer",
                    d.buffer.points,
                    parse_positive,
                    &mut w,
                ),
                bytes: setting(
                    env,
                    "METRICLINE_BUFFER_BYTES",
                    "a positive integer (bytes)",
                    d.buffer.bytes,
                    parse_positive,
                    &mut w,
                ),
            },
            limits: Limits {
                cardinality: setting(
                    env,
                    "METRICLINE_CARDINALITY_LIMIT",
                    "a positive integer",
                    d.limits.cardinality,
                    parse_positive,
                    &mut w,
                ),
                metrics: setting(
                    env,
                    "METRICLINE_METRIC_LIMIT",
                    "a positive integer",
                    d.limits.metrics,
                    parse_positive,
                    &mut w,
                ),
            },
            log_level: setting(
                env,
                "METRICLINE_LOG",
                Level::ACCEPTED,
                d.log_level,
                Level::parse,
                &mut w,
            ),
            temporality: setting(
                env,
                "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
                "delta, cumulative, lowmemory",
                d.temporality,
                parse_temporality,
                &mut w,
            ),
            histograms: setting(
                env,
                "OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION",
                "base2_exponential_bucket_histogram, explicit_bucket_histogram",
                d.histograms,
                parse_histograms,
                &mut w,
            ),
            otlp_receiver: ReceiverSettings {
                addresses: setting(
                    env,
                    "METRICLINE_OTLP_RECEIVER",
                    Addresses::ACCEPTED,
                    d.otlp_receiver.addresses,
                    Addresses::parse,
                    &mut w,
                ),
                enrich: setting(
                    env,
                    "METRICLINE_OTLP_ENRICH",
                    "true, false",
                    d.otlp_receiver.enrich,
                    parse_bool,
                    &mut w,
                ),
                buffer_bytes: setting(
                    env,
                    "METRICLINE_OTLP_BUFFER_BYTES",
                    "a positive integer",
                    d.otlp_receiver.buffer_bytes,
                    |v| v.parse::<usize>().ok().filter(|&n| n > 0),
                    &mut w,
                ),
            },
            export_interval: setting(
                env,
                "OTEL_METRIC_EXPORT_INTERVAL",
                "a positive integer (milliseconds)",
                d.export_interval,
                |v| {
                    v.parse::<u64>()
                        .ok()
                        .filter(|&ms| ms > 0)
                        .map(Duration::from_millis)
                },
                &mut w,
            ),
            statsd: setting(
                env,
                "METRICLINE_STATSD",
                "off, or <ip>:<port> such as 127.0.0.1:8125 (localhost means 127.0.0.1)",
                d.statsd,
                parse_statsd,
                &mut w,
            ),
        };
        (config, w)
    }
}

#[cfg(test)]
mod tests;
