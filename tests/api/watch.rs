//! The server watching the saved credential: scheduled checks (working, then failing
//! when Entra starts refusing the secret), the expiry notice at 31, 30, 7 and 0 days on
//! a clock the test sets, `/healthz`'s lines, and `/metrics` read by the Prometheus
//! project's own text parser.

use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use smtp_setup::api::report::{Step, TestKind, TestOutcome};
use smtp_setup::api::saved::ExpiryLevel;
use smtp_setup::api::saved::ExpirySource;
use smtp_setup::domain::{Field, SmtpForm};
use smtp_setup::server::saved_config;
use smtp_setup::server::store::SecretChange;

use crate::helpers::{fresh_dir, spawn_app, spawn_peers, Peers, TestApp};

fn peer_env<'a>(peers: &'a Peers, interval: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("SMTP_SETUP_AUTHORITY_URL", peers.info.authority.as_str()),
        ("SMTP_SETUP_SMTP_ADDR", peers.info.smtp.as_str()),
        ("SMTP_SETUP_CA_FILE", peers.info.ca_file.as_str()),
        ("SMTP_SETUP_CHECK_INTERVAL", interval),
    ]
}

async fn save(app: &TestApp, form: &SmtpForm, secret: &str) {
    app.store
        .save(
            form,
            SecretChange::Replace(secret),
            SecretChange::Keep,
            SecretChange::Keep,
            0,
        )
        .await
        .expect("saved");
}

async fn healthz(app: &TestApp) -> String {
    reqwest::get(format!("{}/healthz", app.base))
        .await
        .expect("healthz")
        .text()
        .await
        .expect("text")
}

