//! Each application kept to its own (issue 31): a relay credential limited to some of
//! the allowed senders, to some client addresses, to a number of messages an hour. Set
//! with the command line as an administrator would, then refused over SMTP (Python's
//! smtplib) and HTTP (curl, reqwest) with the codes and words the issue names.

use std::path::Path;

use serde_json::json;
use smtp_setup::domain::SenderList;
use tokio::process::Command;

use crate::helpers::{database_url, spawn_peers};
use crate::relay::{queued_id, remember_secret, rig};
use crate::relay_api::{curl, messages_url};

/// `smtp-setup credentials ARGS` on the store in `dir`: exit code, stdout, stderr.
async fn credentials(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_smtp-setup"))
        .arg("credentials")
        .args(args)
        .env("DATABASE_URL", database_url(dir))
        .env("RUST_LOG", "warn")
        .output()
        .await
        .expect("run the binary");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A credential added by the command line with `flags`: its password.
async fn added(dir: &Path, name: &str, flags: &[&str], says: &str) -> String {
    let mut args = vec!["add", name];
    args.extend_from_slice(flags);
    let (code, out, err) = credentials(dir, &args).await;
    assert_eq!(code, Some(0), "{out}{err}");
    let first = out.lines().next().unwrap_or_default();
    assert!(first.contains(says), "{first:?} should say {says:?}");
    let password = out.lines().last().expect("the password").to_owned();
    remember_secret(&password);
    password
}

#[tokio::test]
async fn each_credential_is_kept_to_its_own_senders_addresses_and_hourly_quota() {
    let peers = spawn_peers().await;
    let rig = rig("credential-scope", &peers, &[]).await;
    rig.save_configuration(&peers).await;
    let mailbox = rig.mailbox().to_owned();
    rig.app
        .store
        .set_allowed_senders(&SenderList::parse("billing@contoso-test.com").expect("a list"))
        .await
        .expect("saved");

    // The command line: each limit from its flags, and refused in words when wrong.
    let invoices = added(
        &rig.dir,
        "invoices",
        &["--sender", &mailbox, "--per-hour", "2"],
        &format!("senders {mailbox}; from any address; 2 an hour"),
    )
    .await;
    let office = added(
        &rig.dir,
        "office",
        &[
            "--from-address",
            "192.0.2.0/24",
            "--from-address",
            "2001:db8::/32",
        ],
        "every allowed sender; from 192.0.2.0/24, 2001:db8::/32; no hourly quota",
    )
    .await;
    for (flags, says) in [
        (
            ["--per-hour", "0"],
            "\"0\" is not a number of messages from 1 to 1000000.",
        ),
        (
            ["--from-address", "printer"],
            "\"printer\" is not an address or a CIDR range",
        ),
        (["--sender", "not-an-address"], "not-an-address"),
    ] {
        let mut args = vec!["add", "wrong"];
        args.extend_from_slice(&flags);
        let (code, out, err) = credentials(&rig.dir, &args).await;
        assert_eq!(code, Some(1), "{out}{err}");
        assert!(err.contains(says), "{err:?} should say {says:?}");
    }
    let (_, listed, _) = credentials(&rig.dir, &["list"]).await;
    assert!(
        listed
            .lines()
            .any(|l| l.starts_with("invoices\t") && l.ends_with("2 an hour")),
        "{listed}"
    );
    assert!(!listed.contains("wrong"), "{listed}");

    let smtp = |password: &str, name: &str, from: &str| {
        let (password, name, from) = (password.to_owned(), name.to_owned(), from.to_owned());
        let rig = &rig;
        async move {
            let args = [
                "--user",
                &name,
                "--mail-from",
                &from,
                "--to",
                "customer@fabrikam-test.com",
            ];
            let mut results = rig.client(&args, Some(&password)).await;
            assert_eq!(results.len(), 1, "{results:?}");
            results.remove(0)
        }
    };

    // Senders: billing@ is allowed on the relay, but not to this credential.
    let refused = smtp(&invoices, "invoices", "billing@contoso-test.com").await;
    assert_eq!(refused["code"], 550, "{refused}");
    let words = refused["reply"].as_str().unwrap_or_default();
    assert!(
        words.starts_with(&format!(
            "5.7.1 credential invoices may send only as {mailbox}, not as billing@contoso-test.com"
        )),
        "{refused}"
    );
    let raw = "From: Billing <billing@contoso-test.com>\r\nTo: customer@fabrikam-test.com\r\nSubject: s\r\n\r\nx\r\n";
    let user = format!("invoices:{invoices}");
    let (status, answer) = curl(&[
        "-u",
        &user,
        "-H",
        "Content-Type: message/rfc822",
        "--data-binary",
        raw,
        &messages_url(&rig),
    ])
    .await;
    assert_eq!(status, 403, "{answer}");
    assert_eq!(answer["field"], "from", "{answer}");

    // The quota: two messages in the hour, then 451 4.7.1 over SMTP and 429 over HTTP.
    for _ in 0..2 {
        queued_id(&smtp(&invoices, "invoices", &mailbox).await);
    }
    let third = smtp(&invoices, "invoices", &mailbox).await;
    assert_eq!(third["code"], 451, "{third}");
    assert!(
        third["reply"].as_str().is_some_and(|r| r.starts_with(
            "4.7.1 credential invoices has handed over its 2 messages of the last hour"
        )),
        "{third}"
    );
    let answer = reqwest::Client::new()
        .post(messages_url(&rig))
        .basic_auth("invoices", Some(&invoices))
        .json(&json!({"to": ["customer@fabrikam-test.com"], "subject": "s", "text": "t"}))
        .send()
        .await
        .expect("an answer");
    assert_eq!(answer.status(), 429);
    assert_eq!(
        answer
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("60")
    );

    // Client addresses: the right password from 127.0.0.1, outside the list.
    let outside = smtp(&office, "office", &mailbox).await;
    assert_eq!(outside["code"], 535, "{outside}");
    assert!(
        outside["reply"].as_str().is_some_and(
            |r| r.starts_with("5.7.1 Credential office may not be used from 127.0.0.1")
        ),
        "{outside}"
    );
    let user = format!("office:{office}");
    let (status, answer) = curl(&[
        "-u",
        &user,
        "-H",
        "Content-Type: application/json",
        "--data-binary",
        r#"{"to":["customer@fabrikam-test.com"],"subject":"s","text":"t"}"#,
        &messages_url(&rig),
    ])
    .await;
    assert_eq!(status, 403, "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .is_some_and(|e| e.contains("127.0.0.1")),
        "{answer}"
    );
    // Opened again by the command line, it signs in at once.
    let (code, out, err) = credentials(&rig.dir, &["limit", "office", "--any-address"]).await;
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(
        out.contains("office: every allowed sender; from any address; no hourly quota"),
        "{out}"
    );
    queued_id(&smtp(&office, "office", &mailbox).await);
}
