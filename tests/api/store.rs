//! The saved configuration: reload, versions, write-only secrets sealed at rest, and the
//! key's start-up checks; sessions, limits and the outbox's claims. Each on both backends
//! (a real SQLite file in a temporary directory, a real PostgreSQL database), except what
//! only SQLite has (its files).

use base64::Engine as _;
use smtp_setup::api::saved::SaveOutcome;
use smtp_setup::domain::{SecretInput, SmtpForm};
use smtp_setup::server::saved_config::{save, stored_secrets_for};
use smtp_setup::server::store::key::KeyError;
use smtp_setup::server::store::{Store, StoreError};

use crate::database::{Database, SHARED_KEY};
use crate::helpers::{database_url, fresh_dir, open_store};
use crate::on_both_backends;

on_both_backends!(
    a_saved_configuration_comes_back_after_a_restart_without_its_secret,
    a_save_from_a_stale_version_is_refused_and_changes_nothing,
    an_invalid_form_is_not_saved,
    a_wrong_key_is_a_clear_error_that_destroys_nothing,
    remembered_sessions_are_kept_until_they_expire_or_are_forgotten,
    a_limit_counts_its_events_within_the_window,
    the_outbox_is_claimed_once_paced_and_taken_over_after_its_lease,
    an_idempotency_key_names_its_message_for_24_hours,
    messages_stored_together_are_each_answered_for_themselves,
    a_database_a_newer_version_migrated_is_refused_by_an_older_one_and_left_alone,
    delivery_reports_count_once_and_a_bounce_is_never_undone,
    webhook_deliveries_are_claimed_once_and_retried_when_due,
);

const SECRET: &str = "Kx58Q~store-test-secret.value-0123456789";

fn form() -> SmtpForm {
    SmtpForm {
        email_address: "sender@contoso.com".into(),
        name: "Contoso".into(),
        tenant_id: "72f988bf-86f1-41af-91ab-2d7cd011db47".into(),
        client_id: "a1b2c3d4-e5f6-4789-abcd-0123456789ab".into(),
        client_secret: SECRET.into(),
        ..SmtpForm::default()
    }
}

async fn saved(store: &Store, form: &SmtpForm, base: i64) -> smtp_setup::api::saved::SavedConfig {
    match save(store, form, base).await.expect("save") {
        SaveOutcome::Saved(config) => *config,
        other => panic!("expected a save, got {other:?}"),
    }
}

async fn a_saved_configuration_comes_back_after_a_restart_without_its_secret(db: Database) {
    let store = db.open("open").await;
    let first = saved(&store, &form(), 0).await;
    assert_eq!(first.version, 1);
    assert_eq!(
        first.form.client_secret,
        SecretInput::KeepStored,
        "the secret never comes back"
    );
    let fingerprint = first.client_secret.expect("a stored secret");
    assert_eq!(fingerprint.hint.as_deref(), Some("Kx5"));
    assert_eq!(fingerprint.length, SECRET.len() as u32);
    store.close().await;

    let reopened = db.open("reopen").await;
    let loaded = reopened.load().await.expect("load");
    assert_eq!(loaded.version, 1);
    assert_eq!(loaded.form.email_address, "sender@contoso.com");
    assert_eq!(
        loaded.form.client_id,
        "a1b2c3d4-e5f6-4789-abcd-0123456789ab"
    );
    // An empty field keeps the stored secret, for a test and for a save.
    let empty = SmtpForm {
        client_secret: SecretInput::KeepStored,
        name: "Renamed".into(),
        ..form()
    };
    let stored = stored_secrets_for(&reopened, &empty).await.expect("open");
    assert_eq!(stored.client_secret.expect("stored").expose(), SECRET);
    let second = saved(&reopened, &empty, 1).await;
    assert_eq!(second.version, 2);
    assert_eq!(second.form.name, "Renamed");
    assert_eq!(
        second.client_secret.and_then(|s| s.hint).as_deref(),
        Some("Kx5")
    );
    // A typed secret replaces it.
    let replaced = saved(
        &reopened,
        &SmtpForm {
            client_secret: "New8Q~another-value".into(),
            ..form()
        },
        2,
    )
    .await;
    assert_eq!(
        replaced.client_secret.and_then(|s| s.hint).as_deref(),
        Some("New")
    );
    reopened.close().await;
}

