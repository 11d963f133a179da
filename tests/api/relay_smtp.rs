//! The relay's SMTP dialogue as a client sees it, line by line: what EHLO offers,
//! pipelined commands, a message that grows past the limit with no SIZE declared, AUTH
//! in clear text from this machine, the limit on wrong passwords, and the certificate
//! kept across restarts.

use std::time::Duration;

use base64::Engine as _;
use smtp_setup::api::relay::MessageStatus;
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpStream;

use crate::helpers::{spawn_app, spawn_peers};
use crate::relay::{queued_id, rig, Rig, CREDENTIAL};

/// A client that writes raw lines and reads whole replies.
pub struct Raw {
    io: BufReader<TcpStream>,
}

impl Raw {
    /// Connected to `rig`'s relay, its greeting read.
    pub async fn connect(rig: &Rig) -> Self {
        let stream = TcpStream::connect(rig.app.relay_addr.expect("the relay listens"))
            .await
            .expect("connect");
        let mut raw = Self {
            io: BufReader::new(stream),
        };
        let (code, greeting) = raw.reply().await;
        assert_eq!(code, 220, "{greeting}");
        raw
    }

    pub async fn send(&mut self, text: &str) {
        self.io
            .get_mut()
            .write_all(text.as_bytes())
            .await
            .expect("write");
    }

    /// One reply, all its lines: its code and its text (lines joined by `\n`).
    pub async fn reply(&mut self) -> (u16, String) {
        let mut text = Vec::new();
        loop {
            let mut line = String::new();
            let read = tokio::time::timeout(Duration::from_secs(30), self.io.read_line(&mut line))
                .await
                .expect("a reply within 30 s")
                .expect("read");
            assert!(read > 0, "the relay closed the connection after {text:?}");
            let code = line.get(..3).and_then(|c| c.parse().ok()).expect("a code");
            let last = line.as_bytes().get(3) == Some(&b' ');
            text.push(line.trim_end().to_owned());
            if last {
                return (code, text.join("\n"));
            }
        }
    }

    /// Sends `command` (CRLF added) and reads its reply.
    pub async fn command(&mut self, command: &str) -> (u16, String) {
        self.send(&format!("{command}\r\n")).await;
        self.reply().await
    }

    /// What is left until the relay closes the connection.
    pub async fn rest(&mut self) -> String {
        let mut rest = String::new();
        tokio::time::timeout(Duration::from_secs(30), self.io.read_to_string(&mut rest))
            .await
            .expect("closed within 30 s")
            .expect("read to the end");
        rest
    }
}

fn plain_response(user: &str, password: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("\0{user}\0{password}"))
}

#[tokio::test]
async fn ehlo_offers_its_extensions_and_pipelined_commands_are_answered_in_order() {
    let peers = spawn_peers().await;
    let rig = rig(
        "relay-ehlo",
        &peers,
        &[("SMTP_SETUP_RELAY_MAX_BYTES", "20000")],
    )
    .await;
    rig.save_configuration(&peers).await;
    let mut raw = Raw::connect(&rig).await;
    let (code, ehlo) = raw.command("EHLO client.test").await;
    assert_eq!(code, 250);
    let offered: Vec<&str> = ehlo.lines().skip(1).map(|l| &l[4..]).collect();
    assert_eq!(
        offered,
        [
            "PIPELINING",
            "SIZE 20000",
            "8BITMIME",
            "ENHANCEDSTATUSCODES",
            "STARTTLS",
            // In clear text, but from this machine (loopback).
            "AUTH PLAIN LOGIN",
        ]
    );
    let auth = plain_response(CREDENTIAL, &rig.password);
    assert_eq!(raw.command(&format!("AUTH PLAIN {auth}")).await.0, 235);
    // The envelope and DATA in one write (RFC 2920): each answered, in order.
    raw.send(&format!(
        "MAIL FROM:<{}>\r\nRCPT TO:<a@fabrikam-test.com>\r\nRCPT TO:<b@fabrikam-test.com>\r\nDATA\r\n",
        rig.mailbox()
    ))
    .await;
    for expected in [250, 250, 250, 354] {
        let (code, text) = raw.reply().await;
        assert_eq!(code, expected, "{text}");
    }
    raw.send(&format!(
        "From: {}\r\nTo: a@fabrikam-test.com\r\nSubject: pipelined\r\n\r\nHello.\r\n.\r\nQUIT\r\n",
        rig.mailbox()
    ))
    .await;
    let (code, queued) = raw.reply().await;
    assert_eq!(code, 250, "{queued}");
    assert_eq!(raw.reply().await.0, 221);
    let id = queued.split(['<', '>']).nth(1).expect("an id").to_owned();
    rig.until_status(&id, MessageStatus::Sent).await;
    let delivered = rig.settled(&peers).await;
    assert_eq!(delivered.len(), 1);
    assert_eq!(
        delivered[0].rcpt_to,
        ["a@fabrikam-test.com", "b@fabrikam-test.com"]
    );
}

