//! `https://` endpoints: TLS with the webpki roots plus `OTEL_EXPORTER_OTLP_CERTIFICATE`,
//! HTTP/2 negotiated by ALPN for gRPC, and mutual TLS (`_CLIENT_CERTIFICATE`/`_CLIENT_KEY`).
//! The server's certificate is signed by a test CA in `export_support/tls` (made once with
//! openssl; P-256, valid for a century, SAN 127.0.0.1 and localhost), the client's
//! (`client.pem`, `client.key`) by a test client CA (`client-ca.pem`); both CAs' keys were
//! thrown away.

mod export_support;

use std::sync::{Arc, Mutex};

use export_support::*;
use http::Request;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use metricline::export::{ExportOutcome, Exporter, ExporterConfig};
use tokio::net::TcpListener;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

const TLS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/export_support/tls");

/// What the TLS server saw: the negotiated ALPN protocol and the request path, per request.
type Seen = Arc<Mutex<Vec<(Option<Vec<u8>>, String)>>>;

async fn start_tls_server() -> (u16, Seen) {
    start_tls_server_with(false).await
}

/// `require_client_certificate`: refuse clients without a certificate of the client CA.
async fn start_tls_server_with(require_client_certificate: bool) -> (u16, Seen) {
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

fn https_exporter(protocol: &str, port: u16, trust_test_ca: bool) -> Exporter {
    let endpoint = format!("https://localhost:{port}");
    let ca = format!("{TLS_DIR}/ca.pem");
    let mut vars = vec![
        ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
    ];
    if trust_test_ca {
        vars.push(("OTEL_EXPORTER_OTLP_CERTIFICATE", ca.as_str()));
    }
    exporter(&vars)
}

#[tokio::test]
async fn grpc_over_tls_negotiates_h2_and_trusts_the_configured_ca() {
    let (port, seen) = start_tls_server().await;
    let exporter = https_exporter("grpc", port, true);

    let outcome = exporter.export(&sample_request(), soon()).await;

    assert_eq!(outcome, ExportOutcome::Delivered);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].0.as_deref(), Some(&b"h2"[..]));
    assert_eq!(
        seen[0].1,
        "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export"
    );
}

#[tokio::test]
async fn http_over_tls_uses_http1_and_trusts_the_configured_ca() {
    let (port, seen) = start_tls_server().await;
    let exporter = https_exporter("http/protobuf", port, true);

    let outcome = exporter.export(&sample_request(), soon()).await;

    assert_eq!(outcome, ExportOutcome::Delivered);
    let seen = seen.lock().unwrap().clone();
    // hyper-rustls offers no ALPN for HTTP/1.1 only, which servers read as HTTP/1.1.
    assert_eq!(seen, vec![(None, "/v1/metrics".to_string())]);
}

#[tokio::test]
async fn an_untrusted_server_certificate_is_never_sent_data() {
    let (port, seen) = start_tls_server().await;
    for protocol in PROTOCOLS {
        let exporter = https_exporter(protocol, port, false);

        let outcome = exporter.export(&sample_request(), in_secs(0.5)).await;

        assert!(is_failed(&outcome), "{protocol}: {outcome:?}");
    }
    assert!(seen.lock().unwrap().is_empty());
}

#[test]
fn an_unreadable_certificate_file_stops_the_exporter_with_a_reason() {
    let (config, _) = ExporterConfig::from_env(&|name: &str| {
        (name == "OTEL_EXPORTER_OTLP_CERTIFICATE").then(|| "/nonexistent/ca.pem".to_string())
    });
    let error = Exporter::new(config).err().expect("an error");
    assert!(error.contains("/nonexistent/ca.pem"), "{error}");
}

#[tokio::test]
async fn mutual_tls_presents_the_configured_client_certificate() {
    let (port, seen) = start_tls_server_with(true).await;
    let endpoint = format!("https://localhost:{port}");
    let ca = format!("{TLS_DIR}/ca.pem");
    let client_cert = format!("{TLS_DIR}/client.pem");
    let client_key = format!("{TLS_DIR}/client.key");
    for protocol in PROTOCOLS {
        let base = [
            ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", ca.as_str()),
        ];
        let anonymous = exporter(&base);
        let outcome = anonymous.export(&sample_request(), in_secs(0.5)).await;
        assert!(
            is_failed(&outcome),
            "{protocol} without a client certificate: {outcome:?}"
        );
        assert!(
            seen.lock().unwrap().is_empty(),
            "{protocol}: nothing reached the server"
        );

        let mut vars = base.to_vec();
        vars.push((
            "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
            client_cert.as_str(),
        ));
        vars.push(("OTEL_EXPORTER_OTLP_CLIENT_KEY", client_key.as_str()));
        let outcome = exporter(&vars).export(&sample_request(), soon()).await;
        assert_eq!(outcome, ExportOutcome::Delivered, "{protocol}");
        assert_eq!(seen.lock().unwrap().len(), 1, "{protocol}");
        seen.lock().unwrap().clear();
    }
}

#[test]
fn a_client_key_without_its_certificate_is_a_warning_and_neither_is_used() {
    let (config, warnings) = ExporterConfig::from_env(&|name: &str| {
        (name == "OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY").then(|| "/k.pem".to_string())
    });
    assert!(config.client_certificate.is_none());
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0].starts_with("OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY is set without its pair"),
        "{warnings:?}"
    );
}
