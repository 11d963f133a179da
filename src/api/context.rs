//! What every server function needs from the server: provided once per request by the
//! router (see main.rs); the session was checked by the guard before any of them runs.

use std::sync::Arc;

use leptos::prelude::*;

use crate::server::admin::{Admin, SessionKey};
use crate::server::store::Store;
use crate::server::test_send::TestSender;

/// The server's shared parts, as one context value.
#[derive(Clone)]
pub struct Services {
    pub admin: Arc<Admin>,
    pub store: Arc<Store>,
    pub sender: Arc<TestSender>,
}

pub struct ServerContext {
    pub admin: Arc<Admin>,
    pub store: Arc<Store>,
    pub sender: Arc<TestSender>,
    pub session: SessionKey,
}

pub fn server_context() -> Result<ServerContext, ServerFnError> {
    let services = use_context::<Services>()
        .ok_or_else(|| ServerFnError::new("the server is not configured"))?;
    let session = use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<SessionKey>().copied())
        .ok_or_else(|| ServerFnError::new("sign in first"))?;
    Ok(ServerContext {
        admin: services.admin,
        store: services.store,
        sender: services.sender,
        session,
    })
}
