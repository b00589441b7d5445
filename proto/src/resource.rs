//! The OTLP resource of docs/metrics.md, built from the environment the extension sees.
//!
//! Precedence, highest first:
//! - `service.name`: `OTEL_SERVICE_NAME`, then `service.name` in `OTEL_RESOURCE_ATTRIBUTES`,
//!   then `AWS_LAMBDA_FUNCTION_NAME`, then `unknown_service`.
//! - every other key: what the user wrote in `OTEL_RESOURCE_ATTRIBUTES`, then what we detect.
//!   A user who writes a key means it, so detection never silently overrides it (the SDK
//!   spec merges user-provided attributes over detected ones). This includes
//!   `service.instance.id`: overriding it makes concurrent environments share streams, which
//!   docs/metrics.md warns about.

use crate::platform::Arch;

#[derive(Debug, Clone, PartialEq)]
pub enum AttributeValue {
    Str(String),
    Int(i64),
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Resource {
    /// Unique keys: detected attributes first, then the user's extra keys in written order.
    pub attributes: Vec<(String, AttributeValue)>,
}

impl Resource {
    pub fn get(&self, key: &str) -> Option<&AttributeValue> {
        self.attributes
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// Sets `key`, replacing its value in place if present.
    fn set(&mut self, key: &str, value: AttributeValue) {
        match self.attributes.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => entry.1 = value,
            None => self.attributes.push((key.to_owned(), value)),
        }
    }
}

/// What the resource is built from; `env` looks a variable up (so tests need no real env).
pub struct ResourceInputs<'a> {
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// From the Extensions API registration response.
    pub account_id: Option<String>,
    /// A random UUID per execution environment.
    pub instance_id: String,
    pub arch: Arch,
}

/// `service.name` when nothing names the service (the spec's default).
pub const UNKNOWN_SERVICE: &str = "unknown_service";

/// Builds the resource; the second value is a warning to log (e.g. an undecodable
/// `OTEL_RESOURCE_ATTRIBUTES`, which is then discarded whole as the spec says).
pub fn build(inputs: &ResourceInputs<'_>) -> (Resource, Option<String>) {
    // An empty variable counts as unset (OpenTelemetry configuration rules).
    let env = |name: &str| (inputs.env)(name).filter(|v| !v.trim().is_empty());
    let (user, warning) = match env("OTEL_RESOURCE_ATTRIBUTES") {
        None => (Vec::new(), None),
        Some(raw) => match parse_resource_attributes(&raw) {
            Ok(user) => (user, None),
            Err(why) => (
                Vec::new(),
                Some(format!("OTEL_RESOURCE_ATTRIBUTES ignored: {why}")),
            ),
        },
    };

    let user_service_name = user.iter().rev().find(|(k, _)| k == "service.name");
    let service_name = env("OTEL_SERVICE_NAME")
        .or_else(|| user_service_name.map(|(_, v)| v.clone()))
        .or_else(|| env("AWS_LAMBDA_FUNCTION_NAME"))
        .unwrap_or_else(|| UNKNOWN_SERVICE.to_owned());

    let mut resource = Resource::default();
    let mut put = |key: &str, value: Option<AttributeValue>| {
        if let Some(value) = value {
            resource.set(key, value);
        }
    };
    let str_value = |v: String| Some(AttributeValue::Str(v));
    put("service.name", str_value(service_name));
    put("cloud.provider", str_value("aws".into()));
    put("cloud.platform", str_value("aws_lambda".into()));
    put("cloud.region", env("AWS_REGION").and_then(str_value));
    put(
        "cloud.account.id",
        inputs
            .account_id
            .clone()
            .filter(|a| !a.is_empty())
            .and_then(str_value),
    );
    put(
        "faas.name",
        env("AWS_LAMBDA_FUNCTION_NAME").and_then(str_value),
    );
    put(
        "faas.version",
        env("AWS_LAMBDA_FUNCTION_VERSION").and_then(str_value),
    );
    let max_memory = env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        .and_then(|mb| mb.trim().parse::<i64>().ok())
        .and_then(|mb| mb.checked_mul(1_048_576))
        .map(AttributeValue::Int);
    put("faas.max_memory", max_memory);
    put("service.instance.id", str_value(inputs.instance_id.clone()));
    let host_arch = match inputs.arch {
        Arch::X86_64 => "amd64",
        Arch::Arm64 => "arm64",
    };
    put("host.arch", str_value(host_arch.into()));

    for (key, value) in user {
        if key != "service.name" {
            resource.set(&key, AttributeValue::Str(value));
        }
    }
    (resource, warning)
}

/// Parses `k=v,k2=v2`: entries trimmed, keys and values percent-decoded, empty entries
/// skipped. Any undecodable entry fails the whole variable.
pub fn parse_resource_attributes(raw: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for entry in raw.split(',') {
        let entry = entry.trim();
        if entry.is_empty() {
            continue;
        }
        let (key, value) = entry
            .split_once('=')
            .ok_or_else(|| format!("entry `{entry}` has no `=`"))?;
        let key = percent_decode(key.trim())?;
        if key.is_empty() {
            return Err(format!("entry `{entry}` has an empty key"));
        }
        out.push((key, percent_decode(value.trim())?));
    }
    Ok(out)
}

/// Decodes `%XX` escapes; the result must be UTF-8. `+` stays a plus (not form encoding).
/// Strict on purpose: a malformed variable is discarded whole. The exporter's header decoder
/// (`extension/src/export/config/`) is lenient instead; docs/architecture.md says why.
fn percent_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                // `from_str_radix` alone would also accept a sign, as in `%+F`.
                .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("bad percent-encoding in `{text}`"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("`{text}` does not decode to UTF-8"))
}
