//! The OTLP retry rules, per protocol, against the sink's injected faults: retryable
//! failures are retried within the deadline, final ones are not, throttling is honoured,
//! partial success is reported, and a slow or dead backend gives the data back in time.

mod export_support;

use std::time::Duration;

use export_support::*;
use metricline::export::ExportOutcome;
use metricline_tests::sink::{Fault, Sink};
use tokio::time::Instant;

/// Exports the sample request with `protocol` by `deadline` to a new sink, once `prepare`
/// has set the sink's faults or latency; gives back the sink and the outcome.
async fn export_to_new_sink(
    protocol: &str,
    prepare: impl FnOnce(&Sink),
    deadline: Instant,
) -> (Sink, ExportOutcome) {
    let sink = Sink::start();
    prepare(&sink);
    let exporter = exporter_for(&sink, protocol, &[]);
    let outcome = exporter.export(&sample_request(), deadline).await;
    (sink, outcome)
}

/// Exports to a new sink that answers the first request with `fault`.
async fn export_after_fault(protocol: &str, fault: Fault) -> (Sink, ExportOutcome) {
    export_to_new_sink(protocol, |sink| sink.fail_next(1, fault), soon()).await
}

/// Exports to a new sink that answers each request after `latency`.
async fn export_with_latency(
    protocol: &str,
    latency: Duration,
    deadline: Instant,
) -> (Sink, ExportOutcome) {
    export_to_new_sink(protocol, |sink| sink.set_latency(latency), deadline).await
}

/// A retryable `fault` on the first attempt: the second delivers the data, once.
async fn retried_once_then_delivered(fault: Fault) {
    for protocol in PROTOCOLS {
        let (sink, outcome) = export_after_fault(protocol, fault).await;

        assert_eq!(outcome, ExportOutcome::Delivered, "{protocol}");
        assert_eq!(sink.attempts(), 2, "{protocol}");
        assert_sample_received(&sink.points(), 1);
    }
}

#[tokio::test]
async fn unavailable_then_success_delivers_exactly_once() {
    retried_once_then_delivered(Fault::Unavailable).await;
}

#[tokio::test]
async fn bad_request_is_rejected_without_retry() {
    for protocol in PROTOCOLS {
        let (sink, outcome) = export_after_fault(protocol, Fault::BadRequest).await;

        let ExportOutcome::Rejected { reason } = outcome else {
            panic!("{protocol}: {outcome:?}");
        };
        let expected = if protocol == "grpc" {
            "INVALID_ARGUMENT"
        } else {
            "400"
        };
        assert!(reason.contains(expected), "{protocol}: {reason}");
        assert_eq!(sink.attempts(), 1, "{protocol}");
        assert!(sink.points().is_empty());
    }
}

#[tokio::test]
async fn throttling_is_retried_after_the_requested_delay_within_the_deadline() {
    retried_once_then_delivered(Fault::RetryAfter(1)).await;
}

#[tokio::test]
async fn throttling_past_the_deadline_fails_at_once_with_the_backends_delay() {
    for protocol in PROTOCOLS {
        let (sink, outcome) = export_after_fault(protocol, Fault::RetryAfter(30)).await;

        match outcome {
            ExportOutcome::Failed { retry_after, .. } => {
                assert_eq!(retry_after, Some(Duration::from_secs(30)), "{protocol}")
            }
            other => panic!("{protocol}: {other:?}"),
        }
        assert_eq!(sink.attempts(), 1, "{protocol}");
    }
}

#[tokio::test]
async fn partial_success_is_reported_and_not_retried() {
    for protocol in PROTOCOLS {
        let (sink, outcome) =
            export_after_fault(protocol, Fault::PartialSuccess { rejected: 2 }).await;

        let ExportOutcome::PartialSuccess {
            rejected_points, ..
        } = outcome
        else {
            panic!("{protocol}: {outcome:?}");
        };
        assert_eq!(rejected_points, 2, "{protocol}");
        assert_eq!(sink.attempts(), 1, "{protocol}");
        assert_sample_received(&sink.points(), 1);
    }
}

#[tokio::test]
async fn a_slow_backend_within_the_deadline_delivers() {
    for protocol in PROTOCOLS {
        let (sink, outcome) =
            export_with_latency(protocol, Duration::from_millis(200), soon()).await;

        assert_eq!(outcome, ExportOutcome::Delivered, "{protocol}");
        assert_sample_received(&sink.points(), 1);
    }
}

#[tokio::test]
async fn a_backend_slower_than_the_deadline_fails() {
    for protocol in PROTOCOLS {
        let (_sink, outcome) =
            export_with_latency(protocol, Duration::from_secs(5), in_secs(0.3)).await;

        assert!(is_failed(&outcome), "{protocol}: {outcome:?}");
    }
}

#[tokio::test]
async fn the_configured_timeout_bounds_an_export_with_a_later_deadline() {
    let sink = Sink::start();
    sink.set_latency(Duration::from_secs(5));
    let exporter = exporter_for(
        &sink,
        "http/protobuf",
        &[("OTEL_EXPORTER_OTLP_TIMEOUT", "300")],
    );

    let outcome = exporter.export(&sample_request(), in_secs(60.0)).await;

    assert!(is_failed(&outcome), "{outcome:?}");
}

#[tokio::test]
async fn a_dead_backend_fails_within_the_deadline() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    for protocol in PROTOCOLS {
        let exporter = exporter(&[
            ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
        ]);

        let outcome = exporter.export(&sample_request(), in_secs(0.5)).await;

        let ExportOutcome::Failed {
            reason,
            retry_after,
        } = outcome
        else {
            panic!("{protocol}: {outcome:?}");
        };
        assert!(
            reason.to_lowercase().contains("connect"),
            "{protocol}: {reason}"
        );
        assert_eq!(retry_after, None);
    }
}
