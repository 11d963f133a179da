//! The OpenAPI document (`src/edge/web/openapi.json`, served at `/api/v1/openapi.json`)
//! held to the server: every answer the relay API gives here (202, 401, 404, 413, 422
//! with its field, 429, 503, and the status read back while a message waits and once
//! it is sent; `relay_disk` adds the 507 of a full disk) is checked against the document's schema for its operation, status and
//! media type by `tests/clients/openapi_check.py` (openapi-spec-validator for the
//! document, jsonschema's 2020-12 validator for the bodies).

use std::collections::BTreeSet;

use serde_json::{json, Value};
use smtp_setup::api::relay::MessageStatus;
use tokio::process::Command;

use crate::helpers::spawn_peers_with;
use crate::relay::{rig, Rig, CREDENTIAL};

const DOCUMENT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/edge/web/openapi.json");
pub const MESSAGES: &str = "/api/v1/messages";
const MESSAGE: &str = "/api/v1/messages/{id}";

/// What the server answered, as the checker reads it.
#[derive(Default)]
pub struct Seen(Vec<Value>);

impl Seen {
    pub async fn record(&mut self, method: &str, path: &str, response: reqwest::Response) -> Value {
        let status = response.status().as_u16();
        let headers: serde_json::Map<String, Value> = response
            .headers()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_owned(), json!(v.to_str().ok()?))))
            .collect();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = response.text().await.expect("the body");
        self.0.push(json!({
            "method": method, "path": path, "status": status,
            "content_type": content_type, "headers": headers, "body": body,
        }));
        json!({"status": status, "body": serde_json::from_str::<Value>(&body).unwrap_or(Value::Null)})
    }

    /// Every answer recorded, checked against the document (written to `dir` for the
    /// checker to read).
    pub async fn check(&self, dir: &std::path::Path) {
        let file = dir.join("responses.json");
        std::fs::write(&file, serde_json::to_vec_pretty(&self.0).expect("JSON")).expect("write");
        let check = Command::new("python3")
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/clients/openapi_check.py"
            ))
            .arg(DOCUMENT)
            .arg(&file)
            .output()
            .await
            .expect("run the checker");
        assert!(
            check.status.success(),
            "{}{}",
            String::from_utf8_lossy(&check.stdout),
            String::from_utf8_lossy(&check.stderr)
        );
        let checked = String::from_utf8_lossy(&check.stdout).lines().count();
        assert_eq!(checked, self.0.len(), "every answer was checked");
    }
}

fn post(rig: &Rig, password: Option<&str>) -> reqwest::RequestBuilder {
    let request = rig.app.http.post(format!("{}{MESSAGES}", rig.app.base));
    match password {
        Some(password) => request.basic_auth(CREDENTIAL, Some(password)),
        None => request,
    }
}

fn get(rig: &Rig, id: &str, password: Option<&str>) -> reqwest::RequestBuilder {
    let request = rig.app.http.get(format!("{}{MESSAGES}/{id}", rig.app.base));
    match password {
        Some(password) => request.basic_auth(CREDENTIAL, Some(password)),
        None => request,
    }
}

