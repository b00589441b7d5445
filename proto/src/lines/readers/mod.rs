//! Readers the formats share, none of them specific to one format: the field rules (epochs,
//! instrument names, tags), JSON views and the one-pass plain-JSON reader, numbers, runtime
//! log prefixes and byte scanning. `fields` and `scan` serve the StatsD parser too
//! (`crate::statsd`), so StatsD names, tags and epochs follow the same rules.

pub(crate) mod fields;
pub(super) mod json;
pub(super) mod number;
pub(super) mod plain;
pub(super) mod prefix;
pub(crate) mod scan;
