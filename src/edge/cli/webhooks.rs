//! `smtp-setup webhooks add URL | list | log ID | test ID | remove ID`: the endpoints on
//! the same store as the server; a running server delivers to one added at once.

use std::time::SystemTime;

use clap::Subcommand;
use secrecy::ExposeSecret as _;

use super::{date, open_store, CommandError};
use crate::domain::WebhookUrl;
use crate::server::store::Store;
use crate::server::time::unix_millis;
use crate::server::webhooks::signing::new_secret;

#[derive(Debug, Subcommand)]
pub enum WebhooksCommand {
    /// Register an https:// endpoint; its signing secret is printed once, alone on the
    /// last line (verify with any Standard Webhooks library)
    Add { url: String },
    /// List the endpoints: id, address, when added
    List,
    /// The last deliveries to endpoint ID: event, status, attempts, its last answer
    Log { id: String },
    /// Send endpoint ID a test event now
    Test { id: String },
    /// Remove endpoint ID and its deliveries
    Remove { id: String },
}

pub async fn run(action: WebhooksCommand) -> Result<(), CommandError> {
    let store = open_store().await?;
    let result = match action {
        WebhooksCommand::Add { url } => add(&store, &url).await,
        WebhooksCommand::List => list(&store).await,
        WebhooksCommand::Log { id } => log(&store, &id).await,
        WebhooksCommand::Test { id } => test(&store, &id).await,
        WebhooksCommand::Remove { id } => remove(&store, &id).await,
    };
    store.close().await;
    result
}

async fn add(store: &Store, url: &str) -> Result<(), CommandError> {
    // The page's parse: https only (events are signed, and what they say is private).
    let url = WebhookUrl::parse(url).map_err(|_| CommandError::BadWebhookUrl(url.to_owned()))?;
    let secret = new_secret()?;
    let id = store
        .add_webhook(url.as_str(), &secret, unix_millis(SystemTime::now()))
        .await?;
    println!(
        "Webhook endpoint {id} added for {}. Its signing secret, shown only now:",
        url.as_str()
    );
    println!("{}", secret.expose_secret());
    Ok(())
}

async fn list(store: &Store) -> Result<(), CommandError> {
    let all = store.webhooks().await?;
    if all.is_empty() {
        println!("No webhook endpoints yet: smtp-setup webhooks add https://…");
    }
    for endpoint in all {
        println!(
            "{}\t{}\tadded {}",
            endpoint.id,
            endpoint.url,
            date(endpoint.created_at)
        );
    }
    Ok(())
}

async fn log(store: &Store, id: &str) -> Result<(), CommandError> {
    if !store.webhooks().await?.iter().any(|e| e.id == id) {
        return Err(CommandError::NoSuchWebhook(id.to_owned()));
    }
    for delivery in store.webhook_deliveries(id, 50).await? {
        println!(
            "{}\t{}\t{}\t{} attempts\t{}\t{}",
            date(delivery.created_at),
            delivery.event,
            delivery.status.key(),
            delivery.attempts,
            delivery.id,
            delivery.last_reply.unwrap_or_default()
        );
    }
    Ok(())
}

async fn test(store: &Store, id: &str) -> Result<(), CommandError> {
    if !store
        .queue_test_event(id, unix_millis(SystemTime::now()))
        .await?
    {
        return Err(CommandError::NoSuchWebhook(id.to_owned()));
    }
    println!("A test event is on its way to {id}: smtp-setup webhooks log {id}");
    Ok(())
}

async fn remove(store: &Store, id: &str) -> Result<(), CommandError> {
    if !store.remove_webhook(id).await? {
        return Err(CommandError::NoSuchWebhook(id.to_owned()));
    }
    println!("Webhook endpoint {id} removed.");
    Ok(())
}
