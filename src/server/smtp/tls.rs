//! TLS for SMTP: the trust roots, what the handshake agreed on, and why a certificate
//! was refused, in words an administrator can act on.

use std::sync::Arc;

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::CertificateDer;
use rustls::{CertificateError, ClientConfig, RootCertStore};

/// Web PKI roots, plus the operator's own (a private CA) when given.
pub fn client_config(extra_roots_pem: Option<&[u8]>) -> Result<Arc<ClientConfig>, String> {
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(pem) = extra_roots_pem {
        for certificate in CertificateDer::pem_slice_iter(pem) {
            let certificate = certificate.map_err(|e| format!("SMTP_SETUP_CA_FILE: {e}"))?;
            roots
                .add(certificate)
                .map_err(|e| format!("SMTP_SETUP_CA_FILE: {e}"))?;
        }
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Why the server's certificate was refused. Each needs a different person to act.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CertificateProblem {
    /// Signed by an authority we do not trust (a private CA, a TLS-inspecting proxy).
    Untrusted,
    /// Valid, but for another host name than the one we connected to.
    NameMismatch {
        presented: Vec<String>,
    },
    Expired,
    NotYetValid,
    Revoked,
    Other(String),
}

impl std::fmt::Display for CertificateProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Untrusted => f.write_str("the certificate is not signed by a trusted authority"),
            Self::NameMismatch { presented } if presented.is_empty() => {
                f.write_str("the certificate is for another host name")
            }
            Self::NameMismatch { presented } => write!(
                f,
                "the certificate is for another host name ({})",
                presented.join(", ")
            ),
            Self::Expired => f.write_str("the certificate has expired"),
            Self::NotYetValid => f.write_str("the certificate is not valid yet"),
            Self::Revoked => f.write_str("the certificate has been revoked"),
            Self::Other(text) => write!(f, "the certificate was refused: {text}"),
        }
    }
}

/// Sorts a handshake error: a certificate problem, or another TLS failure (text).
pub fn classify_handshake(error: &std::io::Error) -> Result<CertificateProblem, String> {
    let tls = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    match tls {
        Some(rustls::Error::InvalidCertificate(problem)) => Ok(certificate_problem(problem)),
        Some(other) => Err(other.to_string()),
        None => Err(error.to_string()),
    }
}

fn certificate_problem(problem: &CertificateError) -> CertificateProblem {
    match problem {
        CertificateError::UnknownIssuer => CertificateProblem::Untrusted,
        CertificateError::NotValidForName => CertificateProblem::NameMismatch {
            presented: Vec::new(),
        },
        CertificateError::NotValidForNameContext { presented, .. } => {
            CertificateProblem::NameMismatch {
                presented: presented.clone(),
            }
        }
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            CertificateProblem::Expired
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            CertificateProblem::NotYetValid
        }
        CertificateError::Revoked => CertificateProblem::Revoked,
        other => CertificateProblem::Other(format!("{other:?}")),
    }
}

/// What the handshake agreed on, e.g. `TLSv1_3, TLS13_AES_256_GCM_SHA384`.
pub fn describe(connection: &rustls::ClientConnection) -> String {
    let version = connection
        .protocol_version()
        .map(|v| match v {
            rustls::ProtocolVersion::TLSv1_3 => "TLS 1.3".to_owned(),
            rustls::ProtocolVersion::TLSv1_2 => "TLS 1.2".to_owned(),
            other => format!("{other:?}"),
        })
        .unwrap_or_else(|| "TLS".to_owned());
    match connection.negotiated_cipher_suite() {
        Some(suite) => format!("{version}, {:?}", suite.suite()),
        None => version,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn io(error: rustls::Error) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::InvalidData, error)
    }

    #[test]
    fn certificate_problems_are_told_apart() {
        let unknown = io(rustls::Error::InvalidCertificate(
            CertificateError::UnknownIssuer,
        ));
        assert_eq!(
            classify_handshake(&unknown),
            Ok(CertificateProblem::Untrusted)
        );
        let expired = io(rustls::Error::InvalidCertificate(CertificateError::Expired));
        assert_eq!(
            classify_handshake(&expired),
            Ok(CertificateProblem::Expired)
        );
        let name = io(rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName,
        ));
        assert!(matches!(
            classify_handshake(&name),
            Ok(CertificateProblem::NameMismatch { .. })
        ));
        let other = io(rustls::Error::HandshakeNotComplete);
        assert!(classify_handshake(&other).is_err());
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        assert!(classify_handshake(&reset).is_err());
    }

    #[test]
    fn a_file_without_certificates_is_refused_only_when_malformed() {
        assert!(client_config(None).is_ok());
        assert!(client_config(Some(
            b"-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n"
        ))
        .is_err());
    }
}
