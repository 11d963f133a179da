use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::domain::SmtpForm;
use crate::saved::SaveOutcome;

/// Saves the form if nobody saved since `base_version`. Empty secret fields keep the
/// stored secrets; the answer never contains a secret.
#[server(prefix = "/api", endpoint = "save_configuration", input = Json)]
pub async fn save_configuration(
    form: SmtpForm,
    base_version: i64,
) -> Result<SaveOutcome, ServerFnError> {
    let ctx = super::context::server_context()?;
    let outcome = crate::server::configuration::save(&ctx.store, &form, base_version)
        .await
        .map_err(|e| ServerFnError::new(e.to_string()))?;
    if let SaveOutcome::Saved(config) = &outcome {
        tracing::info!(version = config.version, "configuration saved");
    }
    Ok(outcome)
}
