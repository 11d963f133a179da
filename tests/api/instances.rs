//! Several instances on one PostgreSQL, as behind a load balancer: what one saves the
//! other loads, a session opened on one works on the other, every relay message is
//! delivered exactly once whichever instance took it, the pace holds across both, and a
//! message whose instance was SIGKILLed mid-delivery is delivered by the other once its
//! lease has run out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use serde_json::json;
use smtp_setup::api::relay::MessageStatus;
use sqlx::Connection as _;

use crate::app_process::spawn_binary;
use crate::database::{Database, SHARED_KEY};
use crate::helpers::{fresh_dir, spawn_app, spawn_faults, spawn_peers, Peers, TestApp};
use crate::relay::{add_credential, python_client, queued_id, settled_messages, CREDENTIAL};

/// The lease of the instances here: short, so that a takeover comes within seconds.
const LEASE_SECONDS: u64 = 3;

/// One instance's own directory and relay certificate (made here, so that no instance
/// writes into the working directory).
pub(crate) struct Instance {
    pub(crate) dir: PathBuf,
    cert: String,
    key: String,
}

impl Instance {
    pub(crate) fn new(name: &str) -> Self {
        let dir = fresh_dir(name);
        let files =
            smtp_setup::server::relay::inbound::server_tls::self_signed_files(&dir.join("app.db"));
        smtp_setup::server::relay::inbound::server_tls::server_config(None, &dir.join("app.db"))
            .expect("the relay's certificate");
        Self {
            dir,
            cert: files.certificate.to_string_lossy().into_owned(),
            key: files.key.to_string_lossy().into_owned(),
        }
    }

    pub(crate) fn env<'a>(&'a self, db_url: &'a str, peers: &'a Peers) -> Vec<(&'a str, &'a str)> {
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
    let instances = [
        Instance::new(&format!("{name}-0")),
        Instance::new(&format!("{name}-1")),
    ];
    let envs: Vec<Vec<(&str, &str)>> = instances
        .iter()
        .map(|instance| {
            let mut env = instance.env(&url, peers);
            env.extend_from_slice(extra);
            env
        })
        .collect();
    // Started together on the new database: both run the migrations at once (under
    // PostgreSQL's advisory lock, one waits for the other).
    let (a, b) = tokio::join!(
        spawn_app(&instances[0].dir, &envs[0]),
        spawn_app(&instances[1].dir, &envs[1]),
    );
    (a, b, db)
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
    peers.save_form_in(&a.store).await;
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
    let (tag_a, tag_b) = (format!("{tag}-a"), format!("{tag}-b"));
    tokio::join!(
        submit(a, password, &mailbox, &tag_a, count),
        submit(b, password, &mailbox, &tag_b, count),
    )
}

/// `count` messages through `app`'s relay, tagged `tag`; their outbox ids.
async fn submit(
    app: &TestApp,
    password: &str,
    mailbox: &str,
    tag: &str,
    count: usize,
) -> Vec<String> {
    let results = send(app, password, mailbox, tag, 1, count).await;
    results.iter().map(queued_id).collect()
}

