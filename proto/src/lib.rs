//! Every format that crosses a wire in metricline, as pure code.
//!
//! Data flows one way (docs/architecture.md):
//! Telemetry API batch ([`telemetry`]) → records → lines ([`lines`]) or platform events
//! ([`platform`]) → [`Point`]s → [`aggregate::Aggregator`] → OTLP request ([`otlp`]).
//! StatsD/DogStatsD datagrams ([`statsd`]) are a further source of points.
//!
//! Nothing here opens a socket, spawns a task or reads a clock: time always comes in as
//! an argument, so every rule is unit-testable, benchable and fuzzable in isolation.

pub mod aggregate;
pub mod lines;
pub mod model;
pub mod otlp;
pub mod platform;
pub mod relay;
pub mod resource;
pub mod self_metrics;
pub mod statsd;
pub mod telemetry;
mod text;

pub use model::{Attributes, Kind, Point, StreamKey};
