//! Where a signal's exporter sends: `OTEL_EXPORTER_OTLP_<SIGNAL>_ENDPOINT`, else the generic
//! endpoint with the signal's path, else the protocol's default; and, for gRPC endpoints
//! written without a scheme (`collector:4317`), `OTEL_EXPORTER_OTLP_[<SIGNAL>_]INSECURE`.
//!
//! The exporter spec gives `_INSECURE` a meaning only there: gRPC users write `host:port`
//! as gRPC clients do, and the variable picks plain text (`true`) or TLS (`false`, the
//! default, so that a forgotten variable never sends in the clear). A scheme-less endpoint
//! becomes `http://` or `https://`, and from then on the scheme decides, as it does for
//! every endpoint written with one.

use http::Uri;
use metricline_proto::relay::Signal;

use super::{lookup, Protocol};
use crate::config::parse_bool;

const DEFAULT_HTTP_BASE: &str = "http://localhost:4318";
const DEFAULT_GRPC_BASE: &str = "http://localhost:4317";

pub(super) fn resolve_endpoint(
    protocol: Protocol,
    signal: Signal,
    env: &dyn Fn(&str) -> Option<String>,
    warnings: &mut Vec<String>,
) -> Uri {
    let default_base = match protocol {
        Protocol::Grpc => DEFAULT_GRPC_BASE,
        _ => DEFAULT_HTTP_BASE,
    };
    // Read whether or not the endpoint needs it, so that a typo is reported at once rather
    // than on the day the endpoint loses its scheme.
    let insecure = insecure(env, signal, warnings);
    let (base, per_signal) = match lookup(env, signal, "ENDPOINT") {
        None => (default_base.to_string(), false),
        Some((var, value)) => match with_scheme(protocol, &value, insecure) {
            Some(url) => (url, var != "OTEL_EXPORTER_OTLP_ENDPOINT"),
            None => {
                let accepted = match protocol {
                    Protocol::Grpc => "neither an absolute http:// or https:// URL nor host:port",
                    _ => "not an absolute http:// or https:// URL",
                };
                warnings.push(format!("{var} is {accepted}; using {default_base}"));
                (default_base.to_string(), false)
            }
        },
    };
    let url = match protocol {
        // gRPC names the method in the path; the endpoint only gives scheme, host and port.
        Protocol::Grpc => {
            let uri = parse_absolute_url(&base).expect("validated above");
            format!(
                "{}://{}{}",
                uri.scheme_str().unwrap_or("http"),
                uri.authority().map(|a| a.as_str()).unwrap_or(""),
                signal.grpc_path()
            )
        }
        _ if per_signal => base,
        _ => http_signal_url(&base, signal),
    };
    parse_absolute_url(&url).expect("built from a validated URL")
}

/// The endpoint as an absolute URL: as written when it has a scheme; for gRPC, a
/// scheme-less `host:port` gets `http://` when insecure, else `https://`.
fn with_scheme(protocol: Protocol, value: &str, insecure: bool) -> Option<String> {
    if parse_absolute_url(value).is_some() {
        return Some(value.to_string());
    }
    if protocol != Protocol::Grpc || value.contains("://") {
        return None;
    }
    let scheme = if insecure { "http" } else { "https" };
    let url = format!("{scheme}://{value}");
    parse_absolute_url(&url).map(|_| url)
}

/// `_INSECURE`: `true` or `false`, case-insensitive; unset or invalid is `false` (TLS).
fn insecure(
    env: &dyn Fn(&str) -> Option<String>,
    signal: Signal,
    warnings: &mut Vec<String>,
) -> bool {
    let (var, value) = match lookup(env, signal, "INSECURE") {
        None => return false,
        Some(found) => found,
    };
    match parse_bool(&value) {
        Some(insecure) => insecure,
        None => {
            warnings.push(format!(
                "{var}={value:?} is not valid (accepted: true, false); using false (TLS for a \
                 gRPC endpoint without a scheme)"
            ));
            false
        }
    }
}

/// A URL with an `http` or `https` scheme and a host; an empty path reads as `/`.
fn parse_absolute_url(value: &str) -> Option<Uri> {
    let uri: Uri = value.parse().ok()?;
    let scheme_ok = matches!(uri.scheme_str(), Some("http") | Some("https"));
    let host_ok = uri.host().is_some_and(|h| !h.is_empty());
    (scheme_ok && host_ok).then_some(uri)
}

/// The spec's rule for the generic endpoint: a base URL to which `v1/<signal>` is appended
/// after ensuring exactly one `/` between them.
fn http_signal_url(base: &str, signal: Signal) -> String {
    let (without_query, query) = match base.split_once('?') {
        Some((url, query)) => (url, Some(query)),
        None => (base, None),
    };
    let mut url = without_query.to_string();
    if !url.ends_with('/') {
        url.push('/');
    }
    url.push_str(signal.http_path());
    if let Some(query) = query {
        url.push('?');
        url.push_str(query);
    }
    url
}
