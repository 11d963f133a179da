//! Several instances on one PostgreSQL, as behind a load balancer: what one saves the
//! other loads, a session opened on one works on the other, every relay message is
//! delivered exactly once whichever instance took it, the pace holds across both, and a
//! message whose instance was SIGKILLed mid-delivery is delivered by the other once its
//! lease has run out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::json;
use smtp_setup::api::relay::MessageStatus;
use smtp_setup::server::store::SecretChange;
use sqlx::Connection as _;

use crate::app_process::spawn_binary;
use crate::database::{Database, SHARED_KEY};
use crate::helpers::{fresh_dir, spawn_app, spawn_faults, spawn_peers, Peers, TestApp};
use crate::relay::{add_credential, python_client, queued_id, CREDENTIAL};

/// One instance's own directory and relay certificate (made here, so that no instance
/// writes into the working directory).
struct Instance {
    dir: PathBuf,
    cert: String,
    key: String,
}

impl Instance {
    fn new(name: &str) -> Self {
        let dir = fresh_dir(name);
        let files = smtp_setup::server::relay::tls::self_signed_files(&dir.join("app.db"));
        smtp_setup::server::relay::tls::server_config(None, &dir.join("app.db"))
            .expect("the relay's certificate");
        Self {
            dir,
            cert: files.certificate.to_string_lossy().into_owned(),
            key: files.key.to_string_lossy().into_owned(),
        }
    }

    fn env<'a>(&'a self, db_url: &'a str, peers: &'a Peers) -> Vec<(&'a str, &'a str)> {
        vec![
            ("DATABASE_URL", db_url),
            ("SMTP_SETUP_KEY", SHARED_KEY.as_str()),
            ("SMTP_SETUP_RELAY_TLS_CERT", self.cert.as_str()),
            ("SMTP_SETUP_RELAY_TLS_KEY", self.key.as_str()),
            ("SMTP_SETUP_AUTHORITY_URL", peers.info.authority.as_str()),
            ("SMTP_SETUP_SMTP_ADDR", peers.info.smtp.as_str()),
            ("SMTP_SETUP_CA_FILE", peers.info.ca_file.as_str()),
            ("SMTP_SETUP_RELAY_LEASE_SECONDS", "3"),
        ]
    }
}

/// Two applications in this process on one new PostgreSQL database; `extra` adds to
/// both environments.
async fn two_apps(
    name: &str,
    peers: &Peers,
    extra: &[(&str, &str)],
) -> (TestApp, TestApp, Database) {
    let db = Database::postgres(name).await;
    let url = db.url();
    let mut apps = Vec::new();
    for n in 0..2 {
        let instance = Instance::new(&format!("{name}-{n}"));
        let mut env = instance.env(&url, peers);
        env.extend_from_slice(extra);
        apps.push(spawn_app(&instance.dir, &env).await);
    }
    let b = apps.pop().expect("two");
    let a = apps.pop().expect("two");
    (a, b, db)
}

/// The configuration for the peers, saved through `app`'s store.
async fn save_for(app: &TestApp, peers: &Peers) {
    let saved = app
        .store
        .save(
            &peers.form(),
            SecretChange::Replace(&peers.info.client_secret),
            SecretChange::Keep,
            SecretChange::Keep,
            0,
        )
        .await
        .expect("save");
    assert!(matches!(saved, smtp_setup::server::store::Saved::Done(_)));
}

/// Two instances relaying for the peers at `per_minute`, the configuration saved, and one
/// credential (added on A, used on both): its password.
async fn relaying_pair(
    name: &str,
    peers: &Peers,
    per_minute: &str,
) -> (TestApp, TestApp, Database, String) {
    let (a, b, db) = two_apps(
        name,
        peers,
        &[("SMTP_SETUP_RELAY_SENDS_PER_MINUTE", per_minute)],
    )
    .await;
    save_for(&a, peers).await;
    let password = add_credential(&a, CREDENTIAL).await;
    (a, b, db, password)
}