async fn a_save_from_a_stale_version_is_refused_and_changes_nothing(db: Database) {
    let store = db.open("open").await;
    saved(&store, &form(), 0).await;
    saved(
        &store,
        &SmtpForm {
            name: "Second".into(),
            ..form()
        },
        1,
    )
    .await;
    let stale = save(
        &store,
        &SmtpForm {
            name: "Stale".into(),
            ..form()
        },
        1,
    )
    .await
    .expect("save");
    assert_eq!(stale, SaveOutcome::Conflict { current_version: 2 });
    // Two first saves: the second one is stale too.
    let first_again = save(&store, &form(), 0).await.expect("save");
    assert_eq!(first_again, SaveOutcome::Conflict { current_version: 2 });
    assert_eq!(store.load().await.expect("load").form.name, "Second");
    store.close().await;
}

async fn an_invalid_form_is_not_saved(db: Database) {
    let store = db.open("open").await;
    let invalid = SmtpForm {
        tenant_id: "common".into(),
        ..form()
    };
    assert!(matches!(
        save(&store, &invalid, 0).await.expect("save"),
        SaveOutcome::Invalid(_)
    ));
    // Without a stored secret an empty field is an error like any other.
    let no_secret = SmtpForm {
        client_secret: SecretInput::KeepStored,
        ..form()
    };
    assert!(matches!(
        save(&store, &no_secret, 0).await.expect("save"),
        SaveOutcome::Invalid(_)
    ));
    assert_eq!(store.load().await.expect("load").version, 0);
    store.close().await;
}

#[tokio::test]
async fn the_database_files_alone_do_not_reveal_the_secret() {
    let dir = fresh_dir("store-bytes");
    let store = open_store(&dir, "open").await;
    saved(&store, &form(), 0).await;
    store.close().await;
    let encoded = base64::engine::general_purpose::STANDARD.encode(SECRET);
    let mut checked = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "key") {
            continue;
        }
        // The write-ahead log and shared memory may vanish as the pool finishes closing:
        // a file that is gone holds nothing. Any other read error fails the test.
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
            Err(error) => panic!("{}: {error}", path.display()),
        };
        for needle in [
            SECRET.as_bytes(),
            &SECRET.as_bytes()[3..],
            encoded.as_bytes(),
        ] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "{} contains the secret",
                path.display()
            );
        }
        checked.push(path.file_name().expect("name").to_owned());
    }
    assert!(
        checked.iter().any(|name| name == "app.db"),
        "the database file itself was read: {checked:?}"
    );
}

async fn a_wrong_key_is_a_clear_error_that_destroys_nothing(db: Database) {
    let store = db.open("open").await;
    saved(&store, &form(), 0).await;
    store.close().await;

    let other = base64::engine::general_purpose::STANDARD.encode([9u8; 32]);
    let wrong = Store::open(&db.url(), Some(&other)).await;
    let Err(error) = wrong else {
        panic!("another key opened the store")
    };
    assert!(
        matches!(error, StoreError::Key(KeyError::Wrong)),
        "{error:?}"
    );
    // The same words on both backends, as docs/src/operations.md quotes them.
    let words = error.to_string();
    assert!(
        words.contains("the key does not open this database's secrets")
            && words.contains("nothing was changed"),
        "{words}"
    );
    let restored = db.open("the right key opens it").await;
    let secrets = restored.secrets().await.expect("secrets");
    assert_eq!(
        secrets
            .client_secret
            .map(|s| s.expose().to_owned())
            .as_deref(),
        Some(SECRET)
    );
    restored.close().await;
}

#[tokio::test]
async fn a_missing_key_file_is_a_clear_error_not_a_new_key() {
    let dir = fresh_dir("store-keys");
    let store = open_store(&dir, "open").await;
    saved(&store, &form(), 0).await;
    store.close().await;

    let key_file = dir.join("app.key");
    let kept = dir.join("kept.key");
    std::fs::rename(&key_file, &kept).expect("move the key away");
    let missing = Store::open(&database_url(&dir), None).await;
    assert!(
        matches!(missing, Err(StoreError::Key(KeyError::Missing(_)))),
        "{:?}",
        missing.err()
    );
    assert!(!key_file.exists(), "no new key may replace the lost one");
    std::fs::rename(&kept, &key_file).expect("restore the key");
    let restored = open_store(&dir, "the right key opens it").await;
    assert!(restored
        .secrets()
        .await
        .expect("secrets")
        .client_secret
        .is_some());
    restored.close().await;
}

