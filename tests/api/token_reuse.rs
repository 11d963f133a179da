//! The token cache, the retry of a refused cached token, and retries of a busy Entra.

use smtp_setup::api::report::{Step, TestOutcome};

use smtp_setup::server::check::Checks;

use crate::helpers::{short_timeouts, spawn_peers, spawn_peers_with, PeerStats, NOTHING_STORED};

#[tokio::test]
async fn a_second_test_reuses_the_token_and_a_changed_secret_does_not() {
    let peers = spawn_peers().await;
    let checks = peers.checks();
    assert!(matches!(
        checks
            .send_test(&peers.form(), &NOTHING_STORED)
            .await
            .outcome,
        TestOutcome::Sent { .. }
    ));
    let report = checks.send_test(&peers.form(), &NOTHING_STORED).await;
    assert!(matches!(report.outcome, TestOutcome::Sent { .. }));
    let token_step = &report.steps[1];
    assert_eq!(token_step.step, Step::TokenRequest);
    assert!(
        token_step.detail.en.starts_with("reused a cached token"),
        "{}",
        token_step.detail
    );
    assert_eq!(
        peers.stats().await,
        PeerStats {
            token_requests: 1,
            auth_attempts: 2,
            long_lines: 0
        }
    );

    // Another secret never reuses the token obtained with the first one.
    let other_secret = smtp_setup::domain::SmtpForm {
        client_secret: "Other8Q~another-secret".into(),
        ..peers.form()
    };
    let TestOutcome::Failed(failure) = checks
        .send_test(&other_secret, &NOTHING_STORED)
        .await
        .outcome
    else {
        panic!("a wrong secret must fail even with a valid token cached");
    };
    assert_eq!(failure.code.as_deref(), Some("AADSTS7000215"));
    assert_eq!(peers.stats().await.token_requests, 2);
}

#[tokio::test]
async fn a_cached_token_refused_at_auth_is_replaced_once() {
    // The second AUTH is refused: the first send caches a token, the second send's cached
    // token is refused, a fresh token is fetched and the third AUTH succeeds.
    let peers = spawn_peers_with(&[("PEER_SMTP_REJECT_AUTH", "2")]).await;
    let checks = peers.checks();
    assert!(matches!(
        checks
            .send_test(&peers.form(), &NOTHING_STORED)
            .await
            .outcome,
        TestOutcome::Sent { .. }
    ));
    let report = checks.send_test(&peers.form(), &NOTHING_STORED).await;
    assert!(
        matches!(report.outcome, TestOutcome::Sent { .. }),
        "{:?}",
        report.outcome
    );
    assert!(
        report.steps[1]
            .detail
            .en
            .contains("cached token was refused"),
        "{}",
        report.steps[1].detail
    );
    assert_eq!(
        peers.stats().await,
        PeerStats {
            token_requests: 2,
            auth_attempts: 3,
            long_lines: 0
        }
    );
}

#[tokio::test]
async fn a_fresh_token_refused_at_auth_is_not_retried() {
    let peers = spawn_peers_with(&[("PEER_SMTP_REJECT_AUTH", "1")]).await;
    let TestOutcome::Failed(failure) = peers
        .checks()
        .send_test(&peers.form(), &NOTHING_STORED)
        .await
        .outcome
    else {
        panic!("a refused AUTH must fail");
    };
    assert_eq!(failure.step, Step::Authenticate);
    assert_eq!(
        peers.stats().await,
        PeerStats {
            token_requests: 1,
            auth_attempts: 1,
            long_lines: 0
        }
    );
}

#[tokio::test]
async fn a_busy_token_endpoint_is_tried_again_after_its_retry_after() {
    // 3 s is longer than any pause of our own between attempts (0.5 s, then 1 s): only
    // honouring Retry-After explains a gap that long.
    let peers = spawn_peers_with(&[
        ("PEER_TOKEN_FAILURES", "429"),
        ("PEER_TOKEN_RETRY_AFTER", "3"),
    ])
    .await;
    let report = peers
        .checks()
        .send_test(&peers.form(), &NOTHING_STORED)
        .await;
    assert!(
        matches!(report.outcome, TestOutcome::Sent { .. }),
        "{:?}",
        report.outcome
    );
    let times = peers.token_request_times().await;
    assert_eq!(times.len(), 2, "one 429, then the token");
    let gap = times[1] - times[0];
    assert!(
        (3000.0..4500.0).contains(&gap),
        "the second request came {gap} ms after the first"
    );
}

#[tokio::test]
async fn a_retry_after_beyond_the_deadline_is_not_waited_for() {
    // With 6 s for the whole test, waiting 30 s would break the bound: the 429 is
    // reported at once, and no second request is made.
    let peers = spawn_peers_with(&[
        ("PEER_TOKEN_FAILURES", "429"),
        ("PEER_TOKEN_RETRY_AFTER", "30"),
    ])
    .await;
    let mut settings = peers.settings();
    settings.timeouts = short_timeouts();
    let started = std::time::Instant::now();
    let report = Checks::new(&settings)
        .expect("checks")
        .send_test(&peers.form(), &NOTHING_STORED)
        .await;
    let TestOutcome::Failed(failure) = report.outcome else {
        panic!("a 429 that cannot be waited for must fail");
    };
    assert_eq!(failure.step, Step::TokenRequest);
    assert_eq!(failure.code.as_deref(), Some("AADSTS90033"));
    assert_eq!(peers.stats().await.token_requests, 1);
    assert!(
        started.elapsed() < short_timeouts().total,
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_token_endpoint_that_stays_busy_ends_with_its_error() {
    let peers = spawn_peers_with(&[("PEER_TOKEN_FAILURES", "503,503,503,503")]).await;
    let TestOutcome::Failed(failure) = peers
        .checks()
        .send_test(&peers.form(), &NOTHING_STORED)
        .await
        .outcome
    else {
        panic!("a token endpoint that stays busy must fail");
    };
    assert_eq!(failure.step, Step::TokenRequest);
    assert_eq!(peers.stats().await.token_requests, 3);
}
