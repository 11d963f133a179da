//! The certificate credential on the server: the X.509 certificate and its RSA key read
//! from their PEM (what the form checks only by shape), the two matched, a new pair
//! generated, a PKCS#12 file opened, and the client assertion signed with the key.

pub mod assertion;
pub mod generate;
pub mod keep;
pub mod pkcs12;

use aws_lc_rs::digest::{digest, SHA1_FOR_LEGACY_USE_ONLY, SHA256};
use aws_lc_rs::signature::{KeyPair as _, RsaKeyPair};
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::api::relay::utc;
use crate::api::saved::CertificateSummary;
use crate::domain::{
    CertificateError, CertificatePem, Field, FieldError, PrivateKeyError, PrivateKeyPem,
};

/// A certificate read: its DER (the thumbprints hash it), its RSA public key, and what
/// the page shows.
pub struct Certificate {
    der: Vec<u8>,
    public_key: Vec<u8>,
    pub summary: CertificateSummary,
    /// Seconds since the epoch of its "not after".
    pub not_after: i64,
}

impl Certificate {
    pub fn read(pem: &CertificatePem) -> Result<Self, CertificateError> {
        let der = CertificateDer::from_pem_slice(pem.as_str().as_bytes())
            .map_err(|_| CertificateError::Unreadable)?;
        let (_, parsed) = x509_parser::parse_x509_certificate(der.as_ref())
            .map_err(|_| CertificateError::Unreadable)?;
        let spki = parsed.public_key();
        if spki.algorithm.algorithm != x509_parser::oid_registry::OID_PKCS1_RSAENCRYPTION {
            return Err(CertificateError::NotRsa);
        }
        let validity = parsed.validity();
        let summary = CertificateSummary {
            pem: pem.as_str().to_owned(),
            sha1: hex_upper(digest(&SHA1_FOR_LEGACY_USE_ONLY, der.as_ref()).as_ref()),
            sha256: hex_upper(digest(&SHA256, der.as_ref()).as_ref()),
            subject: parsed.subject().to_string(),
            not_before: utc(validity.not_before.timestamp().saturating_mul(1000)),
            not_after: utc(validity.not_after.timestamp().saturating_mul(1000)),
        };
        Ok(Self {
            public_key: spki.subject_public_key.data.to_vec(),
            not_after: validity.not_after.timestamp(),
            der: der.to_vec(),
            summary,
        })
    }

    /// SHA-1 of the DER, base64url: the assertion's `x5t` header.
    fn x5t(&self) -> String {
        base64url(digest(&SHA1_FOR_LEGACY_USE_ONLY, &self.der).as_ref())
    }

    /// SHA-256 of the DER, base64url: the assertion's `x5t#S256` header.
    fn x5t_s256(&self) -> String {
        base64url(digest(&SHA256, &self.der).as_ref())
    }
}

/// The private key read (PKCS#8 or PKCS#1), RSA only.
pub fn read_key(pem: &PrivateKeyPem) -> Result<RsaKeyPair, PrivateKeyError> {
    let der = PrivateKeyDer::from_pem_slice(pem.expose().as_bytes())
        .map_err(|_| PrivateKeyError::Unreadable)?;
    match &der {
        PrivateKeyDer::Pkcs8(key) => {
            RsaKeyPair::from_pkcs8(key.secret_pkcs8_der()).map_err(|_| PrivateKeyError::NotRsa)
        }
        PrivateKeyDer::Pkcs1(key) => {
            RsaKeyPair::from_der(key.secret_pkcs1_der()).map_err(|_| PrivateKeyError::Unreadable)
        }
        _ => Err(PrivateKeyError::NotRsa),
    }
}

/// A certificate and the key that belongs to it: what signs client assertions.
pub struct Signer {
    pub certificate: Certificate,
    key: RsaKeyPair,
}

impl Signer {
    /// Both read, and the key's public half compared with the certificate's.
    pub fn new(
        certificate: &CertificatePem,
        key: &PrivateKeyPem,
    ) -> Result<Self, (Field, FieldError)> {
        let certificate =
            Certificate::read(certificate).map_err(|e| (Field::Certificate, e.into()))?;
        let key = read_key(key).map_err(|e| (Field::PrivateKey, e.into()))?;
        if key.public_key().as_ref() != certificate.public_key.as_slice() {
            return Err((Field::PrivateKey, PrivateKeyError::DoesNotMatch.into()));
        }
        Ok(Self { certificate, key })
    }
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("sha256", &self.certificate.summary.sha256)
            .finish_non_exhaustive()
    }
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

fn base64url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests;
