//! Platform events → the platform metrics of DESIGN.md §4.
//!
//! OWNER: helper "telemetry+platform". Skeleton: the names below are the contract.

use crate::model::Point;
use crate::telemetry::Event;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    X86_64,
    Arm64,
}

impl Arch {
    /// The architecture this code was compiled for.
    pub fn host() -> Arch {
        if cfg!(target_arch = "aarch64") {
            Arch::Arm64
        } else {
            Arch::X86_64
        }
    }
}

#[derive(Debug, Clone)]
pub struct PlatformConfig {
    pub arch: Arch,
    /// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`, when known.
    pub memory_size_mb: Option<u64>,
}

/// Per-environment state needed to derive metrics from several events (OOM once per request,
/// post-runtime duration from `runtimeDone` and `report`).
#[derive(Debug)]
pub struct Platform {
    _config: PlatformConfig,
}

impl Platform {
    pub fn new(config: PlatformConfig) -> Self {
        Platform { _config: config }
    }

    /// Appends the platform metrics that `event` yields.
    pub fn on_event(&mut self, _event: &Event, _out: &mut Vec<Point>) {}
}
