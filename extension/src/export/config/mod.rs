//! The exporter's configuration from the standard `OTEL_EXPORTER_OTLP_*` variables, each with
//! its per-signal override (`_METRICS_`, and `_TRACES_`/`_LOGS_` for what the OTLP receiver
//! passes through), parsed leniently: a bad value gives one warning and a safe default.

use std::path::PathBuf;
use std::time::Duration;

use http::{HeaderName, HeaderValue, Uri};
use metricline_proto::relay::Signal;

mod endpoint;

use endpoint::resolve_endpoint;

/// The wire protocol of the OTLP exporter (`OTEL_EXPORTER_OTLP_PROTOCOL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Grpc,
    HttpProtobuf,
    HttpJson,
}

/// Request body compression (`OTEL_EXPORTER_OTLP_COMPRESSION`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
}

/// Where and how the exporter sends. Header values are marked sensitive, so `Debug` never
/// prints them.
#[derive(Debug, Clone)]
pub struct ExporterConfig {
    /// The full request URL: `…/v1/metrics` for HTTP, `…/<MetricsService>/Export` for gRPC.
    pub endpoint: Uri,
    pub protocol: Protocol,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub timeout: Duration,
    pub compression: Compression,
    /// PEM file of CA certificates trusted in addition to the webpki roots.
    pub certificate: Option<PathBuf>,
    /// Mutual TLS: the PEM files of the client certificate (chain) and of its private key.
    pub client_certificate: Option<(PathBuf, PathBuf)>,
}

pub const GRPC_EXPORT_PATH: &str =
    "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// The spec's "0 means no limit"; an export never outlives a Lambda invoke (15 min) anyway.
const NO_LIMIT_TIMEOUT: Duration = Duration::from_secs(3600);

impl ExporterConfig {
    /// Reads the OTEL_EXPORTER_OTLP_* variables with their _METRICS_ overrides. Each value
    /// that cannot be parsed gives one warning line (naming the variable and the accepted
    /// values, never a header value) and falls back to a safe default.
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> (ExporterConfig, Vec<String>) {
        Self::for_signal(env, Signal::Metrics)
    }

    /// The same for one signal: its `OTEL_EXPORTER_OTLP_<SIGNAL>_*` overrides, its path.
    pub fn for_signal(
        env: &dyn Fn(&str) -> Option<String>,
        signal: Signal,
    ) -> (ExporterConfig, Vec<String>) {
        let mut warnings = Vec::new();
        let lookup = |option: &str| lookup(env, signal, option);

        let protocol = match lookup("PROTOCOL") {
            None => Protocol::HttpProtobuf,
            Some((var, value)) => parse_protocol(&value).unwrap_or_else(|| {
                warnings.push(format!(
                    "{var}={value:?} is not valid (accepted: grpc, http/protobuf, http/json); using http/protobuf"
                ));
                Protocol::HttpProtobuf
            }),
        };

        let endpoint = resolve_endpoint(protocol, signal, env, &mut warnings);

        let headers = match lookup("HEADERS") {
            None => Vec::new(),
            Some((var, value)) => {
                let (headers, skipped) = parse_headers(&value);
                if skipped > 0 {
                    // Never echo the value: an entry without `=` may well be a bare token.
                    warnings.push(format!(
                        "{var}: skipped {skipped} malformed entr{} (accepted: comma-separated key=value pairs, percent-encoded, keys being HTTP header names)",
                        if skipped == 1 { "y" } else { "ies" }
                    ));
                }
                headers
            }
        };

        let timeout = match lookup("TIMEOUT") {
            None => DEFAULT_TIMEOUT,
            Some((var, value)) => parse_timeout(&value).unwrap_or_else(|| {
                warnings.push(format!(
                    "{var}={value:?} is not valid (accepted: milliseconds as a non-negative integer, 0 for no limit); using 10000"
                ));
                DEFAULT_TIMEOUT
            }),
        };

        let compression = match lookup("COMPRESSION") {
            None => Compression::None,
            Some((var, value)) => parse_compression(&value).unwrap_or_else(|| {
                warnings.push(format!(
                    "{var}={value:?} is not valid (accepted: gzip, none); using none"
                ));
                Compression::None
            }),
        };

        let certificate = lookup("CERTIFICATE").map(|(_, value)| PathBuf::from(value));
        let client_certificate = match (lookup("CLIENT_CERTIFICATE"), lookup("CLIENT_KEY")) {
            (Some((_, certificate)), Some((_, key))) => {
                Some((PathBuf::from(certificate), PathBuf::from(key)))
            }
            (None, None) => None,
            (Some((var, _)), None) | (None, Some((var, _))) => {
                warnings.push(format!(
                    "{var} is set without its pair (accepted: both _CLIENT_CERTIFICATE and \
                     _CLIENT_KEY, or neither); no client certificate is sent"
                ));
                None
            }
        };

        let config = ExporterConfig {
            endpoint,
            protocol,
            headers,
            timeout,
            compression,
            certificate,
            client_certificate,
        };
        (config, warnings)
    }

