//! The metricline Lambda extension: Extensions API lifecycle, Telemetry API listener, flush
//! scheduling, OTLP exporters and the retry buffer, on top of `metricline-proto`.
//!
//! The binary's `main.rs` only wires these modules together.

pub mod log;

pub mod allocator;
pub mod config;
pub mod export;
pub mod extensions_api;
pub mod flush;
pub mod lifecycle;
pub mod otlp_receiver;
pub mod pipeline;
pub mod statsd_listener;
pub mod telemetry_listener;
pub mod telemetry_subscription;
