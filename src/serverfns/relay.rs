//! The page's calls about the relay: what its section shows, the Outbox's buttons, and
//! adding or removing a relay credential. Each answers with the section as it now is.

use leptos::prelude::*;

use crate::api::codec::Json;
use crate::api::relay::{CredentialAdded, OutboxAction, RelayOverview, ScopeSaved, SendersSaved};
use crate::api::ApiError;

#[server(name = RelayOverviewCall, prefix = "/api", endpoint = "relay_overview", output = Json)]
pub async fn relay_overview() -> Result<RelayOverview, ApiError> {
    let ctx = crate::serverfns::context::server_context()?;
    Ok(ctx.state.relay.overview(&ctx.state.public_url.0).await?)
}

/// "Retry now" or "Delete" on a waiting or failed message; a message being sent or sent
/// is left as it is.
#[server(name = OutboxActionCall, prefix = "/api", endpoint = "outbox_action", input = Json, output = Json)]
pub async fn outbox_action(id: String, action: OutboxAction) -> Result<RelayOverview, ApiError> {
    let ctx = crate::serverfns::context::server_context()?;
    let relay = &ctx.state.relay;
    let done = match action {
        OutboxAction::RetryNow => relay.retry_now(&id).await?,
        OutboxAction::Delete => relay.store.delete_message(&id).await?,
    };
    tracing::info!(%id, ?action, done, "outbox action");
    Ok(relay.overview(&ctx.state.public_url.0).await?)
}

/// A new credential, open to every allowed sender, address and hour (its limits are set
/// after); its password is in the answer, once.
#[server(prefix = "/api", endpoint = "add_relay_credential", input = Json, output = Json)]
pub async fn add_relay_credential(name: String) -> Result<CredentialAdded, ApiError> {
    use secrecy::ExposeSecret as _;

    use crate::server::relay::credentials::{self, CredentialName};
    let ctx = crate::serverfns::context::server_context()?;
    let relay = &ctx.state.relay;
    let name = match CredentialName::parse(name.trim()) {
        Ok(name) => name,
        Err(_) => {
            return Ok(CredentialAdded::Refused(
                crate::api::relay::CredentialRefusal::BadName,
            ))
        }
    };
    let added = credentials::add(
        &relay.store,
        &name,
        &crate::domain::CredentialScope::default(),
    )
    .await
    .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    let Some(password) = added else {
        return Ok(CredentialAdded::Refused(
            crate::api::relay::CredentialRefusal::Exists(name.as_str().to_owned()),
        ));
    };
    tracing::info!(credential = %name, "relay credential added");
    Ok(CredentialAdded::Added {
        name: name.as_str().to_owned(),
        password: crate::api::relay::ShownOnce(password.expose_secret().to_owned()),
        overview: Box::new(relay.overview(&ctx.state.public_url.0).await?),
    })
}

/// Replaces credential `name`'s limits with those the three fields say, parsed as the
/// page parses them while typing.
#[server(prefix = "/api", endpoint = "limit_relay_credential", input = Json, output = Json)]
pub async fn limit_relay_credential(
    name: String,
    senders: String,
    clients: String,
    per_hour: String,
) -> Result<ScopeSaved, ApiError> {
    let ctx = crate::serverfns::context::server_context()?;
    let relay = &ctx.state.relay;
    let scope = match crate::domain::CredentialScope::parse(&senders, &clients, &per_hour) {
        Ok(scope) => scope,
        Err(error) => return Ok(ScopeSaved::Invalid(error)),
    };
    let saved = relay.store.set_credential_scope(&name, &scope).await?;
    tracing::info!(credential = %name, saved, "relay credential limits saved");
    Ok(ScopeSaved::Saved(
        relay.overview(&ctx.state.public_url.0).await?,
    ))
}

#[server(prefix = "/api", endpoint = "remove_relay_credential", input = Json, output = Json)]
pub async fn remove_relay_credential(name: String) -> Result<RelayOverview, ApiError> {
    let ctx = crate::serverfns::context::server_context()?;
    let relay = &ctx.state.relay;
    let removed = relay.store.remove_credential(&name).await?;
    tracing::info!(credential = %name, removed, "relay credential removed");
    Ok(relay.overview(&ctx.state.public_url.0).await?)
}

/// Replaces the also allowed senders with `text` (one address per line), parsed as the
/// page parses it while typing.
#[server(prefix = "/api", endpoint = "save_allowed_senders", input = Json, output = Json)]
pub async fn save_allowed_senders(text: String) -> Result<SendersSaved, ApiError> {
    let ctx = crate::serverfns::context::server_context()?;
    let relay = &ctx.state.relay;
    let senders = match crate::domain::SenderList::parse(&text) {
        Ok(senders) => senders,
        Err(error) => return Ok(SendersSaved::Invalid(error)),
    };
    relay.store.set_allowed_senders(&senders).await?;
    tracing::info!(
        count = senders.addresses().len(),
        "also allowed senders saved"
    );
    Ok(SendersSaved::Saved(
        relay.overview(&ctx.state.public_url.0).await?,
    ))
}
