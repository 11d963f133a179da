//! The SMTP transcript the page shows, and how TLS is reported: the agreed version, and
//! each kind of certificate problem told apart.

use smtp_setup::api::report::{transcript_text, Speaker, Step, TestOutcome};
use smtp_setup::server::check::Checks;

use crate::helpers::{spawn_peers, spawn_peers_with, NOTHING_STORED};

#[tokio::test]
async fn the_transcript_shows_the_dialogue_with_the_credentials_redacted() {
    let peers = spawn_peers().await;
    let report = peers
        .checks()
        .send_test(&peers.form(), &NOTHING_STORED)
        .await;
    assert!(
        matches!(report.outcome, TestOutcome::Sent { .. }),
        "{report:?}"
    );

    let text = transcript_text(&report.transcript);
    for expected in [
        "S: 220 ",
        "C: EHLO [127.0.0.1]",
        "C: STARTTLS",
        "* TLS handshake done: TLS 1.3",
        "C: AUTH XOAUTH2\n",
        "C: [redacted]\n",
        "S: 235 ",
        &format!("C: MAIL FROM:<{}>", peers.info.mailbox),
        "C: RCPT TO:<admin@contoso-test.com>",
        "C: DATA",
        "S: 354",
        "octets, not shown]",
        "C: .\n",
        "C: QUIT",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    // Neither the secret, nor the token, nor the XOAUTH2 payload that carries it.
    assert!(!text.contains(&peers.info.client_secret), "{text}");
    assert!(
        !text.contains("eyJ"),
        "a JWT leaked into the transcript:\n{text}"
    );
    assert!(
        !text.contains("dXNlcj"),
        "the XOAUTH2 payload leaked:\n{text}"
    );
    // The server's side is recorded as the server's.
    assert!(report
        .transcript
        .iter()
        .any(|l| l.speaker == Speaker::Server && l.text.starts_with("250")));

    let tls = report
        .steps
        .iter()
        .find(|s| s.step == Step::StartTls)
        .expect("STARTTLS step");
    assert!(
        tls.detail.en.starts_with("TLS 1.3, TLS13_"),
        "{}",
        tls.detail
    );
}

#[tokio::test]
async fn a_refused_authentication_ends_the_transcript_with_the_servers_words() {
    let peers = spawn_peers_with(&[("PEER_SMTP_REJECT_AUTH", "1")]).await;
    let report = peers
        .checks()
        .send_test(&peers.form(), &NOTHING_STORED)
        .await;
    let last_server_line = report
        .transcript
        .iter()
        .rev()
        .find(|l| l.speaker == Speaker::Server)
        .expect("a server line");
    assert!(
        last_server_line.text.starts_with("535 5.7.3"),
        "{last_server_line:?}"
    );
}

#[tokio::test]
async fn a_strict_server_that_limits_line_length_gets_the_token_after_the_challenge() {
    let peers = spawn_peers_with(&[("PEER_STRICT_LINES", "1")]).await;
    let report = peers
        .checks()
        .send_test(&peers.form(), &NOTHING_STORED)
        .await;
    assert!(
        matches!(report.outcome, TestOutcome::Sent { .. }),
        "{report:?}"
    );
    assert_eq!(peers.stats().await.long_lines, 0);
    assert_eq!(peers.messages().await.len(), 1);
}

#[tokio::test]
async fn a_certificate_for_another_name_is_named_as_such() {
    let peers = spawn_peers_with(&[("PEER_SMTP_CERT_SAN", "DNS:mail.other.example")]).await;
    let report = peers
        .checks()
        .send_test(&peers.form(), &NOTHING_STORED)
        .await;
    let TestOutcome::Failed(failure) = report.outcome else {
        panic!("{report:?}");
    };
    assert_eq!(failure.step, Step::StartTls);
    assert!(
        failure.detail.contains("another host name"),
        "{}",
        failure.detail
    );
    assert!(
        failure.detail.contains("mail.other.example"),
        "{}",
        failure.detail
    );
    assert!(failure.fix.en.contains("host name"), "{}", failure.fix);
    assert!(peers.messages().await.is_empty());
    assert_eq!(
        peers.stats().await.auth_attempts,
        0,
        "no credentials may follow"
    );
}

#[tokio::test]
async fn a_certificate_from_an_untrusted_authority_is_named_as_such() {
    let peers = spawn_peers().await;
    let settings = smtp_setup::server::config::ServerSettings {
        extra_roots_pem: None,
        ..peers.settings()
    };
    // Without the private CA the token server's certificate is irrelevant (plain http),
    // but the SMTP server's certificate is not trusted.
    let report = Checks::new(&settings)
        .expect("checks")
        .send_test(&peers.form(), &NOTHING_STORED)
        .await;
    let TestOutcome::Failed(failure) = report.outcome else {
        panic!("{report:?}");
    };
    assert_eq!(failure.step, Step::StartTls);
    assert!(
        failure.detail.contains("not signed by a trusted authority"),
        "{}",
        failure.detail
    );
    assert!(
        failure.fix.en.contains("SMTP_SETUP_CA_FILE"),
        "{}",
        failure.fix
    );
    assert_eq!(peers.stats().await.auth_attempts, 0);
}
