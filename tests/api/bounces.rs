//! Delivery reports read from the sending mailbox (issue 31): the relay sends through
//! the SMTP peer, a non-delivery report naming the message lands in dovecot's INBOX (the
//! mailbox the token opens), and the Outbox, the API and `/metrics` show what became of
//! it. Reports in Exchange Online's shape (translated subject, `In-Reply-To`, the
//! original attached) and in Postfix's (the original's headers only), and one about a
//! message nobody sent here. Nothing in the mailbox changes.

use std::time::SystemTime;

use serde_json::json;
use smtp_setup::api::relay::MessageStatus;
use smtp_setup::api::report::TestOutcome;
use smtp_setup::server::check::Checks;
use smtp_setup::server::config::ServerSettings;

use crate::helpers::{
    get_text, short_timeouts, spawn_imap_faults, spawn_peers_with, Peers, NOTHING_STORED,
};
use crate::relay::{queued_id, rig, Rig};
use crate::relay_api::{curl, messages_url, post_json, user};
use crate::webhooks::Webhook;

/// A report from `tests/fixtures/reports/`, filled in.
fn report(name: &str, original_id: &str, recipient: &str, mailbox: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/reports/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .replace("{{ORIGINAL_ID}}", original_id)
        .replace("{{RECIPIENT}}", recipient)
        .replace("{{MAILBOX}}", mailbox)
}

/// Peers with dovecot (its INBOX holding two ordinary messages), and the relay saved
/// against them, reading that INBOX every second.
async fn dovecot_rig(name: &str, env: &[(&str, &str)]) -> (Peers, Rig) {
    let peers = spawn_peers_with(&[("PEER_IMAP", "1"), ("PEER_IMAP_MESSAGES", "2")]).await;
    let imaps = peers.info.imaps.clone().expect("dovecot");
    let mut all = vec![
        ("SMTP_SETUP_IMAP_ADDR", imaps.as_str()),
        ("SMTP_SETUP_BOUNCE_INTERVAL", "1s"),
    ];
    all.extend_from_slice(env);
    let rig = rig(name, &peers, &all).await;
    rig.save_configuration(&peers).await;
    (peers, rig)
}