#[tokio::test]
async fn postgres_needs_the_shared_key_from_the_environment() {
    let db = Database::postgres("store_needs_key").await;
    let without = Store::open(&db.url(), None).await;
    assert!(
        matches!(without, Err(StoreError::Key(KeyError::NeededWhenShared))),
        "{:?}",
        without.err()
    );
    // The message names the variable and says it must be the same everywhere.
    let words = without.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        words.contains("SMTP_SETUP_KEY") && words.contains("same key on every instance"),
        "{words}"
    );
    let (_, source) = Store::open(&db.url(), Some(&SHARED_KEY))
        .await
        .expect("with the key");
    assert_eq!(
        source,
        smtp_setup::server::store::key::KeySource::Environment
    );
}

#[cfg(unix)]
#[tokio::test]
async fn a_new_database_and_its_journal_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = fresh_dir("store-permissions");
    let store = open_store(&dir, "open").await;
    saved(&store, &form(), 0).await;
    for name in ["app.db", "app.db-wal", "app.db-shm"] {
        let mode = std::fs::metadata(dir.join(name))
            .expect(name)
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{name}");
    }
    store.close().await;
}

async fn remembered_sessions_are_kept_until_they_expire_or_are_forgotten(db: Database) {
    use std::time::{Duration, SystemTime};
    let store = db.open("open").await;
    let now = SystemTime::now();
    let hour = Duration::from_secs(3600);
    for (key, expires) in [
        ([1; 32], now + hour),
        ([2; 32], now + hour),
        ([3; 32], now - hour),
    ] {
        store
            .remember_session(&key, expires)
            .await
            .expect("remember");
    }
    store.forget_session(&[2; 32]).await.expect("forget");
    store.close().await;

    let reopened = db.open("reopen").await;
    let live = |key| reopened.is_live_session(key, now);
    assert!(live(&[1; 32]).await.expect("read"), "remembered");
    assert!(!live(&[2; 32]).await.expect("read"), "forgotten");
    assert!(!live(&[3; 32]).await.expect("read"), "expired");
    assert!(
        !reopened
            .is_live_session(&[1; 32], now + hour + Duration::from_secs(1))
            .await
            .expect("read"),
        "a session ends at its expiry"
    );
    assert_eq!(
        reopened.forget_expired_sessions(now).await.expect("prune"),
        1
    );
    reopened.close().await;
}

async fn a_limit_counts_its_events_within_the_window(db: Database) {
    use smtp_setup::server::store::Limited;
    use std::time::Duration;
    let store = db.open("open").await;
    let minute = Duration::from_secs(60);
    let t0 = 1_800_000_000_000_i64;
    assert_eq!(
        store.take_place("a", 2, minute, t0).await.expect("take"),
        Ok(())
    );
    assert_eq!(
        store
            .take_place("a", 2, minute, t0 + 1000)
            .await
            .expect("take"),
        Ok(())
    );
    assert!(store
        .is_full("a", 2, minute, t0 + 2000)
        .await
        .expect("read"));
    assert!(
        !store
            .is_full("b", 2, minute, t0 + 2000)
            .await
            .expect("read"),
        "buckets are apart"
    );
    // Full until the oldest event leaves the window: 58 s from t0 + 2 s.
    assert_eq!(
        store
            .take_place("a", 2, minute, t0 + 2000)
            .await
            .expect("take"),
        Err(Limited(Duration::from_secs(58)))
    );
    assert_eq!(
        store
            .take_place("a", 2, minute, t0 + 60_001)
            .await
            .expect("take"),
        Ok(())
    );
    store.close().await;
}

