//! The relay's HTTP API with a real client (curl): JSON and raw messages queued and
//! delivered to the SMTP peer, idempotency, and each refusal with its status and field.

use serde_json::Value;
use smtp_setup::api::relay::MessageStatus;
use tokio::process::Command;

use crate::helpers::spawn_peers;
use crate::relay::{add_credential, rig, Rig, CREDENTIAL};

/// Runs curl against the app; the status and the JSON body.
pub async fn curl(args: &[&str]) -> (u16, Value) {
    let output = Command::new("curl")
        .args(["-s", "-S", "--max-time", "30", "-w", "\n%{http_code}"])
        .args(args)
        .output()
        .await
        .expect("run curl");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let (body, status) = text.rsplit_once('\n').expect("the status line");
    let body = if body.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(body).unwrap_or_else(|_| Value::String(body.to_owned()))
    };
    (status.trim().parse().expect("a status"), body)
}

pub fn messages_url(rig: &Rig) -> String {
    format!("{}/api/v1/messages", rig.app.base)
}

pub fn user(rig: &Rig) -> String {
    format!("{CREDENTIAL}:{}", rig.password)
}

pub async fn post_json(rig: &Rig, json: &Value, extra: &[&str]) -> (u16, Value) {
    let body = json.to_string();
    let user = user(rig);
    let url = messages_url(rig);
    let mut args = vec![
        "-u",
        user.as_str(),
        "-H",
        "Content-Type: application/json",
        "--data-binary",
        body.as_str(),
    ];
    args.extend_from_slice(extra);
    args.push(url.as_str());
    curl(&args).await
}

/// A whole message (`message/rfc822`) with the rig's credential.
pub async fn post_raw(rig: &Rig, message: &str) -> (u16, Value) {
    let user = user(rig);
    let url = messages_url(rig);
    curl(&[
        "-u",
        &user,
        "-H",
        "Content-Type: message/rfc822",
        "--data-binary",
        message,
        &url,
    ])
    .await
}

