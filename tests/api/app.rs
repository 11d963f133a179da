//! The application over HTTP, in-process: who may call the server functions, the
//! test-send limit, and calls that are malformed. Each test has its own application
//! and database.

use serde_json::json;
use smtp_setup::api::ApiError;

use crate::helpers::{fresh_dir, open_store, spawn_app, TestApp, ADMIN_TOKEN};

const ENDPOINTS: [&str; 3] = ["send_test_email", "save_configuration", "test_history"];

/// A save whose values are all valid.
fn a_save() -> serde_json::Value {
    json!({
        "form": {
            "email_address": "v1@contoso.com",
            "name": "v1",
            "tenant_id": "72f988bf-86f1-41af-91ab-2d7cd011db47",
            "client_id": "a1b2c3d4-e5f6-4789-abcd-0123456789ab",
            "client_secret": "Sec8Q~value-1",
        },
        "base_version": 0,
    })
}

async fn nothing_changed(app: TestApp, dir: &std::path::Path) {
    app.stop().await;
    let store = open_store(dir, "open").await;
    assert_eq!(store.load().await.expect("load").version, 0);
    assert!(store.history().await.expect("history").is_empty());
    store.close().await;
}

#[tokio::test]
async fn every_server_function_refuses_strangers_and_other_sites() {
    let dir = fresh_dir("inproc-guard");
    let app = spawn_app(&dir, &[]).await;
    for endpoint in ENDPOINTS {
        let anonymous = app.post_anonymous(endpoint, &a_save()).await;
        assert_eq!(anonymous.status(), 401, "{endpoint} without a session");
        // In the server functions' own encoding: the page says "sign in again".
        let error: ApiError = anonymous.json().await.expect("an ApiError");
        assert_eq!(error, ApiError::SignedOut, "{endpoint}");
        // Another site's page, as a current browser names it…
        let fetch_metadata = app
            .post_as_admin_with(endpoint, &a_save(), &[("sec-fetch-site", "cross-site")])
            .await;
        assert_eq!(fetch_metadata.status(), 403, "{endpoint}: Sec-Fetch-Site");
        // …and as an older one does, by Origin alone.
        let origin = app
            .post_as_admin_with(
                endpoint,
                &a_save(),
                &[("origin", "https://attacker.example")],
            )
            .await;
        assert_eq!(origin.status(), 403, "{endpoint}: Origin");
    }
    // The same save from the page itself goes through: the refusals were the guard's.
    let allowed = app
        .post_as_admin_with(
            "test_history",
            &json!({}),
            &[("sec-fetch-site", "same-origin")],
        )
        .await;
    assert_eq!(allowed.status(), 200);
    assert_eq!(app.get_as_admin("/").await.status(), 200);
    nothing_changed(app, &dir).await;
}

#[tokio::test]
async fn test_sends_are_limited_per_session_with_a_clear_answer() {
    let dir = fresh_dir("inproc-limit");
    let app = spawn_app(&dir, &[("SMTP_SETUP_TEST_SENDS_PER_MINUTE", "2")]).await;
    let empty = json!({ "form": {} });
    for _ in 0..2 {
        let body: serde_json::Value = app
            .post_as_admin("send_test_email", &empty)
            .await
            .json()
            .await
            .expect("json");
        assert!(body["report"]["outcome"].get("Invalid").is_some(), "{body}");
    }
    let limited: serde_json::Value = app
        .post_as_admin("send_test_email", &empty)
        .await
        .json()
        .await
        .expect("json");
    let wait = limited["report"]["outcome"]["RateLimited"]["retry_after_secs"].as_u64();
    assert!(wait.is_some_and(|w| (1..=60).contains(&w)), "{limited}");
    assert!(limited["history"].is_null(), "{limited}");
    // Per session: another administrator's session has its own count.
    let other = app
        .http
        .get(format!("{}/login?token={}", app.base, *ADMIN_TOKEN))
        .send()
        .await
        .expect("sign in again");
    let other_cookie = crate::helpers::session_cookie(&other);
    let from_other: serde_json::Value = app
        .http
        .post(format!("{}/api/send_test_email", app.base))
        .header("cookie", other_cookie)
        .json(&empty)
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert!(
        from_other["report"]["outcome"].get("Invalid").is_some(),
        "{from_other}"
    );
    app.stop().await;
}

