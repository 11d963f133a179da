//! The relay in the real binary: a credential added from the command line works at once
//! in the running server, and nothing accepted is lost to SIGKILL, whether it was still
//! queued or on its way to Exchange (at-least-once).

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use tokio::process::Command;

use crate::app_process::{spawn_binary, Binary};
use crate::helpers::{database_url, fresh_dir, open_store, spawn_faults, spawn_peers, Peers};
use crate::relay::{python_client, queued_id, remember_secret};
use smtp_setup::server::store::SecretChange;

/// `smtp-setup credentials ARGS` on the store in `dir`: its exit status and stdout.
async fn cli(dir: &Path, args: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_smtp-setup"))
        .arg("credentials")
        .args(args)
        .env("DATABASE_URL", database_url(dir))
        .env("RUST_LOG", "warn")
        .output()
        .await
        .expect("run the binary");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

/// A credential "erp" added from the command line; its password.
async fn add_erp(dir: &Path) -> String {
    let (ok, out) = cli(dir, &["add", "erp"]).await;
    assert!(ok, "{out}");
    let password = out.lines().last().expect("the password line").to_owned();
    remember_secret(&password);
    password
}

/// The configuration for the peers, saved straight into the store in `dir`.
async fn save_configuration(dir: &Path, peers: &Peers) {
    let store = open_store(dir, "open the store to save").await;
    let secret = peers.info.client_secret.clone();
    store
        .save(
            &peers.form(),
            SecretChange::Replace(&secret),
            SecretChange::Keep,
            SecretChange::Keep,
            0,
        )
        .await
        .expect("save");
    store.close().await;
}

fn peer_env(peers: &Peers) -> Vec<(&str, &str)> {
    vec![
        ("SMTP_SETUP_AUTHORITY_URL", peers.info.authority.as_str()),
        ("SMTP_SETUP_SMTP_ADDR", peers.info.smtp.as_str()),
        ("SMTP_SETUP_CA_FILE", peers.info.ca_file.as_str()),
        ("RUST_LOG", "warn,smtp_setup=info"),
    ]
}

async fn send(app: &Binary, dir: &Path, peers: &Peers, password: &str, count: &str) -> Vec<String> {
    let results = python_client(
        app.relay.expect("the relay listens"),
        &dir.join("app.relay-cert.pem"),
        &[
            "--user",
            "erp",
            "--mail-from",
            &peers.info.mailbox,
            "--to",
            "a@fabrikam-test.com",
            "--count",
            count,
        ],
        Some(password),
    )
    .await;
    results.iter().map(queued_id).collect()
}

/// Waits until the peer holds every subject in `subjects` (it keeps what it accepted).
async fn until_delivered(peers: &Peers, subjects: &BTreeSet<String>) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let delivered: Vec<String> = peers
            .messages()
            .await
            .into_iter()
            .map(|m| m.subject)
            .collect();
        let seen: BTreeSet<String> = delivered.iter().cloned().collect();
        if subjects.is_subset(&seen) {
            return delivered;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "delivered so far: {delivered:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_command_line_manages_credentials_on_the_running_servers_store() {
    let dir = fresh_dir("relay-cli");
    let peers = spawn_peers().await;
    save_configuration(&dir, &peers).await;
    let app = spawn_binary(&dir, &peer_env(&peers)).await;
    let password = add_erp(&dir).await;
    assert_eq!(password.len(), 32);
    let (ok, _) = cli(&dir, &["add", "erp"]).await;
    assert!(!ok, "a name is taken once");
    let (ok, _) = cli(&dir, &["add", "no spaces"]).await;
    assert!(!ok);

    // It works at once, in the server that was already running.
    let ids = send(&app, &dir, &peers, &password, "1").await;
    assert_eq!(ids.len(), 1);
    let (ok, listed) = cli(&dir, &["list"]).await;
    assert!(
        ok && listed.starts_with("erp\t") && listed.contains("last used"),
        "{listed}"
    );
    assert!(!listed.contains(&password));

    let (ok, _) = cli(&dir, &["remove", "erp"]).await;
    assert!(ok);
    let (ok, _) = cli(&dir, &["remove", "erp"]).await;
    assert!(!ok, "nothing left to remove");
    let refused = python_client(
        app.relay.expect("relay"),
        &dir.join("app.relay-cert.pem"),
        &[
            "--user",
            "erp",
            "--mail-from",
            &peers.info.mailbox,
            "--to",
            "a@fabrikam-test.com",
        ],
        Some(&password),
    )
    .await;
    assert_eq!(refused[0]["code"], 535, "{refused:?}");
}

#[tokio::test]
async fn sigkill_after_queued_loses_nothing() {
    let dir = fresh_dir("relay-kill-queued");
    let peers = spawn_peers().await;
    save_configuration(&dir, &peers).await;
    let password = add_erp(&dir).await;
    // One message a minute: the batch is still queued when the process dies.
    let mut env = peer_env(&peers);
    env.push(("SMTP_SETUP_RELAY_SENDS_PER_MINUTE", "1"));
    let mut app = spawn_binary(&dir, &env).await;
    let ids = send(&app, &dir, &peers, &password, "5").await;
    assert_eq!(ids.len(), 5);
    // The first went at once; the other four wait their turn when the process dies.
    app.wait_for("message delivered").await;
    app.sigkill();

    let mut env = peer_env(&peers);
    env.push(("SMTP_SETUP_RELAY_SENDS_PER_MINUTE", "0"));
    let _restarted = spawn_binary(&dir, &env).await;
    let subjects: BTreeSet<String> = (0..5).map(|n| format!("relay-test 0-{n}")).collect();
    let delivered = until_delivered(&peers, &subjects).await;
    // Each once: none was in flight when the process died.
    assert_eq!(delivered.len(), 5, "{delivered:?}");
}

#[tokio::test]
async fn sigkill_during_delivery_sends_again_after_restart() {
    let dir = fresh_dir("relay-kill-sending");
    let peers = spawn_peers().await;
    // An SMTP server that takes the message and never answers the final dot.
    let mut faults = spawn_faults("slow-data", &peers).await;
    save_configuration(&dir, &peers).await;
    let password = add_erp(&dir).await;
    let mut env = peer_env(&peers);
    env.retain(|(k, _)| *k != "SMTP_SETUP_SMTP_ADDR");
    env.push(("SMTP_SETUP_SMTP_ADDR", faults.info.smtp.as_str()));
    let mut app = spawn_binary(&dir, &env).await;
    let ids = send(&app, &dir, &peers, &password, "1").await;
    assert_eq!(faults.next_event().await, r#"{"event":"message received"}"#);
    app.sigkill();

    let _restarted = spawn_binary(&dir, &peer_env(&peers)).await;
    let subjects: BTreeSet<String> = ["relay-test 0-0".to_owned()].into();
    until_delivered(&peers, &subjects).await;
    let store = open_store(&dir, "read the outbox").await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let entry = store
            .outbox_entry(&ids[0], "erp")
            .await
            .expect("read")
            .expect("entry");
        if entry.status == smtp_setup::api::relay::MessageStatus::Sent {
            assert_eq!(entry.attempts, 2, "the interrupted attempt counts");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{entry:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