#[tokio::test]
async fn json_and_raw_messages_are_queued_delivered_and_reported() {
    let peers = spawn_peers().await;
    let rig = rig("relay-api", &peers, &[]).await;
    rig.save_configuration(&peers).await;

    let json = serde_json::json!({
        "to": ["Customer <customer@fabrikam-test.com>"],
        "cc": ["cc@fabrikam-test.com"],
        "bcc": ["audit@contoso-test.com"],
        "subject": "Invoice 42",
        "text": "Your invoice is attached.",
        "html": "<p>Your invoice is attached.</p>",
        "reply_to": "billing@contoso-test.com",
    });
    let (status, answer) = post_json(&rig, &json, &["-H", "Idempotency-Key: invoice-42"]).await;
    assert_eq!(status, 202, "{answer}");
    assert_eq!(answer["status"], "queued");
    let id = answer["id"].as_str().expect("an id").to_owned();
    // The same key again: the same message, not a second one.
    let (status, again) = post_json(&rig, &json, &["-H", "Idempotency-Key: invoice-42"]).await;
    assert_eq!(status, 202, "{again}");
    assert_eq!(again["id"], id.as_str());
    // (its status is the first message's as it is now: queued, sending or sent)
    rig.until_status(&id, MessageStatus::Sent).await;
    let (status, report) =
        curl(&["-u", &user(&rig), &format!("{}/{id}", messages_url(&rig))]).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["status"], "sent");
    assert_eq!(report["attempts"], 1);
    assert_eq!(report["next_attempt_at"], Value::Null);

    let raw = format!(
        "From: Contoso <{}>\r\nTo: raw@fabrikam-test.com\r\nBcc: hidden@fabrikam-test.com\r\nSubject: Raw one\r\n\r\nHello from a whole message.\r\n",
        rig.mailbox()
    );
    let (status, answer) = post_raw(&rig, &raw).await;
    assert_eq!(status, 202, "{answer}");
    let raw_id = answer["id"].as_str().expect("an id").to_owned();
    rig.until_status(&raw_id, MessageStatus::Sent).await;

    // A whole message with its own Message-ID and Date goes byte for byte.
    let exact = crate::relay::whole_message(rig.mailbox(), "Byte for byte");
    let exact_text = String::from_utf8(exact.clone()).expect("text");
    let (status, answer) = post_raw(&rig, &exact_text).await;
    assert_eq!(status, 202, "{answer}");
    let exact_id = answer["id"].as_str().expect("an id").to_owned();
    rig.until_status(&exact_id, MessageStatus::Sent).await;

    let delivered = rig.settled(&peers).await;
    assert_eq!(delivered.len(), 3, "once each: {delivered:?}");
    for message in &delivered {
        assert_eq!(message.mail_from, rig.mailbox(), "{message:?}");
        // Bcc recipients are in the envelope only.
        assert!(message.bcc.is_empty(), "{message:?}");
        assert!(
            !message.header_names.iter().any(|h| h == "bcc"),
            "{message:?}"
        );
    }
    let byte_for_byte = delivered
        .iter()
        .find(|m| m.subject == "Byte for byte")
        .expect("the exact one");
    use sha2::Digest as _;
    let digest: String = sha2::Sha256::digest(&exact)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(byte_for_byte.sha256, digest);
    let invoice = delivered
        .iter()
        .find(|m| m.subject == "Invoice 42")
        .expect("the invoice");
    let mut rcpt = invoice.rcpt_to.clone();
    rcpt.sort();
    assert_eq!(
        rcpt,
        [
            "audit@contoso-test.com",
            "cc@fabrikam-test.com",
            "customer@fabrikam-test.com"
        ]
    );
    assert_eq!(invoice.to, ["customer@fabrikam-test.com"]);
    assert_eq!(invoice.cc, ["cc@fabrikam-test.com"]);
    assert_eq!(
        invoice.reply_to.as_deref(),
        Some("billing@contoso-test.com")
    );
    // The configured mailbox and Name as the sender.
    assert_eq!(invoice.from.address, rig.mailbox());
    assert_eq!(invoice.from.name, "Contoso Notifications");
    assert_eq!(
        invoice.html.as_deref(),
        Some("<p>Your invoice is attached.</p>")
    );
    let raw = delivered
        .iter()
        .find(|m| m.subject == "Raw one")
        .expect("the raw one");
    let mut rcpt = raw.rcpt_to.clone();
    rcpt.sort();
    assert_eq!(rcpt, ["hidden@fabrikam-test.com", "raw@fabrikam-test.com"]);
}

