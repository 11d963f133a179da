//! Peers that misbehave (tests/peers/faults.mjs): each test send still ends within its
//! bound, names the step, and says what happened in plain words.

use std::time::Instant;

use smtp_setup::api::report::{Failure, Step, TestOutcome, TestReport};
use smtp_setup::domain::SmtpForm;
use smtp_setup::server::check::Checks;
use smtp_setup::server::config::{parse_authority, ServerSettings};

use crate::helpers::{
    short_timeouts, spawn_faults, spawn_faults_with_cert, spawn_peers, HeardCommand, Peers,
    NOTHING_STORED,
};

/// A test send through the good token server and the fault SMTP server in `mode`; the
/// lines the server read, as it read them.
async fn smtp_fault(mode: &str) -> (Peers, TestReport, Vec<HeardCommand>) {
    let peers = spawn_peers().await;
    let faults = spawn_faults(mode, &peers).await;
    let settings = ServerSettings {
        timeouts: short_timeouts(),
        ..peers.settings_with(&faults.info.smtp)
    };
    let started = Instant::now();
    let report = Checks::new(&settings)
        .expect("checks")
        .send_test(&peers.form(), &NOTHING_STORED)
        .await;
    assert!(started.elapsed() <= short_timeouts().total + std::time::Duration::from_secs(2));
    let heard = faults.smtp_commands().await;
    (peers, report, heard)
}

