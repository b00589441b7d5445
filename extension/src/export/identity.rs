//! The client certificate of mutual TLS (`OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE` and
//! `_CLIENT_KEY`), read and checked when the exporter is built, so a bad file is one clear
//! error at start rather than a failed handshake per export.

use std::path::Path;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// A certificate chain and its private key.
pub(crate) struct Identity {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

impl Identity {
    /// Reads the PEM certificate chain and the PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub(crate) fn load(certificate: &Path, key: &Path) -> Result<Identity, String> {
        let what = format!(
            "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE file {}",
            certificate.display()
        );
        let pem = std::fs::read(certificate).map_err(|e| format!("cannot read the {what}: {e}"))?;
        let chain = CertificateDer::pem_slice_iter(&pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("the {what} is not valid PEM: {e}"))?;
        if chain.is_empty() {
            return Err(format!("the {what} holds no PEM certificate"));
        }
        let what = format!("OTEL_EXPORTER_OTLP_CLIENT_KEY file {}", key.display());
        let pem = std::fs::read(key).map_err(|e| format!("cannot read the {what}: {e}"))?;
        let key = PrivateKeyDer::from_pem_slice(&pem)
            .map_err(|e| format!("the {what} holds no usable PEM private key: {e}"))?;
        rustls::crypto::ring::sign::any_supported_type(&key)
            .map_err(|e| format!("the {what} holds a key TLS cannot sign with: {e}"))?;
        Ok(Identity { chain, key })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreadable_or_mismatched_files_are_errors_naming_the_variable() {
        let missing = Identity::load(Path::new("/nonexistent/c.pem"), Path::new("/nonexistent/k"));
        let error = missing.err().unwrap();
        assert!(
            error.contains("CLIENT_CERTIFICATE") && error.contains("cannot read"),
            "{error}"
        );
        let dir = std::env::temp_dir().join(format!("metricline-id-{}", std::process::id()));
        std::fs::write(&dir, "no PEM here\n").unwrap();
        let empty = Identity::load(&dir, &dir);
        std::fs::remove_file(&dir).unwrap();
        assert!(empty.err().unwrap().contains("no PEM certificate"));
    }
}
