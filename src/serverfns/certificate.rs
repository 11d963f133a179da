//! The certificate credential's calls: a key pair generated on the server, or a PKCS#12
//! file opened there. Either way the private key stays on the server (sealed, waiting
//! for the save that uses its certificate) and only the certificate comes back.

use leptos::prelude::*;

use crate::api::certificate::{CertificateOutcome, ExpiryLookup};
use crate::api::codec::Json;
use crate::api::saved::CertificateSummary;
use crate::api::ApiError;
use crate::domain::SecretInput;

/// A new RSA key and a self-signed certificate for the mailbox `common_name` names.
#[server(prefix = "/api", endpoint = "generate_certificate", input = Json, output = Json)]
pub async fn generate_certificate(common_name: String) -> Result<CertificateSummary, ApiError> {
    let ctx = crate::serverfns::context::server_context()?;
    Ok(
        crate::server::certificate_credential::keep::generate(&ctx.state.store, &common_name)
            .await?,
    )
}

/// A PKCS#12 file (base64) opened with its password.
#[server(prefix = "/api", endpoint = "import_certificate", input = Json, output = Json)]
pub async fn import_certificate(
    file_base64: String,
    password: SecretInput,
) -> Result<CertificateOutcome, ApiError> {
    let ctx = crate::serverfns::context::server_context()?;
    Ok(crate::server::certificate_credential::keep::import(
        &ctx.state.store,
        &file_base64,
        &password,
    )
    .await?)
}

/// The client secret's end, read from Microsoft Graph (needs `Application.Read.All`).
#[server(prefix = "/api", endpoint = "read_secret_expiry", input = Json, output = Json)]
pub async fn read_secret_expiry(form: crate::domain::SmtpForm) -> Result<ExpiryLookup, ApiError> {
    let ctx = crate::serverfns::context::server_context()?;
    let stored = crate::server::saved_config::stored_secrets_for(&ctx.state.store, &form).await?;
    Ok(ctx.state.checks.secret_end(&form, &stored).await)
}
