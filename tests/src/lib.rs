//! A local Lambda sandbox (Runtime, Extensions and Telemetry APIs, freeze/thaw, shutdown
//! deadline), an OTLP sink, and helpers shared by the end-to-end tests, the demo and the
//! benchmarks.

pub mod cli;
pub mod expect;
pub mod harness;
pub mod layer;
pub mod otel_function;
pub mod ports;
pub mod rotel;
pub mod sandbox;
pub mod sdk_checks;
pub mod sink;