/// `count` messages to each instance at once, tagged `{tag}-a` and `{tag}-b`; their ids.
async fn submit_to_both(
    a: &TestApp,
    b: &TestApp,
    password: &str,
    peers: &Peers,
    tag: &str,
    count: usize,
) -> (Vec<String>, Vec<String>) {
    let mailbox = peers.form().email_address;
    let (cert_a, cert_b) = (a.relay_cafile(), b.relay_cafile());
    let (tag_a, tag_b) = (format!("{tag}-a"), format!("{tag}-b"));
    tokio::join!(
        submit(a, &cert_a, password, &mailbox, &tag_a, count),
        submit(b, &cert_b, password, &mailbox, &tag_b, count),
    )
}

/// `count` messages through `app`'s relay, tagged `tag`; their outbox ids.
async fn submit(
    app: &TestApp,
    cafile: &Path,
    password: &str,
    mailbox: &str,
    tag: &str,
    count: usize,
) -> Vec<String> {
    let count = count.to_string();
    let results = python_client(
        app.relay_addr.expect("the relay listens"),
        cafile,
        &[
            "--user",
            CREDENTIAL,
            "--mail-from",
            mailbox,
            "--to",
            "customer@fabrikam-test.com",
            "--count",
            &count,
            "--tag",
            tag,
        ],
        Some(password),
    )
    .await;
    results.iter().map(queued_id).collect()
}

/// The outbox's rows as (id, status, claimed_by, finished_at), read straight from the
/// database.
async fn outbox_rows(db: &Database) -> Vec<(String, String, Option<String>, Option<i64>)> {
    let mut connection = sqlx::PgConnection::connect(&db.url())
        .await
        .expect("connect");
    sqlx::query_as(
        "SELECT id, status, claimed_by, finished_at FROM outbox ORDER BY finished_at, seq",
    )
    .fetch_all(&mut connection)
    .await
    .expect("read the outbox")
}

