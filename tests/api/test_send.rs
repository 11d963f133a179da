use std::time::{Duration, Instant};

use smtp_setup::api::report::{Step, StepStatus, TestOutcome};
use smtp_setup::domain::{AuthType, ClientSecretError, DisplayNameError, Field, FieldError};
use smtp_setup::i18n::Lang;
use smtp_setup::server::check::test_message::SUBJECT;
use smtp_setup::server::check::Checks;
use tokio::net::TcpListener;

use crate::helpers::{short_timeouts, spawn_peers, spawn_peers_with, NOTHING_STORED};

#[tokio::test]
async fn a_valid_configuration_delivers_the_test_message() {
    let peers = spawn_peers().await;
    let outcome = peers
        .checks()
        .send_test(&peers.form(), &NOTHING_STORED)
        .await
        .outcome;

    assert_eq!(
        outcome,
        TestOutcome::Sent {
            recipient: "admin@contoso-test.com".into()
        }
    );
    let messages = peers.messages().await;
    assert_eq!(messages.len(), 1, "{messages:?}");
    let message = &messages[0];
    assert!(message.secure, "the message must travel after STARTTLS");
    assert_eq!(message.auth_user, peers.info.mailbox);
    assert_eq!(message.mail_from, peers.info.mailbox);
    assert_eq!(message.rcpt_to, vec!["admin@contoso-test.com".to_owned()]);
    assert_eq!(message.from.address, peers.info.mailbox);
    assert_eq!(message.from.name, "Contoso Notifications");
    assert_eq!(message.to, vec!["admin@contoso-test.com".to_owned()]);
    assert_eq!(message.subject, SUBJECT);
    // The body names the configuration (normalized tenant) and never the secret.
    assert!(
        message.text.contains(&peers.info.tenant),
        "{}",
        message.text
    );
    assert!(message
        .html
        .as_deref()
        .is_some_and(|h| h.contains(&peers.info.client_id)));
    assert!(!message.text.contains(&peers.info.client_secret));
}

#[tokio::test]
async fn a_tenant_domain_works_like_its_guid() {
    let peers = spawn_peers().await;
    let form = smtp_setup::domain::SmtpForm {
        tenant_id: peers.info.tenant_domain.clone(),
        send_test_to: String::new(),
        ..peers.form()
    };
    let outcome = peers
        .checks()
        .send_test(&form, &NOTHING_STORED)
        .await
        .outcome;
    assert_eq!(
        outcome,
        TestOutcome::Sent {
            recipient: peers.info.mailbox.clone()
        }
    );
}

#[tokio::test]
async fn a_wrong_secret_reports_entras_aadsts7000215_at_the_token_step() {
    let peers = spawn_peers().await;
    let form = smtp_setup::domain::SmtpForm {
        client_secret: "Wrong8Q~not-the-secret".into(),
        ..peers.form()
    };
    let TestOutcome::Failed(failure) = peers
        .checks()
        .send_test(&form, &NOTHING_STORED)
        .await
        .outcome
    else {
        panic!("a wrong secret must fail");
    };
    assert_eq!(failure.step, Step::TokenRequest);
    assert_eq!(failure.field, Some(Field::ClientSecret));
    assert_eq!(failure.code.as_deref(), Some("AADSTS7000215"));
    assert!(
        failure
            .detail
            .starts_with("AADSTS7000215: Invalid client secret provided."),
        "{}",
        failure.detail
    );
    let names: Vec<&str> = failure.references.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["Trace ID", "Correlation ID"]);
    assert!(peers.messages().await.is_empty());
}

#[tokio::test]
async fn an_unknown_application_points_at_smtp_user() {
    let peers = spawn_peers().await;
    let form = smtp_setup::domain::SmtpForm {
        client_id: "99999999-8888-4777-8666-555555555555".into(),
        ..peers.form()
    };
    let TestOutcome::Failed(failure) = peers
        .checks()
        .send_test(&form, &NOTHING_STORED)
        .await
        .outcome
    else {
        panic!("an unknown app must fail");
    };
    assert_eq!(failure.code.as_deref(), Some("AADSTS700016"));
    assert_eq!(failure.field, Some(Field::ClientId));
}

