//! `/login?token=…` (the printed link) and `/logout`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use secrecy::ExposeSecret as _;

use crate::server::admin::{Admin, SessionKey, SignIn, SESSION_COOKIE, SESSION_LIFETIME};
use crate::server::app_state::PublicUrl;

use crate::edge::web::html::page;
use crate::edge::web::language;

pub fn print_sign_in_link(base: &PublicUrl, admin: &Admin) {
    // Printed, not logged: a one-time link is for whoever started the server, and a log
    // shipper should not carry it. A fixed token came from the operator's own secret
    // store: it is named, never echoed into the service's output.
    let base = base.0.trim_end_matches('/');
    if admin.is_one_time() {
        let token = admin.sign_in_token();
        println!(
            "smtp-setup: sign in at {base}/login?token={}",
            token.expose_secret()
        );
    } else {
        println!("smtp-setup: sign in at {base}/login?token=<SMTP_SETUP_ADMIN_TOKEN>");
    }
}

pub async fn login(
    State(admin): State<Arc<Admin>>,
    State(base): State<PublicUrl>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let lang = language::of(&headers);
    let t = lang.texts();
    let Some(token) = query.get("token") else {
        return (StatusCode::OK, Html(page(lang, t.sign_in_title, t.sign_in))).into_response();
    };
    match admin.sign_in(token).await {
        Ok(SignIn::Accepted { session }) => {
            if admin.is_one_time() {
                print_sign_in_link(&base, &admin);
            }
            tracing::info!("administrator signed in");
            let secure = headers
                .get("x-forwarded-proto")
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"))
                || base.0.starts_with("https://");
            let cookie = format!(
                "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
                session.expose_secret(),
                SESSION_LIFETIME.as_secs(),
                if secure { "; Secure" } else { "" }
            );
            let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, "/")]).into_response();
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
            response
        }
        Ok(SignIn::Refused) => {
            tracing::warn!("refused a sign-in with a wrong token");
            (
                StatusCode::UNAUTHORIZED,
                Html(page(lang, t.sign_in_refused_title, t.sign_in_refused)),
            )
                .into_response()
        }
        Ok(SignIn::TooManyAttempts) => (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "60")],
            Html(page(lang, t.sign_in_limited_title, t.sign_in_limited)),
        )
            .into_response(),
        Err(error) => {
            tracing::error!(%error, "a sign-in could not be completed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Html(page(lang, t.sign_in_title, &error.to_string())),
            )
                .into_response()
        }
    }
}

/// `POST /logout`: ends the session the guard found (it has checked the origin too).
pub async fn logout(State(admin): State<Arc<Admin>>, request: Request) -> Response {
    if let Some(session) = request.extensions().get::<SessionKey>() {
        if let Err(error) = admin.sign_out(*session).await {
            tracing::warn!(%error, "the ended session is still on record until it expires");
        }
    }
    let lang = language::of(request.headers());
    let t = lang.texts();
    let expired = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    let mut response = (
        StatusCode::OK,
        Html(page(lang, t.signed_out_page_title, t.signed_out_page)),
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&expired) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}
