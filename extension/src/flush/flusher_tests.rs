//! Unit tests of one flush against a scripted exporter: retry buffer, shedding, counting of
//! dropped points and backoff.

use super::*;
use crate::export::ExportMetricsServiceRequest;
use crate::pipeline::{Pipeline, PipelineConfig};
use metricline_proto::aggregate::{HistogramAggregation, Temporality};
use metricline_proto::lines::Formats;
use metricline_proto::platform::{Arch, PlatformConfig};
use metricline_proto::{Kind, Point, StreamKey};
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use opentelemetry_proto::tonic::metrics::v1::number_data_point::Value;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;

/// Answers with the scripted outcomes in order (then `Delivered`) and keeps the requests.
#[derive(Default)]
struct Scripted {
    outcomes: RefCell<VecDeque<ExportOutcome>>,
    requests: RefCell<Vec<ExportMetricsServiceRequest>>,
    calls: Cell<usize>,
}

impl Deliver for &Scripted {
    fn deliver(
        &self,
        request: &Request<'_>,
        _deadline: Instant,
    ) -> impl Future<Output = ExportOutcome> {
        self.calls.set(self.calls.get() + 1);
        self.requests.borrow_mut().push(request.to_message());
        let outcome = self
            .outcomes
            .borrow_mut()
            .pop_front()
            .unwrap_or(ExportOutcome::Delivered);
        async move { outcome }
    }
}

fn shared() -> Arc<Shared> {
    Arc::new(Shared::new(Pipeline::new(PipelineConfig {
        formats: Formats::default(),
        platform_metrics: false,
        platform: PlatformConfig {
            arch: Arch::X86_64,
            memory_size_mb: None,
        },
        aggregation: aggregation(),
        limits: Default::default(),
    })))
}

fn aggregation() -> AggregationConfig {
    AggregationConfig {
        temporality: Temporality::Delta,
        histograms: HistogramAggregation::Exponential,
        start_time_unix_nano: 0,
    }
}

fn flusher<'a>(
    shared: &Arc<Shared>,
    exporter: &'a Scripted,
    buffer: usize,
) -> Flusher<&'a Scripted> {
    Flusher::new(
        shared.clone(),
        exporter,
        Resource::default(),
        aggregation(),
        Budget {
            points: buffer,
            bytes: usize::MAX,
        },
        Duration::from_secs(5),
    )
}

/// Records one value in each of `streams` distinct counter streams, a minute ago.
fn record(shared: &Shared, streams: usize) {
    let t = Now::read().unix_nano - 60_000_000_000;
    let mut pipeline = shared.lock();
    for i in 0..streams {
        pipeline.aggregator().record(Point {
            key: StreamKey::new(format!("orders.{i}"), "", Kind::Sum, vec![]),
            time_unix_nano: t,
            value: 1.0,
        });
    }
}

fn failed() -> ExportOutcome {
    ExportOutcome::Failed {
        reason: "503".into(),
        retry_after: None,
    }
}

/// The value of `metricline.points.dropped{metricline.reason=reason}` in `request`.
fn dropped(request: &ExportMetricsServiceRequest, reason: &str) -> Option<f64> {
    let metrics = request
        .resource_metrics
        .iter()
        .flat_map(|r| &r.scope_metrics)
        .flat_map(|s| &s.metrics)
        .filter(|m| m.name == "metricline.points.dropped");
    let mut total = None;
    for metric in metrics {
        let Some(Data::Sum(sum)) = &metric.data else {
            continue;
        };
        for point in &sum.data_points {
            let matches = point.attributes.iter().any(|kv| {
                kv.key == "metricline.reason"
                    && matches!(kv.value.as_ref().and_then(|v| v.value.as_ref()),
                        Some(AnyValue::StringValue(s)) if s == reason)
            });
            let value = match point.value {
                Some(Value::AsDouble(v)) => v,
                Some(Value::AsInt(v)) => v as f64,
                None => 0.0,
            };
            if matches {
                *total.get_or_insert(0.0) += value;
            }
        }
    }
    total
}

fn soon() -> Instant {
    Instant::now() + Duration::from_secs(2)
}

#[tokio::test(flavor = "current_thread")]
async fn delivers_and_empties_the_aggregator() {
    let shared = shared();
    let exporter = Scripted::default();
    let flusher = flusher(&shared, &exporter, 100);
    assert_eq!(
        flusher.flush(Take::All, soon(), false).await,
        Flushed::Nothing
    );
    assert_eq!(exporter.calls.get(), 0);
    record(&shared, 3);
    assert_eq!(
        flusher.flush(Take::All, soon(), false).await,
        Flushed::Delivered { points: 3 }
    );
    assert_eq!(shared.lock().aggregator().pending_points(), 0);
}

