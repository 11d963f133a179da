//! What the certificate calls do on the server: make or open a pair, check it, and keep
//! its key sealed until the configuration using the certificate is saved.

use std::time::SystemTime;

use base64::Engine as _;
use secrecy::SecretString;

use crate::api::certificate::CertificateOutcome;
use crate::api::saved::CertificateSummary;
use crate::domain::{CertificateError, DisplayName, FieldError, SecretInput};
use crate::server::certificate_credential::generate::GenerateError;
use crate::server::certificate_credential::{generate, pkcs12, Signer};
use crate::server::store::{Store, StoreError};

/// Why a pair could not be made or kept (a refused file is an answer, not this).
#[derive(Debug, thiserror::Error)]
pub enum KeepError {
    #[error("the key's work did not finish: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error(transparent)]
    Generate(#[from] GenerateError),
    #[error("the generated pair does not sign: {0}")]
    Sign(FieldError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The common name of a generated certificate: what the administrator gave (the app's
/// or mailbox's name), else ours; bounded like a display name.
fn common_name(given: &str) -> String {
    match DisplayName::parse(given) {
        Ok(name) if !name.as_str().is_empty() => name.as_str().to_owned(),
        _ => "smtp-setup".to_owned(),
    }
}

pub async fn generate(store: &Store, given_name: &str) -> Result<CertificateSummary, KeepError> {
    let name = common_name(given_name);
    // Key generation takes a noticeable moment: off the async workers.
    let generated =
        tokio::task::spawn_blocking(move || generate::generate(&name, SystemTime::now())).await??;
    let signer = Signer::new(&generated.certificate, &generated.private_key)
        .map_err(|(_, e)| KeepError::Sign(e))?;
    store
        .keep_pending_key(&generated.certificate, &generated.private_key)
        .await?;
    tracing::info!(sha1 = %signer.certificate.summary.sha1, "certificate generated");
    Ok(signer.certificate.summary)
}

pub async fn import(
    store: &Store,
    file_base64: &str,
    password: &SecretInput,
) -> Result<CertificateOutcome, KeepError> {
    let refused = |error: CertificateError| Ok(CertificateOutcome::Refused(error.into()));
    let Ok(file) = base64::engine::general_purpose::STANDARD.decode(file_base64.trim()) else {
        return refused(CertificateError::Pkcs12Unreadable);
    };
    let password = match password {
        SecretInput::Typed(password) => password.clone(),
        SecretInput::KeepStored => SecretString::from(String::new()),
    };
    // Its key derivation is deliberately slow: off the async workers.
    let opened = tokio::task::spawn_blocking(move || pkcs12::open(&file, &password)).await?;
    let (certificate, key) = match opened {
        Ok(opened) => opened,
        Err(error) => return refused(error),
    };
    let signer = match Signer::new(&certificate, &key) {
        Ok(signer) => signer,
        Err((_, error)) => return Ok(CertificateOutcome::Refused(error)),
    };
    store.keep_pending_key(&certificate, &key).await?;
    tracing::info!(sha1 = %signer.certificate.summary.sha1, "certificate opened from a PKCS#12 file");
    Ok(CertificateOutcome::Ready(signer.certificate.summary))
}
