use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;

use crate::saved::InitialData;
use crate::server::store::Store;

/// For the page itself: loads the saved configuration and the recent tests before the
/// page renders, so they arrive in the first HTML (the renderer itself is synchronous).
pub async fn load_initial_data(
    State(store): State<Arc<Store>>,
    mut request: Request,
    next: Next,
) -> Response {
    if request.method() == Method::GET && request.uri().path() == "/" {
        let saved = store.load().await;
        let history = store.history().await;
        if let (Err(e), _) | (_, Err(e)) = (&saved, &history) {
            tracing::error!(error = %e, "cannot read the store for the page");
        }
        request.extensions_mut().insert(InitialData {
            saved: saved.unwrap_or_default(),
            history: history.unwrap_or_default(),
        });
    }
    next.run(request).await
}
