//! The local OTLP receiver (docs/otlp-receiver.md): functions instrumented with an
//! OpenTelemetry SDK export to its default endpoint on loopback; what arrives is queued and
//! passed through to the backend at metricline's flushes, with the Lambda resource
//! attributes added, so the SDK's force-flush before the handler returns is a cheap
//! loopback call and nothing is in flight when the sandbox freezes.

mod accept;
mod grpc;
mod http;
mod inbox;
mod relay;
pub mod settings;
mod status;

pub use http::MAX_BODY;
pub use relay::Relay;
pub use settings::{Addresses, ReceiverSettings};

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use ::http::Uri;
use metricline_proto::relay::{Enrichment, Signal};
use metricline_proto::resource::Resource;
use tokio::net::TcpListener;

use crate::config::Env;
use crate::export::{Exporter, ExporterConfig, Protocol};
use crate::flush::backoff::Backoff;
use crate::pipeline::Shared;
use accept::Intake;
use inbox::Inbox;
use relay::Route;

/// Binds the receiver and starts serving; `None` when it is off or nothing could be bound.
/// Binding is one syscall per address and serving starts in the background, so the first
/// `/next` does not wait for it. A taken port is logged once and skipped.
pub async fn start(
    settings: &ReceiverSettings,
    env: Env<'_>,
    resource: &Resource,
    shared: Arc<Shared>,
) -> Option<Relay> {
    let Addresses { grpc, http } = settings.addresses;
    if grpc.is_none() && http.is_none() {
        return None;
    }
    let started = std::time::Instant::now();
    let mut routes = Vec::with_capacity(3);
    let mut json = [false; 3];
    for signal in Signal::ALL {
        let (config, warnings) = ExporterConfig::for_signal(env, signal);
        json[signal.index()] = config.protocol == Protocol::HttpJson;
        // Warnings about the generic variables were logged with the metrics exporter's.
        let own = format!(
            "OTEL_EXPORTER_OTLP_{}_",
            signal.as_str().to_ascii_uppercase()
        );
        if signal != Signal::Metrics {
            for warning in warnings.iter().filter(|w| w.starts_with(&own)) {
                crate::warn!("{warning}");
            }
        }
        let endpoint = config.endpoint.clone();
        match Exporter::new(config) {
            Ok(exporter) => routes.push((
                endpoint,
                Route {
                    signal,
                    exporter,
                    backoff: Mutex::new(Backoff::new()),
                },
            )),
            Err(e) => {
                crate::error!(
                    "cannot build the {} exporter ({e}); the OTLP receiver is off",
                    signal.as_str()
                );
                return None;
            }
        }
    }
    let endpoints: Vec<Uri> = routes.iter().map(|(uri, _)| uri.clone()).collect();
    let enrichment = if settings.enrich {
        Enrichment::from_resource(resource)
    } else {
        Enrichment::none()
    };
    let inbox = Arc::new(Inbox::new(settings.buffer_bytes, enrichment, json, shared));
    let intake = Intake::new(inbox.clone());
    let mut bound = Addresses {
        grpc: None,
        http: None,
    };
    if let Some(addr) = http {
        if let Some(listener) = bind(addr, "OTLP/HTTP", &endpoints).await {
            bound.http = listener.local_addr().ok();
            tokio::spawn(http::serve(listener, intake.clone()));
        }
    }
    if let Some(addr) = grpc {
        if let Some(listener) = bind(addr, "OTLP/gRPC", &endpoints).await {
            bound.grpc = listener.local_addr().ok();
            tokio::spawn(grpc::serve(listener, intake));
        }
    }
    if bound.grpc.is_none() && bound.http.is_none() {
        // Nothing to receive with: no relay, so flushes stay as they were.
        return None;
    }
    let routes = routes
        .into_iter()
        .map(|(_, route)| route)
        .collect::<Vec<_>>();
    let routes: [Route; 3] = routes.try_into().ok()?;
    crate::debug!(
        "OTLP receiver on {bound:?}, set up in {} µs",
        started.elapsed().as_micros()
    );
    Some(Relay::new(inbox, routes, bound))
}

/// Binds `addr`, unless an exporter would send to it (a loop); logs why not once.
async fn bind(addr: SocketAddr, what: &str, endpoints: &[Uri]) -> Option<TcpListener> {
    if let Some(endpoint) = endpoints.iter().find(|uri| points_at(uri, addr)) {
        crate::warn!(
            "the OTLP exporter endpoint {endpoint} is the {what} receiver's own address \
             {addr}; not receiving there (set OTEL_EXPORTER_OTLP_ENDPOINT to the backend, or \
             METRICLINE_OTLP_RECEIVER)"
        );
        return None;
    }
    match TcpListener::bind(addr).await {
        Ok(listener) => Some(listener),
        Err(e) => {
            crate::warn!(
                "{what} receiver cannot listen on {addr} ({e}), perhaps another extension's; \
                 metricline runs on without it"
            );
            None
        }
    }
}

/// Whether a request to `uri` would reach a listener on `addr`.
fn points_at(uri: &Uri, addr: SocketAddr) -> bool {
    let Some(host) = uri.host() else {
        return false;
    };
    let port = uri
        .port_u16()
        .unwrap_or(if uri.scheme_str() == Some("https") {
            443
        } else {
            80
        });
    if port != addr.port() {
        return false;
    }
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    let ip = addr.ip();
    host.parse::<std::net::IpAddr>().is_ok_and(|h| h == ip)
        || (loopback && (ip.is_loopback() || ip.is_unspecified()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exporter_pointing_at_the_receiver_is_recognised() {
        let addr: SocketAddr = "127.0.0.1:4318".parse().unwrap();
        let at = |uri: &str| points_at(&uri.parse().unwrap(), addr);
        assert!(at("http://localhost:4318/v1/metrics"));
        assert!(at("http://127.0.0.1:4318/v1/traces"));
        assert!(at("http://[::1]:4318/v1/logs"));
        assert!(!at("http://localhost:4317/v1/metrics"));
        assert!(!at("https://collector.example:4318/v1/metrics"));
        let any: SocketAddr = "0.0.0.0:4318".parse().unwrap();
        assert!(points_at(&"http://localhost:4318/".parse().unwrap(), any));
    }
}