#[tokio::test]
async fn reports_in_the_mailbox_mark_messages_bounced_or_delayed() {
    let (peers, rig) = dovecot_rig("bounces", &[]).await;
    let mailbox = rig.mailbox().to_owned();
    // The application hears of it too, at its webhook endpoint.
    let hook = Webhook::add(&rig, &peers, "/ok").await;

    // Over SMTP with the application's own Message-ID, over HTTP with the relay's.
    let sent = rig.send_one(&["--to", "jose@fabrikam-test.com"]).await;
    let smtp_id = queued_id(&sent);
    rig.until_status(&smtp_id, MessageStatus::Sent).await;
    let own_id = sent["message_id"].as_str().expect("a Message-ID");
    let own_id = own_id.trim_matches(['<', '>']);
    let (status, answer) = post_json(
        &rig,
        &json!({"to": ["ana@fabrikam-test.com"], "subject": "Invoice 42", "text": "t"}),
        &[],
    )
    .await;
    assert_eq!(status, 202, "{answer}");
    let api_id = answer["id"].as_str().expect("an id").to_owned();
    let relays_id = rig
        .until_status(&api_id, MessageStatus::Sent)
        .await
        .internet_message_id
        .expect("the Message-ID it went out with");

    peers
        .deliver_to_mailbox(report(
            "exchange-online.eml",
            own_id,
            "jose@fabrikam-test.com",
            &mailbox,
        ))
        .await;
    peers
        .deliver_to_mailbox(report(
            "postfix-delayed.eml",
            &relays_id,
            "ana@fabrikam-test.com",
            &mailbox,
        ))
        .await;
    peers
        .deliver_to_mailbox(report(
            "exchange-online.eml",
            "never-sent-here@elsewhere.test",
            "someone@fabrikam-test.com",
            &mailbox,
        ))
        .await;

    let bounced = rig.until_status(&smtp_id, MessageStatus::Bounced).await;
    let words = bounced.last_error.expect("the report's words").en;
    assert_eq!(
        words,
        "jose@fabrikam-test.com: 550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not \
         found by SMTP address lookup (reported by BN8PR12MB3348.namprd12.prod.outlook.com)"
    );
    let delayed = rig.until_status(&api_id, MessageStatus::Delayed).await;
    assert_eq!(
        delayed.last_error.expect("the report's words").en,
        "ana@fabrikam-test.com: 452 4.2.2 Mailbox full (reported by mx.fabrikam-test.com)"
    );

    // The API says the same, a line per recipient.
    let (status, answer) = curl(&[
        "-u",
        &user(&rig),
        &format!("{}/{smtp_id}", messages_url(&rig)),
    ])
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["status"], "bounced");
    let lines = answer["reports"].as_array().expect("reports");
    assert_eq!(lines.len(), 1, "{answer}");
    assert_eq!(lines[0]["recipient"], "jose@fabrikam-test.com");
    assert_eq!(lines[0]["action"], "failed");
    assert_eq!(lines[0]["status"], "5.1.10");
    assert_eq!(
        lines[0]["reporting_mta"],
        "BN8PR12MB3348.namprd12.prod.outlook.com"
    );
    let (_, answer) = curl(&[
        "-u",
        &user(&rig),
        &format!("{}/{api_id}", messages_url(&rig)),
    ])
    .await;
    assert_eq!(answer["status"], "delayed");
    assert_eq!(answer["reports"][0]["action"], "delayed");

    // Told to the webhook, verified by the reference library, with the recipient concerned.
    let bounce = hook.until_event(&rig, &peers, "message.bounced").await;
    assert_eq!(bounce["data"]["id"], smtp_id.as_str());
    assert_eq!(
        bounce["data"]["recipients"],
        json!(["jose@fabrikam-test.com"])
    );
    assert!(
        bounce["data"]["words"]
            .as_str()
            .is_some_and(|w| w.contains("RESOLVER.ADR.RecipientNotFound")),
        "{bounce}"
    );
    let delay = hook.until_event(&rig, &peers, "message.delayed").await;
    assert_eq!(delay["data"]["id"], api_id.as_str());

    // The report about a message nobody sent here is counted, not lost.
    let metrics = format!("{}/metrics", rig.app.base);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let unmatched = rig.app.store.unmatched_reports().await.expect("the count");
        if unmatched >= 1 {
            assert_eq!(unmatched, 1, "counted once");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the unmatched report was never counted"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let text = get_text(&metrics).await;
    assert!(
        text.lines()
            .any(|l| l.starts_with("smtp_setup_delivery_reports_total{matched=\"true\"}")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("smtp_setup_delivery_reports_total{matched=\"false\"}")),
        "{text}"
    );

    // Read, not changed: every message is still there and none is marked read.
    let files = peers.mailbox_files().await;
    assert_eq!(files.len(), 5, "{files:?}");
    assert!(files.iter().all(|f| f.folder == "INBOX"), "{files:?}");
    assert!(
        files
            .iter()
            .all(|f| !f.flags.contains('S') || f.name.contains(".peer:2,S")),
        "{files:?}"
    );
    let delivered: Vec<_> = files.iter().filter(|f| f.name.contains(".P")).collect();
    assert_eq!(delivered.len(), 3, "{files:?}");
    assert!(
        delivered.iter().all(|f| !f.flags.contains('S')),
        "{files:?}"
    );
}