/// `clients` connections to `app`'s relay, `count` messages each, tagged `tag`: one
/// result per message (and one for a refused sign-in), as the client printed it.
pub(crate) async fn send(
    app: &TestApp,
    password: &str,
    mailbox: &str,
    tag: &str,
    clients: usize,
    count: usize,
) -> Vec<serde_json::Value> {
    let (clients, count) = (clients.to_string(), count.to_string());
    python_client(
        app.relay_addr.expect("the relay listens"),
        &app.relay_cafile(),
        &[
            "--user",
            CREDENTIAL,
            "--mail-from",
            mailbox,
            "--to",
            "customer@fabrikam-test.com",
            "--clients",
            &clients,
            "--count",
            &count,
            "--tag",
            tag,
        ],
        Some(password),
    )
    .await
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
    let (a, b, db) = two_apps("instances-save", &peers, &[]).await;
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
    // The also allowed senders saved on A let B's relay take their messages.
    let answer: serde_json::Value = a
        .post_as_admin(
            "save_allowed_senders",
            &json!({"text": "billing@contoso.com"}),
        )
        .await
        .json()
        .await
        .expect("json");
    assert!(answer.get("Saved").is_some(), "{answer}");
    let password = add_credential(&a, CREDENTIAL).await;
    let results = python_client(
        b.relay_addr.expect("B's relay"),
        &b.relay_cafile(),
        &[
            "--user",
            CREDENTIAL,
            "--mail-from",
            "billing@contoso.com",
            "--to",
            "a@fabrikam-test.com",
        ],
        Some(&password),
    )
    .await;
    queued_id(&results[0]);
    // The database goes away: both say so.
    db.drop_under_them().await;
    for app in [&a, &b] {
        let health = reqwest::get(format!("{}/healthz", app.base))
            .await
            .expect("healthz");
        assert_eq!(health.status(), 503);
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
    // Wrong sign-in tokens count across both: ten on A, the eleventh on B waits.
    let wrong = |app: &TestApp| {
        app.http
            .get(format!("{}/login?token=not-the-sign-in-token", app.base))
            .send()
    };
    for n in 1..=10 {
        assert_eq!(
            wrong(&a).await.expect("login").status(),
            401,
            "wrong token {n}"
        );
    }
    assert_eq!(wrong(&b).await.expect("login").status(), 429);
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
    // Exactly once at the server, watched until both instances are idle: 1,000
    // messages, 1,000 different subjects.
    let delivered = settled_messages(&a.store, &peers).await;
    let subjects: BTreeSet<String> = delivered.iter().map(|m| m.subject.clone()).collect();
    assert_eq!((delivered.len(), subjects.len()), (1000, 1000));
    // Both workers delivered.
    let mut by_worker: BTreeMap<String, usize> = BTreeMap::new();
    for (id, _, worker, _) in &rows {
        let worker = worker
            .clone()
            .unwrap_or_else(|| panic!("{id} sent by no one"));
        *by_worker.entry(worker).or_default() += 1;
    }
    println!("deliveries by worker: {by_worker:?}");
    assert_eq!(by_worker.len(), 2, "{by_worker:?}");
    a.stop().await;
    b.stop().await;
    // The database, for the secret scan: no token (a JWT) or secret in it.
    db.dump_for_scan().await;
}

#[tokio::test]
async fn the_pace_holds_across_both_instances() {
    let peers = spawn_peers().await;
    // 10 a minute: one every 6 s, whichever instance sends.
    let (a, b, db, password) = relaying_pair("instances-pace", &peers, "10").await;
    // Both workers must take part for the pace to be shared; should one happen to take
    // all four, the round is run again.
    for round in 0..3 {
        let tag = format!("pace{round}");
        submit_to_both(&a, &b, &password, &peers, &tag, 2).await;
        let rows = until_sent(&db, 4 * (round + 1), Duration::from_secs(60)).await;
        let rows: Vec<_> = rows
            .into_iter()
            .filter(|r| r.1 == "sent")
            .skip(4 * round)
            .collect();
        let workers: BTreeSet<&str> = rows
            .iter()
            .map(|r| r.2.as_deref().expect("a worker"))
            .collect();
        let finished: Vec<i64> = rows.iter().filter_map(|r| r.3).collect();
        let gaps: Vec<i64> = finished.windows(2).map(|w| w[1] - w[0]).collect();
        println!("pace across two instances, round {round}: gaps {gaps:?} ms (spacing 6000), workers {workers:?}");
        // Each instance pacing on its own would send two at once (gaps near 0, 6000,
        // 0); together they keep the spacing, less what one delivery may take longer
        // than the next (half the spacing is allowed for that, on a busy machine).
        assert!(gaps.iter().all(|gap| *gap >= 3000), "{gaps:?}");
        if workers.len() == 2 {
            a.stop().await;
            b.stop().await;
            return;
        }
    }
    panic!("one worker took every message in three rounds: the pace was never shared");
}

/// The outbox row of message `id`: (status, claimed_by, lease_until, finished_at).
async fn outbox_row(db: &Database, id: &str) -> (String, Option<String>, Option<i64>, Option<i64>) {
    let mut connection = sqlx::PgConnection::connect(&db.url())
        .await
        .expect("connect");
    sqlx::query_as("SELECT status, claimed_by, lease_until, finished_at FROM outbox WHERE id = $1")
        .bind(id)
        .fetch_one(&mut connection)
        .await
        .expect("read the row")
}

#[tokio::test]
async fn while_an_instance_delivers_the_other_waits_and_takes_over_only_after_its_lease() {
    let peers = spawn_peers().await;
    // A delivers to an SMTP server that takes the message and never answers the dot.
    let mut faults = spawn_faults("slow-data", &peers).await;
    let db = Database::postgres("instances-lease").await;
    let url = db.url();
    {
        let store = db.open("save").await;
        peers.save_form_in(&store).await;
        store.close().await;
    }
    let (dir_a, dir_b) = (
        fresh_dir("instances-lease-a"),
        fresh_dir("instances-lease-b"),
    );
    let env = |smtp: &str| -> Vec<(&'static str, String)> {
        vec![
            ("DATABASE_URL", url.clone()),
            ("SMTP_SETUP_KEY", SHARED_KEY.clone()),
            ("SMTP_SETUP_AUTHORITY_URL", peers.info.authority.clone()),
            ("SMTP_SETUP_SMTP_ADDR", smtp.to_owned()),
            ("SMTP_SETUP_CA_FILE", peers.info.ca_file.clone()),
            ("SMTP_SETUP_RELAY_LEASE_SECONDS", LEASE_SECONDS.to_string()),
            ("RUST_LOG", "warn,smtp_setup=info".to_owned()),
        ]
    };
    let env_a = env(&faults.info.smtp);
    let env_a: Vec<(&str, &str)> = env_a.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut a = spawn_binary(&dir_a, &env_a).await;
    // A credential made on A's store; the password works on both.
    let password = {
        let store = db.open("credential").await;
        let password = crate::relay::add_credential_to(&store, CREDENTIAL).await;
        store.close().await;
        password
    };
    // 600 KB: A's DATA step is given 6 s more than its 10 s bound to upload it, so A
    // is still waiting for the dot's answer, and renewing its lease, all through the
    // window below.
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
            "--size",
            "600000",
        ],
        Some(&password),
    )
    .await;
    let id = queued_id(&results[0]);
    assert_eq!(faults.next_event().await, r#"{"event":"message received"}"#);
    let (status, worker_a, _, _) = outbox_row(&db, &id).await;
    assert_eq!(status, "sending");
    let worker_a = worker_a.expect("A claimed it");
    // B starts, with a working SMTP server, and A stays alive for twice the lease: the
    // message stays A's (its start took nothing over, its lease is renewed) and nothing
    // reaches the good server.
    let env_b = env(&peers.info.smtp);
    let env_b: Vec<(&str, &str)> = env_b.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let _b = spawn_binary(&dir_b, &env_b).await;
    let window = tokio::time::Instant::now() + Duration::from_secs(2 * LEASE_SECONDS);
    while tokio::time::Instant::now() < window {
        let (status, worker, _, _) = outbox_row(&db, &id).await;
        assert_eq!(
            (status.as_str(), worker.as_deref()),
            ("sending", Some(worker_a.as_str())),
            "B took the message while A was delivering it"
        );
        assert!(
            peers.messages().await.is_empty(),
            "delivered by B meanwhile"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A dies mid-delivery. Its last renewal is the lease B must wait out.
    a.sigkill();
    let (_, _, lease_until, _) = outbox_row(&db, &id).await;
    let lease_until = lease_until.expect("A's lease");
    while crate::relay::now_millis() < lease_until - 200 {
        let (status, worker, _, _) = outbox_row(&db, &id).await;
        assert_eq!(
            (status.as_str(), worker.as_deref()),
            ("sending", Some(worker_a.as_str())),
            "taken over before A's lease ran out"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let rows = until_sent(&db, 1, Duration::from_secs(60)).await;
    assert_eq!(rows.len(), 1);
    let (_, worker_b, _, finished) = outbox_row(&db, &id).await;
    assert_ne!(worker_b.as_deref(), Some(worker_a.as_str()), "B sent it");
    // B looks at the outbox at least once per lease: it did not wait for its idle look
    // (a minute).
    let finished = finished.expect("finished");
    assert!(
        finished - lease_until < 1000 * LEASE_SECONDS as i64 + 15_000,
        "sent {} ms after the lease ran out",
        finished - lease_until
    );
    let store = db.open("read").await;
    let entry = store
        .outbox_entry(&id, CREDENTIAL)
        .await
        .expect("read")
        .expect("entry");
    assert_eq!(entry.status, MessageStatus::Sent);
    assert_eq!(entry.attempts, 2, "A's interrupted attempt counts");
    let delivered = settled_messages(&store, &peers).await;
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
    peers.save_form_in(&a.store).await;
    let hour = Duration::from_secs(3600);
    let first = a.watch.check_in_turn(hour).await.expect("A's turn");
    // /healthz's line is the instance's own last check: A's says it, B's not yet.
    let health = |app: &TestApp| reqwest::get(format!("{}/healthz", app.base));
    let on_a = health(&a)
        .await
        .expect("healthz")
        .text()
        .await
        .expect("text");
    let on_b = health(&b)
        .await
        .expect("healthz")
        .text()
        .await
        .expect("text");
    assert!(on_a.contains("scheduled check: passed at "), "{on_a}");
    assert!(on_b.contains("scheduled check: none yet"), "{on_b}");
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
    // Once the window has passed, the next tick checks again, whichever instance's.
    // With an interval of 200 ms the window is 0.9 of it: 180 ms.
    let short = Duration::from_millis(200);
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert!(a.watch.check_in_turn(short).await.is_some(), "a new window");
    assert!(b.watch.check_in_turn(short).await.is_none(), "within it");
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert!(b.watch.check_in_turn(short).await.is_some(), "B's turn now");
    assert_eq!(b.store.history().await.expect("history").len(), 3);
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn without_a_fixed_token_each_instance_prints_its_own_link_and_its_session_works_on_both() {
    use crate::app_process::spawn_binary_with_printed_link;
    let db = Database::postgres("instances-own-links").await;
    let url = db.url();
    let env = [
        ("DATABASE_URL", url.as_str()),
        ("SMTP_SETUP_KEY", SHARED_KEY.as_str()),
    ];
    let a = spawn_binary_with_printed_link(&fresh_dir("instances-links-a"), &env).await;
    let b = spawn_binary_with_printed_link(&fresh_dir("instances-links-b"), &env).await;
    // Each signed in with its own printed link; the session A's link opened works on B.
    for (app, cookie) in [(&a, &a.cookie), (&b, &a.cookie), (&a, &b.cookie)] {
        let answer = app
            .http
            .post(format!("{}/api/test_history", app.base))
            .header("cookie", cookie)
            .json(&json!({}))
            .send()
            .await
            .expect("call");
        assert_eq!(answer.status(), 200);
    }
    // /metrics counts what each instance did; the queue depth is the shared outbox's.
    {
        let store = db.open("enqueue").await;
        store
            .enqueue(&smtp_setup::server::store::NewMessage {
                id: "shared",
                accepted_at: crate::relay::now_millis(),
                submitted_by: CREDENTIAL,
                mail_from: "sender@contoso.com",
                recipients: &["a@fabrikam-test.com".to_owned()],
                subject: "shared",
                internet_message_id: None,
                head: b"Subject: shared\r\n\r\nbody",
                last_piece: &[],
                pieces: 0,
                size: b"Subject: shared\r\n\r\nbody".len() as i64,
                idempotency_key: None,
            })
            .await
            .expect("enqueue");
        store.close().await;
    }
    let metrics = |app: &crate::app_process::Binary| reqwest::get(format!("{}/metrics", app.base));
    let on_a = metrics(&a)
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    let on_b = metrics(&b)
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    for text in [&on_a, &on_b] {
        assert!(
            text.lines().any(|l| l == "smtp_setup_relay_queue_depth 1"),
            "{text}"
        );
    }
    // A answered one server function call more than B.
    let calls = |text: &str| {
        text.lines()
            .find(|l| {
                l.starts_with(
                    "smtp_setup_http_requests_total{route=\"/api/{*name}\",status=\"200\"}",
                )
            })
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    };
    assert_eq!((calls(&on_a), calls(&on_b)), (2, 1), "{on_a}\n{on_b}");
}

/// Exchange Online allows three connections at a time per mailbox, and a fourth gets
/// `432 4.3.2` (the peer does the same): four instances delivering at once keep to the
/// three connection slots they share in the store. Broken on purpose with
/// `SMTP_SETUP_RELAY_CONNECTIONS=4`, the fourth connection is refused.
#[tokio::test]
async fn four_instances_keep_to_exchanges_three_connections() {
    let peers = crate::helpers::spawn_peers_with(&[("PEER_SMTP_CONNECTION_LIMIT", "3")]).await;
    let db = Database::postgres("instances-slots").await;
    let url = db.url();
    let instances: Vec<Instance> = (0..4)
        .map(|n| Instance::new(&format!("instances-slots-{n}")))
        .collect();
    let mut apps = Vec::new();
    for instance in &instances {
        let mut env = instance.env(&url, &peers);
        env.push(("SMTP_SETUP_RELAY_SENDS_PER_MINUTE", "0"));
        apps.push(spawn_app(&instance.dir, &env).await);
    }
    peers.save_form_in(&apps[0].store).await;
    let password = add_credential(&apps[0], CREDENTIAL).await;
    let mailbox = peers.form().email_address;
    let tags: Vec<String> = (0..4).map(|n| format!("slots-{n}")).collect();
    let (w, x, y, z) = tokio::join!(
        submit(&apps[0], &password, &mailbox, &tags[0], 60),
        submit(&apps[1], &password, &mailbox, &tags[1], 60),
        submit(&apps[2], &password, &mailbox, &tags[2], 60),
        submit(&apps[3], &password, &mailbox, &tags[3], 60),
    );
    assert_eq!(w.len() + x.len() + y.len() + z.len(), 240);
    let rows = until_sent(&db, 240, Duration::from_secs(240)).await;
    assert!(rows.iter().all(|r| r.1 == "sent"), "{rows:?}");
    let delivered = settled_messages(&apps[0].store, &peers).await;
    let subjects: BTreeSet<String> = delivered.iter().map(|m| m.subject.clone()).collect();
    assert_eq!((delivered.len(), subjects.len()), (240, 240));
    let connections = peers.connections().await;
    println!("four instances, three slots: {connections:?}");
    assert_eq!(connections.connection_limit_refusals, 0, "{connections:?}");
    assert!(connections.max_open_connections <= 3, "{connections:?}");
    // More than one instance delivered at a time: the slots are shared, not one lock.
    assert!(connections.max_open_connections >= 2, "{connections:?}");
    for app in apps {
        app.stop().await;
    }
}
