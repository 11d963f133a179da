//! The mailbox check over IMAP: against dovecot validating the peers' real tokens, and
//! against a fault peer that answers as Exchange Online does when a setup step is missing.

use smtp_setup::api::report::{
    transcript_text, Failure, Speaker, Step, StepStatus, TestOutcome, TestReport,
};
use smtp_setup::domain::{AuthType, Field, Security, SmtpForm};
use smtp_setup::server::check::Checks;
use smtp_setup::server::config::ServerSettings;

use crate::helpers::{short_timeouts, spawn_imap_faults, spawn_peers_with, Peers, NOTHING_STORED};

async fn dovecot(env: &[(&str, &str)]) -> Peers {
    let mut env = env.to_vec();
    env.push(("PEER_IMAP", "1"));
    spawn_peers_with(&env).await
}

fn failed(report: &TestReport) -> &Failure {
    match &report.outcome {
        TestOutcome::Failed(failure) => failure,
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[tokio::test]
async fn the_mailbox_opens_read_only_and_its_messages_are_counted() {
    let peers = dovecot(&[("PEER_IMAP_MESSAGES", "3")]).await;
    let checks = peers.checks();
    let report = checks.mailbox_access(&peers.form(), &NOTHING_STORED).await;
    assert_eq!(
        report.outcome,
        TestOutcome::MailboxOpened {
            mailbox: peers.info.mailbox.clone(),
            messages: 3
        },
        "{report:?}"
    );
    let steps: Vec<Step> = report.steps.iter().map(|s| s.step).collect();
    assert_eq!(steps, Step::MAILBOX_ACCESS);
    assert!(report.steps.iter().all(|s| s.status == StepStatus::Passed));
    let examine = &report.steps[7];
    assert!(
        examine
            .detail
            .en
            .starts_with("INBOX holds 3 messages, UIDVALIDITY "),
        "{}",
        examine.detail
    );
    // The token never appears; only reading commands were sent.
    let text = transcript_text(&report.transcript);
    assert!(
        text.contains("C: a2 AUTHENTICATE XOAUTH2 [redacted]"),
        "{text}"
    );
    assert!(!text.contains("eyJ"), "{text}");
    let sent: Vec<&str> = report
        .transcript
        .iter()
        .filter(|l| l.speaker == Speaker::Client)
        .map(|l| l.text.as_str())
        .collect();
    assert_eq!(
        sent,
        [
            "a1 CAPABILITY",
            "a2 AUTHENTICATE XOAUTH2 [redacted]",
            "a3 EXAMINE INBOX",
            "a4 LOGOUT"
        ],
        "{text}"
    );
    // One token serves both checks: the test email after it reuses the cached one.
    let sent = checks.send_test(&peers.form(), &NOTHING_STORED).await;
    assert!(
        matches!(sent.outcome, TestOutcome::Sent { .. }),
        "{:?}",
        sent.outcome
    );
    assert_eq!(peers.stats().await.token_requests, 1);
}

#[tokio::test]
async fn a_token_without_imap_access_as_app_is_named_before_any_imap_connection() {
    let peers = dovecot(&[("PEER_TOKEN_ROLES", "SMTP.SendAsApp")]).await;
    let report = peers
        .checks()
        .mailbox_access(&peers.form(), &NOTHING_STORED)
        .await;
    let failure = failed(&report);
    assert_eq!(failure.step, Step::TokenInspection);
    assert!(
        failure
            .summary
            .en
            .starts_with("IMAP.AccessAsApp not granted, or no admin consent"),
        "{failure:?}"
    );
    assert!(report.transcript.is_empty(), "{:?}", report.transcript);
    assert_eq!(
        report.status_of(Step::ImapConnect),
        Some(StepStatus::Skipped)
    );
}

#[tokio::test]
async fn a_mailbox_the_token_may_not_open_is_refused_at_authenticate_in_the_servers_words() {
    // dovecot takes the token for its mailbox only, as Exchange takes it only for the
    // mailboxes its service principal holds.
    let peers = dovecot(&[]).await;
    let form = SmtpForm {
        email_address: "someone-else@contoso-test.com".into(),
        ..peers.form()
    };
    let report = peers.checks().mailbox_access(&form, &NOTHING_STORED).await;
    let failure = failed(&report);
    assert_eq!(failure.step, Step::ImapAuthenticate, "{failure:?}");
    assert_eq!(failure.code.as_deref(), Some("NO"));
    assert!(failure.detail.starts_with("NO "), "{failure:?}");
    assert!(
        failure.fix.en.contains("New-ServicePrincipal"),
        "{failure:?}"
    );
}

/// The mailbox check against the fault peer's IMAP server in `mode`.
async fn imap_fault(mode: &str) -> (TestReport, crate::helpers::Faults) {
    let peers = spawn_peers_with(&[]).await;
    let faults = spawn_imap_faults(mode, &peers, "").await;
    (imap_check(&peers, &faults).await, faults)
}

async fn imap_check(peers: &Peers, faults: &crate::helpers::Faults) -> TestReport {
    fault_checks(peers, faults)
        .mailbox_access(&peers.form(), &NOTHING_STORED)
        .await
}

/// Checks whose tokens come from `peers` and whose IMAP server is the fault peer's.
fn fault_checks(peers: &Peers, faults: &crate::helpers::Faults) -> Checks {
    let settings = ServerSettings {
        imap_override: smtp_setup::server::config::parse_endpoint(&faults.info.imaps),
        timeouts: short_timeouts(),
        ..peers.settings()
    };
    Checks::new(&settings).expect("checks")
}

#[tokio::test]
async fn a_cached_token_refused_at_authenticate_is_replaced_once() {
    // The first check caches a token; the second's cached token is refused at
    // AUTHENTICATE, a fresh token is fetched and the third AUTHENTICATE succeeds.
    let peers = spawn_peers_with(&[]).await;
    let faults = spawn_imap_faults("refuse-second-auth", &peers, "").await;
    let checks = fault_checks(&peers, &faults);
    let first = checks.mailbox_access(&peers.form(), &NOTHING_STORED).await;
    assert!(
        matches!(first.outcome, TestOutcome::MailboxOpened { .. }),
        "{first:?}"
    );
    let second = checks.mailbox_access(&peers.form(), &NOTHING_STORED).await;
    assert!(
        matches!(second.outcome, TestOutcome::MailboxOpened { .. }),
        "{second:?}"
    );
    assert!(
        second.steps[1]
            .detail
            .en
            .contains("cached token was refused"),
        "{}",
        second.steps[1].detail
    );
    let said = transcript_text(&second.transcript);
    assert!(
        said.contains("AUTHENTICATE refused a cached token"),
        "{said}"
    );
    assert_eq!(peers.stats().await.token_requests, 2);
    // The server's own record. (It refuses the token it refused once whenever it comes
    // back: the retry carried the new one.)
    let heard = faults.imap_commands().await;
    let count = |what: &str| heard.iter().filter(|c| *c == what).count();
    assert_eq!(
        (
            count("AUTHENTICATE XOAUTH2 [token]"),
            count("EXAMINE INBOX")
        ),
        (3, 2),
        "two checks, one of them retried: {heard:?}"
    );
}

#[tokio::test]
async fn a_fresh_token_refused_at_authenticate_is_not_retried() {
    let peers = spawn_peers_with(&[]).await;
    let faults = spawn_imap_faults("auth-failed", &peers, "").await;
    let report = imap_check(&peers, &faults).await;
    assert_eq!(failed(&report).step, Step::ImapAuthenticate);
    // Neither a second token nor a second AUTHENTICATE, as the server saw it.
    assert_eq!(peers.stats().await.token_requests, 1);
    let heard = faults.imap_commands().await;
    let authentications = heard
        .iter()
        .filter(|c| c.starts_with("AUTHENTICATE"))
        .count();
    assert_eq!(authentications, 1, "{heard:?}");
}

#[tokio::test]
async fn an_imap_certificate_for_another_name_is_refused_before_the_token_is_sent() {
    let peers = spawn_peers_with(&[("PEER_SMTP_CERT_SAN", "DNS:mail.other.example")]).await;
    let faults = spawn_imap_faults("ok", &peers, "-DNS_mail_other_example").await;
    let report = imap_check(&peers, &faults).await;
    let failure = failed(&report);
    assert_eq!(failure.step, Step::ImapTls);
    assert!(
        failure
            .detail
            .contains("for another host name (mail.other.example)"),
        "{failure:?}"
    );
    assert!(failure.fix.en.contains("host name"), "{failure:?}");
    // Refused at the handshake: no command, and so no token, went to the server.
    let said = transcript_text(&report.transcript);
    assert!(!said.contains("C: "), "{said}");
}

#[tokio::test]
async fn exchanges_refusals_name_the_missing_setup_step() {
    let (report, _) = imap_fault("auth-failed").await;
    let failure = failed(&report);
    assert_eq!(failure.step, Step::ImapAuthenticate);
    assert_eq!(failure.detail, "NO AUTHENTICATE failed.");
    assert!(failure
        .summary
        .en
        .contains("service principal is not registered"));
    assert_eq!(failure.field, Some(Field::ObjectId));

    let (report, _) = imap_fault("not-connected").await;
    let failure = failed(&report);
    assert_eq!(failure.step, Step::Examine);
    assert_eq!(
        failure.detail,
        "BAD User is authenticated but not connected."
    );
    assert!(failure.summary.en.contains("FullAccess"), "{failure:?}");
    assert!(failure.fix.en.contains("-ImapEnabled $true"), "{failure:?}");
    assert_eq!(
        report.status_of(Step::ImapAuthenticate),
        Some(StepStatus::Passed)
    );

    let (report, _) = imap_fault("no-xoauth2").await;
    let failure = failed(&report);
    assert_eq!(failure.step, Step::ImapCapabilities);
    assert!(failure.detail.contains("AUTH=PLAIN"), "{failure:?}");
    assert!(
        !transcript_text(&report.transcript).contains("AUTHENTICATE"),
        "no token offered to a server without XOAUTH2"
    );

    let (report, _) = imap_fault("silent").await;
    let failure = failed(&report);
    assert_eq!(failure.step, Step::ImapTls);
    assert!(
        failure.summary.en.contains("stopped answering"),
        "{failure:?}"
    );
}

#[tokio::test]
async fn only_reading_commands_reach_the_server() {
    let (report, faults) = imap_fault("ok").await;
    assert_eq!(
        report.outcome,
        TestOutcome::MailboxOpened {
            mailbox: "sender@contoso-test.com".into(),
            messages: 2
        }
    );
    // What the server received, in its own record, and nothing else.
    let received = faults.imap_commands().await;
    assert_eq!(
        received,
        [
            "CAPABILITY",
            "AUTHENTICATE XOAUTH2 [token]",
            "EXAMINE INBOX",
            "LOGOUT"
        ]
    );
}

#[tokio::test]
async fn the_password_type_has_no_mailbox_check() {
    let peers = spawn_peers_with(&[]).await;
    let form = SmtpForm {
        auth_type: AuthType::Password,
        ..peers.password_form(Security::StartTls)
    };
    let report = peers.checks().mailbox_access(&form, &NOTHING_STORED).await;
    let failure = failed(&report);
    assert_eq!(failure.step, Step::Inputs);
    assert!(failure.summary.en.contains("Microsoft (OAuth2)"));
}
