//! "Username and password" sending (AUTH PLAIN over STARTTLS or implicit TLS), and the
//! cloud selector choosing the token scope.

use base64::Engine as _;
use smtp_setup::api::report::{transcript_text, Speaker, Step, StepStatus, TestOutcome};
use smtp_setup::domain::{Cloud, Field, Security, SmtpForm};

use crate::helpers::{spawn_peers, spawn_peers_with, NOTHING_STORED};

#[tokio::test]
async fn a_password_login_over_starttls_delivers_without_any_token_step() {
    let peers = spawn_peers().await;
    let report = peers
        .checks()
        .send_test(&peers.password_form(Security::StartTls), &NOTHING_STORED)
        .await;
    assert!(
        matches!(report.outcome, TestOutcome::Sent { .. }),
        "{report:?}"
    );

    let steps: Vec<Step> = report.steps.iter().map(|s| s.step).collect();
    assert!(!steps.contains(&Step::TokenRequest), "{steps:?}");
    assert!(report.steps.iter().all(|s| s.status == StepStatus::Passed));
    assert_eq!(peers.stats().await.token_requests, 0);

    let messages = peers.messages().await;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].auth_user, peers.info.smtp_username);
    assert!(messages[0].secure);

    let text = transcript_text(&report.transcript);
    assert!(text.contains("C: AUTH PLAIN [redacted]\n"), "{text}");
    let plain = base64::engine::general_purpose::STANDARD.encode(format!(
        "\0{}\0{}",
        peers.info.smtp_username, peers.info.smtp_password
    ));
    assert!(!text.contains(&peers.info.smtp_password), "{text}");
    assert!(!text.contains(&plain), "{text}");
}

#[tokio::test]
async fn a_password_login_over_implicit_tls_encrypts_before_the_greeting() {
    let peers = spawn_peers().await;
    let report = peers
        .checks()
        .send_test(&peers.password_form(Security::ImplicitTls), &NOTHING_STORED)
        .await;
    assert!(
        matches!(report.outcome, TestOutcome::Sent { .. }),
        "{report:?}"
    );
    let handshake = report
        .transcript
        .iter()
        .position(|l| l.speaker == Speaker::Note && l.text.starts_with("TLS handshake done"))
        .expect("a handshake note");
    let greeting = report
        .transcript
        .iter()
        .position(|l| l.speaker == Speaker::Server && l.text.starts_with("220"))
        .expect("a greeting");
    assert!(handshake < greeting, "{:?}", report.transcript);
    assert!(!transcript_text(&report.transcript).contains("STARTTLS"));
}

#[tokio::test]
async fn auth_login_is_used_when_plain_is_not_offered() {
    let peers = spawn_peers_with(&[("PEER_AUTH_METHODS", "XOAUTH2,LOGIN")]).await;
    let report = peers
        .checks()
        .send_test(&peers.password_form(Security::StartTls), &NOTHING_STORED)
        .await;
    assert!(
        matches!(report.outcome, TestOutcome::Sent { .. }),
        "{report:?}"
    );
    let text = transcript_text(&report.transcript);
    assert!(text.contains("C: AUTH LOGIN\n"), "{text}");
    assert!(!text.contains("AUTH PLAIN"), "{text}");
    assert!(!text.contains(&peers.info.smtp_password), "{text}");
    // AUTH LOGIN sends the username and the password each as a base64 line of its own:
    // that is the form a leak would take.
    let base64 = |text: &str| base64::engine::general_purpose::STANDARD.encode(text);
    assert!(!text.contains(&base64(&peers.info.smtp_password)), "{text}");
    assert!(!text.contains(&base64(&peers.info.smtp_username)), "{text}");
    assert_eq!(text.matches("C: [redacted]").count(), 2, "{text}");
    assert_eq!(
        peers.messages().await[0].auth_user,
        peers.info.smtp_username
    );
}

#[tokio::test]
async fn a_wrong_password_points_at_the_password_field() {
    let peers = spawn_peers().await;
    let form = SmtpForm {
        password: "not-the-password".into(),
        ..peers.password_form(Security::StartTls)
    };
    let TestOutcome::Failed(failure) = peers
        .checks()
        .send_test(&form, &NOTHING_STORED)
        .await
        .outcome
    else {
        panic!("expected a failure");
    };
    assert_eq!(failure.step, Step::Authenticate);
    assert_eq!(failure.field, Some(Field::Password));
    assert_eq!(failure.code.as_deref(), Some("535 5.7.8"));
}

#[tokio::test]
async fn exchanges_basic_auth_refusal_says_to_switch_to_oauth2() {
    let peers = spawn_peers_with(&[("PEER_BASIC_AUTH_DISABLED", "1")]).await;
    let report = peers
        .checks()
        .send_test(&peers.password_form(Security::StartTls), &NOTHING_STORED)
        .await;
    let TestOutcome::Failed(failure) = report.outcome else {
        panic!("{report:?}");
    };
    assert_eq!(failure.code.as_deref(), Some("535 5.7.139"));
    assert!(
        failure.fix.en.contains("Microsoft (OAuth2)"),
        "{}",
        failure.fix
    );
}

#[tokio::test]
async fn the_cloud_chooses_the_token_scope_and_audience() {
    let peers =
        spawn_peers_with(&[("PEER_EXCHANGE_RESOURCE", "https://outlook.office365.us")]).await;
    let gcc_high = SmtpForm {
        cloud: Cloud::UsGovGccHigh,
        ..peers.form()
    };
    let report = peers.checks().send_test(&gcc_high, &NOTHING_STORED).await;
    assert!(
        matches!(report.outcome, TestOutcome::Sent { .. }),
        "{report:?}"
    );
    let inspection = report
        .steps
        .iter()
        .find(|s| s.step == Step::TokenInspection)
        .expect("inspection step");
    assert!(
        inspection
            .detail
            .en
            .contains("https://outlook.office365.us"),
        "{}",
        inspection.detail
    );

    // The same tenant with the global cloud chosen asks for the wrong scope.
    let TestOutcome::Failed(failure) = peers
        .checks()
        .send_test(&peers.form(), &NOTHING_STORED)
        .await
        .outcome
    else {
        panic!("the global scope must be refused by a GCC High tenant");
    };
    assert_eq!(failure.step, Step::TokenRequest);
    assert!(failure.fix.en.contains("Cloud"), "{}", failure.fix);
}
