//! `/healthz` and `/metrics`: no sign-in, no secret, no address, no tenant.

use std::time::SystemTime;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::server::app_state::AppState;
use crate::server::metrics::{self, Snapshot};
use crate::server::saved_config;
use crate::server::watch::expiry_line;

/// Whether the store answers and has room (503 if not) and which database it is, then
/// one line each about the credential's end and the last scheduled check, for a monitor
/// to read.
pub async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    let backend = state.store.backend().key();
    if !state.store.is_usable().await {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("unavailable: the store ({backend}) does not answer\n"),
        );
    }
    let (status, mut text) = match state.store.out_of_space_since() {
        Some(since) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "degraded: the store ({backend}) has refused messages for lack of disk space \
                 since {}; they are answered 452 4.3.1 (HTTP 507) until one is stored again\n",
                crate::api::relay::utc(since)
            ),
        ),
        None => (StatusCode::OK, format!("ok: store usable ({backend})\n")),
    };
    match saved_config::load(&state.store, SystemTime::now()).await {
        Ok(saved) => match saved.expiry {
            Some(notice) => {
                let level = match notice.level() {
                    crate::api::saved::ExpiryLevel::Quiet => "ok",
                    crate::api::saved::ExpiryLevel::Warning => "warning",
                    crate::api::saved::ExpiryLevel::Alarm => "alarm",
                };
                text.push_str(&format!(
                    "credential: {level}: {} (days left: {})\n",
                    expiry_line(&notice),
                    notice.days_left
                ));
            }
            None => text.push_str("credential: end date unknown\n"),
        },
        Err(error) => tracing::error!(%error, "healthz: cannot read the configuration"),
    }
    match state.watch.last_check() {
        Some(last) if last.passed => {
            text.push_str(&format!("scheduled check: passed at {}\n", last.at));
        }
        Some(last) => text.push_str(&format!(
            "scheduled check: failed at {}: {}\n",
            last.at,
            last.summary.unwrap_or_default()
        )),
        None => text.push_str("scheduled check: none yet\n"),
    }
    (status, text)
}

/// The Prometheus text format.
pub async fn metrics(State(state): State<AppState>) -> Response {
    if !state.metrics.0 {
        return StatusCode::NOT_FOUND.into_response();
    }
    let now = SystemTime::now();
    let credential_expiry = saved_config::load(&state.store, now)
        .await
        .ok()
        .and_then(|saved| saved.expiry)
        .map(|notice| notice.ends_at);
    let (queue_depth, oldest) = state.store.queue_stats().await.unwrap_or_default();
    let now_ms = crate::server::time::unix_millis(now);
    let snapshot = Snapshot {
        credential_expiry,
        queue_depth,
        oldest_message_age: oldest.map_or(0.0, |at| (now_ms - at).max(0) as f64 / 1000.0),
    };
    match metrics::render(&snapshot) {
        Some(text) => (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        None => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

/// Counts every answered request by its route pattern and status.
pub async fn count_requests(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let response = next.run(request).await;
    metrics::http_request(&route, response.status().as_u16());
    response
}