/// Forty messages at once (the committer stores those that wait together in one
/// transaction): each gets its own answer and its last piece, two with one idempotency
/// key get one message between them, and one whose id is taken is refused alone; its
/// neighbours are stored all the same.
async fn messages_stored_together_are_each_answered_for_themselves(db: Database) {
    use smtp_setup::server::store::{Enqueued, NewMessage};
    let store = std::sync::Arc::new(db.open("open").await);
    let t0 = 1_800_000_000_000_i64;
    let enqueue = |store: std::sync::Arc<Store>, id: String, key: Option<&'static str>| async move {
        let piece = format!("the last piece of {id}");
        let head = b"Subject: s\r\n\r\n";
        let answer = store
            .enqueue(&NewMessage {
                id: &id,
                accepted_at: t0,
                submitted_by: "app",
                mail_from: "sender@contoso.com",
                recipients: &["to@example.com".to_owned()],
                subject: "s",
                internet_message_id: None,
                head,
                last_piece: piece.as_bytes(),
                pieces: 0,
                size: (head.len() + piece.len()) as i64,
                idempotency_key: key,
            })
            .await;
        (id, answer)
    };
    assert_eq!(
        enqueue(store.clone(), "taken".to_owned(), None)
            .await
            .1
            .expect("the first"),
        Enqueued::Queued {
            id: "taken".to_owned()
        }
    );
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..37 {
        tasks.spawn(enqueue(store.clone(), format!("m{n}"), None));
    }
    tasks.spawn(enqueue(store.clone(), "k1".to_owned(), Some("same")));
    tasks.spawn(enqueue(store.clone(), "k2".to_owned(), Some("same")));
    tasks.spawn(enqueue(store.clone(), "taken".to_owned(), None));
    let mut answers = std::collections::BTreeMap::new();
    while let Some(done) = tasks.join_next().await {
        let (id, answer) = done.expect("a task");
        answers.insert(id, answer);
    }
    assert!(
        answers.remove("taken").expect("taken").is_err(),
        "a taken id"
    );
    let keyed = [answers.remove("k1"), answers.remove("k2")].map(|a| a.expect("k").expect("k"));
    let first = keyed
        .iter()
        .find_map(|a| match a {
            Enqueued::Queued { id } => Some(id.clone()),
            Enqueued::AlreadyQueued { .. } => None,
        })
        .expect("one of the two is stored");
    assert!(
        keyed.contains(&Enqueued::AlreadyQueued { id: first.clone() }),
        "the other names it: {keyed:?}"
    );
    assert_eq!(answers.len(), 37);
    for (id, answer) in &answers {
        assert_eq!(
            answer.as_ref().expect("stored"),
            &Enqueued::Queued { id: id.clone() }
        );
    }
    for id in answers.keys().chain([&first]) {
        assert_eq!(
            store.read_piece(id, 0).await.expect("its last piece"),
            format!("the last piece of {id}").into_bytes()
        );
    }
    assert_eq!(store.queue_stats().await.expect("stats").0, 39);
    store.close().await;
}

async fn the_outbox_is_claimed_once_paced_and_taken_over_after_its_lease(db: Database) {
    use smtp_setup::api::relay::MessageStatus;
    use smtp_setup::server::store::{Claim, NewMessage};
    let store = db.open("open").await;
    let t0 = 1_800_000_000_000_i64;
    for id in ["m1", "m2"] {
        store
            .enqueue(&NewMessage {
                id,
                accepted_at: t0,
                submitted_by: "app",
                mail_from: "sender@contoso.com",
                recipients: &["to@example.com".to_owned()],
                subject: "s",
                internet_message_id: None,
                head: b"Subject: s\r\n\r\nbody",
                last_piece: &[],
                pieces: 0,
                size: b"Subject: s\r\n\r\nbody".len() as i64,
                idempotency_key: None,
            })
            .await
            .expect("enqueue");
    }
    let claim =
        |now, worker: &'static str, spacing| store.claim_due(now, worker, now + 10_000, spacing);
    // Oldest first, each claimed once.
    let Claim::Message(first) = claim(t0, "w1", 0).await.expect("claim") else {
        panic!("m1 is due")
    };
    assert_eq!((first.id.as_str(), first.attempts), ("m1", 1));
    // With a pace of 30 s: the second waits for its slot.
    let Claim::Message(second) = claim(t0, "w2", 30_000).await.expect("claim") else {
        panic!("m2 is due")
    };
    assert_eq!(second.id, "m2");
    assert!(
        matches!(claim(t0 + 1, "w2", 30_000).await.expect("claim"), Claim::Paced(at) if at == t0 + 30_000)
    );
    // Nothing else is due while both leases hold.
    assert!(matches!(
        claim(t0 + 5_000, "w2", 0).await.expect("claim"),
        Claim::Nothing
    ));
    assert_eq!(store.next_due_at().await.expect("next"), Some(t0 + 10_000));
    // w1 renews its lease; w2's runs out and w1 takes m2 over (its second attempt).
    assert!(store
        .renew_lease("m1", "w1", t0 + 20_000)
        .await
        .expect("renew"));
    let Claim::Message(taken) = claim(t0 + 10_001, "w1", 0).await.expect("claim") else {
        panic!("m2's lease ran out")
    };
    assert_eq!((taken.id.as_str(), taken.attempts), ("m2", 2));
    // The late worker's outcome and renewal are refused; the owner's are kept.
    assert!(!store
        .renew_lease("m2", "w2", t0 + 30_000)
        .await
        .expect("renew"));
    assert!(!store
        .record_attempt(
            "m2",
            "w2",
            MessageStatus::Sent,
            t0 + 10_002,
            t0 + 10_002,
            None
        )
        .await
        .expect("record"));
    for id in ["m1", "m2"] {
        assert!(store
            .record_attempt(
                id,
                "w1",
                MessageStatus::Sent,
                t0 + 10_003,
                t0 + 10_003,
                None
            )
            .await
            .expect("record"));
    }
    assert!(matches!(
        claim(t0 + 100_000, "w1", 0).await.expect("claim"),
        Claim::Nothing
    ));
    assert_eq!(store.next_due_at().await.expect("next"), None);
    store.close().await;
}

