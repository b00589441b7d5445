//! `metricline.points.dropped`, counted outside the aggregator: when the retry buffer
//! sheds its oldest points, a drop count recorded there earlier could itself be shed and
//! the loss would go uncounted. Here the counts wait until an export carries them.

use metricline_proto::aggregate::{DataPoint, Export, Temporality, Value};
use metricline_proto::self_metrics::{self, DropReason};

const REASONS: [DropReason; 3] = [
    DropReason::BufferFull,
    DropReason::Rejected,
    DropReason::PartialSuccess,
];

#[derive(Debug)]
pub struct DropCounts {
    temporality: Temporality,
    /// Start of cumulative points, and of the first delta point.
    start_unix_nano: u64,
    /// Per reason (in `REASONS` order): counted but not yet delivered...
    unreported: [u64; 3],
    /// ...delivered so far (the cumulative total)...
    reported: [u64; 3],
    /// ...and the end of the last delivered delta point.
    last_end: [Option<u64>; 3],
    /// The end time of the points appended to the export now in flight.
    in_flight_end: Option<u64>,
}

fn index(reason: DropReason) -> usize {
    REASONS.iter().position(|r| *r == reason).unwrap_or(0)
}

impl DropCounts {
    pub fn new(temporality: Temporality, start_unix_nano: u64) -> Self {
        DropCounts {
            temporality,
            start_unix_nano,
            unreported: [0; 3],
            reported: [0; 3],
            last_end: [None; 3],
            in_flight_end: None,
        }
    }

    pub fn add(&mut self, reason: DropReason, count: u64) {
        let i = index(reason);
        self.unreported[i] = self.unreported[i].saturating_add(count);
    }

    pub fn pending(&self) -> bool {
        self.unreported.iter().any(|&n| n > 0)
    }

    /// Appends one point per reason with unreported drops to `export`; returns how many
    /// streams were appended (remove them again before putting the export back).
    pub fn append_to(&mut self, export: &mut Export, now_unix_nano: u64) -> usize {
        let mut appended = 0;
        let mut latest_end = 0;
        for (i, reason) in REASONS.into_iter().enumerate() {
            let count = self.unreported[i];
            if count == 0 {
                continue;
            }
            let (start, value) = match self.temporality {
                Temporality::Delta => (self.last_end[i].unwrap_or(self.start_unix_nano), count),
                Temporality::Cumulative => {
                    (self.start_unix_nano, self.reported[i].saturating_add(count))
                }
            };
            let end = now_unix_nano.max(start + 1);
            latest_end = latest_end.max(end);
            let key = self_metrics::points_dropped(reason, count, end).key;
            export.streams.push((
                key.into(),
                vec![DataPoint {
                    start_time_unix_nano: start,
                    time_unix_nano: end,
                    value: Value::Sum(value as f64),
                }],
            ));
            appended += 1;
        }
        self.in_flight_end = (appended > 0).then_some(latest_end);
        appended
    }

    /// The export carrying the appended counts reached the backend.
    pub fn delivered(&mut self) {
        let Some(end) = self.in_flight_end.take() else {
            return;
        };
        for i in 0..REASONS.len() {
            if self.unreported[i] > 0 {
                self.reported[i] = self.reported[i].saturating_add(self.unreported[i]);
                self.unreported[i] = 0;
                self.last_end[i] = Some(end);
            }
        }
    }

    /// The export carrying the appended counts did not get through: they stay unreported.
    pub fn not_delivered(&mut self) {
        self.in_flight_end = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(export: &Export) -> Vec<(u64, u64, f64)> {
        export
            .streams
            .iter()
            .flat_map(|(_, points)| points)
            .map(|p| match p.value {
                Value::Sum(v) => (p.start_time_unix_nano, p.time_unix_nano, v),
                _ => panic!("not a sum"),
            })
            .collect()
    }

    #[test]
    fn delta_points_are_contiguous_and_counted_once() {
        let mut drops = DropCounts::new(Temporality::Delta, 100);
        let mut export = Export::default();
        assert_eq!(drops.append_to(&mut export, 200), 0);
        drops.add(DropReason::BufferFull, 3);
        drops.append_to(&mut export, 200);
        drops.not_delivered();
        drops.add(DropReason::BufferFull, 2);
        let mut export = Export::default();
        drops.append_to(&mut export, 300);
        assert_eq!(values(&export), [(100, 300, 5.0)]);
        drops.delivered();
        assert!(!drops.pending());
        drops.add(DropReason::BufferFull, 1);
        let mut export = Export::default();
        drops.append_to(&mut export, 400);
        assert_eq!(values(&export), [(300, 400, 1.0)]);
    }

    #[test]
    fn cumulative_points_carry_the_running_total() {
        let mut drops = DropCounts::new(Temporality::Cumulative, 100);
        drops.add(DropReason::Rejected, 4);
        drops.append_to(&mut Export::default(), 200);
        drops.delivered();
        drops.add(DropReason::Rejected, 1);
        let mut export = Export::default();
        drops.append_to(&mut export, 300);
        assert_eq!(values(&export), [(100, 300, 5.0)]);
        let (key, _) = &export.streams[0];
        assert_eq!(key.name, "metricline.points.dropped");
        assert!(key
            .attributes
            .contains(&("metricline.reason".to_string(), "rejected".to_string())));
    }
}
