//! Leptos answers a server-function call whose body it cannot decode with a 500. For the
//! caller that is a 400: the request was wrong, the server is fine (and monitoring that
//! counts 5xx should not page anyone for it).

use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Server-function error bodies are `Kind|message`; these kinds are the caller's fault.
const CLIENT_KINDS: [&str; 2] = ["Deserialization|", "Args|"];
/// Such bodies are a one-line message; anything larger is passed on untouched.
const MAX_ERROR_BODY: usize = 16 * 1024;

pub async fn decoding_errors_are_bad_requests(request: Request, next: Next) -> Response {
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
    if CLIENT_KINDS
        .iter()
        .any(|kind| bytes.starts_with(kind.as_bytes()))
    {
        parts.status = StatusCode::BAD_REQUEST;
    }
    Response::from_parts(parts, Body::from(bytes))
}
