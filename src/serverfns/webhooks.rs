//! The page's calls about webhooks: add an endpoint (its secret in the answer, once),
//! remove one, send it a test event, read its delivery log.

use leptos::prelude::*;

use crate::api::codec::Json;
use crate::api::relay::RelayOverview;
use crate::api::relay::WebhookAdded;
use crate::api::webhooks::WebhookDelivery;
use crate::api::ApiError;

/// Deliveries the page's log shows.
#[cfg(feature = "ssr")]
const LOG_SHOWN: i64 = 20;

#[server(prefix = "/api", endpoint = "add_webhook", input = Json, output = Json)]
pub async fn add_webhook(url: String) -> Result<WebhookAdded, ApiError> {
    use secrecy::ExposeSecret as _;
    let ctx = crate::serverfns::context::server_context()?;
    let relay = &ctx.state.relay;
    let url = match crate::domain::WebhookUrl::parse(&url) {
        Ok(url) => url,
        Err(error) => return Ok(WebhookAdded::Invalid(error)),
    };
    let secret = crate::server::webhooks::signing::new_secret()
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    let now = crate::server::time::unix_millis(std::time::SystemTime::now());
    let id = relay.store.add_webhook(url.as_str(), &secret, now).await?;
    tracing::info!(%id, url = url.as_str(), "webhook endpoint added");
    Ok(WebhookAdded::Added {
        id,
        secret: crate::api::relay::ShownOnce(secret.expose_secret().to_owned()),
        overview: Box::new(relay.overview(&ctx.state.public_url.0).await?),
    })
}

#[server(prefix = "/api", endpoint = "remove_webhook", input = Json, output = Json)]
pub async fn remove_webhook(id: String) -> Result<RelayOverview, ApiError> {
    let ctx = crate::serverfns::context::server_context()?;
    let relay = &ctx.state.relay;
    let removed = relay.store.remove_webhook(&id).await?;
    tracing::info!(%id, removed, "webhook endpoint removed");
    Ok(relay.overview(&ctx.state.public_url.0).await?)
}

/// Queues a test event to endpoint `id`; its log then.
#[server(prefix = "/api", endpoint = "test_webhook", input = Json, output = Json)]
pub async fn test_webhook(id: String) -> Result<Vec<WebhookDelivery>, ApiError> {
    let ctx = crate::serverfns::context::server_context()?;
    let store = &ctx.state.relay.store;
    let now = crate::server::time::unix_millis(std::time::SystemTime::now());
    store.queue_test_event(&id, now).await?;
    Ok(store.webhook_deliveries(&id, LOG_SHOWN).await?)
}

#[server(prefix = "/api", endpoint = "webhook_log", input = Json, output = Json)]
pub async fn webhook_log(id: String) -> Result<Vec<WebhookDelivery>, ApiError> {
    let ctx = crate::serverfns::context::server_context()?;
    Ok(ctx
        .state
        .relay
        .store
        .webhook_deliveries(&id, LOG_SHOWN)
        .await?)
}