#[tokio::test(flavor = "current_thread")]
async fn a_failed_export_is_put_back_and_goes_with_the_next_flush() {
    let shared = shared();
    let exporter = Scripted::default();
    exporter.outcomes.borrow_mut().push_back(failed());
    let flusher = flusher(&shared, &exporter, 100);
    record(&shared, 3);
    assert_eq!(
        flusher.flush(Take::All, soon(), false).await,
        Flushed::Failed
    );
    assert_eq!(shared.lock().aggregator().pending_points(), 3);
    // Backing off: the next flush only buffers, without calling the backend...
    assert_eq!(
        flusher.flush(Take::All, soon(), false).await,
        Flushed::Buffered
    );
    assert_eq!(exporter.calls.get(), 1);
    // ...but the shutdown flush always tries, and delivers everything once.
    assert_eq!(
        flusher.flush(Take::All, soon(), true).await,
        Flushed::Delivered { points: 3 }
    );
    assert_eq!(flusher.backoff_failures(), 0);
}

#[tokio::test(flavor = "current_thread")]
async fn overflow_sheds_the_oldest_and_counts_them_as_buffer_full() {
    let shared = shared();
    let exporter = Scripted::default();
    exporter.outcomes.borrow_mut().push_back(failed());
    let flusher = flusher(&shared, &exporter, 2);
    record(&shared, 5);
    assert_eq!(
        flusher.flush(Take::All, soon(), false).await,
        Flushed::Failed
    );
    flusher.flush(Take::All, soon(), true).await;
    let requests = exporter.requests.borrow();
    assert_eq!(dropped(&requests[1], "buffer_full"), Some(3.0));
}

#[tokio::test(flavor = "current_thread")]
async fn drop_counts_are_never_shed_themselves() {
    let shared = shared();
    let exporter = Scripted::default();
    let flusher = flusher(&shared, &exporter, 2);
    // Three outages in a row, each with 5 new streams: 3 + 5 + 5 points shed in all.
    for _ in 0..3 {
        exporter.outcomes.borrow_mut().push_back(failed());
        record(&shared, 5);
        assert_eq!(
            flusher.flush(Take::All, soon(), true).await,
            Flushed::Failed
        );
    }
    assert_eq!(shared.lock().aggregator().pending_points(), 2);
    assert_eq!(
        flusher.flush(Take::All, soon(), true).await,
        Flushed::Delivered { points: 2 }
    );
    // The failed attempts carried the running count too, but only delivery commits it.
    assert_eq!(
        dropped(&exporter.requests.borrow()[3], "buffer_full"),
        Some(13.0)
    );
    // Once delivered, it is not sent again.
    record(&shared, 1);
    flusher.flush(Take::All, soon(), true).await;
    assert_eq!(dropped(&exporter.requests.borrow()[4], "buffer_full"), None);
}

#[tokio::test(flavor = "current_thread")]
async fn rejected_exports_are_dropped_and_counted_without_backoff() {
    let shared = shared();
    let exporter = Scripted::default();
    exporter
        .outcomes
        .borrow_mut()
        .push_back(ExportOutcome::Rejected {
            reason: "HTTP 400".into(),
        });
    let flusher = flusher(&shared, &exporter, 100);
    record(&shared, 4);
    assert_eq!(
        flusher.flush(Take::All, soon(), false).await,
        Flushed::Dropped { points: 4 }
    );
    assert_eq!(flusher.backoff_failures(), 0);
    // Nothing is left but the drop count, which the next flush carries.
    assert_eq!(shared.lock().aggregator().pending_points(), 0);
    flusher.flush(Take::All, soon(), false).await;
    assert_eq!(
        dropped(&exporter.requests.borrow()[1], "rejected"),
        Some(4.0)
    );
}

#[tokio::test(flavor = "current_thread")]
async fn partial_success_counts_the_rejected_points() {
    let shared = shared();
    let exporter = Scripted::default();
    exporter
        .outcomes
        .borrow_mut()
        .push_back(ExportOutcome::PartialSuccess {
            rejected_points: 2,
            message: "bad names".into(),
        });
    let flusher = flusher(&shared, &exporter, 100);
    record(&shared, 5);
    assert_eq!(
        flusher.flush(Take::All, soon(), false).await,
        Flushed::Dropped { points: 2 }
    );
    flusher.flush(Take::All, soon(), false).await;
    assert_eq!(
        dropped(&exporter.requests.borrow()[1], "partial_success"),
        Some(2.0)
    );
}

#[tokio::test(flavor = "current_thread")]
async fn no_time_left_means_buffering() {
    let shared = shared();
    let exporter = Scripted::default();
    let flusher = flusher(&shared, &exporter, 100);
    record(&shared, 1);
    assert_eq!(
        flusher.flush(Take::All, Instant::now(), false).await,
        Flushed::Buffered
    );
    assert_eq!(exporter.calls.get(), 0);
    assert_eq!(shared.lock().aggregator().pending_points(), 1);
}
