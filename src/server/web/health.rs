use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;

use crate::server::store::Store;

/// `/healthz`: no secrets, no sign-in; whether the store answers.
pub async fn healthz(State(store): State<Arc<Store>>) -> impl IntoResponse {
    if store.is_usable().await {
        (StatusCode::OK, "ok: store usable\n")
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable: the store does not answer\n",
        )
    }
}