    /// The longest one export may take, retries included (`OTEL_EXPORTER_OTLP_TIMEOUT`).
    pub fn timeout(&self) -> Duration {
        self.timeout
    }
}

/// The signal's variable (`_METRICS_`…) if set, else the generic one; an empty value counts
/// as unset. Returns the variable's name (for warnings) and its trimmed value.
fn lookup(
    env: &dyn Fn(&str) -> Option<String>,
    signal: Signal,
    option: &str,
) -> Option<(String, String)> {
    let signal = signal.as_str().to_ascii_uppercase();
    [
        format!("OTEL_EXPORTER_OTLP_{signal}_{option}"),
        format!("OTEL_EXPORTER_OTLP_{option}"),
    ]
    .into_iter()
    .find_map(|var| {
        let value = env(&var)?.trim().to_string();
        (!value.is_empty()).then_some((var, value))
    })
}

pub(crate) fn parse_protocol(value: &str) -> Option<Protocol> {
    match value.trim().to_ascii_lowercase().as_str() {
        "grpc" => Some(Protocol::Grpc),
        "http/protobuf" => Some(Protocol::HttpProtobuf),
        "http/json" => Some(Protocol::HttpJson),
        _ => None,
    }
}

pub(crate) fn parse_compression(value: &str) -> Option<Compression> {
    match value.trim().to_ascii_lowercase().as_str() {
        "gzip" => Some(Compression::Gzip),
        "none" => Some(Compression::None),
        _ => None,
    }
}

/// Milliseconds; `0` means no limit. Negative or non-integer values are invalid.
pub(crate) fn parse_timeout(value: &str) -> Option<Duration> {
    let ms: u64 = value.trim().parse().ok()?;
    Some(if ms == 0 {
        NO_LIMIT_TIMEOUT
    } else {
        Duration::from_millis(ms)
    })
}

/// `k=v,k2=v2` with percent-encoded keys and values, trimmed. Returns the valid headers and
/// how many entries were skipped as malformed (no `=`, empty or invalid name, invalid value).
pub(crate) fn parse_headers(value: &str) -> (Vec<(HeaderName, HeaderValue)>, usize) {
    let mut headers = Vec::new();
    let mut skipped = 0;
    for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let parsed = entry.split_once('=').and_then(|(key, value)| {
            let name = HeaderName::from_bytes(percent_decode(key.trim()).trim_ascii()).ok()?;
            let mut value =
                HeaderValue::from_bytes(percent_decode(value.trim()).trim_ascii()).ok()?;
            value.set_sensitive(true);
            Some((name, value))
        });
        match parsed {
            Some(header) => headers.push(header),
            None => skipped += 1,
        }
    }
    (headers, skipped)
}

/// Decodes `%XX` escapes; a `%` not followed by two hex digits is kept as written, like the
/// liberal parsers of the OpenTelemetry SDKs. The resource's decoder (`proto/src/resource.rs`)
/// is strict instead; docs/architecture.md says why.
pub(crate) fn percent_decode(value: &str) -> Vec<u8> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| {
                Some((
                    hex_digit(*bytes.get(i + 1)?)?,
                    hex_digit(*bytes.get(i + 2)?)?,
                ))
            })
            .flatten();
        match escaped {
            Some((high, low)) => {
                out.push(high << 4 | low);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    out
}

fn hex_digit(byte: u8) -> Option<u8> {
    (byte as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests;
