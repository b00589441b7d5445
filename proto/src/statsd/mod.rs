//! StatsD and DogStatsD datagrams (docs/statsd.md): one UDP datagram holds one or more
//! `\n`-separated lines, each `name:value[:value…]|type[|@rate][|#tags][|T<epoch>][|…]`.
//! Lines become borrowed points in a [`PointSink`], with the names, tags and numbers read
//! by the same rules as log lines (`crate::lines`).
//!
//! Each line is kept or rejected as a whole, so one bad line in a datagram loses nothing
//! else. DogStatsD events (`_e{…}`) and service checks (`_sc|…`) are recognised and
//! skipped: they are not metrics.

mod fields;
mod line;
mod tally;

#[cfg(test)]
mod tests;

pub use tally::Tally;

use crate::lines::Reason;
use crate::model::PointSink;

/// What one line of a datagram turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineOutcome {
    /// A metric line; its values went to the sink.
    Accepted,
    /// A malformed metric line; nothing went to the sink.
    Rejected(Reason),
    /// A DogStatsD event (`_e{…}`): counted, not a metric.
    Event,
    /// A DogStatsD service check (`_sc|…`): counted, not a metric.
    ServiceCheck,
}

/// Parses every line of `datagram` into `out`, calling `on_line` once per non-empty line
/// with the line and its outcome. `received_unix_nano` stamps the values of lines without
/// a `|T` timestamp.
pub fn parse_datagram(
    datagram: &[u8],
    received_unix_nano: u64,
    out: &mut dyn PointSink,
    mut on_line: impl FnMut(&[u8], LineOutcome),
) {
    for line in lines(datagram) {
        on_line(line, parse_line(line, received_unix_nano, out));
    }
}

/// The non-empty lines of a datagram: a trailing `\r` and empty lines (a trailing `\n`)
/// are layout.
pub fn lines(datagram: &[u8]) -> impl Iterator<Item = &[u8]> {
    datagram
        .split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .filter(|line| !line.is_empty())
}

/// Parses one line of a datagram into `out` (see [`lines`]).
pub fn parse_line(line: &[u8], received_unix_nano: u64, out: &mut dyn PointSink) -> LineOutcome {
    match std::str::from_utf8(line) {
        Ok(text) => line::parse(text, received_unix_nano, out),
        Err(_) => LineOutcome::Rejected(Reason::StatsdSyntax),
    }
}
