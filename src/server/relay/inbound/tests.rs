//! Each command of the dialogue in memory (Stalwart's `DummyIo`): the client's bytes go
//! in over `tokio::io::duplex`, the exact replies come out; no socket, no process. A
//! real store (SQLite in a temporary folder) holds the configuration, the credential and
//! what is queued. The end-to-end path, with real clients, is `tests/api/relay*.rs`.

use std::net::SocketAddr;
use std::sync::Arc;

use base64::Engine as _;
use secrecy::ExposeSecret as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::dialogue::dialogue;
use super::io::Connection;
use super::state::{Next, State};
use crate::domain::SmtpForm;
use crate::server::config::relay::RelaySettings;
use crate::server::relay::credentials::{self, CredentialName};
use crate::server::relay::incoming::PIECE;
use crate::server::relay::Relay;
use crate::server::store::{SecretChange, Store};

const MAILBOX: &str = "sender@contoso.com";

/// A relay on a store of its own with a saved configuration for [`MAILBOX`], messages of
/// at most 2,000 bytes, and one credential, `erp`: the relay and its password.
async fn relay(name: &str) -> (Arc<Relay>, String) {
    relay_of(name, 2_000).await
}

/// [`relay`], taking messages of at most `max_bytes`.
async fn relay_of(name: &str, max_bytes: usize) -> (Arc<Relay>, String) {
    let dir =
        std::env::temp_dir().join(format!("smtp-setup-inbound-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a folder");
    let url = format!("sqlite://{}", dir.join("app.db").display());
    let (store, _) = Store::open(&url, None).await.expect("the store");
    let form = SmtpForm {
        email_address: MAILBOX.into(),
        name: "Contoso".into(),
        tenant_id: "72f988bf-86f1-41af-91ab-2d7cd011db47".into(),
        client_id: "a1b2c3d4-e5f6-4789-abcd-0123456789ab".into(),
        ..SmtpForm::default()
    };
    store
        .save(
            &form,
            SecretChange::Replace("Kx58Q~inbound-test-secret-value"),
            SecretChange::Keep,
            SecretChange::Keep,
            0,
        )
        .await
        .expect("saved");
    let name = CredentialName::parse("erp").expect("a name");
    let password = credentials::add(&store, &name, &Default::default())
        .await
        .expect("added")
        .expect("a new name");
    let settings = RelaySettings {
        max_bytes,
        ..RelaySettings::default()
    };
    let relay = Relay::new(Arc::new(store), settings, None);
    (Arc::new(relay), password.expose_secret().to_owned())
}

const LOOPBACK: &str = "127.0.0.1:40000";
const ELSEWHERE: &str = "192.0.2.7:40000";

/// The dialogue over `input` (written whole, then the client's end closed) from `peer`,
/// after TLS when `tls`: the reply lines, and where the dialogue left the connection.
async fn talk(relay: &Relay, peer: &str, tls: bool, input: &str) -> (Vec<String>, Next) {
    let (mut client, server) = tokio::io::duplex(4 << 20);
    let peer: SocketAddr = peer.parse().expect("an address");
    let mut state = State::new(peer);
    if tls {
        state.secured();
    }
    client.write_all(input.as_bytes()).await.expect("written");
    client.shutdown().await.expect("closed");
    let mut connection = Connection::new(server);
    let next = dialogue(relay, &mut connection, &mut state).await;
    drop(connection);
    let mut out = String::new();
    client.read_to_string(&mut out).await.expect("read");
    (out.lines().map(str::to_owned).collect(), next)
}

/// The message queued first, claimed as a worker would.
async fn claimed(relay: &Relay) -> crate::server::store::Due {
    let now = crate::server::time::unix_millis(std::time::SystemTime::now());
    match relay
        .store
        .claim_due(now + 1, "test", now + 60_000, 0)
        .await
    {
        Ok(crate::server::store::Claim::Message(due)) => due,
        _ => panic!("a message is queued"),
    }
}

/// A claimed message as the worker sends it: its head, then its pieces.
async fn whole(store: &Store, due: &crate::server::store::Due) -> Vec<u8> {
    let mut message = due.head.clone();
    for seq in 0..due.pieces {
        message.extend(store.read_piece(&due.id, seq).await.expect("a piece"));
    }
    assert_eq!(message.len() as i64 - due.size, added_length(&message));
    message
}

/// How much the relay added in front (Message-ID, Date) to a message it received.
fn added_length(message: &[u8]) -> i64 {
    let text = String::from_utf8_lossy(message);
    text.lines()
        .take_while(|l| l.starts_with("Message-ID: <") || l.starts_with("Date: "))
        .map(|l| l.len() as i64 + 2)
        .sum()
}

fn plain(user: &str, password: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("\0{user}\0{password}"))
}

fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

#[tokio::test]
async fn ehlo_offers_starttls_and_auth_only_where_they_apply() {
    let (relay, _) = relay("ehlo").await;
    let (lines, _) = talk(&relay, ELSEWHERE, false, "EHLO client.test\r\n").await;
    assert_eq!(
        lines,
        [
            "250-smtp-setup.relay greets client.test",
            "250-PIPELINING",
            "250-SIZE 2000",
            "250-8BITMIME",
            "250-ENHANCEDSTATUSCODES",
            "250 STARTTLS",
        ]
    );
    let (lines, _) = talk(&relay, LOOPBACK, false, "EHLO client.test\r\n").await;
    assert_eq!(lines[5..], ["250-STARTTLS", "250 AUTH PLAIN LOGIN"]);
    let (lines, _) = talk(&relay, ELSEWHERE, true, "EHLO c\r\nSTARTTLS\r\n").await;
    assert_eq!(
        lines[5..],
        ["250 AUTH PLAIN LOGIN", "503 5.5.1 TLS is on already"]
    );
    let (lines, _) = talk(&relay, ELSEWHERE, false, "HELO c\r\n").await;
    assert_eq!(lines, ["250 smtp-setup.relay"]);
}

#[tokio::test]
async fn starttls_hands_the_connection_over_and_answers_nothing_read_before_it() {
    let (relay, _) = relay("starttls").await;
    let (lines, next) = talk(&relay, ELSEWHERE, false, "STARTTLS\r\nNOOP\r\nNOOP\r\n").await;
    assert!(matches!(next, Next::StartTls));
    assert_eq!(lines, ["220 2.0.0 Ready to start TLS"]);
}

#[tokio::test]
async fn auth_waits_for_tls_except_from_this_machine() {
    let (relay, password) = relay("auth-tls").await;
    let auth = format!("AUTH PLAIN {}\r\n", plain("erp", &password));
    let (lines, _) = talk(&relay, ELSEWHERE, false, &auth).await;
    assert_eq!(
        lines,
        ["538 5.7.11 Encryption required: send STARTTLS first"]
    );
    for (peer, tls) in [(ELSEWHERE, true), (LOOPBACK, false)] {
        let (lines, _) = talk(&relay, peer, tls, &auth).await;
        assert_eq!(lines, ["235 2.7.0 Authentication successful"], "{peer}");
    }
}