#[tokio::test]
async fn a_database_of_the_version_before_is_upgraded_with_what_it_held() {
    use smtp_setup::server::store::Claim;
    use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};
    use std::str::FromStr as _;
    let dir = fresh_dir("store-upgrade");
    // The migrations the version before shared instances had.
    let before = dir.join("migrations");
    std::fs::create_dir_all(&before).expect("dir");
    let mut files: Vec<_> =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"))
            .expect("migrations")
            .map(|entry| entry.expect("entry").path())
            .collect();
    files.sort();
    let at = files
        .iter()
        .position(|f| f.to_string_lossy().ends_with("_shared_instances.sql"))
        .expect("the shared instances' migration");
    files.truncate(at);
    for file in &files {
        std::fs::copy(file, before.join(file.file_name().expect("name"))).expect("copy");
    }
    let options = SqliteConnectOptions::from_str(&database_url(&dir))
        .expect("url")
        .create_if_missing(true);
    let pool = SqlitePool::connect_with(options).await.expect("open");
    sqlx::migrate::Migrator::new(before.as_path())
        .await
        .expect("migrator")
        .run(&pool)
        .await
        .expect("the version before's schema");
    for address in ["zoe@contoso.com", "adam@contoso.com"] {
        sqlx::query("INSERT INTO relay_sender (address) VALUES (?)")
            .bind(address)
            .execute(&pool)
            .await
            .expect("sender");
    }
    sqlx::query(
        "INSERT INTO outbox (id, accepted_at, submitted_by, mail_from, recipients, subject,
                             message, status, attempts, next_attempt_at)
         VALUES ('m1', 1, 'erp', 'a@contoso.com', '[\"b@fabrikam.com\"]', 's', x'00', 'sending', 1, 1)",
    )
    .execute(&pool)
    .await
    .expect("a message in flight");
    pool.close().await;

    let store = open_store(&dir, "upgrade").await;
    let senders = store.allowed_senders().await.expect("senders");
    let senders: Vec<&str> = senders.addresses().iter().map(|a| a.as_str()).collect();
    assert_eq!(
        senders,
        ["zoe@contoso.com", "adam@contoso.com"],
        "in the order saved"
    );
    // By their positions, not by chance: each sender has its own.
    let pool = SqlitePool::connect(&database_url(&dir))
        .await
        .expect("open");
    let positions: Vec<i64> =
        sqlx::query_scalar("SELECT position FROM relay_sender ORDER BY address DESC")
            .fetch_all(&pool)
            .await
            .expect("positions");
    pool.close().await;
    assert!(positions[0] < positions[1], "{positions:?}");
    // The message in flight has no lease: the restart sends it again, as before.
    assert_eq!(store.requeue_interrupted(2).await.expect("requeue"), 1);
    let Claim::Message(due) = store.claim_due(2, "w", 10, 0).await.expect("claim") else {
        panic!("the interrupted message is due")
    };
    assert_eq!((due.id.as_str(), due.attempts), ("m1", 2));
    store.close().await;
}

