//! The extension's own health metrics (DESIGN.md §4): `metricline.lines` and
//! `metricline.points.dropped`.
//!
//! OWNER: helper "telemetry+platform". Skeleton: the names below are the contract.