#[tokio::test]
async fn auth_plain_and_login_in_each_form_and_their_refusals() {
    let (relay, password) = relay("auth").await;
    let cases: Vec<(String, Vec<&str>)> = vec![
        // PLAIN with the response on the line, and after an empty challenge.
        (
            format!("AUTH PLAIN {}\r\n", plain("erp", &password)),
            vec!["235 2.7.0 Authentication successful"],
        ),
        (
            format!("AUTH PLAIN\r\n{}\r\n", plain("erp", &password)),
            vec!["334 ", "235 2.7.0 Authentication successful"],
        ),
        // LOGIN with both challenges, and with the user on the line.
        (
            format!("AUTH LOGIN\r\n{}\r\n{}\r\n", b64("erp"), b64(&password)),
            vec![
                "334 VXNlcm5hbWU6",
                "334 UGFzc3dvcmQ6",
                "235 2.7.0 Authentication successful",
            ],
        ),
        (
            format!("AUTH LOGIN {}\r\n{}\r\n", b64("erp"), b64(&password)),
            vec!["334 UGFzc3dvcmQ6", "235 2.7.0 Authentication successful"],
        ),
        (
            format!("AUTH PLAIN {}\r\n", plain("erp", "wrong")),
            vec!["535 5.7.8 Authentication credentials invalid"],
        ),
        (
            "AUTH PLAIN %%%\r\n".to_owned(),
            vec!["501 5.5.2 Cannot decode the response"],
        ),
        (
            "AUTH PLAIN\r\n*\r\n".to_owned(),
            vec!["334 ", "501 5.0.0 Authentication cancelled"],
        ),
        (
            "AUTH CRAM-MD5\r\n".to_owned(),
            vec!["504 5.5.4 Unrecognized authentication type: use PLAIN or LOGIN"],
        ),
        (
            format!(
                "AUTH PLAIN {0}\r\nAUTH PLAIN {0}\r\n",
                plain("erp", &password)
            ),
            vec![
                "235 2.7.0 Authentication successful",
                "503 5.5.1 Already authenticated",
            ],
        ),
    ];
    for (input, expected) in cases {
        let (lines, _) = talk(&relay, ELSEWHERE, true, &input).await;
        assert_eq!(lines, expected, "{input:?}");
    }
}

#[tokio::test]
async fn the_envelope_is_checked_command_by_command() {
    let (relay, password) = relay("envelope").await;
    let (lines, _) = talk(
        &relay,
        ELSEWHERE,
        true,
        "RCPT TO:<a@fabrikam.com>\r\nMAIL FROM:<sender@contoso.com>\r\nDATA\r\n",
    )
    .await;
    assert_eq!(
        lines,
        [
            "503 5.5.1 MAIL first",
            "530 5.7.0 Authentication required",
            "503 5.5.1 MAIL first",
        ]
    );
    let signed_in = format!("AUTH PLAIN {}\r\n", plain("erp", &password));
    let input = format!(
        "{signed_in}MAIL FROM:sender@contoso.com\r\nMAIL FROM:<sender@contoso.com> SIZE=3000\r\n\
         MAIL FROM:<ceo@contoso.com>\r\nMAIL FROM:<Sender@Contoso.com> SIZE=100 BODY=8BITMIME\r\n\
         MAIL FROM:<sender@contoso.com>\r\nRCPT TO:<no-at-sign>\r\nDATA\r\nRSET\r\n\
         MAIL FROM:<sender@contoso.com>\r\nRCPT TO:<a@fabrikam.com>\r\nQUIT\r\n"
    );
    let (lines, _) = talk(&relay, ELSEWHERE, true, &input).await;
    assert_eq!(
        lines,
        [
            "235 2.7.0 Authentication successful",
            "501 5.5.4 Syntax: MAIL FROM:<address> [SIZE=n]",
            "552 5.3.4 Message size exceeds the limit of 2000 bytes",
            "550 5.7.1 ceo@contoso.com may not send through this relay; the sender must be sender@contoso.com",
            "250 2.1.0 Sender OK",
            "503 5.5.1 Nested MAIL command",
            "501 5.1.3 Syntax: RCPT TO:<address>",
            "554 5.5.1 No valid recipients",
            "250 2.0.0 OK",
            "250 2.1.0 Sender OK",
            "250 2.1.5 Recipient OK",
            "221 2.0.0 Bye",
        ]
    );
}

