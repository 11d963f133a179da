//! A new key pair and self-signed certificate, for an administrator who has none: the
//! key never leaves this server, the certificate is downloaded and uploaded to the app
//! registration.

use std::time::{Duration, SystemTime};

use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, RsaKeySize, PKCS_RSA_SHA256};

use crate::domain::{CertificatePem, PrivateKeyPem};

/// How long a generated certificate is valid: a year, so that it is renewed while the
/// people who set it up are still around (Entra accepts longer).
pub const VALIDITY: Duration = Duration::from_secs(365 * 24 * 60 * 60);

pub struct Generated {
    pub certificate: CertificatePem,
    pub private_key: PrivateKeyPem,
}

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("could not generate the certificate: {0}")]
    Rcgen(#[from] rcgen::Error),
    #[error("the generated PEM did not parse: {0:?}")]
    Pem(crate::domain::FieldError),
}

/// An RSA 2048 key and a certificate for it, `CN={common_name}`, valid from an hour
/// before `now` (clocks differ) for [`VALIDITY`].
pub fn generate(common_name: &str, now: SystemTime) -> Result<Generated, GenerateError> {
    let key = KeyPair::generate_rsa_for(&PKCS_RSA_SHA256, RsaKeySize::_2048)?;
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, common_name);
    params.distinguished_name = name;
    params.not_before = time::OffsetDateTime::from(now - Duration::from_secs(3600));
    params.not_after = time::OffsetDateTime::from(now + VALIDITY);
    let certificate = params.self_signed(&key)?;
    Ok(Generated {
        certificate: CertificatePem::parse(&certificate.pem())
            .map_err(|e| GenerateError::Pem(e.into()))?,
        private_key: PrivateKeyPem::parse(&key.serialize_pem())
            .map_err(|e| GenerateError::Pem(e.into()))?,
    })
}
