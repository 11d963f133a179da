//! The relay, end to end: an application (Python's smtplib) submits over STARTTLS with a
//! relay credential, the message is queued, and the worker delivers it to the SMTP peer
//! with the saved configuration (a real token from the token peer, verified there).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;
use smtp_setup::api::relay::{MessageStatus, OutboxEntry};
use smtp_setup::server::relay::credentials::{self, CredentialName};
use smtp_setup::server::store::{NewMessage, Store};
use tokio::process::Command;

use crate::helpers::{
    fresh_dir, open_store, spawn_app, spawn_peers, spawn_peers_with, Peers, StoredMessage, TestApp,
};

pub const CREDENTIAL: &str = "erp";

/// The application pointed at the peers (unpaced), the peers' mailbox, and a relay
/// credential.
pub struct Rig {
    pub app: TestApp,
    pub dir: PathBuf,
    pub password: String,
    mailbox: String,
}

/// A rig for the peers; `env` adds to (or replaces) the peers' environment.
pub async fn rig(name: &str, peers: &Peers, env: &[(&str, &str)]) -> Rig {
    rig_in(fresh_dir(name), peers, env).await
}

pub async fn rig_in(dir: PathBuf, peers: &Peers, env: &[(&str, &str)]) -> Rig {
    let mut all = peers.env();
    all.push(("SMTP_SETUP_RELAY_SENDS_PER_MINUTE", "0"));
    all.retain(|(key, _)| !env.iter().any(|(k, _)| k == key));
    all.extend_from_slice(env);
    let app = spawn_app(&dir, &all).await;
    let password = add_credential(&app, CREDENTIAL).await;
    Rig {
        app,
        dir,
        password,
        mailbox: peers.info.mailbox.clone(),
    }
}

/// A message for the outbox, in the order the worker should take it.
pub struct Queued {
    pub subject: String,
    /// When the relay accepted it (ms since the epoch).
    pub accepted_at: i64,
}

impl Queued {
    /// `count` messages accepted a millisecond apart, up to now, subjects `{tag} 000`….
    pub fn batch(tag: &str, count: usize) -> Vec<Queued> {
        let now = now_millis();
        (0..count)
            .map(|n| Queued {
                subject: format!("{tag} {n:03}"),
                accepted_at: now - (count - n) as i64,
            })
            .collect()
    }
}

pub fn now_millis() -> i64 {
    smtp_setup::server::time::unix_millis(std::time::SystemTime::now())
}

/// A rig whose outbox already holds `queued` when it starts, with the configuration for
/// the peers saved: the worker finds them all due at once.
pub async fn rig_with_queue(
    name: &str,
    peers: &Peers,
    env: &[(&str, &str)],
    queued: &[Queued],
) -> Rig {
    let dir = fresh_dir(name);
    let store = open_store(&dir, "queue before the start").await;
    peers.save_form_in(&store).await;
    for (n, message) in queued.iter().enumerate() {
        enqueue(&store, &peers.info.mailbox, &format!("q{n}"), message).await;
    }
    store.close().await;
    rig_in(dir, peers, env).await
}

/// A whole message from `mailbox` to a customer, with its own Message-ID and Date.
pub fn whole_message(mailbox: &str, subject: &str) -> Vec<u8> {
    let id = subject.replace(' ', "-");
    format!(
        "From: Contoso Notifications <{mailbox}>\r\nTo: customer@fabrikam-test.com\r\n\
         Subject: {subject}\r\nMessage-ID: <{id}@relay.test>\r\n\
         Date: Wed, 02 Dec 2026 10:00:00 +0000\r\n\r\nHello from the outbox.\r\n"
    )
    .into_bytes()
}

/// Stores `message` as the relay would have accepted it from the credential.
async fn enqueue(store: &Store, mailbox: &str, id: &str, message: &Queued) {
    let bytes = whole_message(mailbox, &message.subject);
    store
        .enqueue(&NewMessage {
            id,
            accepted_at: message.accepted_at,
            submitted_by: CREDENTIAL,
            mail_from: mailbox,
            recipients: &["customer@fabrikam-test.com".to_owned()],
            subject: &message.subject,
            internet_message_id: None,
            head: &bytes,
            last_piece: &[],
            pieces: 0,
            size: bytes.len() as i64,
            idempotency_key: None,
        })
        .await
        .expect("enqueue");
}

