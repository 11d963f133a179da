//! TLS for the mail protocols: the trust roots, what the handshake agreed on, and why a
//! certificate was refused, in words an administrator can act on.

mod pinned;

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::CertificateDer;
use rustls::{CertificateError, ClientConfig, RootCertStore};

use self::pinned::PinningVerifier;

/// Why the TLS clients (for the token endpoint and for the mail servers) could not be
/// set up at start.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error("SMTP_SETUP_CA_FILE: {0}")]
    CaFile(#[source] rustls::pki_types::pem::Error),
    #[error("SMTP_SETUP_CA_FILE: {0}")]
    CaCertificate(#[source] rustls::Error),
    #[error("TLS setup: {0}")]
    Protocols(#[source] rustls::Error),
    #[error("TLS setup: {0}")]
    Verifier(#[source] rustls::client::VerifierBuilderError),
    #[error("SMTP_SETUP_CA_FILE: {0}")]
    HttpsRoots(#[source] reqwest::Error),
    #[error("the HTTPS client cannot start: {0}")]
    HttpsClient(#[source] reqwest::Error),
}

/// Web PKI roots, plus the operator's own (a private CA) when given. A server
/// certificate that is itself in that file is trusted as it is (see [`pinned`]).
pub fn client_config(extra_roots_pem: Option<&[u8]>) -> Result<Arc<ClientConfig>, TlsSetupError> {
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let mut pinned = Vec::new();
    if let Some(pem) = extra_roots_pem {
        for certificate in CertificateDer::pem_slice_iter(pem) {
            let certificate = certificate.map_err(TlsSetupError::CaFile)?;
            roots
                .add(certificate.clone())
                .map_err(TlsSetupError::CaCertificate)?;
            pinned.push(certificate);
        }
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let web_pki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(TlsSetupError::Verifier)?;
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(TlsSetupError::Protocols)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PinningVerifier::new(web_pki, pinned)))
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Why the server's certificate was refused. Each needs a different person to act.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CertificateProblem {
    /// Signed by an authority we do not trust (a private CA, a TLS-inspecting proxy).
    Untrusted,
    /// A CA certificate presented as the server's own (what `openssl req -x509` makes)
    /// and not given in `SMTP_SETUP_CA_FILE`.
    CaAsServerCertificate,
    /// Valid, but for another host name than the one we connected to.
    NameMismatch {
        presented: Vec<String>,
    },
    Expired,
    NotYetValid,
    Revoked,
    /// Its revocation status could not be learned (no or an expired list, a bad OCSP answer).
    RevocationUnknown,
    /// Not made for a TLS server (its extended key usage says otherwise).
    WrongPurpose,
    /// Its signature does not match, or uses an algorithm we do not accept.
    BadSignature,
    /// Not a certificate we can read (bad encoding, an unknown critical extension).
    Malformed,
    /// Anything else rustls reports, in its words.
    Other(String),
}

impl std::fmt::Display for CertificateProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Untrusted => f.write_str("the certificate is not signed by a trusted authority"),
            Self::CaAsServerCertificate => f.write_str(
                "the server presents a CA certificate as its own (a self-signed certificate \
                 made as a CA), which is not in SMTP_SETUP_CA_FILE",
            ),
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
            Self::RevocationUnknown => {
                f.write_str("whether the certificate was revoked cannot be established")
            }
            Self::WrongPurpose => f.write_str("the certificate is not made for a TLS server"),
            Self::BadSignature => f.write_str(
                "the certificate's signature is wrong or uses an algorithm refused here",
            ),
            Self::Malformed => f.write_str("the certificate cannot be read (malformed)"),
            Self::Other(text) => write!(f, "the certificate was refused: {text}"),
        }
    }
}

/// A failed handshake: the certificate (each problem needs its own fix), or anything else.
#[derive(Debug)]
pub enum HandshakeFailure {
    Certificate(CertificateProblem),
    Other(std::io::Error),
}

pub fn classify_handshake(error: std::io::Error) -> HandshakeFailure {
    let certificate = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .and_then(|tls| match tls {
            rustls::Error::InvalidCertificate(problem) => Some(certificate_problem(problem)),
            _ => None,
        });
    match certificate {
        Some(problem) => HandshakeFailure::Certificate(problem),
        None => HandshakeFailure::Other(error),
    }
}

fn certificate_problem(problem: &CertificateError) -> CertificateProblem {
    use CertificateError as E;
    match problem {
        E::UnknownIssuer => CertificateProblem::Untrusted,
        E::NotValidForName => CertificateProblem::NameMismatch {
            presented: Vec::new(),
        },
        E::NotValidForNameContext { presented, .. } => CertificateProblem::NameMismatch {
            presented: presented.iter().map(|name| plain_name(name)).collect(),
        },
        E::Expired | E::ExpiredContext { .. } => CertificateProblem::Expired,
        E::NotValidYet | E::NotValidYetContext { .. } => CertificateProblem::NotYetValid,
        E::Revoked => CertificateProblem::Revoked,
        E::UnknownRevocationStatus
        | E::ExpiredRevocationList
        | E::ExpiredRevocationListContext { .. }
        | E::InvalidOcspResponse => CertificateProblem::RevocationUnknown,
        E::InvalidPurpose | E::InvalidPurposeContext { .. } => CertificateProblem::WrongPurpose,
        E::BadSignature
        | E::UnsupportedSignatureAlgorithmContext { .. }
        | E::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
            CertificateProblem::BadSignature
        }
        E::BadEncoding | E::UnhandledCriticalExtension => CertificateProblem::Malformed,
        // webpki's own errors come wrapped; the one people meet is a self-signed
        // certificate made as a CA.
        E::Other(other) if format!("{other:?}").contains("CaUsedAsEndEntity") => {
            CertificateProblem::CaAsServerCertificate
        }
        other => CertificateProblem::Other(other.to_string()),
    }
}

/// rustls names what a certificate presents as `DnsName("mail.example")` or
/// `IpAddress(V4(…))`; the administrator reads the name itself.
fn plain_name(presented: &str) -> String {
    match presented.split_once("(\"") {
        Some((_, rest)) => rest.split('"').next().unwrap_or(rest).to_owned(),
        None => presented.to_owned(),
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
        let certificate =
            |problem| match classify_handshake(io(rustls::Error::InvalidCertificate(problem))) {
                HandshakeFailure::Certificate(problem) => problem,
                HandshakeFailure::Other(other) => panic!("not a certificate problem: {other}"),
            };
        assert_eq!(
            certificate(CertificateError::UnknownIssuer),
            CertificateProblem::Untrusted
        );
        assert_eq!(
            certificate(CertificateError::Expired),
            CertificateProblem::Expired
        );
        assert!(matches!(
            certificate(CertificateError::NotValidForName),
            CertificateProblem::NameMismatch { .. }
        ));
        assert_eq!(plain_name("DnsName(\"mail.example\")"), "mail.example");
        assert_eq!(plain_name("mail.example"), "mail.example");
        let other = classify_handshake(io(rustls::Error::HandshakeNotComplete));
        assert!(matches!(other, HandshakeFailure::Other(e) if e.to_string().contains("handshake")));
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        assert!(matches!(
            classify_handshake(reset),
            HandshakeFailure::Other(_)
        ));
    }

    #[test]
    fn a_malformed_ca_file_is_refused() {
        assert!(client_config(None).is_ok());
        assert!(matches!(
            client_config(Some(
                b"-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n"
            )),
            Err(TlsSetupError::CaFile(_))
        ));
    }
}