#[tokio::test]
async fn a_scheduled_check_gets_a_token_and_turns_to_failing_when_the_secret_expires() {
    let peers = spawn_peers().await;
    let dir = fresh_dir("watch-turns");
    let app = spawn_app(&dir, &peer_env(&peers, "0")).await;
    assert!(
        app.watch.check_once().await.is_none(),
        "nothing saved: nothing to check"
    );
    save(&app, &peers.form(), &peers.info.client_secret).await;

    let report = app.watch.check_once().await.expect("a check");
    assert_eq!(
        report.outcome,
        TestOutcome::TokenIssued {
            mailbox: peers.info.mailbox.clone()
        },
        "{:?}",
        report.steps
    );
    let steps: Vec<Step> = report.steps.iter().map(|s| s.step).collect();
    assert_eq!(steps, Step::CREDENTIAL_CHECK);
    assert!(app.watch.last_check().is_some_and(|last| last.passed));
    assert!(healthz(&app).await.contains("scheduled check: passed at "));

    peers.expire_secret().await;
    let report = app.watch.check_once().await.expect("a check");
    let TestOutcome::Failed(failure) = &report.outcome else {
        panic!("an expired secret fails: {:?}", report.outcome);
    };
    assert_eq!(failure.code.as_deref(), Some("AADSTS7000222"));
    assert_eq!(failure.field, Some(Field::ClientSecret));
    let health = healthz(&app).await;
    assert!(
        health.contains("scheduled check: failed at ")
            && health.contains("The client secret has expired."),
        "{health}"
    );
    // Both are in the history, newest first; no mail server was involved.
    let history = app.store.history().await.expect("history");
    let kinds: Vec<(TestKind, bool)> = history.iter().map(|e| (e.kind, e.passed)).collect();
    assert_eq!(
        kinds,
        [
            (TestKind::ScheduledCheck, false),
            (TestKind::ScheduledCheck, true)
        ]
    );
    assert_eq!(history[0].code.as_deref(), Some("AADSTS7000222"));
    assert_eq!(peers.stats().await.auth_attempts, 0);
    assert!(peers.messages().await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn the_schedule_runs_by_itself_at_its_interval() {
    let peers = spawn_peers().await;
    let dir = fresh_dir("watch-timer");
    let app = spawn_app(&dir, &peer_env(&peers, "1s")).await;
    let mut results = app.watch.subscribe();
    save(&app, &peers.form(), &peers.info.client_secret).await;
    // The first tick found nothing saved; one of the next ones checks the saved form.
    tokio::time::timeout(
        Duration::from_secs(30),
        results.wait_for(|last| last.is_some()),
    )
    .await
    .expect("a scheduled check within 30 s")
    .expect("the watch runs");
    assert!(app.watch.last_check().is_some_and(|last| last.passed));
    assert!(peers.stats().await.token_requests >= 1);
    app.stop().await;
}

#[tokio::test]
async fn the_expiry_notice_follows_the_clock_at_31_30_7_and_0_days() {
    let dir = fresh_dir("watch-expiry");
    let peers = spawn_peers().await;
    let app = spawn_app(&dir, &peer_env(&peers, "0")).await;
    let form = SmtpForm {
        secret_expires: "2027-03-31".into(),
        ..peers.form()
    };
    save(&app, &form, &peers.info.client_secret).await;
    let end = 1_806_451_200; // 2027-03-31T00:00:00Z
    let at = |days: u64| SystemTime::UNIX_EPOCH + Duration::from_secs(end - days * 86_400);
    for (days, level) in [
        (31, ExpiryLevel::Quiet),
        (30, ExpiryLevel::Warning),
        (7, ExpiryLevel::Alarm),
        (0, ExpiryLevel::Alarm),
    ] {
        let saved = saved_config::load(&app.store, at(days))
            .await
            .expect("load");
        let notice = saved.expiry.expect("the date is known");
        assert_eq!(notice.days_left, days as i64);
        assert_eq!(notice.level(), level, "{days} days");
        assert_eq!(notice.source, ExpirySource::Administrator);
        assert_eq!(notice.date, "2027-03-31");
    }
    // Today's /healthz: the date is months away here, but said.
    let health = healthz(&app).await;
    assert!(
        health.contains("credential: ") && health.contains("2027-03-31"),
        "{health}"
    );
    app.stop().await;
}

/// `/metrics` through `prometheus_client.parser`: every sample as a JSON line.
fn parse_with_prometheus(text: &str) -> Vec<serde_json::Value> {
    let script = r#"
import sys, json
from prometheus_client.parser import text_string_to_metric_families
for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        print(json.dumps({'family': family.name, 'type': family.type, 'name': s.name,
                          'labels': s.labels, 'value': s.value}))
"#;
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    use std::io::Write as _;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("written");
    let output = child.wait_with_output().expect("parsed");
    assert!(
        output.status.success(),
        "the Prometheus parser refused /metrics: {}\n{text}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("JSON"))
        .collect()
}

fn sample<'a>(
    samples: &'a [serde_json::Value],
    name: &str,
    labels: &[(&str, &str)],
) -> Option<&'a serde_json::Value> {
    samples
        .iter()
        .find(|s| s["name"] == name && labels.iter().all(|(k, v)| s["labels"][*k] == *v))
}

#[tokio::test]
async fn metrics_are_prometheus_text_without_names_or_secrets() {
    let peers = spawn_peers().await;
    let dir = fresh_dir("watch-metrics");
    let app = spawn_app(&dir, &peer_env(&peers, "0")).await;
    let form = SmtpForm {
        secret_expires: "2027-03-31".into(),
        ..peers.form()
    };
    save(&app, &form, &peers.info.client_secret).await;
    app.watch.check_once().await.expect("a check");
    let answer = app
        .post_as_admin(
            "send_test_email",
            &serde_json::json!({ "form": serde_json::to_value(&form).unwrap() }),
        )
        .await;
    assert!(answer.status().is_success());
    let _ = healthz(&app).await;
    // No sign-in needed.
    let response = reqwest::get(format!("{}/metrics", app.base))
        .await
        .expect("metrics");
    assert_eq!(response.status(), 200);
    assert!(response
        .headers()
        .get("content-type")
        .is_some_and(|v| v.to_str().unwrap_or_default().starts_with("text/plain")));
    let text = response.text().await.expect("text");
    for private in [
        peers.info.client_secret.as_str(),
        peers.info.tenant.as_str(),
        peers.info.mailbox.as_str(),
        peers.info.client_id.as_str(),
        "admin@contoso-test.com",
    ] {
        assert!(!text.contains(private), "/metrics names {private}");
    }
    let samples = parse_with_prometheus(&text);
    let at_least_one = |name: &str, labels: &[(&str, &str)]| {
        let found = sample(&samples, name, labels)
            .unwrap_or_else(|| panic!("no {name} {labels:?} in\n{text}"));
        assert!(found["value"].as_f64().is_some_and(|v| v >= 1.0), "{found}");
    };
    at_least_one(
        "smtp_setup_checks_total",
        &[("kind", "scheduled_check"), ("outcome", "passed")],
    );
    at_least_one(
        "smtp_setup_checks_total",
        &[("kind", "send_test"), ("outcome", "passed")],
    );
    at_least_one("smtp_setup_token_requests_total", &[("outcome", "issued")]);
    at_least_one(
        "smtp_setup_http_requests_total",
        &[("route", "/healthz"), ("status", "200")],
    );
    let expiry = sample(
        &samples,
        "smtp_setup_credential_expiry_timestamp_seconds",
        &[],
    )
    .expect("the credential's end");
    assert_eq!(expiry["value"].as_f64(), Some(1_806_451_200.0));
    assert!(sample(&samples, "smtp_setup_relay_queue_depth", &[]).is_some());
    app.stop().await;

    let off_dir = fresh_dir("watch-metrics-off");
    let off = spawn_app(&off_dir, &[("SMTP_SETUP_METRICS", "off")]).await;
    let response = reqwest::get(format!("{}/metrics", off.base))
        .await
        .expect("metrics");
    assert_eq!(response.status(), 404);
    off.stop().await;
}

#[tokio::test]
async fn with_a_monitoring_address_the_check_sends_a_real_email_at_most_daily() {
    let peers = spawn_peers().await;
    let dir = fresh_dir("watch-monitor");
    let app = spawn_app(&dir, &peer_env(&peers, "0")).await;
    let form = SmtpForm {
        monitor_to: "monitoring@contoso-test.com".into(),
        ..peers.form()
    };
    save(&app, &form, &peers.info.client_secret).await;

    let first = app.watch.check_once().await.expect("a check");
    assert_eq!(
        first.outcome,
        TestOutcome::Sent {
            recipient: "monitoring@contoso-test.com".into()
        }
    );
    let delivered = peers.messages().await;
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].rcpt_to, ["monitoring@contoso-test.com"]);
    // The same day: a token only, no second email.
    let second = app.watch.check_once().await.expect("a check");
    assert!(
        matches!(second.outcome, TestOutcome::TokenIssued { .. }),
        "{:?}",
        second.outcome
    );
    assert_eq!(peers.messages().await.len(), 1);
    let kinds: Vec<TestKind> = app
        .store
        .history()
        .await
        .expect("history")
        .iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, [TestKind::ScheduledCheck, TestKind::ScheduledSend]);
    app.stop().await;
}