#[tokio::test]
async fn a_message_that_grows_past_the_limit_without_a_declared_size_is_refused_after_the_dot() {
    let peers = spawn_peers().await;
    let rig = rig(
        "relay-undeclared",
        &peers,
        &[("SMTP_SETUP_RELAY_MAX_BYTES", "20000")],
    )
    .await;
    rig.save_configuration(&peers).await;
    let mut raw = Raw::connect(&rig).await;
    raw.command("EHLO client.test").await;
    let auth = plain_response(CREDENTIAL, &rig.password);
    assert_eq!(raw.command(&format!("AUTH PLAIN {auth}")).await.0, 235);
    // No SIZE= here: MAIL FROM cannot know.
    let (code, text) = raw.command(&format!("MAIL FROM:<{}>", rig.mailbox())).await;
    assert_eq!(code, 250, "{text}");
    assert_eq!(raw.command("RCPT TO:<a@fabrikam-test.com>").await.0, 250);
    assert_eq!(raw.command("DATA").await.0, 354);
    let line = format!("{}\r\n", "0123456789".repeat(7));
    let body = line.repeat(30_000 / line.len() + 1);
    raw.send(&format!(
        "From: {}\r\nSubject: too large\r\n\r\n{body}.\r\n",
        rig.mailbox()
    ))
    .await;
    let (code, text) = raw.reply().await;
    assert_eq!(code, 552, "{text}");
    assert!(text.starts_with("552 5.3.4"), "{text}");
    // Nothing was queued, and the connection goes on.
    assert!(rig.app.store.recent_outbox(10).await.unwrap().is_empty());
    assert_eq!(raw.command("NOOP").await.0, 250);
    // Just under the limit goes.
    let (code, _) = raw.command(&format!("MAIL FROM:<{}>", rig.mailbox())).await;
    assert_eq!(code, 250);
    assert_eq!(raw.command("RCPT TO:<a@fabrikam-test.com>").await.0, 250);
    assert_eq!(raw.command("DATA").await.0, 354);
    let body = line.repeat(19_000 / line.len());
    raw.send(&format!(
        "From: {}\r\nSubject: fits\r\n\r\n{body}.\r\n",
        rig.mailbox()
    ))
    .await;
    assert_eq!(raw.reply().await.0, 250);
}

#[tokio::test]
async fn from_this_machine_auth_is_accepted_in_clear_text() {
    let peers = spawn_peers().await;
    let rig = rig("relay-loopback-auth", &peers, &[]).await;
    rig.save_configuration(&peers).await;
    for mechanism in ["PLAIN", "LOGIN"] {
        let result = rig.send_one(&["--plain", "--mechanism", mechanism]).await;
        let id = queued_id(&result);
        rig.until_status(&id, MessageStatus::Sent).await;
    }
    assert_eq!(rig.settled(&peers).await.len(), 2);
}

#[tokio::test]
async fn wrong_passwords_are_limited_per_client_address_over_smtp_and_http_alike() {
    let peers = spawn_peers().await;
    let rig = rig("relay-wrong-passwords", &peers, &[]).await;
    rig.save_configuration(&peers).await;
    let mut raw = Raw::connect(&rig).await;
    raw.command("EHLO client.test").await;
    let wrong = plain_response(CREDENTIAL, "not-the-password");
    for n in 1..=10 {
        let (code, text) = raw.command(&format!("AUTH PLAIN {wrong}")).await;
        assert_eq!(code, 535, "wrong password {n}: {text}");
    }
    // The eleventh within the minute, even the right one, waits.
    let (code, text) = raw.command(&format!("AUTH PLAIN {wrong}")).await;
    assert!(code == 454 && text.starts_with("454 4.7.0"), "{text}");
    let right = plain_response(CREDENTIAL, &rig.password);
    let (code, text) = raw.command(&format!("AUTH PLAIN {right}")).await;
    assert_eq!(code, 454, "{text}");
    // The HTTP API counts the same address's failures.
    let status = rig
        .app
        .http
        .post(format!("{}/api/v1/messages", rig.app.base))
        .basic_auth(CREDENTIAL, Some(&rig.password))
        .json(&serde_json::json!({"to": ["a@fabrikam-test.com"], "subject": "s", "text": "t"}))
        .send()
        .await
        .expect("POST")
        .status();
    assert_eq!(status, 429);
}

