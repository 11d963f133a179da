//! What every request may need, built once at start-up and shared by every handler and
//! server function: the services, and two settings the edge reads. Here, below the edge
//! and the page, so that whatever reads it from the context imports nothing above it.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::server::admin::Admin;
use crate::server::bounces::watcher::BounceWatch;
use crate::server::check::Checks;
use crate::server::relay::Relay;
use crate::server::retention::Retainer;
use crate::server::store::Store;
use crate::server::watch::Watch;
use crate::server::webhooks::deliverer::Deliverer;

/// Everything a request may need, shared by every handler; each takes its part.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub admin: Arc<Admin>,
    pub store: Arc<Store>,
    pub checks: Arc<Checks>,
    pub relay: Arc<Relay>,
    /// The scheduled checks and the expiry log.
    pub watch: Arc<Watch>,
    /// The delivery reports read from the mailbox.
    pub bounces: Arc<BounceWatch>,
    /// The webhooks' deliveries.
    pub webhooks: Arc<Deliverer>,
    /// What is dropped with age.
    pub retainer: Arc<Retainer>,
    /// `/metrics` is served (`SMTP_SETUP_METRICS`).
    pub metrics: MetricsOn,
    pub public_url: PublicUrl,
    pub leptos_options: LeptosOptions,
}

/// Whether `/metrics` answers.
#[derive(Clone, Copy, Debug)]
pub struct MetricsOn(pub bool);

/// Where the server is reached, for the printed link.
#[derive(Clone)]
pub struct PublicUrl(pub String);