/// Once what is expected has arrived: waits until the outbox in `store` holds nothing
/// waiting or being sent and no connection to the SMTP peer is open (every worker is
/// idle and said QUIT, none is still in a DATA of its own), then reads what the peer
/// holds. A message delivered twice, however late, is in it twice.
pub async fn settled_messages(store: &Store, peers: &Peers) -> Vec<StoredMessage> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (waiting, _) = store.queue_stats().await.expect("the outbox");
        let open = peers.connections().await.open_connections;
        if waiting == 0 && open == 0 {
            return peers.messages().await;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not settled: {waiting} waiting, {open} connections open"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

impl Rig {
    pub async fn save_configuration(&self, peers: &Peers) {
        peers.save_form_in(&self.app.store).await;
    }

    pub fn mailbox(&self) -> &str {
        &self.mailbox
    }

    /// What the peer holds once the relay is idle (see [`settled_messages`]).
    pub async fn settled(&self, peers: &Peers) -> Vec<StoredMessage> {
        settled_messages(&self.app.store, peers).await
    }

    /// Waits until the peer holds `count` messages (five minutes at most), then for the
    /// relay to settle: what the peer then holds.
    pub async fn delivered(&self, peers: &Peers, count: usize) -> Vec<StoredMessage> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(300);
        loop {
            let delivered = peers.messages().await.len();
            if delivered >= count {
                return self.settled(peers).await;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{delivered} of {count} delivered"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// `GET /api/v1/messages/{id}` with the rig's credential: the status and the JSON.
    pub async fn api_report(&self, id: &str) -> (u16, Value) {
        let response = self
            .app
            .http
            .get(format!("{}/api/v1/messages/{id}", self.app.base))
            .basic_auth(CREDENTIAL, Some(&self.password))
            .send()
            .await
            .expect("GET the message");
        let status = response.status().as_u16();
        (status, response.json().await.expect("json"))
    }

    /// The page's Outbox button on message `id`: the Outbox as the page then shows it.
    pub async fn outbox_action(&self, id: &str, action: &str) -> Value {
        let response = self
            .app
            .post_as_admin(
                "outbox_action",
                &serde_json::json!({"id": id, "action": action}),
            )
            .await;
        assert_eq!(response.status(), 200);
        response.json().await.expect("json")
    }

    /// Runs the Python client with `args` against this rig's relay.
    pub async fn client(&self, args: &[&str], password: Option<&str>) -> Vec<Value> {
        let relay = self.app.relay_addr.expect("the relay listens");
        python_client(relay, &self.dir.join("app.relay-cert.pem"), args, password).await
    }

    /// Messages authenticated with the rig's credential, from the configured mailbox to
    /// a customer; `extra` arguments add to (or, for single values, replace) those.
    pub async fn send(&self, extra: &[&str]) -> Vec<Value> {
        let mut args = vec![
            "--user",
            CREDENTIAL,
            "--mail-from",
            self.mailbox(),
            "--to",
            "customer@fabrikam-test.com",
        ];
        args.extend_from_slice(extra);
        self.client(&args, Some(&self.password)).await
    }

    /// One message, as [`Rig::send`] sends it.
    pub async fn send_one(&self, extra: &[&str]) -> Value {
        let mut results = self.send(extra).await;
        assert_eq!(results.len(), 1, "{results:?}");
        results.remove(0)
    }

    /// Waits until message `id` reaches `status` (the worker runs on its own).
    pub async fn until_status(&self, id: &str, status: MessageStatus) -> OutboxEntry {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let entry = self
                .app
                .store
                .outbox_entry(id, CREDENTIAL)
                .await
                .expect("read the outbox")
                .expect("the message is in the outbox");
            if entry.status == status {
                return entry;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "message {id} never became {status:?}: {entry:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Runs `tests/clients/relay_client.py` (Python's smtplib) against `relay`, trusting the
/// certificate in `cafile`; its JSON lines, one per message.
pub async fn python_client(
    relay: std::net::SocketAddr,
    cafile: &Path,
    args: &[&str],
    password: Option<&str>,
) -> Vec<Value> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/relay_client.py");
    let output = Command::new("python3")
        .arg(script)
        .args(["--host", &relay.ip().to_string()])
        .args(["--port", &relay.port().to_string(), "--cafile"])
        .arg(cafile)
        .args(args)
        .env("RELAY_PASSWORD", password.unwrap_or_default())
        .output()
        .await
        .expect("run python3");
    assert!(
        output.status.success(),
        "the client failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect()
}

/// Adds a relay credential as the command line would, and remembers its password for
/// `.ci/no-secrets.sh` (which then searches the test output and databases for it).
pub async fn add_credential(app: &TestApp, name: &str) -> String {
    add_credential_to(&app.store, name).await
}

/// The same, on a store of the test's own.
pub async fn add_credential_to(store: &Store, name: &str) -> String {
    add_scoped_credential(store, name, &Default::default()).await
}

/// A credential limited to `scope`.
pub async fn add_scoped_credential(
    store: &Store,
    name: &str,
    scope: &smtp_setup::domain::CredentialScope,
) -> String {
    let name = CredentialName::parse(name).expect("name");
    let password = credentials::add(store, &name, scope)
        .await
        .expect("add")
        .expect("a new name");
    let password = secrecy::ExposeSecret::expose_secret(&password).to_owned();
    remember_secret(&password);
    password
}

pub fn remember_secret(secret: &str) {
    use std::io::Write as _;
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/relay-passwords.txt");
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open the list of relay passwords");
    writeln!(file, "{secret}").expect("write");
}

/// The id in `250 2.0.0 <id> queued`.
pub fn queued_id(result: &Value) -> String {
    assert_eq!(result["ok"], true, "{result}");
    let reply = result["reply"].as_str().expect("reply");
    assert!(reply.starts_with("250 2.0.0 <"), "{reply}");
    reply
        .split(['<', '>'])
        .nth(1)
        .expect("an id in the reply")
        .to_owned()
}

#[tokio::test]
async fn an_application_sends_through_the_relay_and_exchange_gets_it_once() {
    let peers = spawn_peers().await;
    let rig = rig("relay-send", &peers, &[]).await;
    rig.save_configuration(&peers).await;
    // AUTH PLAIN, and only PLAIN (the client falls back to nothing).
    let result = rig.send_one(&["--tag", "invoice"]).await;
    let id = queued_id(&result);
    let entry = rig.until_status(&id, MessageStatus::Sent).await;
    assert_eq!(entry.attempts, 1);
    assert_eq!(entry.subject, "invoice 0-0");
    let delivered = rig.settled(&peers).await;
    assert_eq!(delivered.len(), 1, "{delivered:?}");
    let message = &delivered[0];
    // The peer verified the token: the relay signed in as the mailbox with XOAUTH2, and
    // the envelope's sender is the application's (the peer refuses any the mailbox may
    // not use, as Exchange does).
    assert_eq!(message.auth_user, rig.mailbox());
    assert_eq!(message.mail_from, rig.mailbox());
    assert!(message.secure);
    assert_eq!(message.rcpt_to, ["customer@fabrikam-test.com"]);
    assert_eq!(message.subject, "invoice 0-0");
    // The application's own Message-ID went through unchanged.
    assert_eq!(
        message.message_id,
        result["message_id"].as_str().map(str::to_owned)
    );
    // The credential's use is recorded; its password is nowhere in the database.
    let listed = rig.app.store.credentials().await.expect("list");
    assert!(listed[0].last_used_at.is_some());
    for file in ["app.db", "app.db-wal"] {
        let bytes = match std::fs::read(rig.dir.join(file)) {
            Ok(bytes) => bytes,
            // The log folded in and gone: nothing in it to hold anything.
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
            Err(error) => panic!("{file}: {error}"),
        };
        assert!(
            !bytes
                .windows(rig.password.len())
                .any(|w| w == rig.password.as_bytes()),
            "{file} holds the relay password"
        );
    }
}

#[tokio::test]
async fn auth_login_works_as_well_as_plain() {
    let peers = spawn_peers().await;
    let rig = rig("relay-login", &peers, &[]).await;
    rig.save_configuration(&peers).await;
    let result = rig.send_one(&["--mechanism", "LOGIN"]).await;
    let id = queued_id(&result);
    rig.until_status(&id, MessageStatus::Sent).await;
    assert_eq!(rig.settled(&peers).await.len(), 1);
}

#[tokio::test]
async fn the_relay_refuses_what_it_must_with_the_right_codes() {
    let peers = spawn_peers().await;
    let rig = rig(
        "relay-refusals",
        &peers,
        &[("SMTP_SETUP_RELAY_MAX_BYTES", "20000")],
    )
    .await;
    let to = ["--to", "customer@fabrikam-test.com"];
    let mailbox = rig.mailbox().to_owned();
    let from = ["--mail-from", mailbox.as_str()];

    // Nothing saved yet: the application is told to try later.
    let result = rig.send_one(&[]).await;
    assert_eq!(result["code"], 451, "{result}");
    assert!(
        result["reply"].as_str().unwrap().contains("4.3.0"),
        "{result}"
    );
    rig.save_configuration(&peers).await;

    // No AUTH.
    let results = rig.client(&[&from[..], &to[..]].concat(), None).await;
    assert_eq!(results[0]["code"], 530, "{results:?}");
    assert!(results[0]["reply"].as_str().unwrap().starts_with("5.7.0"));

    // A wrong password, with either mechanism.
    for mechanism in ["PLAIN", "LOGIN"] {
        let args = [
            &["--user", CREDENTIAL, "--mechanism", mechanism][..],
            &from[..],
            &to[..],
        ]
        .concat();
        let results = rig.client(&args, Some("not-the-password")).await;
        assert_eq!(results[0]["code"], 535, "{mechanism}: {results:?}");
        assert!(results[0]["reply"].as_str().unwrap().starts_with("5.7.8"));
    }

    // Another sender, in the envelope or in the header From.
    let result = rig.send_one(&["--mail-from", "ceo@contoso-test.com"]).await;
    assert_eq!(result["code"], 550, "{result}");
    let reply = result["reply"].as_str().unwrap();
    assert!(
        reply.starts_with("5.7.1") && reply.contains(&mailbox),
        "{reply}"
    );
    let result = rig
        .send_one(&["--header-from", "ceo@contoso-test.com"])
        .await;
    assert_eq!(result["code"], 550, "{result}");

    // Too large, declared: smtplib adds SIZE= to MAIL FROM (the relay advertises SIZE),
    // and MAIL FROM is refused. (Undeclared: relay_smtp.rs.)
    let result = rig.send_one(&["--size", "30000"]).await;
    assert_eq!(result["code"], 552, "{result}");
    assert!(result["reply"].as_str().unwrap().starts_with("5.3.4"));

    // After all that, one good message still goes, and only it was queued.
    let id = queued_id(&rig.send_one(&[]).await);
    rig.until_status(&id, MessageStatus::Sent).await;
    assert_eq!(rig.app.store.recent_outbox(10).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_busy_exchange_is_retried_a_minute_later_or_at_retry_now() {
    let busy = spawn_peers_with(&[
        (
            "PEER_SMTP_DATA_REPLY",
            "451|4.7.500 Server busy. Please try again later.",
        ),
        ("PEER_SMTP_DATA_REPLY_TIMES", "1"),
    ])
    .await;
    let rig = rig("relay-busy", &busy, &[]).await;
    rig.save_configuration(&busy).await;
    let id = queued_id(&rig.send_one(&[]).await);
    let entry = rig.until_status(&id, MessageStatus::Retrying).await;
    let seen = now_millis();
    let error = entry.last_error.expect("the server's words").en;
    assert!(error.contains("4.7.500 Server busy"), "{error}");
    // A minute after the attempt, ±20 %: the attempt came after the acceptance and
    // before this look (a second of slack for the look itself).
    let due = entry.next_attempt_at.expect("a next attempt");
    assert!(
        due - seen >= 48_000 - 1_000 && due - entry.accepted_at <= 72_000,
        "next attempt {} ms after acceptance",
        due - entry.accepted_at
    );
    // The application reads the same through the API.
    let (status, report) = rig.api_report(&id).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["status"], "retrying");
    assert_eq!(report["next_attempt_at"], smtp_setup::api::relay::utc(due));
    assert!(
        report["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("4.7.500 Server busy")),
        "{report}"
    );
    // The administrator's "Retry now" on the page: the peer takes it this time.
    let outbox = rig.outbox_action(&id, "RetryNow").await;
    assert!(outbox["outbox"]
        .as_array()
        .is_some_and(|rows| !rows.is_empty()));
    let entry = rig.until_status(&id, MessageStatus::Sent).await;
    assert_eq!(entry.attempts, 2);
    assert_eq!(rig.settled(&busy).await.len(), 1);
}

#[tokio::test]
async fn a_missing_recipient_fails_at_once_in_its_words_and_can_be_deleted() {
    let missing = spawn_peers_with(&[(
        "PEER_SMTP_DATA_REPLY",
        "550|5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
    )])
    .await;
    let rig = rig("relay-missing", &missing, &[]).await;
    rig.save_configuration(&missing).await;
    let id = queued_id(&rig.send_one(&[]).await);
    let entry = rig.until_status(&id, MessageStatus::Failed).await;
    assert_eq!(entry.attempts, 1, "a permanent refusal is not retried");
    let error = entry.last_error.expect("the server's words").en;
    assert!(
        error.contains("550 5.1.10 RESOLVER.ADR.RecipientNotFound"),
        "{error}"
    );
    assert_eq!(entry.next_attempt_at, None);
    // The page's Delete removes a failed message.
    let outbox = rig.outbox_action(&id, "Delete").await;
    let rows = outbox["outbox"].as_array().expect("the outbox");
    assert!(rows.iter().all(|row| row["id"] != id.as_str()), "{outbox}");
    assert!(rig
        .app
        .store
        .outbox_entry(&id, CREDENTIAL)
        .await
        .expect("read")
        .is_none());
}

#[tokio::test]
async fn microsoft_down_queues_and_delivers_when_it_is_back() {
    let peer_dir = fresh_dir("relay-down-peers");
    let peer_dir_text = peer_dir.to_string_lossy().into_owned();
    let first = spawn_peers_with(&[("PEER_DIR", &peer_dir_text)]).await;
    let port = |address: &str| {
        address
            .trim_end_matches('/')
            .rsplit(':')
            .next()
            .and_then(|p| p.split('/').next())
            .expect("a port")
            .to_owned()
    };
    let ports = [
        ("PEER_TOKEN_PORT", port(&first.info.authority)),
        ("PEER_SMTP_PORT", port(&first.info.smtp)),
        ("PEER_CONTROL_PORT", port(&first.info.control)),
    ];
    let rig = rig("relay-down", &first, &[]).await;
    rig.save_configuration(&first).await;
    // Microsoft goes away (the token endpoint and SMTP both).
    first.stop().await;
    let results = rig.send(&["--count", "3"]).await;
    let ids: Vec<String> = results.iter().map(queued_id).collect();
    assert_eq!(
        ids.len(),
        3,
        "accepted while Microsoft is down: {results:?}"
    );
    for id in &ids {
        let entry = rig.until_status(id, MessageStatus::Retrying).await;
        assert!(entry.last_error.is_some());
    }
    // Back, on the same addresses with the same certificates.
    let mut env: Vec<(&str, &str)> = ports.iter().map(|(k, v)| (*k, v.as_str())).collect();
    env.push(("PEER_DIR", &peer_dir_text));
    let back = spawn_peers_with(&env).await;
    for id in &ids {
        assert!(rig.app.relay.retry_now(id).await.unwrap());
    }
    for id in &ids {
        rig.until_status(id, MessageStatus::Sent).await;
    }
    // Each once, in the order they were made due.
    let delivered = rig.settled(&back).await;
    let subjects: Vec<&str> = delivered.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(
        subjects,
        ["relay-test 0-0", "relay-test 0-1", "relay-test 0-2"]
    );
}

#[tokio::test]
async fn a_thousand_messages_from_twenty_clients_are_each_delivered_once() {
    let peers = spawn_peers().await;
    let rig = rig("relay-load", &peers, &[]).await;
    rig.save_configuration(&peers).await;
    let results = rig
        .send(&["--clients", "20", "--count", "50", "--tag", "load"])
        .await;
    assert_eq!(results.len(), 1000);
    let ids: std::collections::BTreeSet<String> = results.iter().map(queued_id).collect();
    assert_eq!(ids.len(), 1000, "each message its own id");
    let sent: std::collections::BTreeSet<String> = results
        .iter()
        .map(|r| r["message_id"].as_str().expect("message id").to_owned())
        .collect();
    // Watched until the relay is idle: a late second delivery would show.
    let delivered = rig.delivered(&peers, 1000).await;
    let received: Vec<String> = delivered
        .iter()
        .map(|m| m.message_id.clone().expect("a Message-ID"))
        .collect();
    let unique: std::collections::BTreeSet<String> = received.iter().cloned().collect();
    assert_eq!(received.len(), 1000, "none twice");
    assert_eq!(unique, sent, "every one, with its own Message-ID");
    // At most 100 messages per connection: at least 10 sign-ins. (That consecutive
    // messages share one is pinned in relay_delivery.rs.)
    let stats = peers.stats().await;
    assert!(
        stats.auth_attempts >= 10,
        "{} AUTHs for 1000 messages",
        stats.auth_attempts
    );
}

/// This machine's address on its default route: connections to it come from another
/// address than loopback. (A UDP "connect" sends nothing.)
fn non_loopback_address() -> std::net::IpAddr {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").expect("a UDP socket");
    socket
        .connect("192.0.2.1:9")
        .expect("a route to TEST-NET-1: this test needs a non-loopback address");
    let ip = socket.local_addr().expect("local address").ip();
    assert!(!ip.is_loopback(), "{ip}");
    ip
}

#[tokio::test]
async fn from_another_machine_auth_waits_for_starttls_and_allowed_addresses_need_none() {
    use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};

    let ip = non_loopback_address();
    let peers = spawn_peers().await;
    let ip_text = ip.to_string();
    let rig = rig(
        "relay-remote",
        &peers,
        &[
            ("SMTP_SETUP_RELAY_ADDR", "0.0.0.0:0"),
            ("SMTP_SETUP_RELAY_ALLOW_IPS", &ip_text),
        ],
    )
    .await;
    rig.save_configuration(&peers).await;
    let port = rig.app.relay_addr.expect("relay").port();
    let remote = std::net::SocketAddr::new(ip, port);

    // In clear text from a non-loopback address: no AUTH offered, and AUTH refused.
    let stream = tokio::net::TcpStream::connect(remote)
        .await
        .expect("connect");
    let mut lines = BufReader::new(stream);
    let mut line = String::new();
    lines.read_line(&mut line).await.expect("greeting");
    assert!(line.starts_with("220 "), "{line}");
    lines
        .get_mut()
        .write_all(b"EHLO client.test\r\n")
        .await
        .expect("EHLO");
    let mut ehlo = String::new();
    loop {
        line.clear();
        lines.read_line(&mut line).await.expect("EHLO reply");
        ehlo.push_str(&line);
        if line.starts_with("250 ") {
            break;
        }
    }
    assert!(
        ehlo.contains("STARTTLS") && !ehlo.contains("AUTH"),
        "{ehlo}"
    );
    let plain = "AGVycABub3QtYS1yZWFsLXBhc3N3b3Jk"; // \0erp\0not-a-real-password
    let auth = format!("AUTH PLAIN {plain}\r\n");
    lines
        .get_mut()
        .write_all(auth.as_bytes())
        .await
        .expect("AUTH");
    line.clear();
    lines.read_line(&mut line).await.expect("AUTH reply");
    assert!(line.starts_with("538 5.7.11"), "{line}");

    // After STARTTLS the same credential signs in.
    let relay_cert = rig.dir.join("app.relay-cert.pem");
    let mut args = vec![
        "--no-check-hostname",
        "--user",
        CREDENTIAL,
        "--mail-from",
        rig.mailbox(),
    ];
    args.extend(["--to", "a@fabrikam-test.com"]);
    let results = python_client(remote, &relay_cert, &args, Some(&rig.password)).await;
    let id = queued_id(&results[0]);

    // The allowed address needs no AUTH at all; loopback, not in the list, does.
    let args = [
        "--plain",
        "--mail-from",
        rig.mailbox(),
        "--to",
        "a@fabrikam-test.com",
    ];
    let results = python_client(remote, &relay_cert, &args, None).await;
    let allowed = queued_id(&results[0]);
    let loopback = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let results = python_client(loopback, &relay_cert, &args, None).await;
    assert_eq!(results[0]["code"], 530, "{results:?}");
    let entry = rig.until_status(&id, MessageStatus::Sent).await;
    assert_eq!(entry.submitted_by, CREDENTIAL);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let listed = rig.app.store.recent_outbox(10).await.expect("outbox");
        let by_ip = listed.iter().find(|e| e.id == allowed).expect("listed");
        assert_eq!(by_ip.submitted_by, format!("ip:{ip}"));
        if by_ip.status == MessageStatus::Sent {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{by_ip:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn also_allowed_senders_are_saved_from_the_page_and_let_their_messages_in() {
    let peers = spawn_peers().await;
    let rig = rig("relay-senders", &peers, &[]).await;
    rig.save_configuration(&peers).await;
    let billing = ["--mail-from", "billing@contoso-test.com"];
    let result = rig.send_one(&billing).await;
    assert_eq!(result["code"], 550, "not allowed yet: {result}");

    // The page's call: a bad list is refused by the parse (the page words the refusal)
    // and changes nothing.
    let answer: Value = rig
        .app
        .post_as_admin(
            "save_allowed_senders",
            &serde_json::json!({"text": "billing@contoso-test.com\nSales <s@contoso-test.com>"}),
        )
        .await
        .json()
        .await
        .expect("json");
    let why = &answer["Invalid"]["Address"];
    assert_eq!(why["address"], "Sales <s@contoso-test.com>", "{answer}");
    assert_eq!(why["error"]["ForbiddenCharacter"], " ", "{answer}");
    let answer: Value = rig
        .app
        .post_as_admin(
            "save_allowed_senders",
            &serde_json::json!({"text": "Billing@contoso-test.com, noreply@contoso-test.com"}),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        answer["Saved"]["also_allowed"], "billing@contoso-test.com\nnoreply@contoso-test.com",
        "{answer}"
    );

    // Now accepted; Exchange (here the peer) has the last word on SendAs, in its words:
    // at MAIL FROM for the envelope, at the end of DATA for the header From.
    let id = queued_id(&rig.send_one(&billing).await);
    let entry = rig.until_status(&id, MessageStatus::Failed).await;
    let error = entry.last_error.expect("the server's words").en;
    assert!(
        error.contains("550 5.7.60 SMTP; Client does not have permissions to send as this sender"),
        "{error}"
    );
    let id = queued_id(
        &rig.send_one(&["--header-from", "billing@contoso-test.com"])
            .await,
    );
    let entry = rig.until_status(&id, MessageStatus::Failed).await;
    let error = entry.last_error.expect("the server's words").en;
    assert!(error.contains("5.2.252 SendAsDenied"), "{error}");
}