#[tokio::test]
async fn the_api_refuses_with_a_status_and_the_field_at_fault() {
    let peers = spawn_peers().await;
    let rig = rig(
        "relay-api-refusals",
        &peers,
        &[("SMTP_SETUP_RELAY_MAX_BYTES", "20000")],
    )
    .await;
    let url = messages_url(&rig);
    let good = serde_json::json!({"to": ["a@fabrikam-test.com"], "subject": "s", "text": "t"});

    // Nothing saved yet.
    let (status, answer) = post_json(&rig, &good, &[]).await;
    assert_eq!(status, 503, "{answer}");
    rig.save_configuration(&peers).await;

    // No credentials, a wrong password, or an admin's session cookie instead.
    let body = good.to_string();
    let (status, answer) = curl(&[
        "-H",
        "Content-Type: application/json",
        "--data-binary",
        &body,
        &url,
    ])
    .await;
    assert_eq!(status, 401, "{answer}");
    let wrong = format!("{CREDENTIAL}:wrong");
    let (status, _) = curl(&[
        "-u",
        &wrong,
        "-H",
        "Content-Type: application/json",
        "--data-binary",
        &body,
        &url,
    ])
    .await;
    assert_eq!(status, 401);
    let cookie = format!("Cookie: {}", rig.app.cookie);
    let (status, _) = curl(&[
        "-H",
        &cookie,
        "-H",
        "Content-Type: application/json",
        "--data-binary",
        &body,
        &url,
    ])
    .await;
    assert_eq!(status, 401, "a session is not a relay credential");

    // Bad input, each with its field.
    for (json, field) in [
        (
            serde_json::json!({"to": ["not an address"], "subject": "s", "text": "t"}),
            "to",
        ),
        (
            serde_json::json!({"to": [], "subject": "s", "text": "t"}),
            "to",
        ),
        (
            serde_json::json!({"to": ["a@fabrikam-test.com"], "subject": "s"}),
            "text",
        ),
        (
            serde_json::json!({"to": ["a@fabrikam-test.com"], "subject": "s", "text": "t", "reply_to": "x"}),
            "reply_to",
        ),
        (
            serde_json::json!({"to": ["a@fabrikam-test.com"], "subject": "s", "text": "t", "from": "ceo@x.com"}),
            "body",
        ),
    ] {
        let (status, answer) = post_json(&rig, &json, &[]).await;
        assert_eq!(status, 422, "{json}: {answer}");
        assert_eq!(answer["field"], field, "{json}: {answer}");
    }
    // More recipients than Exchange Online takes in one message (SMTP's RCPT TO stops at
    // the same 500): refused whole, as JSON or as a whole message; 500 pass.
    let many =
        |n: usize| -> Vec<String> { (0..n).map(|i| format!("r{i}@fabrikam-test.com")).collect() };
    let (status, answer) = post_json(
        &rig,
        &serde_json::json!({"to": many(300), "cc": many(501)[300..].to_vec(), "subject": "s", "text": "t"}),
        &[],
    )
    .await;
    assert_eq!(
        (status, &answer["field"]),
        (422, &Value::from("to")),
        "{answer}"
    );
    assert!(
        answer["error"]
            .as_str()
            .is_some_and(|e| e.contains("more than 500 recipients")),
        "{answer}"
    );
    let raw = format!(
        "From: {}\r\nTo: {}\r\nSubject: s\r\n\r\nx\r\n",
        rig.mailbox(),
        many(501).join(", ")
    );
    let (status, answer) = post_raw(&rig, &raw).await;
    assert_eq!(
        (status, &answer["field"]),
        (422, &Value::from("to")),
        "{answer}"
    );
    let (status, answer) = post_json(
        &rig,
        &serde_json::json!({"to": many(500), "subject": "s", "text": "t"}),
        &[],
    )
    .await;
    assert_eq!(status, 202, "500 recipients: {answer}");
    // Larger than the relay takes.
    let large = serde_json::json!({"to": ["a@fabrikam-test.com"], "subject": "s", "text": "x".repeat(30_000)});
    let (status, answer) = post_json(&rig, &large, &[]).await;
    assert_eq!(status, 413, "{answer}");
    let user = user(&rig);
    let foreign =
        "From: ceo@contoso-test.com\r\nTo: a@fabrikam-test.com\r\nSubject: s\r\n\r\nx\r\n";
    let (status, answer) = post_raw(&rig, foreign).await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["field"], "from");

    // A message is reported only to the credential that sent it.
    let (status, answer) = post_json(&rig, &good, &[]).await;
    assert_eq!(status, 202, "{answer}");
    let id = answer["id"].as_str().unwrap().to_owned();
    let other = add_credential(&rig.app, "crm").await;
    let other = format!("crm:{other}");
    let (status, _) = curl(&["-u", &other, &format!("{url}/{id}")]).await;
    assert_eq!(status, 404);
    let (status, _) = curl(&["-u", &user, &format!("{url}/{id}")]).await;
    assert_eq!(status, 200);

    // Basic credentials open no admin route: neither the page nor a server function,
    // which the administrator's session does open.
    let (status, _) = curl(&["-u", &user, &format!("{}/", rig.app.base)]).await;
    assert_eq!(status, 401, "the page needs a session");
    let history = format!("{}/api/test_history", rig.app.base);
    let (status, answer) = curl(&[
        "-u",
        &user,
        "-H",
        "Content-Type: application/json",
        "--data-binary",
        "{}",
        &history,
    ])
    .await;
    assert_eq!(status, 401, "{answer}");
    let (status, _) = curl(&[
        "-H",
        &cookie,
        "-H",
        "Content-Type: application/json",
        "--data-binary",
        "{}",
        &history,
    ])
    .await;
    assert_eq!(status, 200, "the same call with the session");
}