#[tokio::test]
async fn malformed_and_oversized_calls_get_a_clear_4xx_and_change_nothing() {
    let dir = fresh_dir("inproc-malformed");
    let app = spawn_app(&dir, &[]).await;
    let cases: Vec<(&str, &str, Vec<u8>, u16)> = vec![
        (
            "save_configuration",
            "application/json",
            b"{not json".to_vec(),
            400,
        ),
        (
            "save_configuration",
            "application/json",
            b"{}".to_vec(),
            400,
        ),
        (
            "save_configuration",
            "application/json",
            br#"{"form": 7, "base_version": "x"}"#.to_vec(),
            400,
        ),
        (
            "send_test_email",
            "application/json",
            vec![0xff, 0xfe, 0x00],
            400,
        ),
        (
            "send_test_email",
            "application/json",
            format!(r#"{{"form":{{"name":"{}"}}}}"#, "x".repeat(200_000)).into_bytes(),
            413,
        ),
    ];
    for (endpoint, content_type, body, expected) in cases {
        let size = body.len();
        let response = app.post_raw(endpoint, content_type, body).await;
        let status = response.status().as_u16();
        assert_eq!(status, expected, "{endpoint} with {size} bytes");
        if status == 400 {
            let error: ApiError = response.json().await.expect("an ApiError");
            assert!(matches!(error, ApiError::Malformed(_)), "{error:?}");
        }
    }
    // Every server function, the same: malformed JSON is a 400 (those that take
    // arguments), 200 KB is a 413, and nothing is done.
    for endpoint in ALL_ENDPOINTS {
        if !WITHOUT_ARGUMENTS.contains(&endpoint) {
            let response = app
                .post_raw(endpoint, "application/json", b"{not json".to_vec())
                .await;
            assert_eq!(response.status(), 400, "{endpoint}");
            let error: ApiError = response.json().await.expect("an ApiError");
            assert!(
                matches!(error, ApiError::Malformed(_)),
                "{endpoint}: {error:?}"
            );
        }
        let large = format!(r#"{{"text":"{}"}}"#, "x".repeat(200_000)).into_bytes();
        let response = app.post_raw(endpoint, "application/json", large).await;
        assert_eq!(response.status(), 413, "{endpoint}");
    }
    // The server is still up.
    assert_eq!(app.get_as_admin("/healthz").await.status(), 200);
    assert!(app
        .store
        .credentials()
        .await
        .expect("credentials")
        .is_empty());
    nothing_changed(app, &dir).await;
}

/// Every server function the page calls.
const ALL_ENDPOINTS: [&str; 12] = [
    "add_relay_credential",
    "check_mailbox_access",
    "generate_certificate",
    "import_certificate",
    "outbox_action",
    "read_secret_expiry",
    "relay_overview",
    "remove_relay_credential",
    "save_allowed_senders",
    "save_configuration",
    "send_test_email",
    "test_history",
];
const WITHOUT_ARGUMENTS: [&str; 2] = ["relay_overview", "test_history"];

#[tokio::test]
async fn healthz_says_when_the_store_does_not_answer() {
    let dir = fresh_dir("inproc-health");
    let app = spawn_app(&dir, &[]).await;
    let healthy = app
        .http
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .expect("healthz");
    assert_eq!(healthy.status(), 200);
    // The first line says the store answers; the next ones what a monitor reads.
    assert_eq!(
        healthy.text().await.expect("body"),
        "ok: store usable (sqlite)\ncredential: end date unknown\nscheduled check: none yet\n"
    );
    app.store.close().await;
    let broken = app
        .http
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .expect("healthz");
    assert_eq!(broken.status(), 503);
    assert_eq!(
        broken.text().await.expect("body"),
        "unavailable: the store (sqlite) does not answer\n"
    );
    app.stop().await;
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let dir = fresh_dir("inproc-headers");
    let app = spawn_app(&dir, &[]).await;
    let responses = [
        app.get_as_admin("/").await,
        app.http
            .get(format!("{}/healthz", app.base))
            .send()
            .await
            .expect("healthz"),
        app.http
            .get(format!("{}/login", app.base))
            .send()
            .await
            .expect("login"),
        app.post_anonymous("test_history", &json!({})).await,
        app.post_as_admin("test_history", &json!({})).await,
        app.get_as_admin("/no-such-page").await,
    ];
    for response in responses {
        let url = response.url().path().to_owned();
        let headers = response.headers();
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_else(|| panic!("{url}: no {name}"))
                .to_owned()
        };
        let csp = header("content-security-policy");
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval'"),
            "{url}: {csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{url}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{url}: {csp}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{url}");
        assert_eq!(header("referrer-policy"), "no-referrer", "{url}");
        assert_eq!(header("x-frame-options"), "DENY", "{url}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_client_that_does_not_finish_its_request_is_cut_off() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let dir = fresh_dir("inproc-slow");
    let app = spawn_app(&dir, &[]).await;
    let address = app.base.trim_start_matches("http://").to_owned();
    // Headers that never end (slowloris), and a body that never arrives.
    let half_headers = "GET / HTTP/1.1\r\nHost: x\r\n".to_owned();
    let half_body = format!(
        "POST /api/test_history HTTP/1.1\r\nHost: x\r\nCookie: {}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{",
        app.cookie
    );
    let answers = [half_headers, half_body].map(|request| {
        let address = address.clone();
        tokio::spawn(async move {
            let mut socket = tokio::net::TcpStream::connect(address)
                .await
                .expect("connect");
            socket.write_all(request.as_bytes()).await.expect("write");
            // Read until the server closes: a bound on the test, not on the server
            // (its own bound is 10 s).
            let started = std::time::Instant::now();
            let mut answer = Vec::new();
            tokio::time::timeout(
                std::time::Duration::from_secs(30),
                socket.read_to_end(&mut answer),
            )
            .await
            .expect("the server closes the connection")
            .expect("read");
            // Its bound is 10 s: not much sooner, and not much later.
            let waited = started.elapsed();
            assert!(
                (9..=20).contains(&waited.as_secs()),
                "cut off after {waited:?}"
            );
            String::from_utf8_lossy(&answer).into_owned()
        })
    });
    let [headers, body] = answers;
    let headers = headers.await.expect("join");
    assert!(
        headers.is_empty() || headers.starts_with("HTTP/1.1 408"),
        "{headers}"
    );
    // A server function whose body times out says so, as a request it could not read.
    let body = body.await.expect("join");
    assert!(body.starts_with("HTTP/1.1 400"), "{body:?}");
    assert!(
        body.contains("not received within the designated timeout"),
        "{body:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_session_cookie_is_http_only_same_site_strict_and_secure_behind_https() {
    let sign_in = |app: &TestApp| {
        app.http
            .get(format!("{}/login?token={}", app.base, *ADMIN_TOKEN))
            .send()
    };
    let cookie = |response: reqwest::Response| {
        response
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .expect("a cookie")
            .to_owned()
    };
    let dir = fresh_dir("inproc-cookie");
    let plain = spawn_app(&dir, &[]).await;
    let set = cookie(sign_in(&plain).await.expect("sign in"));
    assert!(set.starts_with("smtp_setup_session="), "{set}");
    for attribute in ["Path=/", "HttpOnly", "SameSite=Strict", "Max-Age=43200"] {
        assert!(
            set.split("; ").any(|a| a == attribute),
            "{attribute}: {set}"
        );
    }
    assert!(!set.contains("Secure"), "{set}");
    plain.stop().await;
    let behind_https = spawn_app(
        &dir,
        &[("SMTP_SETUP_PUBLIC_URL", "https://mail-setup.contoso.com")],
    )
    .await;
    let set = cookie(sign_in(&behind_https).await.expect("sign in"));
    assert!(set.split("; ").any(|a| a == "Secure"), "{set}");
    behind_https.stop().await;
}

#[tokio::test]
async fn the_mailbox_check_is_a_server_function_with_its_own_history_row() {
    let peers = crate::helpers::spawn_peers_with(&[("PEER_IMAP", "1")]).await;
    let imaps = peers.info.imaps.clone().expect("dovecot");
    let dir = fresh_dir("inproc-mailbox");
    let app = spawn_app(
        &dir,
        &[
            ("SMTP_SETUP_AUTHORITY_URL", peers.info.authority.as_str()),
            ("SMTP_SETUP_IMAP_ADDR", imaps.as_str()),
            ("SMTP_SETUP_CA_FILE", peers.info.ca_file.as_str()),
        ],
    )
    .await;
    let form = peers.form();
    let body = json!({ "form": {
        "email_address": form.email_address, "tenant_id": form.tenant_id,
        "client_id": form.client_id, "client_secret": peers.info.client_secret,
    }});
    let answer: serde_json::Value = app
        .post_as_admin("check_mailbox_access", &body)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        answer["report"]["outcome"]["MailboxOpened"]["messages"], 3,
        "{answer}"
    );
    assert_eq!(answer["history"][0]["kind"], "MailboxAccess", "{answer}");
    assert_eq!(answer["history"][0]["passed"], true, "{answer}");
    app.stop().await;
}

#[tokio::test]
async fn the_language_choice_is_kept_in_its_cookie_for_a_year() {
    let dir = fresh_dir("inproc-language");
    let app = spawn_app(&dir, &[]).await;
    let response = app.get_as_admin("/language/pt-BR?back=/").await;
    assert_eq!(response.status(), 303);
    let cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .expect("a cookie")
        .to_owned();
    assert!(cookie.starts_with("lang=pt-BR;"), "{cookie}");
    assert!(
        cookie.contains(&format!("Max-Age={}", 365 * 24 * 3600)),
        "{cookie}"
    );
    app.stop().await;
}

/// The error catalogue needs no sign-in (it holds nothing of this installation), speaks
/// the visitor's language, and has every entry the diagnosis knows under its anchor.
#[tokio::test]
async fn the_error_catalogue_is_served_to_anyone_in_their_language() {
    let dir = fresh_dir("inproc-errors");
    let app = spawn_app(&dir, &[]).await;
    for (accept, lang, title) in [
        ("en-US,en;q=0.9", "en", "Error catalogue"),
        ("pt-BR,pt;q=0.9", "pt-BR", "Catálogo de erros"),
    ] {
        let answer = app
            .http
            .get(format!("{}/errors", app.base))
            .header("accept-language", accept)
            .send()
            .await
            .expect("/errors");
        assert_eq!(answer.status(), 200, "{accept}");
        assert!(answer.headers().contains_key("content-security-policy"));
        let page = answer.text().await.expect("body");
        assert!(
            page.contains(&format!("<html lang=\"{lang}\">")),
            "{accept}"
        );
        assert!(page.contains(&format!("<h1>{title}</h1>")), "{accept}");
        for entry in smtp_setup::server::diagnosis::catalogue::entries() {
            assert!(
                page.contains(&format!("<article id=\"{}\">", entry.id)),
                "{accept}: {}",
                entry.id
            );
        }
    }
}
