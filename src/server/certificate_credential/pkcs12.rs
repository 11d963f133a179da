//! A PKCS#12 file (`.pfx`, `.p12`: what Windows and Key Vault export) opened with its
//! password: the first certificate of the key's chain and the key, as PEM.

use secrecy::{ExposeSecret as _, SecretString};

use crate::domain::{CertificateError, CertificatePem, PrivateKeyPem};

/// PKCS#12 files with a certificate chain are a few KB.
pub const MAX_FILE_BYTES: usize = 64 * 1024;

pub fn open(
    file: &[u8],
    password: &SecretString,
) -> Result<(CertificatePem, PrivateKeyPem), CertificateError> {
    if file.len() > MAX_FILE_BYTES {
        return Err(CertificateError::TooLong);
    }
    let store = p12_keystore::KeyStore::from_pkcs12(file, password.expose_secret())
        .map_err(|_| CertificateError::Pkcs12Unreadable)?;
    let (_, chain) = store
        .private_key_chain()
        .ok_or(CertificateError::Pkcs12WithoutKey)?;
    let first = chain
        .chain()
        .first()
        .ok_or(CertificateError::Pkcs12WithoutKey)?;
    let certificate = CertificatePem::parse(&pem("CERTIFICATE", first.as_der()))?;
    let key = SecretString::from(pem("PRIVATE KEY", chain.key()));
    let private_key = PrivateKeyPem::parse(key.expose_secret())
        .map_err(|_| CertificateError::Pkcs12WithoutKey)?;
    Ok((certificate, private_key))
}

/// RFC 7468's text encoding: base64 in lines of 64.
fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let mut text = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        text.push_str(std::str::from_utf8(line).unwrap_or_default());
        text.push('\n');
    }
    text.push_str(&format!("-----END {label}-----\n"));
    text
}