#[tokio::test]
async fn the_relays_own_certificate_is_kept_across_restarts() {
    let peers = spawn_peers().await;
    let rig = rig("relay-certificate", &peers, &[]).await;
    rig.save_configuration(&peers).await;
    let file = rig.app.relay_cafile();
    let before = std::fs::read(&file).expect("the relay's certificate");
    // A client that pinned it keeps a copy.
    let pinned = rig.dir.join("pinned.pem");
    std::fs::write(&pinned, &before).expect("pin");
    let Rig {
        app, dir, password, ..
    } = rig;
    app.stop().await;

    let mut env = peers.env();
    env.push(("SMTP_SETUP_RELAY_SENDS_PER_MINUTE", "0"));
    let restarted = spawn_app(&dir, &env).await;
    assert_eq!(std::fs::read(&file).expect("still there"), before);
    let results = crate::relay::python_client(
        restarted.relay_addr.expect("the relay listens"),
        &pinned,
        &[
            "--user",
            CREDENTIAL,
            "--mail-from",
            &peers.info.mailbox,
            "--to",
            "a@fabrikam-test.com",
        ],
        Some(&password),
    )
    .await;
    // The pinned certificate is still the one presented: STARTTLS verified it.
    queued_id(&results[0]);
    restarted.stop().await;
}

#[tokio::test]
async fn an_overlong_line_is_refused_and_a_client_that_keeps_failing_is_cut_off() {
    let peers = spawn_peers().await;
    let rig = rig("relay-errors", &peers, &[]).await;
    let mut raw = Raw::connect(&rig).await;
    let (code, text) = raw.command(&format!("NOOP {}", "x".repeat(600))).await;
    assert!(code == 500 && text.starts_with("500 5.5.2"), "{text}");
    // The connection still serves: 18 more errors are answered one by one...
    for _ in 0..18 {
        let (code, text) = raw.command("BOGUS").await;
        assert!(code == 502 && text.starts_with("502 5.5.1"), "{text}");
    }
    // ...and the 20th ends it.
    raw.send("BOGUS\r\n").await;
    assert_eq!(
        raw.rest().await,
        "502 5.5.1 Command not recognized\r\n421 4.7.0 Too many errors, closing\r\n"
    );
}

#[tokio::test]
async fn the_implicit_tls_listener_serves_ssl_clients_with_the_same_rules() {
    let peers = spawn_peers().await;
    let rig = rig(
        "relay-implicit-tls",
        &peers,
        &[("SMTP_SETUP_RELAY_TLS_ADDR", "127.0.0.1:0")],
    )
    .await;
    rig.save_configuration(&peers).await;
    let address = rig.app.relay_tls_addr.expect("the implicit-TLS listener");
    // Python's SMTP_SSL: TLS from the first byte, the same certificate, credential and
    // sender rule as the STARTTLS listener.
    let mailbox = rig.mailbox().to_owned();
    let id = queued_id(&ssl_send(&rig, address, &mailbox, &rig.password).await);
    rig.until_status(&id, MessageStatus::Sent).await;
    let refused = ssl_send(&rig, address, "ceo@contoso-test.com", &rig.password).await;
    assert_eq!(refused["code"], 550, "{refused}");
    let wrong = ssl_send(&rig, address, &mailbox, "not-the-password").await;
    assert_eq!(wrong["code"], 535, "{wrong}");
    // openssl s_client: the handshake at once, the relay's certificate, the greeting
    // over TLS.
    let mut openssl = tokio::process::Command::new("openssl")
        .args(["s_client", "-connect", &address.to_string(), "-CAfile"])
        .arg(rig.app.relay_cafile())
        .args(["-verify_return_error", "-quiet", "-crlf"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("openssl runs");
    // QUIT: the relay says 221 and closes, and s_client ends.
    let mut stdin = openssl.stdin.take().expect("stdin");
    tokio::io::AsyncWriteExt::write_all(&mut stdin, b"QUIT\n")
        .await
        .expect("QUIT");
    drop(stdin);
    let output = tokio::time::timeout(Duration::from_secs(30), openssl.wait_with_output())
        .await
        .expect("s_client ends within 30 s")
        .expect("openssl ran");
    let said = String::from_utf8_lossy(&output.stdout);
    let told = String::from_utf8_lossy(&output.stderr);
    assert!(
        said.starts_with("220 smtp-setup.relay ESMTP"),
        "{said}\n{told}"
    );
    assert!(said.contains("221 2.0.0 Bye"), "{said}");
    assert!(told.contains("verify return:1"), "{told}");
    assert_eq!(rig.settled(&peers).await.len(), 1);
}

/// One message from `from` over the implicit-TLS listener at `address`.
async fn ssl_send(
    rig: &Rig,
    address: std::net::SocketAddr,
    from: &str,
    password: &str,
) -> serde_json::Value {
    let args = [
        "--ssl",
        "--user",
        CREDENTIAL,
        "--mail-from",
        from,
        "--to",
        "a@fabrikam-test.com",
    ];
    let mut results =
        crate::relay::python_client(address, &rig.app.relay_cafile(), &args, Some(password)).await;
    assert_eq!(results.len(), 1, "{results:?}");
    results.remove(0)
}
