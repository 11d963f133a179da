//! The certificate credential's calls: a key pair generated on the server, or a PKCS#12
//! file opened there. Either way the private key stays on the server (sealed, waiting
//! for the save that uses its certificate) and only the certificate comes back.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::codec::Json;
use super::saved::CertificateSummary;
use super::ApiError;
use crate::domain::{FieldError, SecretInput};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CertificateOutcome {
    /// The certificate, whose key the server now holds.
    Ready(CertificateSummary),
    /// What was wrong with the file or its password.
    Refused(FieldError),
}

/// A new RSA key and a self-signed certificate for the mailbox `common_name` names.
#[server(prefix = "/api", endpoint = "generate_certificate", input = Json, output = Json)]
pub async fn generate_certificate(common_name: String) -> Result<CertificateSummary, ApiError> {
    let ctx = super::context::server_context()?;
    crate::server::credential::keep::generate(&ctx.state.store, &common_name).await
}

/// A PKCS#12 file (base64) opened with its password.
#[server(prefix = "/api", endpoint = "import_certificate", input = Json, output = Json)]
pub async fn import_certificate(
    file_base64: String,
    password: SecretInput,
) -> Result<CertificateOutcome, ApiError> {
    let ctx = super::context::server_context()?;
    crate::server::credential::keep::import(&ctx.state.store, &file_base64, &password).await
}

/// What Microsoft Graph said about the client secret's end.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExpiryLookup {
    /// `YYYY-MM-DD`, UTC.
    Found {
        date: String,
    },
    Invalid(crate::domain::FieldErrors),
    Failed {
        summary: crate::api::report::Words,
        fix: crate::api::report::Words,
        /// Graph's or Entra's own words.
        detail: String,
    },
}

/// The client secret's end, read from Microsoft Graph (needs `Application.Read.All`).
#[server(prefix = "/api", endpoint = "read_secret_expiry", input = Json, output = Json)]
pub async fn read_secret_expiry(form: crate::domain::SmtpForm) -> Result<ExpiryLookup, ApiError> {
    let ctx = super::context::server_context()?;
    let stored = crate::server::saved_config::stored_secrets_for(&ctx.state.store, &form).await?;
    Ok(ctx.state.checks.secret_end(&form, &stored).await)
}
