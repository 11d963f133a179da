//! Every request but the sign-in page, the health check and the static bundles needs a
//! session; every state-changing request must come from this origin.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use crate::api::ApiError;
use crate::edge::web::headers::cookie;
use crate::edge::web::html::page;
use crate::edge::web::language;
use crate::server::admin::{Admin, SessionKey, SESSION_COOKIE};

/// Paths anyone may reach: nothing behind them is secret or changes anything.
fn is_public(path: &str) -> bool {
    path == "/login"
        || path == "/errors"
        || path == "/healthz"
        || path == "/metrics"
        || path == "/favicon.svg"
        || path.starts_with("/pkg/")
        || path.starts_with("/language/")
}

pub async fn require_admin(
    State(admin): State<Arc<Admin>>,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    if is_public(&path) {
        return next.run(request).await;
    }
    if !is_read_only(request.method()) && !is_same_origin(request.headers()) {
        return (StatusCode::FORBIDDEN, "cross-site request refused\n").into_response();
    }
    let session = match cookie(request.headers(), SESSION_COOKIE) {
        Some(value) => match admin.session(&value).await {
            Ok(session) => session,
            Err(error) => {
                tracing::error!(%error, "sessions cannot be read");
                return (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable: the store does not answer\n",
                )
                    .into_response();
            }
        },
        None => None,
    };
    let Some(session) = session else {
        return if path.starts_with("/api/") {
            // In the server functions' own error encoding, so the page can say "sign in".
            (
                StatusCode::UNAUTHORIZED,
                [(header::CONTENT_TYPE, "application/json")],
                ApiError::SignedOut.body(),
            )
                .into_response()
        } else {
            let lang = language::of(request.headers());
            let t = lang.texts();
            let text = format!("{} (http://…/login?token=…)", t.sign_in);
            (
                StatusCode::UNAUTHORIZED,
                Html(page(lang, t.sign_in_title, &text)),
            )
                .into_response()
        };
    };
    request.extensions_mut().insert::<SessionKey>(session);
    next.run(request).await
}

fn is_read_only(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// A browser names the requesting site on every request: `Sec-Fetch-Site` (all current
/// browsers), else `Origin` (every POST). Pointing elsewhere is refused. `Sec-Fetch-Site`
/// wins when present: under `Referrer-Policy: no-referrer` a same-origin form sends
/// `Origin: null`. Clients that send neither are not browsers, and so cannot carry an
/// administrator's cookie on an attacker's behalf.
pub fn is_same_origin(headers: &HeaderMap) -> bool {
    let value = |name| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = value("sec-fetch-site") {
        return site == "same-origin" || site == "none";
    }
    if let Some(origin) = value("origin") {
        let host = value("host").unwrap_or_default();
        let origin_host = origin
            .split_once("://")
            .map(|(_, rest)| rest)
            .unwrap_or_default();
        if origin == "null" || !origin_host.eq_ignore_ascii_case(host) {
            return false;
        }
    }
    true
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use axum::http::HeaderValue;

    /// Request headers from name/value pairs (also for `language`'s tests).
    pub(in crate::edge::web) fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(*k, HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn same_origin_rules() {
        let host = ("host", "127.0.0.1:3000");
        assert!(is_same_origin(&headers(&[host])));
        assert!(is_same_origin(&headers(&[
            host,
            ("origin", "http://127.0.0.1:3000"),
            ("sec-fetch-site", "same-origin")
        ])));
        assert!(!is_same_origin(&headers(&[
            host,
            ("origin", "https://evil.example")
        ])));
        assert!(!is_same_origin(&headers(&[
            host,
            ("sec-fetch-site", "cross-site")
        ])));
        assert!(!is_same_origin(&headers(&[
            host,
            ("sec-fetch-site", "same-site")
        ])));
        assert!(!is_same_origin(&headers(&[host, ("origin", "null")])));
        // A same-origin form under no-referrer: Origin null, Sec-Fetch-Site decides.
        assert!(is_same_origin(&headers(&[
            host,
            ("origin", "null"),
            ("sec-fetch-site", "same-origin")
        ])));
    }

    #[test]
    fn cookies_are_found_by_name() {
        let map = headers(&[("cookie", "a=1; smtp_setup_session=abc; b=2")]);
        assert_eq!(cookie(&map, SESSION_COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie(&map, "missing"), None);
    }
}
