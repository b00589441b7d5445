//! StatsD/DogStatsD datagrams: any bytes, as one datagram. Checks the parser's contract:
//! a line that is not accepted emits nothing, an accepted one at least one finite value,
//! and every non-empty line gets exactly one outcome.
#![no_main]

use std::cell::Cell;

use libfuzzer_sys::fuzz_target;
use metricline_proto::model::{PointRef, PointSink};
use metricline_proto::statsd::{parse_datagram, LineOutcome};

/// Counts the values emitted; the outcome callback reads the count.
struct Counting<'a>(&'a Cell<usize>);

impl PointSink for Counting<'_> {
    fn push_point(&mut self, point: PointRef<'_>) {
        assert!(point.value.is_finite());
        self.0.set(self.0.get() + 1);
    }
}

fuzz_target!(|datagram: &[u8]| {
    let emitted = Cell::new(0);
    let mut seen = 0;
    let mut lines = 0;
    parse_datagram(datagram, 1, &mut Counting(&emitted), |line, outcome| {
        lines += 1;
        assert!(!line.is_empty() && !line.contains(&b'\n'));
        let of_line = emitted.get() - seen;
        seen = emitted.get();
        match outcome {
            LineOutcome::Accepted => assert!(of_line > 0),
            _ => assert_eq!(of_line, 0),
        }
    });
    let expected = datagram
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty() && *l != b"\r")
        .count();
    assert_eq!(lines, expected);
});
