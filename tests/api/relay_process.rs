//! The relay in the real binary: a credential added from the command line works at once
//! in the running server, and nothing accepted is lost to SIGKILL, whether it was still
//! queued or on its way to Exchange (at-least-once).

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use tokio::process::Command;

use crate::app_process::{spawn_binary, Binary};
use crate::helpers::{database_url, fresh_dir, open_store, spawn_faults, spawn_peers, Peers};
use crate::relay::{python_client, queued_id, remember_secret, settled_messages};

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
    peers.save_form_in(&store).await;
    store.close().await;
}

fn peer_env(peers: &Peers) -> Vec<(&str, &str)> {
    let mut env = peers.env();
    env.push(("RUST_LOG", "warn,smtp_setup=info"));
    env
}

/// What the peer holds once the relay of the store in `dir` is idle.
async fn settled(dir: &Path, peers: &Peers) -> Vec<String> {
    let store = open_store(dir, "read the outbox").await;
    let delivered = settled_messages(&store, peers).await;
    store.close().await;
    delivered.into_iter().map(|m| m.subject).collect()
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

/// Waits until the peer holds every subject in `subjects` (it keeps what it accepted),
/// within `within`.
async fn until_delivered(
    peers: &Peers,
    subjects: &BTreeSet<String>,
    within: Duration,
) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + within;
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
    // /metrics counts them (the queue is the store's; no date is known for the
    // credential: NaN).
    let metrics = crate::helpers::get_text(&format!("{}/metrics", app.base)).await;
    for line in [
        "smtp_setup_relay_queue_depth 4",
        "smtp_setup_credential_expiry_timestamp_seconds NaN",
        "smtp_setup_relay_deliveries_total{outcome=\"sent\"} 1",
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "no {line:?} in\n{metrics}"
        );
    }
    let age = metrics
        .lines()
        .find_map(|l| l.strip_prefix("smtp_setup_relay_oldest_message_age_seconds "))
        .and_then(|v| v.parse::<f64>().ok())
        .expect("the oldest message's age");
    assert!((0.0..60.0).contains(&age), "{age}");
    app.sigkill();

    let mut env = peer_env(&peers);
    env.push(("SMTP_SETUP_RELAY_SENDS_PER_MINUTE", "0"));
    let _restarted = spawn_binary(&dir, &env).await;
    let subjects: BTreeSet<String> = (0..5).map(|n| format!("relay-test 0-{n}")).collect();
    until_delivered(&peers, &subjects, Duration::from_secs(60)).await;
    // Each once: none was in flight when the process died.
    let delivered = settled(&dir, &peers).await;
    assert_eq!(delivered.len(), 5, "{delivered:?}");
}

