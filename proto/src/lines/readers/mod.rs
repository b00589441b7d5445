//! Readers the formats share, none of them specific to one format: the field rules (epochs,
//! instrument names, tags), JSON views and the one-pass plain-JSON reader, numbers, runtime
//! log prefixes and byte scanning.

pub(super) mod fields;
pub(super) mod json;
pub(super) mod number;
pub(super) mod plain;
pub(super) mod prefix;
pub(super) mod scan;