/// Waits until `count` messages are sent (the workers run on their own).
async fn until_sent(
    db: &Database,
    count: usize,
    within: Duration,
) -> Vec<(String, String, Option<String>, Option<i64>)> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let rows = outbox_rows(db).await;
        let sent = rows.iter().filter(|r| r.1 == "sent").count();
        if sent >= count {
            return rows;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{sent} of {count} sent"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A save through `app`'s server function, the form named `name`, from version `base`.
async fn save_named(app: &TestApp, name: &str, base: i64) -> serde_json::Value {
    let body = json!({
        "form": {
            "email_address": "sender@contoso.com",
            "name": name,
            "tenant_id": "72f988bf-86f1-41af-91ab-2d7cd011db47",
            "client_id": "a1b2c3d4-e5f6-4789-abcd-0123456789ab",
            "client_secret": "Sec8Q~shared-instances-value",
            "object_id": "",
            "send_test_to": "to@contoso.com",
        },
        "base_version": base,
    });
    let response = app.post_as_admin("save_configuration", &body).await;
    response.json().await.expect("json")
}

#[tokio::test]
async fn what_one_instance_saves_the_other_loads_and_a_stale_save_is_refused_on_either() {
    let peers = spawn_peers().await;
    let (a, b, _db) = two_apps("instances-save", &peers, &[]).await;
    let saved = save_named(&a, "Saved on A", 0).await;
    assert_eq!(saved["Saved"]["version"], 1, "{saved}");
    // B's page shows what A saved.
    let page = b.get_as_admin("/").await.text().await.expect("page");
    assert!(
        page.contains("Saved on A"),
        "B's page does not show A's save"
    );
    // A save on B from the version before A's is stale.
    let stale = save_named(&b, "Stale on B", 0).await;
    assert_eq!(stale["Conflict"]["current_version"], 1, "{stale}");
    let on_b = save_named(&b, "Saved on B", 1).await;
    assert_eq!(on_b["Saved"]["version"], 2, "{on_b}");
    let stale = save_named(&a, "Stale on A", 1).await;
    assert_eq!(stale["Conflict"]["current_version"], 2, "{stale}");
    // The secret A sealed opens on B (the same key).
    let secrets = b.store.secrets().await.expect("secrets");
    assert_eq!(
        secrets
            .client_secret
            .map(|s| s.expose().to_owned())
            .as_deref(),
        Some("Sec8Q~shared-instances-value")
    );
    assert_eq!(a.store.load().await.expect("load").form.name, "Saved on B");
    // Both report the shared database.
    for app in [&a, &b] {
        let health = app
            .http
            .get(format!("{}/healthz", app.base))
            .send()
            .await
            .expect("healthz");
        assert!(health
            .text()
            .await
            .expect("body")
            .starts_with("ok: store usable (postgres)\n"));
    }
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn a_session_opened_on_one_instance_works_on_the_other_until_signed_out() {
    let peers = spawn_peers().await;
    let (a, b, _db) = two_apps(
        "instances-session",
        &peers,
        &[("SMTP_SETUP_TEST_SENDS_PER_MINUTE", "2")],
    )
    .await;
    // A's cookie calls a server function on B.
    let call = |app: &TestApp| {
        app.http
            .post(format!("{}/api/test_history", app.base))
            .header("cookie", &a.cookie)
            .json(&json!({}))
            .send()
    };
    assert_eq!(call(&b).await.expect("call").status(), 200);
    // The test-send limit counts both instances together: two on A, the third on B waits.
    let empty = json!({"form": {}});
    let send = |app: &TestApp| {
        app.http
            .post(format!("{}/api/send_test_email", app.base))
            .header("cookie", &a.cookie)
            .json(&empty)
            .send()
    };
    for app in [&a, &a] {
        let answer: serde_json::Value = send(app).await.expect("send").json().await.expect("json");
        assert!(
            answer["report"]["outcome"].get("Invalid").is_some(),
            "{answer}"
        );
    }
    let limited: serde_json::Value = send(&b).await.expect("send").json().await.expect("json");
    assert!(
        limited["report"]["outcome"].get("RateLimited").is_some(),
        "{limited}"
    );
    // Signed out on B: A refuses the cookie too.
    let out = b
        .http
        .post(format!("{}/logout", b.base))
        .header("cookie", &a.cookie)
        .send()
        .await
        .expect("logout");
    assert_eq!(out.status(), 200);
    assert_eq!(call(&a).await.expect("call").status(), 401);
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn a_thousand_relay_messages_submitted_to_two_instances_are_each_delivered_once() {
    let peers = spawn_peers().await;
    let (a, b, db, password) = relaying_pair("instances-thousand", &peers, "0").await;
    let (ids_a, ids_b) = submit_to_both(&a, &b, &password, &peers, "to", 500).await;
    assert_eq!((ids_a.len(), ids_b.len()), (500, 500));
    let rows = until_sent(&db, 1000, Duration::from_secs(240)).await;
    assert_eq!(rows.len(), 1000);
    // Exactly once at the server: 1,000 messages, 1,000 different subjects.
    let delivered = peers.messages().await;
    let subjects: BTreeSet<String> = delivered.iter().map(|m| m.subject.clone()).collect();
    assert_eq!((delivered.len(), subjects.len()), (1000, 1000));
    // Both workers delivered.
    let mut by_worker: BTreeMap<String, usize> = BTreeMap::new();
    for (_, _, worker, _) in &rows {
        *by_worker
            .entry(worker.clone().unwrap_or_default())
            .or_default() += 1;
    }
    println!("deliveries by worker: {by_worker:?}");
    assert_eq!(by_worker.len(), 2, "{by_worker:?}");
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn the_pace_holds_across_both_instances() {
    let peers = spawn_peers().await;
    // 10 a minute: one every 6 s, whichever instance sends.
    let (a, b, db, password) = relaying_pair("instances-pace", &peers, "10").await;
    submit_to_both(&a, &b, &password, &peers, "pace", 2).await;
    let rows = until_sent(&db, 4, Duration::from_secs(60)).await;
    let finished: Vec<i64> = rows.iter().filter_map(|r| r.3).collect();
    let gaps: Vec<i64> = finished.windows(2).map(|w| w[1] - w[0]).collect();
    println!("pace across two instances: gaps between deliveries {gaps:?} ms (spacing 6000)");
    // Each instance pacing on its own would send two at once (gaps near 0, 6000, 0);
    // together they keep the spacing, less what one delivery may take longer than the
    // next (half the spacing is allowed for that, on a busy machine).
    assert!(gaps.iter().all(|gap| *gap >= 3000), "{gaps:?}");
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn sigkill_one_instance_mid_delivery_and_the_other_delivers_after_the_lease() {
    let peers = spawn_peers().await;
    // A delivers to an SMTP server that takes the message and never answers the dot.
    let mut faults = spawn_faults("slow-data", &peers).await;
    let db = Database::postgres("instances-sigkill").await;
    let url = db.url();
    {
        let store = db.open("save").await;
        store
            .save(
                &peers.form(),
                SecretChange::Replace(&peers.info.client_secret),
                SecretChange::Keep,
                SecretChange::Keep,
                0,
            )
            .await
            .expect("save");
        store.close().await;
    }
    let (dir_a, dir_b) = (
        fresh_dir("instances-sigkill-a"),
        fresh_dir("instances-sigkill-b"),
    );
    let env = |smtp: &'static str| -> Vec<(&'static str, String)> {
        vec![
            ("DATABASE_URL", url.clone()),
            ("SMTP_SETUP_KEY", SHARED_KEY.clone()),
            ("SMTP_SETUP_AUTHORITY_URL", peers.info.authority.clone()),
            ("SMTP_SETUP_SMTP_ADDR", smtp.to_owned()),
            ("SMTP_SETUP_CA_FILE", peers.info.ca_file.clone()),
            ("SMTP_SETUP_RELAY_LEASE_SECONDS", "3".to_owned()),
            ("RUST_LOG", "warn,smtp_setup=info".to_owned()),
        ]
    };
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    let env_a = env(leak(faults.info.smtp.clone()));
    let env_a: Vec<(&str, &str)> = env_a.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut a = spawn_binary(&dir_a, &env_a).await;
    // A credential made on A's store; the password works on both.
    let password = {
        let store = db.open("credential").await;
        let name = smtp_setup::server::relay::credentials::CredentialName::parse(CREDENTIAL)
            .expect("name");
        let password = smtp_setup::server::relay::credentials::add(&store, &name)
            .await
            .expect("add")
            .expect("new");
        let password = secrecy::ExposeSecret::expose_secret(&password).to_owned();
        crate::relay::remember_secret(&password);
        store.close().await;
        password
    };
    let results = python_client(
        a.relay.expect("A's relay"),
        &dir_a.join("data/smtp-setup.relay-cert.pem"),
        &[
            "--user",
            CREDENTIAL,
            "--mail-from",
            &peers.info.mailbox,
            "--to",
            "a@fabrikam-test.com",
            "--tag",
            "taken-over",
        ],
        Some(&password),
    )
    .await;
    let id = queued_id(&results[0]);
    assert_eq!(faults.next_event().await, r#"{"event":"message received"}"#);
    // A is mid-delivery, its lease renewed; B starts, with a working SMTP server.
    let env_b = env(leak(peers.info.smtp.clone()));
    let env_b: Vec<(&str, &str)> = env_b.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let _b = spawn_binary(&dir_b, &env_b).await;
    a.sigkill();
    let rows = until_sent(&db, 1, Duration::from_secs(60)).await;
    assert_eq!(rows.len(), 1);
    let store = db.open("read").await;
    let entry = store
        .outbox_entry(&id, CREDENTIAL)
        .await
        .expect("read")
        .expect("entry");
    assert_eq!(entry.status, MessageStatus::Sent);
    assert_eq!(entry.attempts, 2, "A's interrupted attempt counts");
    let delivered = peers.messages().await;
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].subject, "taken-over 0-0");
    store.close().await;
}

#[tokio::test]
async fn the_instances_take_turns_at_the_scheduled_check() {
    let peers = spawn_peers().await;
    // No timer of their own: the test plays their ticks.
    let (a, b, _db) = two_apps(
        "instances-watch",
        &peers,
        &[("SMTP_SETUP_CHECK_INTERVAL", "0")],
    )
    .await;
    save_for(&a, &peers).await;
    let hour = Duration::from_secs(3600);
    let first = a.watch.check_in_turn(hour).await.expect("A's turn");
    assert!(
        matches!(
            first.outcome,
            smtp_setup::api::report::TestOutcome::TokenIssued { .. }
        ),
        "{first:?}"
    );
    assert!(
        b.watch.check_in_turn(hour).await.is_none(),
        "B's tick within the hour is A's check"
    );
    assert!(
        a.watch.check_in_turn(hour).await.is_none(),
        "and so is A's own"
    );
    let history = b.store.history().await.expect("history");
    assert_eq!(history.len(), 1, "one check for both instances");
    assert_eq!(peers.stats().await.token_requests, 1);
    a.stop().await;
    b.stop().await;
}