/// Two instances given the same idempotency key at the same moment: the one whose insert
/// waits for the other's is told the other's message id, not an error.
#[tokio::test]
async fn an_idempotency_key_stored_meanwhile_by_another_instance_names_its_message() {
    use smtp_setup::server::store::{Enqueued, NewMessage};
    use sqlx::Connection as _;
    let db = Database::postgres("store_idempotency_race").await;
    let store = std::sync::Arc::new(db.open("open").await);
    // The other instance: its message with key k1 inserted, not committed yet.
    let mut other = sqlx::PgConnection::connect(&db.url())
        .await
        .expect("connect");
    let mut other_tx = other.begin().await.expect("begin");
    sqlx::query(
        "INSERT INTO outbox (id, accepted_at, submitted_by, mail_from, recipients, subject,
                             message, status, next_attempt_at, idempotency_key)
         VALUES ('first', 1, 'erp', 'a@contoso.com', '[]', 's', '\\x00', 'queued', 1, 'k1')",
    )
    .execute(&mut *other_tx)
    .await
    .expect("insert");
    let enqueue = tokio::spawn({
        let store = store.clone();
        async move {
            store
                .enqueue(&NewMessage {
                    id: "second",
                    accepted_at: 2,
                    submitted_by: "erp",
                    mail_from: "a@contoso.com",
                    recipients: &[],
                    subject: "s",
                    internet_message_id: None,
                    head: b"x",
                    last_piece: &[],
                    pieces: 0,
                    size: b"x".len() as i64,
                    idempotency_key: Some("k1"),
                })
                .await
        }
    });
    // Once this instance's insert waits on the other's row lock (seen by PostgreSQL
    // itself), the other commits.
    let mut watcher = sqlx::PgConnection::connect(&db.url())
        .await
        .expect("connect");
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(&mut watcher)
        .await
        .expect("pg_stat_activity");
        if waiting > 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the insert never waited"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    other_tx.commit().await.expect("commit");
    let answer = enqueue.await.expect("task").expect("enqueue");
    assert_eq!(answer, Enqueued::AlreadyQueued { id: "first".into() });
}

async fn an_idempotency_key_names_its_message_for_24_hours(db: Database) {
    use smtp_setup::server::store::{Enqueued, NewMessage};
    let store = db.open("open").await;
    let t0 = 1_800_000_000_000_i64;
    let hour = 60 * 60 * 1000;
    let message = |id, accepted_at| NewMessage {
        id,
        accepted_at,
        submitted_by: "app",
        mail_from: "sender@contoso.com",
        recipients: &[],
        subject: "s",
        internet_message_id: None,
        head: b"Subject: s\r\n\r\nbody",
        last_piece: &[],
        pieces: 0,
        size: b"Subject: s\r\n\r\nbody".len() as i64,
        idempotency_key: Some("invoice-42"),
    };
    let enqueue = |id, at| {
        let store = &store;
        async move { store.enqueue(&message(id, at)).await.expect("enqueue") }
    };
    assert_eq!(
        enqueue("m1", t0).await,
        Enqueued::Queued { id: "m1".into() }
    );
    assert_eq!(
        enqueue("m2", t0 + 23 * hour).await,
        Enqueued::AlreadyQueued { id: "m1".into() },
        "within the day: the first message"
    );
    assert_eq!(
        enqueue("m3", t0 + 25 * hour).await,
        Enqueued::Queued { id: "m3".into() },
        "a day later the key names nothing"
    );
    store.close().await;
}

async fn a_database_a_newer_version_migrated_is_refused_by_an_older_one_and_left_alone(
    db: Database,
) {
    // This version opens it and records itself.
    let store = db.open("open").await;
    saved(&store, &form(), 0).await;
    store.close().await;
    // Then a newer smtp-setup migrated it further.
    let newer = 29_991_231_000_001_i64;
    let rows = || async {
        let url = db.url();
        let describe = "SELECT version FROM _sqlx_migrations ORDER BY version";
        let info = "SELECT value FROM store_info WHERE key = 'written_by'";
        match &db {
            Database::Sqlite { .. } => {
                let pool = sqlx::SqlitePool::connect(&url).await.expect("connect");
                let versions: Vec<i64> = sqlx::query_scalar(describe)
                    .fetch_all(&pool)
                    .await
                    .expect("read");
                let by: String = sqlx::query_scalar(info)
                    .fetch_one(&pool)
                    .await
                    .expect("read");
                pool.close().await;
                (versions, by)
            }
            Database::Postgres { .. } => {
                let pool = sqlx::PgPool::connect(&url).await.expect("connect");
                let versions: Vec<i64> = sqlx::query_scalar(describe)
                    .fetch_all(&pool)
                    .await
                    .expect("read");
                let by: String = sqlx::query_scalar(info)
                    .fetch_one(&pool)
                    .await
                    .expect("read");
                pool.close().await;
                (versions, by)
            }
        }
    };
    let (versions, by) = rows().await;
    assert_eq!(by, env!("CARGO_PKG_VERSION"));
    let known = *versions.last().expect("migrations");
    let newer_rows = [
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (29991231000001, 'from the future', TRUE, decode('00', 'hex'), 1)",
        "UPDATE store_info SET value = '9.9.0' WHERE key = 'written_by'",
    ];
    match &db {
        Database::Sqlite { .. } => {
            let pool = sqlx::SqlitePool::connect(&db.url()).await.expect("connect");
            for statement in newer_rows {
                let statement = statement.replace("decode('00', 'hex')", "x'00'");
                sqlx::query(&statement).execute(&pool).await.expect("newer");
            }
            pool.close().await;
        }
        Database::Postgres { .. } => {
            let pool = sqlx::PgPool::connect(&db.url()).await.expect("connect");
            for statement in newer_rows {
                sqlx::query(statement).execute(&pool).await.expect("newer");
            }
            pool.close().await;
        }
    }
    let before = rows().await;
    let refused = Store::open(&db.url(), db.key()).await;
    let Err(error) = refused else {
        panic!("an older version opened a newer database")
    };
    assert!(
        matches!(error, StoreError::NewerDatabase { .. }),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        format!(
            "this database was written by smtp-setup 9.9.0 (migration {newer}); this is {}, which knows up to migration {known}: start 9.9.0 or newer (nothing was changed)",
            env!("CARGO_PKG_VERSION")
        )
    );
    assert_eq!(rows().await, before, "nothing was changed");
}