#[tokio::test]
async fn a_token_signed_by_another_issuer_is_refused_with_535_at_authenticate() {
    // The token comes from one token server; the SMTP server trusts another one's keys.
    let issuing = spawn_peers().await;
    let verifying = spawn_peers().await;
    let mut settings = issuing.settings_with(&verifying.info.smtp);
    settings.extra_roots_pem = Some(std::fs::read(&verifying.info.ca_file).expect("CA"));
    let checks = Checks::new(&settings).expect("checks");
    let TestOutcome::Failed(failure) = checks
        .send_test(&issuing.form(), &NOTHING_STORED)
        .await
        .outcome
    else {
        panic!("a foreign token must be refused");
    };
    assert_eq!(failure.step, Step::Authenticate);
    assert_eq!(failure.code.as_deref(), Some("535 5.7.3"));
    assert!(
        failure
            .detail
            .starts_with("535 5.7.3 Authentication unsuccessful"),
        "{}",
        failure.detail
    );
    assert!(failure.fix.en.contains("Add-MailboxPermission"));
    assert!(verifying.messages().await.is_empty());
}

#[tokio::test]
async fn a_mailbox_the_app_may_not_use_is_refused_at_authenticate() {
    let peers = spawn_peers().await;
    let form = smtp_setup::domain::SmtpForm {
        email_address: "someone-else@contoso-test.com".into(),
        ..peers.form()
    };
    let TestOutcome::Failed(failure) = peers
        .checks()
        .send_test(&form, &NOTHING_STORED)
        .await
        .outcome
    else {
        panic!("a mailbox without permission must be refused");
    };
    assert_eq!(failure.step, Step::Authenticate);
    assert_eq!(failure.code.as_deref(), Some("535 5.7.3"));
}

#[tokio::test]
async fn invalid_input_is_refused_with_the_browsers_messages_and_sends_nothing() {
    let peers = spawn_peers().await;
    let form = smtp_setup::domain::SmtpForm {
        name: "Sales\r\nBcc: victim@example.com".into(),
        client_secret: "8c5b1e3a-2f4d-4c6b-9a7e-1d2c3b4a5f60".into(),
        ..peers.form()
    };
    let TestOutcome::Invalid(errors) = peers
        .checks()
        .send_test(&form, &NOTHING_STORED)
        .await
        .outcome
    else {
        panic!("invalid input must be refused");
    };
    // The refusal the browser shows while typing, pinned here so that neither side can
    // drift from it; the words are the same in both languages' catalogues.
    let name = errors.get(Field::Name).expect("Name refused");
    assert_eq!(name, &FieldError::DisplayName(DisplayNameError::LineBreak));
    assert!(name.to_string().contains("line breaks"), "{name}");
    assert!(name.text(Lang::PtBr).contains("quebras de linha"), "{name}");
    assert_eq!(Field::Name.message(&form.name).as_ref(), Some(name));
    assert_eq!(
        errors.get(Field::ClientSecret),
        Some(&FieldError::ClientSecret(
            ClientSecretError::LooksLikeSecretId
        ))
    );
    assert_eq!(errors.iter().count(), 2);
    assert!(peers.messages().await.is_empty());
}

#[tokio::test]
async fn an_smtp_peer_that_never_answers_ends_in_a_timeout_at_connect() {
    let peers = spawn_peers().await;
    // Accepts TCP connections (the kernel completes the handshake) and never says a word.
    let silent = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let silent_addr = silent.local_addr().expect("addr").to_string();
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });

    let mut settings = peers.settings_with(&silent_addr);
    settings.timeouts = short_timeouts();
    let checks = Checks::new(&settings).expect("checks");
    let started = Instant::now();
    let TestOutcome::Failed(failure) = checks
        .send_test(&peers.form(), &NOTHING_STORED)
        .await
        .outcome
    else {
        panic!("a silent server must fail");
    };
    let elapsed = started.elapsed();
    holder.abort();

    assert_eq!(failure.step, Step::Connect);
    assert!(
        failure.summary.en.contains("did not answer"),
        "{}",
        failure.summary
    );
    // Bounded by the configured total (6 s), whatever the peer does.
    assert!(
        elapsed < Duration::from_secs(6) + Duration::from_secs(1),
        "{elapsed:?}"
    );
}

#[tokio::test]
async fn a_token_server_that_never_answers_ends_in_a_timeout_at_the_token_step() {
    let peers = spawn_peers().await;
    let silent = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let silent_url = format!("http://{}", silent.local_addr().expect("addr"));
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });
    let mut settings = peers.settings();
    settings.authority_override =
        Some(smtp_setup::server::config::parse_authority(&silent_url).expect("url"));
    settings.timeouts = short_timeouts();
    let checks = Checks::new(&settings).expect("checks");
    let TestOutcome::Failed(failure) = checks
        .send_test(&peers.form(), &NOTHING_STORED)
        .await
        .outcome
    else {
        panic!("a silent token server must fail");
    };
    holder.abort();
    assert_eq!(failure.step, Step::TokenRequest);
    assert!(
        failure.summary.en.contains("did not answer within 2 s"),
        "{}",
        failure.summary
    );
}