#[tokio::test]
async fn every_answer_of_the_relay_api_matches_the_openapi_document() {
    // The first delivery is refused for a while, so a message is seen waiting.
    let peers = spawn_peers_with(&[
        (
            "PEER_SMTP_DATA_REPLY",
            "451|4.7.500 Server busy. Please try again later. [test-peer]",
        ),
        ("PEER_SMTP_DATA_REPLY_TIMES", "1"),
    ])
    .await;
    let rig = rig(
        "openapi",
        &peers,
        &[
            ("SMTP_SETUP_RELAY_MAX_BYTES", "20000"),
            // Long enough that the message is still waiting when it is read back,
            // however slow the machine; the Outbox's "Retry now" then sends it.
            ("SMTP_SETUP_RELAY_FIRST_RETRY_SECONDS", "600"),
        ],
    )
    .await;
    let password = Some(rig.password.as_str());
    let mut seen = Seen(Vec::new());
    let good = json!({"to": ["a@fabrikam-test.com"], "subject": "OpenAPI", "text": "t"});

    // The document is served as it is in the repository.
    let served = rig
        .app
        .http
        .get(format!("{}/api/v1/openapi.json", rig.app.base))
        .send()
        .await
        .expect("the document");
    assert_eq!(served.status(), 200);
    let served: Value = served.json().await.expect("JSON");
    let file: Value =
        serde_json::from_str(&std::fs::read_to_string(DOCUMENT).expect("the file")).expect("JSON");
    assert_eq!(served, file);
    let documented: BTreeSet<&str> = file["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(documented, BTreeSet::from([MESSAGES, MESSAGE]));

    // 503: nothing saved yet.
    let answer = seen
        .record(
            "POST",
            MESSAGES,
            post(&rig, password).json(&good).send().await.expect("post"),
        )
        .await;
    assert_eq!(answer["status"], 503, "{answer}");
    rig.save_configuration(&peers).await;

    // 401 on both routes.
    let answer = seen
        .record(
            "POST",
            MESSAGES,
            post(&rig, None).json(&good).send().await.expect("post"),
        )
        .await;
    assert_eq!(answer["status"], 401);
    let answer = seen
        .record(
            "GET",
            MESSAGE,
            get(&rig, "x", None).send().await.expect("get"),
        )
        .await;
    assert_eq!(answer["status"], 401);

    // 422, each with its field.
    for (body, field) in [
        (
            json!({"to": ["not an address"], "subject": "s", "text": "t"}),
            "to",
        ),
        (
            json!({"to": ["a@fabrikam-test.com"], "subject": "s"}),
            "text",
        ),
        (
            json!({"to": ["a@fabrikam-test.com"], "subject": "s", "text": "t", "from": "x"}),
            "body",
        ),
    ] {
        let answer = seen
            .record(
                "POST",
                MESSAGES,
                post(&rig, password).json(&body).send().await.expect("post"),
            )
            .await;
        assert_eq!(answer["status"], 422, "{answer}");
        assert_eq!(answer["body"]["field"], field, "{answer}");
    }
    let answer = seen
        .record(
            "POST",
            MESSAGES,
            post(&rig, password)
                .header("content-type", "text/plain")
                .body("hello")
                .send()
                .await
                .expect("post"),
        )
        .await;
    assert_eq!(answer["body"]["field"], "Content-Type", "{answer}");

    // 413: larger than the relay takes.
    let large = json!({"to": ["a@fabrikam-test.com"], "subject": "s", "text": "x".repeat(30_000)});
    let answer = seen
        .record(
            "POST",
            MESSAGES,
            post(&rig, password)
                .json(&large)
                .send()
                .await
                .expect("post"),
        )
        .await;
    assert_eq!(answer["status"], 413, "{answer}");

    // 202: JSON, a whole message, and a repeated Idempotency-Key.
    let answer = seen
        .record(
            "POST",
            MESSAGES,
            post(&rig, password)
                .header("idempotency-key", "openapi-1")
                .json(&good)
                .send()
                .await
                .expect("post"),
        )
        .await;
    assert_eq!(answer["status"], 202, "{answer}");
    let id = answer["body"]["id"].as_str().expect("an id").to_owned();
    let raw = format!(
        "From: <{}>\r\nTo: b@fabrikam-test.com\r\nSubject: raw\r\n\r\nHello.\r\n",
        rig.mailbox()
    );
    let answer = seen
        .record(
            "POST",
            MESSAGES,
            post(&rig, password)
                .header("content-type", "message/rfc822")
                .body(raw)
                .send()
                .await
                .expect("post"),
        )
        .await;
    assert_eq!(answer["status"], 202, "{answer}");
    let again = seen
        .record(
            "POST",
            MESSAGES,
            post(&rig, password)
                .header("idempotency-key", "openapi-1")
                .json(&good)
                .send()
                .await
                .expect("post"),
        )
        .await;
    assert_eq!(again["body"]["id"], id.as_str(), "{again}");

    // 200: the status read back while the message waits (its next attempt and the
    // server's words), then once it is sent; 404 for an id of no one's.
    rig.until_status(&id, MessageStatus::Retrying).await;
    let waiting = seen
        .record(
            "GET",
            MESSAGE,
            get(&rig, &id, password).send().await.expect("get"),
        )
        .await;
    assert!(waiting["body"]["last_error"].is_string(), "{waiting}");
    assert_eq!(waiting["body"]["status"], "retrying", "{waiting}");
    rig.outbox_action(&id, "RetryNow").await;
    rig.until_status(&id, MessageStatus::Sent).await;
    let sent = seen
        .record(
            "GET",
            MESSAGE,
            get(&rig, &id, password).send().await.expect("get"),
        )
        .await;
    assert_eq!(sent["body"]["status"], "sent", "{sent}");
    let answer = seen
        .record(
            "GET",
            MESSAGE,
            get(&rig, "no-such-id", password).send().await.expect("get"),
        )
        .await;
    assert_eq!(answer["status"], 404);

    // 429: wrong passwords from this address, ten a minute at most (last: it holds the
    // address back for a minute).
    let mut limited = Value::Null;
    for _ in 0..11 {
        limited = seen
            .record(
                "POST",
                MESSAGES,
                post(&rig, Some("wrong"))
                    .json(&good)
                    .send()
                    .await
                    .expect("post"),
            )
            .await;
    }
    assert_eq!(limited["status"], 429, "{limited}");

    let statuses: BTreeSet<u64> = seen.0.iter().filter_map(|r| r["status"].as_u64()).collect();
    assert_eq!(
        statuses,
        BTreeSet::from([200, 202, 401, 404, 413, 422, 429, 503])
    );
    seen.check(&rig.dir).await;
}