/// Reports stored with the watcher's position: a batch read again (a crash before the
/// next position was kept) changes nothing; a later delay does not undo a bounce; a
/// report about no message is counted once.
async fn delivery_reports_count_once_and_a_bounce_is_never_undone(db: Database) {
    use smtp_setup::api::relay::{MessageStatus, ReportAction};
    use smtp_setup::server::bounces::report::{RecipientReport, Report};
    use smtp_setup::server::store::reports::{Position, Recorded};
    use smtp_setup::server::store::{Claim, NewMessage};
    let store = db.open("open").await;
    let t0 = 1_800_000_000_000_i64;
    for (id, message_id) in [("m1", "one@app.test"), ("m2", "two@app.test")] {
        store
            .enqueue(&NewMessage {
                id,
                accepted_at: t0,
                submitted_by: "app",
                mail_from: "sender@contoso.com",
                recipients: &["to@example.com".to_owned()],
                subject: "s",
                internet_message_id: Some(message_id),
                head: b"Subject: s\r\n\r\n",
                last_piece: &[],
                pieces: 0,
                size: 14,
                idempotency_key: None,
            })
            .await
            .expect("enqueue");
        let Claim::Message(due) = store
            .claim_due(t0, "w", t0 + 10_000, 0)
            .await
            .expect("claim")
        else {
            panic!("{id} due");
        };
        store
            .record_attempt(&due.id, "w", MessageStatus::Sent, t0, t0, None)
            .await
            .expect("sent");
    }
    let report = |id: &str, action| Report {
        original_ids: vec!["unrelated@x".into(), id.into()],
        reporting_mta: Some("mx.example.com".into()),
        recipients: vec![RecipientReport {
            recipient: "to@example.com".into(),
            action,
            status: "5.1.1".into(),
            diagnostic: Some("550 5.1.1 no such user".into()),
        }],
    };
    let batch = [
        report("one@app.test", ReportAction::Failed),
        report("two@app.test", ReportAction::Delayed),
        report("nobody@x", ReportAction::Failed),
    ];
    let position = Position {
        uid_validity: 7,
        last_uid: 40,
    };
    assert_eq!(
        store
            .mailbox_position("box@contoso.com")
            .await
            .expect("read"),
        None
    );
    for _ in 0..2 {
        let recorded = store
            .record_reports("box@contoso.com", position, &batch[..2], t0 + 1)
            .await
            .expect("record");
        assert_eq!(
            recorded,
            Recorded {
                matched: 2,
                unmatched: 0
            }
        );
    }
    let recorded = store
        .record_reports("box@contoso.com", position, &batch[2..], t0 + 2)
        .await
        .expect("record");
    assert_eq!(
        recorded,
        Recorded {
            matched: 0,
            unmatched: 1
        }
    );
    assert_eq!(store.unmatched_reports().await.expect("count"), 1);
    assert_eq!(
        store
            .mailbox_position("box@contoso.com")
            .await
            .expect("read"),
        Some(position)
    );
    let status = |id: &'static str| {
        let store = &store;
        async move {
            store
                .outbox_entry(id, "app")
                .await
                .expect("read")
                .expect("there")
                .status
        }
    };
    assert_eq!(status("m1").await, MessageStatus::Bounced);
    assert_eq!(status("m2").await, MessageStatus::Delayed);
    let lines = store.delivery_reports("m1").await.expect("lines");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0].action, ReportAction::Failed);
    assert_eq!(lines[0].reporting_mta.as_deref(), Some("mx.example.com"));
    // A delay reported after the bounce adds its line and leaves the bounce.
    store
        .record_reports(
            "box@contoso.com",
            position,
            &[report("one@app.test", ReportAction::Delayed)],
            t0 + 3,
        )
        .await
        .expect("record");
    assert_eq!(status("m1").await, MessageStatus::Bounced);
    assert_eq!(store.delivery_reports("m1").await.expect("lines").len(), 2);
    // A bounce after a delay is a bounce.
    store
        .record_reports(
            "box@contoso.com",
            position,
            &[report("two@app.test", ReportAction::Failed)],
            t0 + 4,
        )
        .await
        .expect("record");
    assert_eq!(status("m2").await, MessageStatus::Bounced);
}

