//! Which language a request is answered in: the administrator's choice (the `lang`
//! cookie, set by `/language/{tag}`), else the browser's `Accept-Language`, else English.

use std::collections::HashMap;

use axum::extract::{Path, Query};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::edge::web::headers::cookie;
use crate::i18n::Lang;

/// A year: the choice outlives sessions.
const KEPT_SECS: u64 = 365 * 24 * 3600;

pub fn of(headers: &HeaderMap) -> Lang {
    cookie(headers, Lang::COOKIE)
        .and_then(|tag| Lang::parse_tag(&tag))
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::from_accept_language)
        })
        .unwrap_or_default()
}

/// `GET /language/{tag}?back=/path`: keeps the choice and goes back to the page, which
/// the server renders again in that language. Only a path on this server is gone back
/// to; anything else goes to the page.
pub async fn choose(
    Path(tag): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some(lang) = Lang::parse_tag(&tag) else {
        return (StatusCode::NOT_FOUND, "no such language\n").into_response();
    };
    let back = query
        .get("back")
        .map(String::as_str)
        .filter(|path| is_local_path(path))
        .unwrap_or("/");
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, back)]).into_response();
    let cookie = format!(
        "{}={}; Path=/; SameSite=Lax; Max-Age={KEPT_SECS}",
        Lang::COOKIE,
        lang.tag()
    );
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// `/login` or `/`, never `//elsewhere.example` or `https://…`.
fn is_local_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains('\\')
        && !path.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edge::web::guard::tests::headers;

    #[test]
    fn the_cookie_wins_over_the_browser() {
        let both = headers(&[("cookie", "lang=en"), ("accept-language", "pt-BR,pt;q=0.9")]);
        assert_eq!(of(&both), Lang::En);
        let browser = headers(&[("accept-language", "pt-BR,pt;q=0.9")]);
        assert_eq!(of(&browser), Lang::PtBr);
        assert_eq!(of(&headers(&[])), Lang::En);
        let unknown = headers(&[("cookie", "lang=xx"), ("accept-language", "pt")]);
        assert_eq!(of(&unknown), Lang::PtBr);
    }

    #[test]
    fn only_a_path_here_is_gone_back_to() {
        assert!(is_local_path("/"));
        assert!(is_local_path("/login"));
        for elsewhere in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "login",
        ] {
            assert!(!is_local_path(elsewhere), "{elsewhere}");
        }
    }
}