fn failed(outcome: TestOutcome) -> Failure {
    match outcome {
        TestOutcome::Failed(failure) => failure,
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[tokio::test]
async fn smtp_faults_end_at_the_right_step_in_plain_words() {
    let cases: &[(&str, Step, &str)] = &[
        ("no-banner", Step::Connect, "did not answer within"),
        ("close-after-banner", Step::Connect, "closed the connection"),
        ("421-banner", Step::Connect, "421 4.3.2"),
        ("no-starttls", Step::StartTls, "does not offer STARTTLS"),
        ("bad-tls", Step::StartTls, "could not be set up"),
        (
            "no-xoauth2",
            Step::Capabilities,
            "does not offer AUTH XOAUTH2",
        ),
        ("421-ehlo", Step::Connect, "421 4.7.0"),
        ("421-starttls", Step::StartTls, "421 4.7.0"),
        ("421-auth", Step::Authenticate, "421 4.7.0"),
        ("421-mail", Step::Envelope, "421 4.7.0"),
        ("421-rcpt", Step::Envelope, "421 4.7.0"),
        ("421-data", Step::Data, "421 4.7.0"),
        ("drop-data", Step::Data, "may not have been delivered"),
        ("slow-data", Step::Data, "stopped answering"),
    ];
    for (mode, step, words) in cases {
        let (_peers, report, heard) = smtp_fault(mode).await;
        let failure = failed(report.outcome);
        let text = format!("{} {} {}", failure.summary, failure.detail, failure.fix);
        assert_eq!(failure.step, *step, "{mode}: {failure:?}");
        assert!(text.contains(words), "{mode}: {words:?} not in {text:?}");
        // Whatever the fault, nothing past EHLO reached the server in clear text: read
        // from what the server received, not from our own transcript.
        let in_clear: Vec<&str> = heard
            .iter()
            .filter(|c| !c.tls && !c.command.starts_with("EHLO") && c.command != "STARTTLS")
            .map(|c| c.command.as_str())
            .collect();
        assert!(
            in_clear.is_empty(),
            "{mode}: sent in clear text: {in_clear:?}"
        );
    }
}

#[tokio::test]
async fn the_fault_server_records_what_it_read_and_whether_over_tls() {
    // The control for the test above: on a server that behaves, the same record shows
    // the whole dialogue, the sign-in and the message over TLS.
    let (_peers, report, heard) = smtp_fault("ok").await;
    assert!(
        matches!(report.outcome, TestOutcome::Sent { .. }),
        "{:?}",
        report.outcome
    );
    let read: Vec<(&str, bool)> = heard
        .iter()
        .map(|c| (c.command.split(':').next().unwrap_or_default(), c.tls))
        .collect();
    assert!(
        read.first()
            .is_some_and(|(command, tls)| command.starts_with("EHLO") && !tls),
        "{read:?}"
    );
    for (command, tls) in [
        ("STARTTLS", false),
        ("AUTH XOAUTH2", true),
        ("MAIL FROM", true),
        ("[message]", true),
    ] {
        assert!(read.contains(&(command, tls)), "{command}: {read:?}");
    }
}

#[tokio::test]
async fn a_reply_split_across_packets_is_read_whole() {
    let (_peers, report, _) = smtp_fault("split-lines").await;
    assert!(
        matches!(report.outcome, TestOutcome::Sent { .. }),
        "{:?}",
        report.outcome
    );
}

/// A test send whose token comes from the fault token endpoint, as `tenant`.
async fn token_fault(tenant: &str, authority: Option<&str>) -> Failure {
    let peers = spawn_peers().await;
    let faults = spawn_faults("ok", &peers).await;
    let settings = ServerSettings {
        authority_override: Some(
            parse_authority(authority.unwrap_or(&faults.info.authority)).expect("authority"),
        ),
        timeouts: short_timeouts(),
        ..peers.settings()
    };
    let form = SmtpForm {
        tenant_id: tenant.into(),
        ..peers.form()
    };
    let started = Instant::now();
    let report = Checks::new(&settings)
        .expect("checks")
        .send_test(&form, &NOTHING_STORED)
        .await;
    assert!(started.elapsed() <= short_timeouts().total + std::time::Duration::from_secs(2));
    let failure = failed(report.outcome);
    assert_eq!(failure.step, Step::TokenRequest, "{tenant}: {failure:?}");
    failure
}

#[tokio::test]
async fn token_endpoint_faults_end_at_the_token_step_in_plain_words() {
    let cases: &[(&str, &str)] = &[
        ("status-500.test", "500"),
        ("status-502.test", "502"),
        ("status-503.test", "503"),
        ("drip.test", "did not answer within"),
        ("huge.test", "larger than 64 KB"),
        ("not-json.test", "not JSON"),
        ("no-token.test", "access_token"),
    ];
    for (tenant, words) in cases {
        let failure = token_fault(tenant, None).await;
        let text = format!("{} {} {}", failure.summary, failure.detail, failure.fix);
        assert!(text.contains(words), "{tenant}: {words:?} not in {text:?}");
    }
}

#[tokio::test]
async fn a_token_that_is_not_a_jwt_is_named_at_inspection() {
    let peers = spawn_peers().await;
    let faults = spawn_faults("ok", &peers).await;
    let settings = ServerSettings {
        authority_override: Some(parse_authority(&faults.info.authority).expect("authority")),
        ..peers.settings()
    };
    let form = SmtpForm {
        tenant_id: "not-jwt.test".into(),
        ..peers.form()
    };
    let failure = failed(
        Checks::new(&settings)
            .expect("checks")
            .send_test(&form, &NOTHING_STORED)
            .await
            .outcome,
    );
    assert_eq!(failure.step, Step::TokenInspection, "{failure:?}");
    assert!(failure.detail.contains("not a readable JWT"), "{failure:?}");
}

#[tokio::test]
async fn an_authority_that_does_not_resolve_is_named_at_the_token_step() {
    // `.invalid` never resolves (RFC 6761): the failure is the name lookup, and says so.
    let failure = token_fault(
        "contoso.onmicrosoft.com",
        Some("http://login.smtp-setup.invalid"),
    )
    .await;
    assert_eq!(
        failure.summary.en,
        "Could not reach http://login.smtp-setup.invalid."
    );
    assert!(failure.detail.contains("dns error"), "{failure:?}");
}

#[tokio::test]
async fn a_token_endpoint_that_refuses_connections_is_named_at_the_token_step() {
    // Port 1 on loopback: nothing listens there.
    let failure = token_fault("contoso.onmicrosoft.com", Some("http://127.0.0.1:1")).await;
    assert_eq!(failure.summary.en, "Could not reach http://127.0.0.1:1.");
    assert!(failure.detail.contains("Connection refused"), "{failure:?}");
}

#[tokio::test]
async fn an_https_authority_with_a_certificate_for_another_name_is_refused_before_anything_is_sent()
{
    // The fault peer's HTTPS token endpoint presents a certificate from a trusted
    // authority, but for another name: nothing, and so no secret, may reach it.
    let peers =
        crate::helpers::spawn_peers_with(&[("PEER_SMTP_CERT_SAN", "DNS:mail.other.example")]).await;
    let faults = spawn_faults_with_cert("ok", &peers, "-DNS_mail_other_example").await;
    let settings = ServerSettings {
        authority_override: Some(parse_authority(&faults.info.https_authority).expect("authority")),
        timeouts: short_timeouts(),
        ..peers.settings()
    };
    let report = Checks::new(&settings)
        .expect("checks")
        .send_test(&peers.form(), &NOTHING_STORED)
        .await;
    let failure = failed(report.outcome);
    assert_eq!(failure.step, Step::TokenRequest, "{failure:?}");
    assert!(
        failure.detail.contains("certificate not valid for name"),
        "{failure:?}"
    );
    assert_eq!(faults.https_token_requests().await, 0);
}

#[tokio::test]
async fn the_https_token_endpoint_of_the_fault_peer_counts_what_reaches_it() {
    // The control for the test above: with the right name, the request arrives.
    let peers = spawn_peers().await;
    let faults = spawn_faults("ok", &peers).await;
    let settings = ServerSettings {
        authority_override: Some(parse_authority(&faults.info.https_authority).expect("authority")),
        timeouts: short_timeouts(),
        ..peers.settings()
    };
    let form = SmtpForm {
        tenant_id: "not-jwt.test".into(),
        ..peers.form()
    };
    let report = Checks::new(&settings)
        .expect("checks")
        .send_test(&form, &NOTHING_STORED)
        .await;
    assert_eq!(failed(report.outcome).step, Step::TokenInspection);
    assert_eq!(faults.https_token_requests().await, 1);
}
