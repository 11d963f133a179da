//! The delivery worker on its own: one kept connection for consecutive messages (at most
//! 100, then a new one; QUIT once the outbox is empty), in order; a retry when its time
//! comes, without anyone pressing Retry now; a wrong secret fixed on the page letting the
//! waiting messages go; a message failing for a day given up; a kept connection that
//! dies under a message whose 250 was lost sending it again.

use smtp_setup::api::relay::MessageStatus;

use crate::helpers::{spawn_faults, spawn_peers, spawn_peers_with};
use crate::relay::{now_millis, queued_id, rig, rig_with_queue, Queued};

#[tokio::test]
async fn a_kept_connection_carries_a_hundred_messages_at_most_in_order_then_quits() {
    let peers = spawn_peers().await;
    // 250 due at once when the worker starts: nothing makes it wait between them.
    let queued = Queued::batch("kept", 250);
    let rig = rig_with_queue("relay-kept", &peers, &[], &queued).await;
    let delivered = rig.delivered(&peers, 250).await;
    let subjects: Vec<&str> = delivered.iter().map(|m| m.subject.as_str()).collect();
    let expected: Vec<&str> = queued.iter().map(|q| q.subject.as_str()).collect();
    assert_eq!(subjects, expected, "each once, oldest first");
    // 100 + 100 + 50, each connection signed in once; all closed now that the outbox
    // is empty.
    let mut per_connection = std::collections::BTreeMap::<u32, usize>::new();
    for message in &delivered {
        *per_connection.entry(message.connection).or_default() += 1;
    }
    let per_connection: Vec<usize> = per_connection.into_values().collect();
    assert_eq!(per_connection, [100, 100, 50]);
    assert_eq!(peers.stats().await.auth_attempts, 3);
    let connections = peers.connections().await;
    assert_eq!(
        (connections.connections, connections.open_connections),
        (3, 0)
    );
    // The page lists the last 50, newest first.
    let overview: serde_json::Value = rig
        .app
        .post_as_admin("relay_overview", &serde_json::json!({}))
        .await
        .json()
        .await
        .expect("json");
    let listed: Vec<&str> = overview["outbox"]
        .as_array()
        .expect("the outbox")
        .iter()
        .map(|row| row["subject"].as_str().expect("a subject"))
        .collect();
    let newest: Vec<&str> = expected.iter().rev().take(50).copied().collect();
    assert_eq!(listed, newest);
}

#[tokio::test]
async fn the_worker_retries_by_itself_when_the_time_comes() {
    let busy = spawn_peers_with(&[
        (
            "PEER_SMTP_DATA_REPLY",
            "451|4.7.500 Server busy. Please try again later.",
        ),
        ("PEER_SMTP_DATA_REPLY_TIMES", "1"),
    ])
    .await;
    let rig = rig(
        "relay-retry-by-itself",
        &busy,
        &[("SMTP_SETUP_RELAY_FIRST_RETRY_SECONDS", "1")],
    )
    .await;
    rig.save_configuration(&busy).await;
    let id = queued_id(&rig.send_one(&[]).await);
    let waiting = rig.until_status(&id, MessageStatus::Retrying).await;
    let due = waiting.next_attempt_at.expect("a next attempt");
    assert!(
        due - waiting.accepted_at <= 1_200 + 1_000,
        "a second later, give or take: {} ms",
        due - waiting.accepted_at
    );
    // Nobody presses anything.
    let sent = rig.until_status(&id, MessageStatus::Sent).await;
    assert_eq!(sent.attempts, 2);
    assert_eq!(rig.settled(&busy).await.len(), 1);
}

#[tokio::test]
async fn a_wrong_secret_fixed_on_the_page_lets_the_waiting_messages_go() {
    let peers = spawn_peers().await;
    let rig = rig(
        "relay-secret-fixed",
        &peers,
        &[("SMTP_SETUP_RELAY_FIRST_RETRY_SECONDS", "1")],
    )
    .await;
    crate::helpers::save_form(&rig.app.store, &peers.form(), "Wrong8Q~not-the-secret").await;
    let id = queued_id(&rig.send_one(&[]).await);
    let waiting = rig.until_status(&id, MessageStatus::Retrying).await;
    let error = waiting.last_error.expect("Entra's words").en;
    assert!(error.contains("AADSTS7000215"), "{error}");
    // The administrator types the right secret and saves.
    let mut form = serde_json::to_value(peers.form()).expect("the form");
    form["client_secret"] = peers.info.client_secret.clone().into();
    let saved: serde_json::Value = rig
        .app
        .post_as_admin(
            "save_configuration",
            &serde_json::json!({"form": form, "base_version": 1}),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(saved["Saved"]["version"], 2, "{saved}");
    // At its next retry the message goes, with the new secret.
    rig.until_status(&id, MessageStatus::Sent).await;
    assert_eq!(rig.settled(&peers).await.len(), 1);
}

#[tokio::test]
async fn a_message_refused_for_a_day_is_given_up_and_a_newer_one_waits() {
    let busy = spawn_peers_with(&[(
        "PEER_SMTP_DATA_REPLY",
        "451|4.7.500 Server busy. Please try again later.",
    )])
    .await;
    let day = 24 * 60 * 60 * 1000;
    let queued = [
        Queued {
            subject: "accepted 25 hours ago".into(),
            accepted_at: now_millis() - day - 60 * 60 * 1000,
        },
        Queued {
            subject: "accepted just now".into(),
            accepted_at: now_millis(),
        },
    ];
    let rig = rig_with_queue("relay-give-up", &busy, &[], &queued).await;
    let old = rig.until_status("q0", MessageStatus::Failed).await;
    assert_eq!(old.attempts, 1);
    assert_eq!(old.next_attempt_at, None);
    let error = old.last_error.expect("the server's words").en;
    assert!(error.contains("4.7.500 Server busy"), "{error}");
    let new = rig.until_status("q1", MessageStatus::Retrying).await;
    assert_eq!(new.attempts, 1);
}

#[tokio::test]
async fn a_kept_connection_that_dies_before_a_messages_250_sends_it_again() {
    let peers = spawn_peers().await;
    // The fault server takes the second message of its first connection whole, then
    // drops the connection before its 250; after that it behaves.
    let faults = spawn_faults("lose-second-reply", &peers).await;
    let queued = Queued::batch("lost-reply", 2);
    let rig = rig_with_queue(
        "relay-lost-reply",
        &peers,
        &[("SMTP_SETUP_SMTP_ADDR", faults.info.smtp.as_str())],
        &queued,
    )
    .await;
    for id in ["q0", "q1"] {
        let entry = rig.until_status(id, MessageStatus::Sent).await;
        assert_eq!(entry.attempts, 1, "{id}: one attempt, two connections");
    }
    let heard = faults.smtp_commands().await;
    let count = |what: &str| heard.iter().filter(|c| c.command == what).count();
    assert_eq!(count("[message]"), 3, "the second message twice: {heard:?}");
    assert_eq!(count("AUTH XOAUTH2"), 2, "{heard:?}");
}