/// Only reading commands reach the server, as its own record shows: `EXAMINE`, `UID
/// SEARCH`, `UID FETCH` of `BODY.PEEK` items; never `SELECT`, `STORE`, `COPY`, `MOVE` or
/// `EXPUNGE`. The fault peer's INBOX holds a message and a report about a message this
/// relay never sent.
#[tokio::test]
async fn the_watcher_only_reads_the_mailbox() {
    let peers = spawn_peers_with(&[]).await;
    let faults = spawn_imap_faults("ok", &peers, "").await;
    let settings = ServerSettings {
        imap_override: smtp_setup::server::config::parse_endpoint(&faults.info.imaps),
        timeouts: short_timeouts(),
        ..peers.settings()
    };
    let checks = Checks::new(&settings).expect("checks");
    let (report, visit) = checks
        .read_reports(&peers.form(), &NOTHING_STORED, None, SystemTime::now())
        .await;
    assert!(
        matches!(
            report.outcome,
            TestOutcome::MailboxOpened { messages: 2, .. }
        ),
        "{:?}",
        report.outcome
    );
    let visit = visit.expect("what was read");
    assert_eq!(visit.position.uid_validity, 14);
    assert_eq!(visit.position.last_uid, 2);
    assert!(!visit.more);
    assert_eq!(visit.reports.len(), 1);
    assert_eq!(
        visit.reports[0].original_ids,
        ["nobody-sent-this@elsewhere.test"]
    );
    let received = faults.imap_commands().await;
    // A first visit looks a week back for where to start.
    assert!(received[3].starts_with("UID SEARCH SINCE "), "{received:?}");
    let mut others = received.clone();
    others.remove(3);
    assert_eq!(
        others,
        [
            "CAPABILITY",
            "AUTHENTICATE XOAUTH2 [token]",
            "EXAMINE INBOX",
            "UID FETCH 1:2 (UID BODY.PEEK[HEADER.FIELDS (CONTENT-TYPE X-MS-EXCHANGE-MESSAGE-IS-NDR)])",
            "UID FETCH 2 (UID BODY.PEEK[]<0.262144>)",
            "LOGOUT",
        ]
    );
    for forbidden in ["SELECT", "STORE", "COPY", "MOVE", "EXPUNGE"] {
        assert!(
            !received
                .iter()
                .any(|c| c.split_whitespace().any(|w| w == forbidden)),
            "{forbidden} in {received:?}"
        );
    }

    // From where it stopped: nothing new, nothing read again.
    let (_, again) = checks
        .read_reports(
            &peers.form(),
            &NOTHING_STORED,
            Some(visit.position),
            SystemTime::now(),
        )
        .await;
    let again = again.expect("a visit");
    assert!(again.reports.is_empty());
    assert_eq!(again.position, visit.position);
}

/// With a folder set, the reports are moved there once recorded; the rest of INBOX stays.
#[tokio::test]
async fn with_a_folder_set_recorded_reports_are_moved_out_of_the_inbox() {
    let (peers, rig) = dovecot_rig(
        "bounces-moved",
        &[("SMTP_SETUP_BOUNCE_FOLDER", "Processed reports")],
    )
    .await;
    let mailbox = rig.mailbox().to_owned();
    let sent = rig.send_one(&["--to", "jose@fabrikam-test.com"]).await;
    let id = queued_id(&sent);
    rig.until_status(&id, MessageStatus::Sent).await;
    let own_id = sent["message_id"]
        .as_str()
        .expect("a Message-ID")
        .trim_matches(['<', '>']);
    peers
        .deliver_to_mailbox(report(
            "exchange-online.eml",
            own_id,
            "jose@fabrikam-test.com",
            &mailbox,
        ))
        .await;
    rig.until_status(&id, MessageStatus::Bounced).await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let files = peers.mailbox_files().await;
        let moved: Vec<_> = files
            .iter()
            .filter(|f| f.folder == "Processed reports")
            .collect();
        if !moved.is_empty() {
            assert_eq!(moved.len(), 1, "{files:?}");
            let inbox: Vec<_> = files.iter().filter(|f| f.folder == "INBOX").collect();
            assert_eq!(inbox.len(), 2, "the ordinary messages stay: {files:?}");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never moved: {files:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
