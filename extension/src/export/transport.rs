//! The one connection stack of every protocol: hyper-util's pooled client over TCP, with
//! rustls (ring, webpki roots plus `OTEL_EXPORTER_OTLP_CERTIFICATE`) for `https://`.
//! HTTP/1.1 for OTLP/HTTP; HTTP/2 for gRPC (prior knowledge on `http://`, ALPN `h2` on
//! `https://`). Sends one request and sorts transport failures into connect errors,
//! dead pooled connections and the rest.

use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::RootCertStore;

use super::classify::is_dead_connection;
use super::identity::Identity;

type HttpsClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// The spec's largest response worth reading (4 MiB); anything bigger is not an OTLP answer.
const MAX_RESPONSE_BYTES: usize = 4 << 20;
/// A pooled connection idle longer than this is not reused: load balancers and NAT gateways
/// drop idle flows silently, and a frozen sandbox cannot keep them alive.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// A request ready to send, and to send again on retry.
pub(crate) struct Prepared {
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// A complete answer: status, headers, body and (gRPC) trailers.
pub(crate) struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub trailers: Option<HeaderMap>,
}

#[derive(Debug)]
pub(crate) enum SendError {
    /// Nothing answered: connection refused, DNS or TLS handshake failure.
    Connect(String),
    /// The (pooled) connection was found closed or reset when the request went out.
    DeadConnection(String),
    /// Anything else, e.g. the response body broke off.
    Other(String),
}

pub(crate) struct Transport {
    http2: bool,
    /// Trusted CAs from `OTEL_EXPORTER_OTLP_CERTIFICATE`, checked at start.
    extra_roots: RootCertStore,
    /// The client certificate of mutual TLS, checked at start.
    identity: Option<Identity>,
    /// Built on first export so that start-up pays for no TLS or pool setup.
    client: OnceLock<HttpsClient>,
}

impl Transport {
    pub(crate) fn new(
        http2: bool,
        certificate: Option<&Path>,
        identity: Option<Identity>,
    ) -> Result<Transport, String> {
        let extra_roots = match certificate {
            Some(path) => load_certificates(path)?,
            None => RootCertStore::empty(),
        };
        Ok(Transport {
            http2,
            extra_roots,
            identity,
            client: OnceLock::new(),
        })
    }

    fn client(&self) -> &HttpsClient {
        self.client
            .get_or_init(|| build_client(self.http2, &self.extra_roots, self.identity.as_ref()))
    }

    pub(crate) async fn send(&self, prepared: &Prepared) -> Result<Answer, SendError> {
        let mut request = Request::post(prepared.uri.clone())
            .body(Full::new(prepared.body.clone()))
            .map_err(|e| SendError::Other(e.to_string()))?;
        *request.headers_mut() = prepared.headers.clone();
        let response = match self.client().request(request).await {
            Ok(response) => response,
            Err(e) if e.is_connect() => return Err(SendError::Connect(describe(&e))),
            Err(e) if is_dead_connection(&e) => {
                return Err(SendError::DeadConnection(describe(&e)))
            }
            Err(e) => return Err(SendError::Other(describe(&e))),
        };
        let (parts, body) = response.into_parts();
        let collected = Limited::new(body, MAX_RESPONSE_BYTES)
            .collect()
            .await
            .map_err(|e| SendError::Other(format!("reading the response: {e}")))?;
        let trailers = collected.trailers().cloned();
        Ok(Answer {
            status: parts.status,
            headers: parts.headers,
            body: collected.to_bytes(),
            trailers,
        })
    }
}

fn build_client(
    http2: bool,
    extra_roots: &RootCertStore,
    identity: Option<&Identity>,
) -> HttpsClient {
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    roots.roots.extend(extra_roots.roots.iter().cloned());
    let builder = || {
        rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .with_root_certificates(roots.clone())
    };
    let tls = match identity {
        None => builder().with_no_client_auth(),
        Some(id) => builder()
            .with_client_auth_cert(id.chain.clone(), id.key.clone_key())
            .unwrap_or_else(|e| {
                // The key was checked at start; should rustls still refuse it, the backend
                // will refuse us, which the export's outcome says.
                crate::error!("the client certificate cannot be used ({e}); sending none");
                builder().with_no_client_auth()
            }),
    };

    let mut tcp = HttpConnector::new();
    tcp.enforce_http(false);
    tcp.set_nodelay(true);
    let builder = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http();
    let connector = if http2 {
        builder.enable_http2().wrap_connector(tcp)
    } else {
        builder.enable_http1().wrap_connector(tcp)
    };
    Client::builder(TokioExecutor::new())
        .http2_only(http2)
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        // One idle connection is all sequential flushes need, and it bounds how many dead
        // ones a thaw can reveal.
        .pool_max_idle_per_host(1)
        .build(connector)
}

/// Reads a PEM file of CA certificates and checks each one parses as a trust anchor.
fn load_certificates(path: &Path) -> Result<RootCertStore, String> {
    let what = format!("OTEL_EXPORTER_OTLP_CERTIFICATE file {}", path.display());
    let pem = std::fs::read(path).map_err(|e| format!("cannot read the {what}: {e}"))?;
    let mut store = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|e| format!("the {what} is not valid PEM: {e}"))?;
        store
            .add(cert)
            .map_err(|e| format!("the {what} holds an unusable certificate: {e}"))?;
    }
    if store.is_empty() {
        return Err(format!("the {what} holds no PEM certificate"));
    }
    Ok(store)
}

/// The error and its causes on one line: hyper-util's own message alone says little.
fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreadable_or_empty_certificate_file_is_an_error() {
        let missing = Transport::new(false, Some(Path::new("/nonexistent/ca.pem")), None);
        assert!(missing.err().unwrap().contains("cannot read"));
        let dir = std::env::temp_dir().join(format!("metricline-ca-{}", std::process::id()));
        std::fs::write(&dir, "not a certificate\n").unwrap();
        let empty = Transport::new(false, Some(&dir), None);
        std::fs::remove_file(&dir).unwrap();
        assert!(empty.err().unwrap().contains("no PEM certificate"));
    }

    #[test]
    fn construction_without_a_certificate_does_no_work() {
        let transport = Transport::new(true, None, None).unwrap();
        assert!(transport.client.get().is_none());
    }
}
