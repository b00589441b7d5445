//! The OTLP resource of DESIGN.md §5, built from the environment the extension sees.
//!
//! OWNER: helper "telemetry+platform". Skeleton: the names below are the contract.

use crate::platform::Arch;

#[derive(Debug, Clone, PartialEq)]
pub enum AttributeValue {
    Str(String),
    Int(i64),
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Resource {
    pub attributes: Vec<(String, AttributeValue)>,
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

/// Builds the resource; the second value is a warning to log (e.g. an undecodable
/// `OTEL_RESOURCE_ATTRIBUTES`, which is then discarded whole as the spec says).
pub fn build(_inputs: &ResourceInputs<'_>) -> (Resource, Option<String>) {
    (Resource::default(), None)
}