#[tokio::test]
async fn a_pipelined_message_is_queued_unstuffed_and_one_too_large_is_refused_after_its_dot() {
    let (relay, password) = relay("data").await;
    let envelope = format!(
        "AUTH PLAIN {}\r\nMAIL FROM:<sender@contoso.com>\r\nRCPT TO:<a@fabrikam.com>\r\nDATA\r\n",
        plain("erp", &password)
    );
    let message =
        "From: sender@contoso.com\r\nSubject: dots\r\n\r\n..a line that began with a dot\r\n.\r\n";
    let large = format!(
        "From: sender@contoso.com\r\n\r\n{}\r\n.\r\n",
        "x".repeat(2_100)
    );
    let input = format!(
        "{envelope}{message}MAIL FROM:<sender@contoso.com>\r\nRCPT TO:<a@fabrikam.com>\r\nDATA\r\n{large}NOOP\r\n"
    );
    let (lines, _) = talk(&relay, ELSEWHERE, true, &input).await;
    assert_eq!(lines.len(), 10, "{lines:?}");
    assert_eq!(
        lines[..4],
        [
            "235 2.7.0 Authentication successful",
            "250 2.1.0 Sender OK",
            "250 2.1.5 Recipient OK",
            "354 Start mail input; end with <CRLF>.<CRLF>",
        ]
    );
    assert!(
        lines[4].starts_with("250 2.0.0 <") && lines[4].ends_with("> queued"),
        "{lines:?}"
    );
    assert_eq!(
        lines[5..],
        [
            "250 2.1.0 Sender OK",
            "250 2.1.5 Recipient OK",
            "354 Start mail input; end with <CRLF>.<CRLF>",
            "552 5.3.4 the message is larger than this relay's limit of 2000 bytes",
            "250 2.0.0 OK",
        ]
    );
    // One message queued, its dot unstuffed, a Message-ID and a Date added.
    let due = claimed(&relay).await;
    let text = String::from_utf8(whole(&relay.store, &due).await).expect("text");
    assert!(
        text.contains("\r\n.a line that began with a dot\r\n"),
        "{text}"
    );
    assert!(
        text.starts_with("Message-ID: <") && text.contains("\r\nDate: "),
        "{text}"
    );
    assert_eq!(due.recipients, ["a@fabrikam.com"]);
}

#[tokio::test]
async fn errors_are_answered_until_the_twentieth_ends_the_dialogue() {
    let (relay, _) = relay("errors").await;
    let input = format!("NOOP {}\r\n{}", "x".repeat(600), "BOGUS\r\n".repeat(25));
    let (lines, next) = talk(&relay, ELSEWHERE, false, &input).await;
    assert!(matches!(next, Next::Closed));
    assert_eq!(lines[0], "500 5.5.2 Line too long");
    assert_eq!(lines.len(), 21, "{lines:?}");
    assert!(lines[1..20]
        .iter()
        .all(|l| l == "502 5.5.1 Command not recognized"));
    assert_eq!(lines[20], "421 4.7.0 Too many errors, closing");
    // What costs nothing is not an error.
    let (lines, _) = talk(
        &relay,
        ELSEWHERE,
        false,
        "NOOP\r\nRSET\r\nVRFY x\r\nQUIT\r\nNOOP\r\n",
    )
    .await;
    assert_eq!(
        lines,
        [
            "250 2.0.0 OK",
            "250 2.0.0 OK",
            "252 2.5.0 Cannot verify, but will accept",
            "221 2.0.0 Bye",
        ]
    );
}

/// The replies after DATA's 354: to the message, then to QUIT.
fn after_data(lines: &[String]) -> &[String] {
    let at = lines
        .iter()
        .position(|l| l.starts_with("354 "))
        .unwrap_or_else(|| panic!("no 354 in {lines:?}"));
    &lines[at + 1..]
}

/// A message that is not all headers, from `MAILBOX`, with `body`; its dots stuffed.
fn data_of(password: &str, head: &str, body: &str) -> String {
    let stuffed: String = body
        .split_inclusive('\n')
        .map(|line| match line.strip_prefix('.') {
            Some(_) => format!(".{line}"),
            None => line.to_owned(),
        })
        .collect();
    format!(
        "EHLO c\r\nAUTH PLAIN {}\r\nMAIL FROM:<{MAILBOX}>\r\nRCPT TO:<a@fabrikam.com>\r\nDATA\r\n\
         From: {MAILBOX}\r\n{head}\r\n{stuffed}.\r\nQUIT\r\n",
        plain("erp", password)
    )
}

