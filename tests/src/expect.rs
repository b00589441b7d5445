//! What the `lines` sample function's output must become at the backend, checked against
//! a sink: every metric with its kind, unit, attributes and exact total.

use crate::sink::{PointKind, ReceivedPoint, Sink};

/// One expected stream of the `lines` function, per repetition of its output.
pub struct Expected {
    pub metric: &'static str,
    pub kind: PointKind,
    pub unit: &'static str,
    pub attributes: &'static [(&'static str, &'static str)],
    /// Sum of values (histogram sums) per repetition; `None` for gauges.
    pub total: Option<f64>,
    /// Histogram count per repetition.
    pub count: Option<u64>,
}

const EMF: &[(&str, &str)] = &[("aws.cloudwatch.namespace", "Shop"), ("service", "orders")];

/// The streams the `lines` function writes per repetition.
pub const LINES: &[Expected] = &[
    Expected {
        metric: "OrderLatency",
        kind: PointKind::ExponentialHistogram,
        unit: "ms",
        attributes: EMF,
        total: Some(20.0),
        count: Some(2),
    },
    Expected {
        metric: "OrdersPlaced",
        kind: PointKind::Sum,
        unit: "{count}",
        attributes: EMF,
        total: Some(2.0),
        count: None,
    },
    Expected {
        metric: "shop.orders.value",
        kind: PointKind::ExponentialHistogram,
        unit: "",
        attributes: &[
            ("env", "test"),
            ("tier", "gold"),
            ("dd_lambda_layer", "datadog-python311_8.130.0"),
        ],
        total: Some(12.5),
        count: Some(1),
    },
    Expected {
        metric: "shop.orders.placed",
        kind: PointKind::Sum,
        unit: "",
        attributes: &[("env", "test"), ("vip", "")],
        total: Some(3.0),
        count: None,
    },
    Expected {
        metric: "shop.queue.depth",
        kind: PointKind::Gauge,
        unit: "",
        attributes: &[("env", "test")],
        total: None,
        count: None,
    },
    Expected {
        metric: "shop.step.duration",
        kind: PointKind::ExponentialHistogram,
        unit: "",
        attributes: &[("step", "pay")],
        total: Some(0.25),
        count: Some(1),
    },
    Expected {
        metric: "shop.logged",
        kind: PointKind::Sum,
        unit: "",
        attributes: &[("via", "logging")],
        total: Some(1.0),
        count: None,
    },
];

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

/// Checks one expected stream over `reps` repetitions; `Err` describes the mismatch.
pub fn check_stream(points: &[ReceivedPoint], e: &Expected, reps: u64) -> Result<(), String> {
    let mine: Vec<&ReceivedPoint> = points.iter().filter(|p| p.metric == e.metric).collect();
    if mine.is_empty() {
        return Err(format!("{}: no points", e.metric));
    }
    for p in &mine {
        let attrs_ok = e.attributes.len() == p.attributes.len()
            && e.attributes.iter().all(|(k, v)| p.attr(k) == Some(*v));
        if p.kind != e.kind || p.unit != e.unit || !attrs_ok {
            return Err(format!(
                "{}: got {:?} unit {:?} attributes {:?}, want {:?} {:?} {:?}",
                e.metric, p.kind, p.unit, p.attributes, e.kind, e.unit, e.attributes
            ));
        }
    }
    if let Some(total) = e.total {
        let got: f64 = mine.iter().map(|p| p.value).sum();
        if !close(got, total * reps as f64) {
            return Err(format!(
                "{}: total {got}, want {}",
                e.metric,
                total * reps as f64
            ));
        }
    } else if mine.iter().any(|p| p.value != 42.5) {
        return Err(format!(
            "{}: gauge values {:?}",
            e.metric,
            mine.iter().map(|p| p.value).collect::<Vec<_>>()
        ));
    }
    if let Some(count) = e.count {
        let got: u64 = mine.iter().map(|p| p.count).sum();
        if got != count * reps {
            return Err(format!("{}: count {got}, want {}", e.metric, count * reps));
        }
    }
    Ok(())
}

/// Every stream of [`LINES`] over `reps` repetitions, plus one `ColdStart` per cold start.
pub fn check_lines(points: &[ReceivedPoint], reps: u64, cold_starts: u64) -> Result<(), String> {
    let mut problems: Vec<String> = LINES
        .iter()
        .filter_map(|e| check_stream(points, e, reps).err())
        .collect();
    let cold: f64 = points
        .iter()
        .filter(|p| p.metric == "ColdStart")
        .map(|p| p.value)
        .sum();
    if cold != cold_starts as f64 {
        problems.push(format!("ColdStart: {cold}, want {cold_starts}"));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// Waits until [`check_lines`] passes (or the timeout), returning its last verdict.
pub fn wait_for_lines(
    sink: &Sink,
    timeout: std::time::Duration,
    reps: u64,
    cold: u64,
) -> Result<(), String> {
    sink.wait_until(timeout, |p| check_lines(p, reps, cold).is_ok());
    check_lines(&sink.points(), reps, cold)
}

/// Sum of a metric's values whose attributes contain `attrs`.
pub fn total(points: &[ReceivedPoint], metric: &str, attrs: &[(&str, &str)]) -> f64 {
    points
        .iter()
        .filter(|p| p.metric == metric && crate::sink::has_attributes(&p.attributes, attrs))
        .map(|p| p.value)
        .sum()
}

/// Total histogram count (1 per sum or gauge point) of a metric.
pub fn count(points: &[ReceivedPoint], metric: &str) -> u64 {
    points
        .iter()
        .filter(|p| p.metric == metric)
        .map(|p| p.count)
        .sum()
}
