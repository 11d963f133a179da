//! What every server function needs from the server: the application's state, provided
//! for each call by the router (`server::startup`), and the session the guard found.

use leptos::prelude::*;

use super::ApiError;
use crate::server::admin::SessionKey;
use crate::server::startup::AppState;

pub struct ServerContext {
    pub state: AppState,
    pub session: SessionKey,
}

pub fn server_context() -> Result<ServerContext, ApiError> {
    let state = use_context::<AppState>()
        .ok_or_else(|| ApiError::Unavailable("the server is not configured".to_owned()))?;
    let session = use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<SessionKey>().copied())
        .ok_or(ApiError::SignedOut)?;
    Ok(ServerContext { state, session })
}