/// A message accepted emits one delivery per endpoint, in its own transaction; a claimed
/// delivery is leased (a second claim gets nothing), a retry waits for its time, the
/// delivered one is logged with its attempts; the secret comes back opened.
async fn webhook_deliveries_are_claimed_once_and_retried_when_due(db: Database) {
    use secrecy::ExposeSecret as _;
    use smtp_setup::api::webhooks::DeliveryStatus;
    use smtp_setup::server::store::webhooks::Attempted;
    use smtp_setup::server::store::NewMessage;
    let store = db.open("open").await;
    let t0 = 1_800_000_000_000_i64;
    let secret = secrecy::SecretString::from("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    let first = store
        .add_webhook("https://a.example/hook", &secret, t0)
        .await
        .expect("add");
    let second = store
        .add_webhook("https://b.example/hook", &secret, t0)
        .await
        .expect("add");
    store
        .enqueue(&NewMessage {
            id: "m1",
            accepted_at: t0,
            submitted_by: "app",
            mail_from: "sender@contoso.com",
            recipients: &["to@example.com".to_owned()],
            subject: "s",
            internet_message_id: Some("one@app.test"),
            head: b"Subject: s\r\n\r\n",
            last_piece: &[],
            pieces: 0,
            size: 14,
            idempotency_key: None,
        })
        .await
        .expect("enqueue");
    let due = store
        .claim_webhook_deliveries(t0, t0 + 60_000, 10)
        .await
        .expect("claim");
    assert_eq!(due.len(), 2, "one per endpoint");
    assert!(due
        .iter()
        .all(|d| d.attempts == 1 && d.secret.expose_secret() == secret.expose_secret()));
    assert!(
        due[0].payload.contains("\"type\":\"message.accepted\""),
        "{}",
        due[0].payload
    );
    assert!(
        store
            .claim_webhook_deliveries(t0 + 1, t0 + 60_000, 10)
            .await
            .expect("claim")
            .is_empty(),
        "leased"
    );
    let to_first = due
        .iter()
        .find(|d| d.url == "https://a.example/hook")
        .expect("the first's");
    store
        .record_webhook_attempt(
            to_first.seq,
            &Attempted::Retry {
                at: t0 + 5_000,
                reply: "500 busy".into(),
            },
        )
        .await
        .expect("recorded");
    let to_second = due
        .iter()
        .find(|d| d.url == "https://b.example/hook")
        .expect("the second's");
    store
        .record_webhook_attempt(to_second.seq, &Attempted::Delivered("200 ok".into()))
        .await
        .expect("recorded");
    assert!(store
        .claim_webhook_deliveries(t0 + 4_999, t0 + 70_000, 10)
        .await
        .expect("claim")
        .is_empty());
    let again = store
        .claim_webhook_deliveries(t0 + 5_000, t0 + 70_000, 10)
        .await
        .expect("claim");
    assert_eq!(again.len(), 1);
    assert_eq!((again[0].seq, again[0].attempts), (to_first.seq, 2));
    store
        .record_webhook_attempt(again[0].seq, &Attempted::Delivered("204".into()))
        .await
        .expect("recorded");
    let log = store.webhook_deliveries(&first, 10).await.expect("log");
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0].status, log[0].attempts),
        (DeliveryStatus::Delivered, 2)
    );
    assert_eq!(log[0].last_reply.as_deref(), Some("204"));
    assert!(store
        .queue_test_event(&second, t0 + 6_000)
        .await
        .expect("queued"));
    assert!(!store.queue_test_event("ep_none", t0).await.expect("none"));
    assert_eq!(
        store.webhook_deliveries(&second, 10).await.expect("log")[0].event,
        "webhook.test"
    );
    assert!(store.remove_webhook(&second).await.expect("removed"));
    assert!(store
        .webhook_deliveries(&second, 10)
        .await
        .expect("log")
        .is_empty());
}
