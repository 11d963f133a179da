//! The relay, end to end: an application (Python's smtplib) submits over STARTTLS with a
//! relay credential, the message is queued, and the worker delivers it to the SMTP peer
//! with the saved configuration (a real token from the token peer, verified there).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;
use smtp_setup::api::relay::{MessageStatus, OutboxEntry};
use smtp_setup::server::relay::credentials::{self, CredentialName};
use smtp_setup::server::store::SecretChange;
use tokio::process::Command;

use smtp_setup::domain::SmtpForm;

use crate::helpers::{fresh_dir, spawn_app, spawn_peers, spawn_peers_with, Peers, TestApp};

pub const CREDENTIAL: &str = "erp";

/// The application pointed at the peers, the form that configures it for them, and a
/// relay credential.
pub struct Rig {
    pub app: TestApp,
    pub dir: PathBuf,
    pub password: String,
    form: SmtpForm,
    client_secret: String,
}

pub async fn rig(name: &str, peers: &Peers, env: &[(&str, &str)]) -> Rig {
    let dir = fresh_dir(name);
    let mut all = vec![
        ("SMTP_SETUP_AUTHORITY_URL", peers.info.authority.as_str()),
        ("SMTP_SETUP_SMTP_ADDR", peers.info.smtp.as_str()),
        ("SMTP_SETUP_CA_FILE", peers.info.ca_file.as_str()),
        ("SMTP_SETUP_RELAY_SENDS_PER_MINUTE", "0"),
    ];
    all.extend_from_slice(env);
    let app = spawn_app(&dir, &all).await;
    let password = add_credential(&app, CREDENTIAL).await;
    Rig {
        app,
        dir,
        password,
        form: peers.form(),
        client_secret: peers.info.client_secret.clone(),
    }
}

impl Rig {
    pub async fn save_configuration(&self) {
        let secret = SecretChange::Replace(&self.client_secret);
        let saved = self
            .app
            .store
            .save(
                &self.form,
                secret,
                SecretChange::Keep,
                SecretChange::Keep,
                0,
            )
            .await
            .expect("save");
        assert!(matches!(saved, smtp_setup::server::store::Saved::Done(_)));
    }

