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

use crate::helpers::{fresh_dir, open_store, save_form, spawn_app, spawn_peers, Peers, TestApp};

fn peer_env<'a>(peers: &'a Peers, interval: &'a str) -> Vec<(&'a str, &'a str)> {
    let mut env = peers.env();
    env.push(("SMTP_SETUP_CHECK_INTERVAL", interval));
    env
}

async fn save(app: &TestApp, form: &SmtpForm, secret: &str) {
    save_form(&app.store, form, secret).await;
}

/// An application whose configuration for the peers was saved before it started, with
/// scheduled checks every `interval`.
async fn saved_before_start(name: &str, peers: &Peers, interval: &str) -> TestApp {
    let dir = fresh_dir(name);
    let store = open_store(&dir, "save before the start").await;
    peers.save_form_in(&store).await;
    store.close().await;
    spawn_app(&dir, &peer_env(peers, interval)).await
}

/// Whether the page shows the red banner of a failed scheduled check.
async fn page_has_scheduled_banner(app: &TestApp) -> bool {
    let page = app.get_as_admin("/").await.text().await.expect("page");
    page.contains(r#"id="scheduled-banner""#)
}

async fn healthz(app: &TestApp) -> String {
    crate::helpers::get_text(&format!("{}/healthz", app.base)).await
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
    assert!(!page_has_scheduled_banner(&app).await);

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
    assert!(
        page_has_scheduled_banner(&app).await,
        "the page shows a red banner while the newest scheduled check failed"
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
    // No mail server was contacted at all: not even a connection reached the SMTP peer.
    assert_eq!(peers.connections().await.connections, 0);
    assert!(peers.messages().await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn a_password_configuration_is_never_checked() {
    let peers = spawn_peers().await;
    let dir = fresh_dir("watch-password");
    let app = spawn_app(&dir, &peer_env(&peers, "0")).await;
    let form = peers.password_form(smtp_setup::domain::Security::StartTls);
    app.store
        .save(
            &form,
            smtp_setup::server::store::SecretChange::Keep,
            smtp_setup::server::store::SecretChange::Replace(&peers.info.smtp_password),
            smtp_setup::server::store::SecretChange::Keep,
            0,
        )
        .await
        .expect("saved");
    assert!(app.watch.check_once().await.is_none());
    // A login attempt would count against the mailbox: none was made.
    assert_eq!(peers.connections().await.connections, 0);
    assert!(app.store.history().await.expect("history").is_empty());
    app.stop().await;
}

#[tokio::test]
async fn the_first_scheduled_check_runs_at_start_up() {
    let peers = spawn_peers().await;
    // An hour between checks: a check within the test's minute is the start-up one.
    let app = saved_before_start("watch-start-up", &peers, "1h").await;
    let mut results = app.watch.subscribe();
    tokio::time::timeout(
        Duration::from_secs(60),
        results.wait_for(|last| last.is_some()),
    )
    .await
    .expect("a check at start-up")
    .expect("the watch runs");
    assert!(app.watch.last_check().is_some_and(|last| last.passed));
    let history = app.store.history().await.expect("history");
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].kind, TestKind::ScheduledCheck);
    app.stop().await;
}

#[tokio::test]
async fn the_schedule_runs_by_itself_at_its_interval() {
    let peers = spawn_peers().await;
    let app = saved_before_start("watch-timer", &peers, "1s").await;
    let mut results = app.watch.subscribe();
    // When each of the first three checks was seen.
    let mut seen = Vec::new();
    while seen.len() < 3 {
        tokio::time::timeout(Duration::from_secs(30), results.changed())
            .await
            .expect("a scheduled check within 30 s")
            .expect("the watch runs");
        if results.borrow_and_update().is_some() {
            seen.push(tokio::time::Instant::now());
        }
    }
    let gaps: Vec<Duration> = seen.windows(2).map(|w| w[1] - w[0]).collect();
    println!("scheduled checks every 1s: gaps {gaps:?}");
    for gap in &gaps {
        assert!(
            (Duration::from_millis(500)..Duration::from_secs(3)).contains(gap),
            "{gaps:?}"
        );
    }
    assert!(app.watch.last_check().is_some_and(|last| last.passed));
    assert!(peers.stats().await.token_requests >= 3);
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
    let at = |days: i64| {
        SystemTime::UNIX_EPOCH + Duration::from_secs((end as i64 - days * 86_400) as u64)
    };
    for (days, level) in [
        (31, ExpiryLevel::Quiet),
        (30, ExpiryLevel::Warning),
        (8, ExpiryLevel::Warning),
        (7, ExpiryLevel::Alarm),
        (0, ExpiryLevel::Alarm),
        (-1, ExpiryLevel::Alarm),
    ] {
        let saved = saved_config::load(&app.store, at(days))
            .await
            .expect("load");
        let notice = saved.expiry.expect("the date is known");
        assert_eq!(notice.days_left, days);
        assert_eq!(notice.level(), level, "{days} days");
        assert_eq!(notice.source, ExpirySource::Administrator);
        assert_eq!(notice.date, "2027-03-31");
    }
    // Today's /healthz: the date is months away here, but said, with the days left.
    let health = healthz(&app).await;
    let today = saved_config::load(&app.store, SystemTime::now())
        .await
        .expect("load")
        .expiry
        .expect("the date");
    let days = today.days_left;
    let line =
        format!("credential: ok: the client secret expires in {days} days, on 2027-03-31 (days left: {days})");
    assert!(
        health.lines().any(|l| l == line),
        "{line:?} not in {health}"
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
        value = s.value if s.value == s.value else 'NaN'
        print(json.dumps({'family': family.name, 'type': family.type, 'name': s.name,
                          'labels': s.labels, 'value': value}))
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

    // The clock the check runs on: now, 23 hours later, 25 hours later.
    let now = SystemTime::now();
    let hours = |h: u64| now + Duration::from_secs(h * 3600);
    let first = app.watch.check_once_at(now).await.expect("a check");
    assert_eq!(
        first.outcome,
        TestOutcome::Sent {
            recipient: "monitoring@contoso-test.com".into()
        }
    );
    let delivered = peers.messages().await;
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].rcpt_to, ["monitoring@contoso-test.com"]);
    // Within the day: a token only, no second email.
    let second = app.watch.check_once_at(hours(23)).await.expect("a check");
    assert!(
        matches!(second.outcome, TestOutcome::TokenIssued { .. }),
        "{:?}",
        second.outcome
    );
    assert_eq!(peers.messages().await.len(), 1);
    // A day after the last email: the next one goes.
    let third = app.watch.check_once_at(hours(25)).await.expect("a check");
    assert!(
        matches!(third.outcome, TestOutcome::Sent { .. }),
        "{:?}",
        third.outcome
    );
    assert_eq!(peers.messages().await.len(), 2);
    let kinds: Vec<TestKind> = app
        .store
        .history()
        .await
        .expect("history")
        .iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            TestKind::ScheduledSend,
            TestKind::ScheduledCheck,
            TestKind::ScheduledSend
        ]
    );
    // Counted apart from the checks in /metrics.
    let metrics = crate::helpers::get_text(&format!("{}/metrics", app.base)).await;
    let samples = parse_with_prometheus(&metrics);
    assert!(
        sample(
            &samples,
            "smtp_setup_checks_total",
            &[("kind", "scheduled_send"), ("outcome", "passed")]
        )
        .is_some(),
        "{metrics}"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_log_warns_of_the_credentials_end_at_start_up_and_when_the_check_starts_failing() {
    let peers = spawn_peers().await;
    let dir = fresh_dir("watch-log");
    let in_ten_days = smtp_setup::api::relay::utc(crate::relay::now_millis() + 10 * 86_400_000);
    let form = SmtpForm {
        secret_expires: in_ten_days[..10].to_owned(),
        ..peers.form()
    };
    let store = open_store(&dir, "save before the start").await;
    save_form(&store, &form, &peers.info.client_secret).await;
    store.close().await;
    let mut env = peer_env(&peers, "1s");
    env.push(("RUST_LOG", "warn"));
    let mut app = crate::app_process::spawn_binary(&dir, &env).await;
    let line = app.has_said("the client secret expires in").await;
    assert!(line.contains("WARN"), "{line}");
    // Working (nothing said at warn level), then failing: one warning.
    peers.expire_secret().await;
    let line = app
        .wait_for("the scheduled check of the saved configuration failed")
        .await;
    assert!(
        line.contains("WARN") && line.contains("The client secret has expired."),
        "{line}"
    );
}
