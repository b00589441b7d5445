//! What an OTLP answer means for the data, per the OTLP specification: delivered, worth
//! retrying, or rejected for good; plus `Retry-After`, backoff and dead-connection detection.
//! Pure functions, so every rule has a unit test.

use std::error::Error as StdError;
use std::time::{Duration, SystemTime};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Delivered,
    /// Transient: try again within the deadline.
    Retryable,
    /// The backend will never accept this request: drop it.
    Rejected,
}

/// HTTP: only 429, 502, 503 and 504 are retryable; every other 4xx and 5xx (500, 501…) is
/// final, as the spec demands.
pub(crate) fn http_status(status: u16) -> Verdict {
    match status {
        200..=299 => Verdict::Delivered,
        429 | 502 | 503 | 504 => Verdict::Retryable,
        _ => Verdict::Rejected,
    }
}

/// gRPC: CANCELLED, DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE, UNAVAILABLE and DATA_LOSS are
/// retryable; RESOURCE_EXHAUSTED only when the status carries a `RetryInfo` delay.
pub(crate) fn grpc_code(code: u32, has_retry_info: bool) -> Verdict {
    match code {
        0 => Verdict::Delivered,
        1 | 4 | 10 | 11 | 14 | 15 => Verdict::Retryable,
        8 if has_retry_info => Verdict::Retryable,
        _ => Verdict::Rejected,
    }
}

pub(crate) fn grpc_code_name(code: u32) -> &'static str {
    const NAMES: [&str; 17] = [
        "OK",
        "CANCELLED",
        "UNKNOWN",
        "INVALID_ARGUMENT",
        "DEADLINE_EXCEEDED",
        "NOT_FOUND",
        "ALREADY_EXISTS",
        "PERMISSION_DENIED",
        "RESOURCE_EXHAUSTED",
        "FAILED_PRECONDITION",
        "ABORTED",
        "OUT_OF_RANGE",
        "UNIMPLEMENTED",
        "INTERNAL",
        "UNAVAILABLE",
        "DATA_LOSS",
        "UNAUTHENTICATED",
    ];
    NAMES.get(code as usize).copied().unwrap_or("UNKNOWN_CODE")
}

/// `Retry-After`: delay-seconds or an HTTP-date (a date in the past means "now").
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

const BACKOFF_BASE: Duration = Duration::from_millis(50);
const BACKOFF_CAP: Duration = Duration::from_secs(2);

/// Exponential backoff from 50 ms, doubling per failed attempt (0-based), capped at 2 s, with
/// jitter in [50 %, 100 %] of the step so that sandboxes failing together spread out.
/// `jitter` is a uniform draw in [0, 1). This paces the attempts of one export; whether a
/// flush tries at all after failed flushes is `flush/backoff.rs` (docs/architecture.md).
pub(crate) fn backoff(failed_attempts: u32, jitter: f64) -> Duration {
    let step = BACKOFF_BASE
        .saturating_mul(1u32 << failed_attempts.min(16))
        .min(BACKOFF_CAP);
    step.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
}

/// A uniform draw in [0, 1) for jitter; std's per-process random hasher keys are enough.
pub(crate) fn jitter() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(0);
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// True when a request failed because the connection it went out on was already dead: the
/// peer closed or reset it (typically while the sandbox was frozen) before or while the
/// request was written, so no answer came. Such a request is resent at once on a fresh
/// connection instead of being counted as a failure.
pub(crate) fn is_dead_connection(error: &(dyn StdError + 'static)) -> bool {
    let mut current: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(err) = current {
        if let Some(hyper_err) = err.downcast_ref::<hyper::Error>() {
            if hyper_err.is_incomplete_message() || hyper_err.is_canceled() || hyper_err.is_closed()
            {
                return true;
            }
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            if matches!(
                io.kind(),
                ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof | NotConnected
            ) {
                return true;
            }
            // A custom io::Error hides its payload from `source()`.
            if let Some(inner) = io.get_ref() {
                current = Some(inner);
                continue;
            }
        }
        current = err.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_retries_only_429_502_503_504() {
        assert_eq!(http_status(200), Verdict::Delivered);
        assert_eq!(http_status(202), Verdict::Delivered);
        for code in [429, 502, 503, 504] {
            assert_eq!(http_status(code), Verdict::Retryable, "{code}");
        }
        for code in [400, 401, 403, 404, 413, 500, 501, 505] {
            assert_eq!(http_status(code), Verdict::Rejected, "{code}");
        }
    }

    #[test]
    fn grpc_retries_the_spec_codes_and_rejects_the_rest() {
        assert_eq!(grpc_code(0, false), Verdict::Delivered);
        for code in [1, 4, 10, 11, 14, 15] {
            assert_eq!(
                grpc_code(code, false),
                Verdict::Retryable,
                "{}",
                grpc_code_name(code)
            );
        }
        for code in [2, 3, 5, 6, 7, 8, 9, 12, 13, 16, 99] {
            assert_eq!(
                grpc_code(code, false),
                Verdict::Rejected,
                "{}",
                grpc_code_name(code)
            );
        }
        assert_eq!(
            grpc_code(8, true),
            Verdict::Retryable,
            "RESOURCE_EXHAUSTED + RetryInfo"
        );
        assert_eq!(grpc_code(3, true), Verdict::Rejected);
        assert_eq!(grpc_code_name(14), "UNAVAILABLE");
        assert_eq!(grpc_code_name(3), "INVALID_ARGUMENT");
        assert_eq!(grpc_code_name(42), "UNKNOWN_CODE");
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = httpdate::parse_http_date("Thu, 26 Nov 2026 10:00:00 GMT").unwrap();
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Thu, 26 Nov 2026 10:00:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Thu, 26 Nov 2026 09:59:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("-3", now), None);
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn backoff_doubles_from_50ms_with_bounded_jitter() {
        assert_eq!(backoff(0, 0.0), Duration::from_millis(25));
        assert_eq!(backoff(0, 1.0), Duration::from_millis(50));
        assert_eq!(backoff(1, 1.0), Duration::from_millis(100));
        assert_eq!(backoff(3, 1.0), Duration::from_millis(400));
        assert_eq!(backoff(30, 1.0), Duration::from_secs(2));
        for _ in 0..100 {
            let j = jitter();
            assert!((0.0..1.0).contains(&j));
        }
    }

    #[test]
    fn reset_and_closed_connections_are_dead_but_refused_ones_are_not() {
        use std::io::{Error, ErrorKind};
        let reset = Error::new(ErrorKind::ConnectionReset, "reset by peer");
        assert!(is_dead_connection(&reset));
        let wrapped = Error::other(Error::new(ErrorKind::BrokenPipe, "broken pipe"));
        assert!(is_dead_connection(&wrapped));
        let refused = Error::new(ErrorKind::ConnectionRefused, "refused");
        assert!(!is_dead_connection(&refused));
    }
}
