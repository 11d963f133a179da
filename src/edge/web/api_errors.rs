//! Server functions answer every error with a 500. The error itself says what it was
//! (`ApiError`); this gives the answer the status that says the same: 400 for a call
//! that could not be read, 401 for a session that ended, 503 for a store that failed.
//! Monitoring that counts 5xx then pages no one for a caller's mistake.

use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::api::ApiError;

/// Such bodies are a short JSON value; anything larger is passed on untouched.
const MAX_ERROR_BODY: usize = 16 * 1024;

pub async fn status_from_error(request: Request, next: Next) -> Response {
    let is_api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    let is_server_fn_error = response.headers().contains_key("serverfnerror");
    if !is_api || response.status() != StatusCode::INTERNAL_SERVER_ERROR || !is_server_fn_error {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_ERROR_BODY).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if let Some(status) = serde_json::from_slice::<ApiError>(&bytes)
        .ok()
        .and_then(|error| StatusCode::from_u16(error.status()).ok())
    {
        parts.status = status;
    }
    Response::from_parts(parts, Body::from(bytes))
}
