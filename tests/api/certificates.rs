//! Server certificates made the way a new user makes them, for SMTP and IMAP alike: a
//! self-signed certificate (`openssl req -x509`, which marks it as a CA) is trusted when
//! that very file is given in `SMTP_SETUP_CA_FILE`, its name still checked; without it,
//! or for another name, the refusal says what is wrong in words.

use smtp_setup::api::report::{Step, TestOutcome};

use crate::helpers::{spawn_peers, spawn_peers_with, NOTHING_STORED};

#[tokio::test]
async fn a_self_signed_certificate_given_as_trusted_is_accepted_for_smtp_and_imap() {
    let peers = spawn_peers_with(&[("PEER_SELF_SIGNED", "1"), ("PEER_IMAP", "1")]).await;
    let checks = peers.checks();
    let sent = checks.send_test(&peers.form(), &NOTHING_STORED).await;
    assert!(
        matches!(sent.outcome, TestOutcome::Sent { .. }),
        "{:?}",
        sent.outcome
    );
    let opened = checks.mailbox_access(&peers.form(), &NOTHING_STORED).await;
    assert!(
        matches!(opened.outcome, TestOutcome::MailboxOpened { .. }),
        "{:?}",
        opened.outcome
    );
}

#[tokio::test]
async fn a_self_signed_certificate_not_given_is_named_as_such() {
    let self_signed = spawn_peers_with(&[("PEER_SELF_SIGNED", "1")]).await;
    // Trust the other peers' CA, not the self-signed certificate.
    let other = spawn_peers().await;
    let mut settings = self_signed.settings();
    settings.extra_roots_pem = Some(std::fs::read(&other.info.ca_file).expect("CA"));
    let checks = smtp_setup::server::check::Checks::new(&settings).expect("checks");
    let TestOutcome::Failed(failure) = checks
        .send_test(&self_signed.form(), &NOTHING_STORED)
        .await
        .outcome
    else {
        panic!("an untrusted self-signed certificate must be refused");
    };
    assert_eq!(failure.step, Step::StartTls);
    assert!(
        !failure.detail.contains("Other("),
        "a Debug dump: {failure:?}"
    );
    // Told apart from any untrusted certificate: this one is self-signed.
    assert!(
        failure
            .detail
            .contains("self-signed certificate made as a CA"),
        "{failure:?}"
    );
    assert!(failure.fix.en.contains("SMTP_SETUP_CA_FILE"), "{failure:?}");
}

#[tokio::test]
async fn a_trusted_self_signed_certificate_for_another_name_is_still_refused() {
    let peers = spawn_peers_with(&[
        ("PEER_SELF_SIGNED", "1"),
        ("PEER_SMTP_CERT_SAN", "DNS:mail.other.example"),
    ])
    .await;
    let TestOutcome::Failed(failure) = peers
        .checks()
        .send_test(&peers.form(), &NOTHING_STORED)
        .await
        .outcome
    else {
        panic!("a certificate for another name must be refused, even when trusted");
    };
    assert_eq!(failure.step, Step::StartTls);
    assert!(
        failure.detail.contains("for another host name"),
        "{failure:?}"
    );
    assert_eq!(peers.stats().await.auth_attempts, 0);
}