#[tokio::test]
async fn a_refused_connection_is_reported_at_connect() {
    let peers = spawn_peers().await;
    // Bind then drop: the port is closed, so connecting is refused.
    let closed = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let closed_addr = closed.local_addr().expect("addr").to_string();
    drop(closed);
    let checks = Checks::new(&peers.settings_with(&closed_addr)).expect("checks");
    let TestOutcome::Failed(failure) = checks
        .send_test(&peers.form(), &NOTHING_STORED)
        .await
        .outcome
    else {
        panic!("a closed port must fail");
    };
    assert_eq!(failure.step, Step::Connect);
    assert!(
        failure.detail.to_lowercase().contains("refused"),
        "{}",
        failure.detail
    );
}

#[tokio::test]
async fn an_untrusted_certificate_fails_at_tls_and_sends_no_token() {
    let peers = spawn_peers().await;
    let mut settings = peers.settings();
    settings.extra_roots_pem = None; // the peer's self-signed certificate is not trusted
    let checks = Checks::new(&settings).expect("checks");
    let TestOutcome::Failed(failure) = checks
        .send_test(&peers.form(), &NOTHING_STORED)
        .await
        .outcome
    else {
        panic!("an untrusted certificate must fail");
    };
    assert_eq!(failure.step, Step::StartTls);
    // The token was fetched (the token server is trusted) but never reached the SMTP
    // server: no AUTH was attempted.
    assert_eq!(peers.stats().await.auth_attempts, 0);
    assert!(
        failure.fix.en.contains("SMTP_SETUP_CA_FILE"),
        "{} / {}",
        failure.detail,
        failure.fix
    );
}

#[tokio::test]
async fn an_xoauth2_error_challenge_is_answered_and_the_final_reply_reported() {
    let peers = spawn_peers_with(&[("PEER_AUTH_FAILURE", "challenge")]).await;
    let form = smtp_setup::domain::SmtpForm {
        email_address: "someone-else@contoso-test.com".into(),
        ..peers.form()
    };
    let TestOutcome::Failed(failure) = peers
        .checks()
        .send_test(&form, &NOTHING_STORED)
        .await
        .outcome
    else {
        panic!("a refused mailbox must fail");
    };
    // The 334 challenge was answered, so the server's own final 535 reply is reported.
    assert_eq!(failure.step, Step::Authenticate);
    assert_eq!(failure.code.as_deref(), Some("535"));
    assert!(
        failure.detail.contains("not accepted"),
        "{}",
        failure.detail
    );
}

#[tokio::test]
async fn the_report_lists_every_step_in_order_with_its_status() {
    let peers = spawn_peers().await;
    let report = peers
        .checks()
        .send_test(&peers.form(), &NOTHING_STORED)
        .await;
    let steps: Vec<Step> = report.steps.iter().map(|s| s.step).collect();
    assert_eq!(steps, Step::plan(AuthType::MicrosoftOAuth2).to_vec());
    assert_eq!(steps.len(), 9);
    assert!(
        report.steps.iter().all(|s| s.status == StepStatus::Passed),
        "{:?}",
        report.steps
    );
    let data = report.steps.last().expect("data step");
    assert!(data.detail.en.starts_with("250"), "{}", data.detail);

    let wrong = smtp_setup::domain::SmtpForm {
        client_secret: "Wrong8Q~not-the-secret".into(),
        ..peers.form()
    };
    let report = peers.checks().send_test(&wrong, &NOTHING_STORED).await;
    assert_eq!(report.status_of(Step::Inputs), Some(StepStatus::Passed));
    assert_eq!(
        report.status_of(Step::TokenRequest),
        Some(StepStatus::Failed)
    );
    for later in &Step::plan(AuthType::MicrosoftOAuth2)[2..] {
        assert_eq!(
            report.status_of(*later),
            Some(StepStatus::Skipped),
            "{later:?}"
        );
    }
}

#[tokio::test]
async fn a_token_without_the_smtp_role_is_diagnosed_before_smtp() {
    let peers = spawn_peers_with(&[("PEER_TOKEN_ROLES", "")]).await;
    let report = peers
        .checks()
        .send_test(&peers.form(), &NOTHING_STORED)
        .await;
    let TestOutcome::Failed(failure) = &report.outcome else {
        panic!("a token without SMTP.SendAsApp must fail");
    };
    assert_eq!(failure.step, Step::TokenInspection);
    assert!(
        failure.summary.en.contains("admin consent"),
        "{}",
        failure.summary
    );
    assert_eq!(report.status_of(Step::Connect), Some(StepStatus::Skipped));
    assert!(peers.messages().await.is_empty());
}
