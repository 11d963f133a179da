//! The page and the server functions behind it. The page's starting data (the saved
//! configuration, the recent tests) is read from the store before rendering, since the
//! renderer itself is synchronous, and reaches the browser through Leptos' own shared
//! data (see `ui::config_page`).

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use leptos::prelude::provide_context;

use crate::api::saved::InitialData;
use crate::edge::document::shell;
use crate::server::app_state::AppState;

pub async fn page(State(state): State<AppState>, request: Request) -> Response {
    let lang = crate::edge::web::language::of(request.headers());
    let saved = crate::server::saved_config::load(&state.store, std::time::SystemTime::now()).await;
    let history = state.store.history().await;
    let relay = state.relay.overview(&state.public_url.0).await;
    if let (Err(error), _, _) | (_, Err(error), _) | (_, _, Err(error)) = (&saved, &history, &relay)
    {
        tracing::error!(%error, "cannot read the store for the page");
    }
    let initial = InitialData {
        saved: saved.unwrap_or_default(),
        history: history.unwrap_or_default(),
        relay: relay.unwrap_or_default(),
        lang,
    };
    let options = state.leptos_options.clone();
    let render = leptos_axum::render_app_to_stream_with_context(
        move || {
            provide_context(initial.clone());
            provide_context(lang);
        },
        move || shell(options.clone()),
    );
    render(request).await
}

pub async fn server_function(State(state): State<AppState>, request: Request) -> Response {
    leptos_axum::handle_server_fns_with_context(move || provide_context(state.clone()), request)
        .await
        .into_response()
}