    pub fn mailbox(&self) -> &str {
        &self.form.email_address
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
    let name = CredentialName::parse(name).expect("name");
    let password = credentials::add(&app.store, &name)
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
    rig.save_configuration().await;
    let result = rig.send_one(&["--tag", "invoice"]).await;
    let id = queued_id(&result);
    let entry = rig.until_status(&id, MessageStatus::Sent).await;
    assert_eq!(entry.attempts, 1);
    assert_eq!(entry.subject, "invoice 0-0");
    let delivered = peers.messages().await;
    assert_eq!(delivered.len(), 1, "{delivered:?}");
    let message = &delivered[0];
    // The peer verified the token: the relay signed in as the mailbox with XOAUTH2.
    assert_eq!(message.auth_user, rig.mailbox());
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
        let bytes = std::fs::read(rig.dir.join(file)).unwrap_or_default();
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
    rig.save_configuration().await;
    let result = rig.send_one(&["--mechanism", "LOGIN"]).await;
    let id = queued_id(&result);
    rig.until_status(&id, MessageStatus::Sent).await;
    assert_eq!(peers.messages().await.len(), 1);
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
    rig.save_configuration().await;

    // No AUTH.
    let results = rig.client(&[&from[..], &to[..]].concat(), None).await;
    assert_eq!(results[0]["code"], 530, "{results:?}");
    assert!(results[0]["reply"].as_str().unwrap().starts_with("5.7.0"));

    // A wrong password.
    let args = [&["--user", CREDENTIAL][..], &from[..], &to[..]].concat();
    let results = rig.client(&args, Some("not-the-password")).await;
    assert_eq!(results[0]["code"], 535, "{results:?}");
    assert!(results[0]["reply"].as_str().unwrap().starts_with("5.7.8"));

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

    // Too large: declared (SIZE) or not.
    let result = rig.send_one(&["--size", "30000"]).await;
    assert_eq!(result["code"], 552, "{result}");
    assert!(result["reply"].as_str().unwrap().starts_with("5.3.4"));

    // After all that, one good message still goes, and only it was queued.
    let id = queued_id(&rig.send_one(&[]).await);
    rig.until_status(&id, MessageStatus::Sent).await;
    assert_eq!(rig.app.store.recent_outbox(10).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_busy_exchange_is_retried_and_a_missing_recipient_fails_with_its_words() {
    let busy = spawn_peers_with(&[
        (
            "PEER_SMTP_DATA_REPLY",
            "451|4.7.500 Server busy. Please try again later.",
        ),
        ("PEER_SMTP_DATA_REPLY_TIMES", "1"),
    ])
    .await;
    let busy_rig = rig("relay-busy", &busy, &[]).await;
    busy_rig.save_configuration().await;
    let id = queued_id(&busy_rig.send_one(&[]).await);
    let entry = busy_rig.until_status(&id, MessageStatus::Retrying).await;
    let error = entry.last_error.expect("the server's words").en;
    assert!(error.contains("4.7.500 Server busy"), "{error}");
    let due = entry.next_attempt_at.expect("a next attempt");
    assert!(
        due - entry.accepted_at >= 45_000,
        "retried a minute later, give or take"
    );
    // The administrator's "Retry now": the peer takes it this time.
    assert!(busy_rig.app.relay.retry_now(&id).await.unwrap());
    let entry = busy_rig.until_status(&id, MessageStatus::Sent).await;
    assert_eq!(entry.attempts, 2);

    let missing = spawn_peers_with(&[(
        "PEER_SMTP_DATA_REPLY",
        "550|5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
    )])
    .await;
    let rig = rig("relay-missing", &missing, &[]).await;
    rig.save_configuration().await;
    let id = queued_id(&rig.send_one(&[]).await);
    let entry = rig.until_status(&id, MessageStatus::Failed).await;
    assert_eq!(entry.attempts, 1, "a permanent refusal is not retried");
    let error = entry.last_error.expect("the server's words").en;
    assert!(
        error.contains("550 5.1.10 RESOLVER.ADR.RecipientNotFound"),
        "{error}"
    );
    assert_eq!(entry.next_attempt_at, None);
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
    rig.save_configuration().await;
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
    let delivered = back.messages().await;
    let mut subjects: Vec<&str> = delivered.iter().map(|m| m.subject.as_str()).collect();
    subjects.sort_unstable();
    assert_eq!(
        subjects,
        ["relay-test 0-0", "relay-test 0-1", "relay-test 0-2"]
    );
}

#[tokio::test]
async fn a_thousand_messages_from_twenty_clients_are_each_delivered_once() {
    let peers = spawn_peers().await;
    let rig = rig("relay-load", &peers, &[]).await;
    rig.save_configuration().await;
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
    let deadline = tokio::time::Instant::now() + Duration::from_secs(300);
    let delivered = loop {
        let delivered = peers.messages().await;
        if delivered.len() >= 1000 {
            break delivered;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} of 1000 delivered",
            delivered.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let received: Vec<String> = delivered
        .iter()
        .map(|m| m.message_id.clone().expect("a Message-ID"))
        .collect();
    let unique: std::collections::BTreeSet<String> = received.iter().cloned().collect();
    assert_eq!(received.len(), 1000, "none twice");
    assert_eq!(unique, sent, "every one, with its own Message-ID");
    // Consecutive messages share an authenticated connection (100 at most each).
    let stats = peers.stats().await;
    assert!(
        (10..=100).contains(&stats.auth_attempts),
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
    rig.save_configuration().await;
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
    rig.save_configuration().await;
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

    // Now accepted; Exchange (here the peer) has the last word on SendAs, in its words.
    let id = queued_id(&rig.send_one(&billing).await);
    let entry = rig.until_status(&id, MessageStatus::Failed).await;
    let error = entry.last_error.expect("the server's words").en;
    assert!(error.contains("5.2.252 SendAsDenied"), "{error}");
}

#[tokio::test]
async fn an_overlong_line_is_refused_and_a_client_that_keeps_failing_is_cut_off() {
    use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};

    let peers = spawn_peers().await;
    let rig = rig("relay-errors", &peers, &[]).await;
    let stream = tokio::net::TcpStream::connect(rig.app.relay_addr.expect("relay"))
        .await
        .expect("connect");
    let mut lines = BufReader::new(stream);
    let mut line = String::new();
    lines.read_line(&mut line).await.expect("greeting");
    let long = format!("NOOP {}\r\n", "x".repeat(600));
    lines
        .get_mut()
        .write_all(long.as_bytes())
        .await
        .expect("write");
    line.clear();
    lines.read_line(&mut line).await.expect("reply");
    assert!(line.starts_with("500 5.5.2"), "{line}");
    // The connection still serves: 18 more errors are answered one by one...
    for _ in 0..18 {
        lines
            .get_mut()
            .write_all(b"BOGUS\r\n")
            .await
            .expect("write");
        line.clear();
        lines.read_line(&mut line).await.expect("reply");
        assert!(line.starts_with("502 5.5.1"), "{line}");
    }
    // ...and the 20th ends it.
    lines
        .get_mut()
        .write_all(b"BOGUS\r\n")
        .await
        .expect("write");
    let mut rest = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut lines, &mut rest)
        .await
        .expect("read to the end");
    assert_eq!(
        rest,
        "502 5.5.1 Command not recognized\r\n421 4.7.0 Too many errors, closing\r\n"
    );
}
