//! The OTLP exporter: sends one `ExportMetricsServiceRequest` over gRPC, HTTP/protobuf or
//! HTTP/JSON, retrying what the OTLP spec calls retryable until a deadline, and says what
//! became of the data.

mod classify;
pub mod config;
mod grpc;
pub(crate) mod gzip;
mod http;
mod identity;
pub(crate) mod response;
mod transport;

use std::time::{Duration, SystemTime};

use ::http::header::USER_AGENT;
use ::http::{HeaderMap, HeaderValue, Uri};
use tokio::time::Instant;

pub use config::{Compression, ExporterConfig, Protocol};
pub use metricline_proto::otlp::{ExportMetricsServiceRequest, OtlpBody, Request};

use classify::{backoff, jitter};
use response::Partial;
use transport::{Prepared, SendError, Transport};

/// What became of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportOutcome {
    Delivered,
    /// Delivered, but the backend rejected some points: log, count, never retry.
    PartialSuccess {
        rejected_points: u64,
        message: String,
    },
    /// Not retryable (e.g. HTTP 400, gRPC INVALID_ARGUMENT): drop and count.
    Rejected {
        reason: String,
    },
    /// Retryable failure that did not succeed before the deadline: put the data back.
    Failed {
        reason: String,
        retry_after: Option<Duration>,
    },
}

/// The result of one attempt, before the retry policy has its say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Attempt {
    Delivered(Option<Partial>),
    Rejected(String),
    Retry {
        reason: String,
        retry_after: Option<Duration>,
    },
    /// The connection was found dead on first use: resend at once on a fresh one.
    DeadConnection(String),
}

/// The most a compressed answer may inflate to before we stop reading it.
pub(crate) const MAX_DECODED_ANSWER: usize = 4 << 20;

pub struct Exporter {
    protocol: Protocol,
    gzip: bool,
    endpoint: Uri,
    timeout: Duration,
    /// The user's `OTEL_EXPORTER_OTLP_HEADERS` plus `User-Agent`.
    headers: HeaderMap,
    transport: Transport,
}

impl Exporter {
    /// Reads the certificate files if configured; no other I/O, no TLS setup (that waits
    /// for the first export). Err: e.g. an unreadable certificate or client key.
    pub fn new(config: ExporterConfig) -> Result<Exporter, String> {
        let identity = match &config.client_certificate {
            Some((certificate, key)) => Some(identity::Identity::load(certificate, key)?),
            None => None,
        };
        let transport = Transport::new(
            config.protocol == Protocol::Grpc,
            config.certificate.as_deref(),
            identity,
        )?;
        let mut headers = HeaderMap::new();
        for (name, value) in config.headers {
            headers.append(name, value);
        }
        if !headers.contains_key(USER_AGENT) {
            let agent = concat!("metricline/", env!("CARGO_PKG_VERSION"));
            headers.insert(USER_AGENT, HeaderValue::from_static(agent));
        }
        Ok(Exporter {
            protocol: config.protocol,
            gzip: config.compression == Compression::Gzip,
            endpoint: config.endpoint,
            timeout: config.timeout,
            headers,
            transport,
        })
    }

    /// Sends one request, retrying retryable failures (new connection at once for a
    /// connection found dead; backoff/Retry-After otherwise) until `deadline`, and never
    /// past the configured timeout.
    pub async fn export(
        &self,
        request: &(impl OtlpBody + ?Sized),
        deadline: Instant,
    ) -> ExportOutcome {
        if request.is_empty() {
            // The spec asks exporters not to send empty envelopes; there is nothing to lose.
            return ExportOutcome::Delivered;
        }
        let deadline = deadline.min(Instant::now() + self.timeout);
        let prepared = self.prepare(request);
        let mut failures = 0u32;
        let mut fresh_connection_tried = false;
        let mut last_reason: Option<String> = None;
        loop {
            let Ok(attempt) = tokio::time::timeout_at(deadline, self.attempt(&prepared)).await
            else {
                let reason = match last_reason {
                    Some(last) => format!("no answer before the deadline (before that: {last})"),
                    None => "no answer before the deadline".to_string(),
                };
                return ExportOutcome::Failed {
                    reason,
                    retry_after: None,
                };
            };
            let (reason, retry_after) = match attempt {
                Attempt::Delivered(None) => return ExportOutcome::Delivered,
                Attempt::Delivered(Some(p)) => {
                    return ExportOutcome::PartialSuccess {
                        rejected_points: p.rejected_points,
                        message: p.message,
                    }
                }
                Attempt::Rejected(reason) => return ExportOutcome::Rejected { reason },
                Attempt::DeadConnection(reason) if !fresh_connection_tried => {
                    // Typically a pooled connection that the backend closed while the
                    // sandbox was frozen: not a failure, resend now on a new connection.
                    crate::debug!("export: connection found dead ({reason}); resending");
                    fresh_connection_tried = true;
                    continue;
                }
                Attempt::DeadConnection(reason) => (reason, None),
                Attempt::Retry {
                    reason,
                    retry_after,
                } => (reason, retry_after),
            };
            let wait = backoff(failures, jitter()).max(retry_after.unwrap_or_default());
            failures += 1;
            if Instant::now() + wait >= deadline {
                // Waiting would outlast the budget: give the data back now, not later.
                return ExportOutcome::Failed {
                    reason,
                    retry_after,
                };
            }
            crate::debug!("export: {reason}; retrying in {} ms", wait.as_millis());
            tokio::time::sleep(wait).await;
            last_reason = Some(reason);
        }
    }

    fn prepare(&self, request: &(impl OtlpBody + ?Sized)) -> Prepared {
        match self.protocol {
            Protocol::Grpc => grpc::prepare(&self.endpoint, &self.headers, self.gzip, request),
            Protocol::HttpProtobuf | Protocol::HttpJson => http::prepare(
                &self.endpoint,
                &self.headers,
                self.protocol == Protocol::HttpJson,
                self.gzip,
                request,
            ),
        }
    }

    async fn attempt(&self, prepared: &Prepared) -> Attempt {
        match self.transport.send(prepared).await {
            Ok(answer) => match self.protocol {
                Protocol::Grpc => grpc::interpret(answer, SystemTime::now()),
                Protocol::HttpProtobuf => http::interpret(answer, false, SystemTime::now()),
                Protocol::HttpJson => http::interpret(answer, true, SystemTime::now()),
            },
            Err(SendError::DeadConnection(reason)) => Attempt::DeadConnection(reason),
            Err(SendError::Connect(reason)) | Err(SendError::Other(reason)) => Attempt::Retry {
                reason,
                retry_after: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exports_can_be_spawned_and_the_exporter_shared() {
        fn assert_send<T: Send>(_: &T) {}
        fn assert_shareable<T: Send + Sync>() {}
        assert_shareable::<Exporter>();
        let (config, _) = ExporterConfig::from_env(&|_: &str| None);
        let exporter = Exporter::new(config).unwrap();
        let request = ExportMetricsServiceRequest::default();
        assert_send(&exporter.export(&request, Instant::now()));
    }
}
