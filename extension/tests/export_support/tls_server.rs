//! A TLS OTLP server for the exporter tests: it answers every request with OTLP success
//! and records the negotiated ALPN protocol and the path. Its certificate is signed by the
//! test CA in `export_support/tls` (made once with openssl; P-256, valid for a century, SAN
//! 127.0.0.1 and localhost); with `require_client_certificate` it refuses clients without a
//! certificate of the test client CA (`client-ca.pem`); both CAs' keys were thrown away.

use std::sync::{Arc, Mutex};

use http::Request;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::ok_response;

pub const TLS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/export_support/tls");

/// What the TLS server saw: the negotiated ALPN protocol and the request path, per request.
pub type Seen = Arc<Mutex<Vec<(Option<Vec<u8>>, String)>>>;

pub async fn start_tls_server() -> (u16, Seen) {
    start_tls_server_with(false).await
}

/// `require_client_certificate`: refuse clients without a certificate of the client CA.
pub async fn start_tls_server_with(require_client_certificate: bool) -> (u16, Seen) {
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(format!("{TLS_DIR}/server.pem"))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
    let key = PrivateKeyDer::from_pem_file(format!("{TLS_DIR}/server.key")).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap();
    let builder = if require_client_certificate {
        let mut client_ca = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_file_iter(format!("{TLS_DIR}/client-ca.pem")).unwrap() {
            client_ca.add(cert.unwrap()).unwrap();
        }
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
            Arc::new(client_ca),
            provider,
        )
        .build()
        .unwrap();
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    let mut config = builder.with_single_cert(certs, key).unwrap();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen: Seen = Arc::default();
    let server_seen = seen.clone();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let (acceptor, seen) = (acceptor.clone(), server_seen.clone());
            tokio::spawn(async move {
                // A client that does not trust us aborts the handshake: nothing to serve.
                let Ok(tls) = acceptor.accept(stream).await else {
                    return;
                };
                let alpn = tls.get_ref().1.alpn_protocol().map(<[u8]>::to_vec);
                let h2 = alpn.as_deref() == Some(b"h2");
                let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                    let (alpn, seen) = (alpn.clone(), seen.clone());
                    async move {
                        let path = request.uri().path().to_string();
                        request.into_body().collect().await?;
                        seen.lock().unwrap().push((alpn, path));
                        Ok::<_, hyper::Error>(ok_response(h2))
                    }
                });
                let io = TokioIo::new(tls);
                if h2 {
                    let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                        .serve_connection(io, service)
                        .await;
                } else {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(io, service)
                        .await;
                }
            });
        }
    });
    (port, seen)
}