#[tokio::test]
async fn a_large_message_is_stored_in_pieces_and_read_back_whole() {
    let (relay, password) = relay_of("pieces", 3 * PIECE).await;
    // Two whole pieces and a part; lines with dots cut across pieces' edges.
    let line = ".dot then 0123456789012345678901234567890123456789012345678\r\n";
    let body = line.repeat(PIECE * 5 / 2 / line.len());
    let (lines, _) = talk(
        &relay,
        LOOPBACK,
        true,
        &data_of(&password, "Subject: big\r\n", &body),
    )
    .await;
    assert!(
        after_data(&lines)[0].starts_with("250 2.0.0 <"),
        "{lines:?}"
    );
    let due = claimed(&relay).await;
    assert_eq!(due.pieces, 3, "{} bytes in pieces of {PIECE}", body.len());
    let whole = whole(&relay.store, &due).await;
    assert!(whole.ends_with(format!("Subject: big\r\n\r\n{body}").as_bytes()));
    assert_eq!(relay.store.sweep_pieces(i64::MAX).await.expect("sweep"), 0);
}

#[tokio::test]
async fn too_large_a_head_or_body_is_refused_and_nothing_is_kept() {
    let (relay, password) = relay_of("refused-pieces", 1 << 20).await;
    let long_headers = format!("X-Long: {}\r\n", "h".repeat(90)).repeat(3_000);
    let (lines, _) = talk(
        &relay,
        LOOPBACK,
        true,
        &data_of(&password, &long_headers, "hi\r\n"),
    )
    .await;
    assert_eq!(
        after_data(&lines)[0],
        "552 5.3.4 the message's header section is larger than this relay's limit of 262144 \
         bytes"
    );
    assert_eq!(
        after_data(&lines)[1],
        "221 2.0.0 Bye",
        "the session goes on"
    );
    // Pieces were written before the body passed the limit: they are taken away.
    let body = "0123456789\r\n".repeat(128 * 1024);
    let (lines, _) = talk(
        &relay,
        LOOPBACK,
        true,
        &data_of(&password, "Subject: s\r\n", &body),
    )
    .await;
    assert_eq!(
        after_data(&lines)[0],
        "552 5.3.4 the message is larger than this relay's limit of 1048576 bytes"
    );
    assert_eq!(relay.store.sweep_pieces(i64::MAX).await.expect("sweep"), 0);
    let (waiting, _) = relay.store.queue_stats().await.expect("stats");
    assert_eq!(waiting, 0);
}

/// The client's stuffing taken out, the message ended by its lone dot and nothing of
/// what follows it used, however the bytes are cut between reads.
#[test]
fn unstuffing_is_the_same_at_every_cut_and_stops_at_the_final_dot() {
    let cases: [(&[u8], &[u8], &[u8]); 6] = [
        (b"a\r\n..b\r\n.\r\nQUIT\r\n", b"a\r\n.b\r\n", b"QUIT\r\n"),
        (b".\r\nRSET\r\n", b"", b"RSET\r\n"),
        (b"..\r\n.\n", b".\r\n", b""),
        (b".\rx\r\n.\r\n", b"\rx\r\n", b""),
        (b"x.\r\n. \r\n.\r\n", b"x.\r\n \r\n", b""),
        (b"no end\r\n.x", b"no end\r\nx", b""),
    ];
    for (input, message, after) in cases {
        let ends = input.len() - after.len();
        for cut in 0..=input.len() {
            let mut unstuff = super::io::Unstuff::default();
            let mut out = Vec::new();
            let (first, second) = input.split_at(cut);
            let mut used = unstuff.take(first, &mut out);
            if used == first.len() {
                used += unstuff.take(second, &mut out);
            }
            assert_eq!(out, message, "{input:?} cut at {cut}");
            if input.ends_with(b".x") {
                assert_eq!(used, input.len(), "{input:?}: no end, all used");
            } else {
                assert_eq!(
                    used, ends,
                    "{input:?} cut at {cut}: used up to the final dot"
                );
            }
        }
    }
}
