use leptos::prelude::*;

use crate::api::codec::Json;
use crate::api::saved::SaveOutcome;
use crate::api::ApiError;
use crate::domain::SmtpForm;

/// Saves the form if nobody saved since `base_version`. Empty secret fields keep the
/// stored secrets; the answer never contains a secret.
#[server(prefix = "/api", endpoint = "save_configuration", input = Json, output = Json)]
pub async fn save_configuration(
    form: SmtpForm,
    base_version: i64,
) -> Result<SaveOutcome, ApiError> {
    let ctx = crate::serverfns::context::server_context()?;
    let outcome = crate::server::saved_config::save(&ctx.state.store, &form, base_version).await?;
    if let SaveOutcome::Saved(config) = &outcome {
        tracing::info!(version = config.version, "configuration saved");
    }
    Ok(outcome)
}