#[tokio::test]
async fn sigkill_after_the_apis_202_loses_nothing() {
    let dir = fresh_dir("relay-kill-202");
    let peers = spawn_peers().await;
    save_configuration(&dir, &peers).await;
    let password = add_erp(&dir).await;
    // Microsoft unreachable: the message can only wait in the store (retried a second
    // later, then two…).
    let mut env = peer_env(&peers);
    env.retain(|(k, _)| *k != "SMTP_SETUP_SMTP_ADDR");
    env.push(("SMTP_SETUP_SMTP_ADDR", "127.0.0.1:9"));
    env.push(("SMTP_SETUP_RELAY_FIRST_RETRY_SECONDS", "1"));
    let mut app = spawn_binary(&dir, &env).await;
    let answer = reqwest::Client::new()
        .post(format!("{}/api/v1/messages", app.base))
        .basic_auth("erp", Some(&password))
        .json(&serde_json::json!({"to": ["a@fabrikam-test.com"], "subject": "after 202", "text": "kept"}))
        .send()
        .await
        .expect("POST");
    assert_eq!(answer.status(), 202);
    app.sigkill();

    // Back with Microsoft reachable: it goes, once.
    let mut env = peer_env(&peers);
    env.push(("SMTP_SETUP_RELAY_FIRST_RETRY_SECONDS", "1"));
    let _restarted = spawn_binary(&dir, &env).await;
    let subjects: BTreeSet<String> = ["after 202".to_owned()].into();
    until_delivered(&peers, &subjects, Duration::from_secs(30)).await;
    assert_eq!(settled(&dir, &peers).await, ["after 202"]);
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

    // At once: the interrupted message is due again at start-up, without waiting for
    // its lease (a minute).
    let _restarted = spawn_binary(&dir, &peer_env(&peers)).await;
    let subjects: BTreeSet<String> = ["relay-test 0-0".to_owned()].into();
    until_delivered(&peers, &subjects, Duration::from_secs(30)).await;
    assert_eq!(settled(&dir, &peers).await, ["relay-test 0-0"]);
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

/// The most memory (resident set, KiB) process `pid` has held since it started.
fn peak_resident_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("its status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

/// A whole message (`message/rfc822`) of about `size` bytes whose header section the
/// relay keeps as it is (Date and Message-ID given, no Bcc): what the peer receives is
/// these bytes, which it digests. Written to `path`; its SHA-256 in hex.
fn whole_message(path: &Path, mailbox: &str, n: usize, size: usize) -> String {
    use sha2::Digest as _;
    let mut message = format!(
        "From: {mailbox}\r\nTo: api@fabrikam-test.com\r\nSubject: large api {n}\r\n\
         Date: Thu, 03 Dec 2026 10:00:00 +0000\r\nMessage-ID: <large-api-{n}@relay.test>\r\n\r\n"
    );
    let line = format!("{}\r\n", "0123456789".repeat(7));
    while message.len() < size {
        message.push_str(&line);
    }
    std::fs::write(path, &message).expect("write the message");
    sha2::Sha256::digest(message.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `curl` posts the file at `path` to the relay's API as `message/rfc822`: its status.
async fn post_file(app: &Binary, password: &str, path: &Path) -> String {
    let output = Command::new("curl")
        .args([
            "-s",
            "-S",
            "--max-time",
            "300",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
        ])
        .args(["-u", &format!("erp:{password}")])
        .args(["-H", "Content-Type: message/rfc822", "--data-binary"])
        .arg(format!("@{}", path.display()))
        .arg(format!("{}/api/v1/messages", app.base))
        .output()
        .await
        .expect("run curl");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Ten clients each send a 16 MB message at once over SMTP, and three more post one each
/// to the HTTP API (208 MB in all; the bench does the issue's 30 MB, the peer here parses
/// and keeps what it receives), from an allowed address (a sign-in's Argon2 check
/// takes 19 MiB of its own while it runs): the server's peak memory grows by less than
/// 64 MiB (per message a piece of 1 MiB arriving and one being written, and SQLite's page
/// caches: about 40 measured), far less than the 208 MB, since a message is stored and
/// delivered in pieces, never held whole; and each arrives whole at the peer, the API's
/// byte for byte (their digests).
/// Before pieces every message was held whole while it was received and stored (the
/// issue measured 21 MB growing to 400 MB for ten 30 MB messages).
#[tokio::test]
async fn large_messages_pass_in_pieces_without_growing_the_servers_memory() {
    const CLIENTS: usize = 10;
    const API_CLIENTS: usize = 3;
    const SIZE: usize = 16 * 1024 * 1024;
    let dir = fresh_dir("relay-large");
    let peers = spawn_peers().await;
    save_configuration(&dir, &peers).await;
    let password = add_erp(&dir).await;
    let mut env = peer_env(&peers);
    env.push(("SMTP_SETUP_RELAY_ALLOW_IPS", "127.0.0.1"));
    let app = spawn_binary(&dir, &env).await;
    // A message through first: what a running server holds anyway (pools, TLS, caches).
    assert_eq!(send(&app, &dir, &peers, &password, "1").await.len(), 1);
    let files: Vec<_> = (0..API_CLIENTS)
        .map(|n| dir.join(format!("large-api-{n}.eml")))
        .collect();
    let digests: Vec<String> = files
        .iter()
        .enumerate()
        .map(|(n, path)| whole_message(path, &peers.info.mailbox, n, SIZE))
        .collect();
    let before = peak_resident_kib(app.pid());
    let cert = dir.join("app.relay-cert.pem");
    let (clients, size) = (CLIENTS.to_string(), SIZE.to_string());
    let args = [
        "--mail-from",
        &peers.info.mailbox,
        "--to",
        "a@fabrikam-test.com",
        "--clients",
        &clients,
        "--size",
        &size,
        "--tag",
        "large",
    ];
    let smtp = python_client(app.relay.expect("the relay listens"), &cert, &args, None);
    let api = async {
        let (a, b, c) = tokio::join!(
            post_file(&app, &password, &files[0]),
            post_file(&app, &password, &files[1]),
            post_file(&app, &password, &files[2]),
        );
        [a, b, c]
    };
    let (results, statuses) = tokio::join!(smtp, api);
    assert_eq!(results.len(), CLIENTS, "{results:?}");
    assert!(results.iter().all(|r| r["ok"] == true), "{results:?}");
    assert!(statuses.iter().all(|s| s == "202"), "{statuses:?}");
    let mut subjects: BTreeSet<String> = (0..CLIENTS).map(|c| format!("large {c}-0")).collect();
    subjects.extend((0..API_CLIENTS).map(|n| format!("large api {n}")));
    // Counted first (the peer's full list carries every message's text), then read once.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(300);
    while peers.received().await < (1 + CLIENTS + API_CLIENTS) as u64 {
        assert!(tokio::time::Instant::now() < deadline, "not all delivered");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    until_delivered(&peers, &subjects, Duration::from_secs(10)).await;
    let grown_mib = peak_resident_kib(app.pid()).saturating_sub(before) / 1024;
    println!("{CLIENTS} + {API_CLIENTS} messages of 16 MiB at once: the peak memory grew by {grown_mib} MiB");
    assert!(
        grown_mib < 64,
        "the peak memory grew by {grown_mib} MiB for {CLIENTS} + {API_CLIENTS} messages of {} MiB",
        SIZE >> 20
    );
    let line = "0123456789".repeat(7);
    for message in peers.messages().await {
        if let Some(n) = message.subject.strip_prefix("large api ") {
            let n: usize = n.parse().expect("the message's number");
            assert_eq!(
                message.sha256, digests[n],
                "{}: not byte for byte",
                message.subject
            );
            continue;
        }
        if !subjects.contains(&message.subject) {
            continue;
        }
        let body = message.text.replace("\r\n", "\n");
        let rest = body.split_once('\n').expect("the client's first line").1;
        assert!(
            rest.len().abs_diff(SIZE) <= 1,
            "{}: {} bytes",
            message.subject,
            rest.len()
        );
        assert!(
            rest.split('\n').all(|l| line.starts_with(l)),
            "{}: the body is not what was sent",
            message.subject
        );
    }
}
