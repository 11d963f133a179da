//! The saved configuration: reload, versions, write-only secrets sealed at rest, and the
//! key's start-up checks. Against a real SQLite file in a temporary directory.

use base64::Engine as _;
use smtp_setup::api::saved::SaveOutcome;
use smtp_setup::domain::{SecretInput, SmtpForm};
use smtp_setup::server::saved_config::{save, stored_secrets_for};
use smtp_setup::server::store::key::KeyError;
use smtp_setup::server::store::{Store, StoreError};

use crate::helpers::{database_url, fresh_dir, open_store};

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

#[tokio::test]
async fn a_saved_configuration_comes_back_after_a_restart_without_its_secret() {
    let dir = fresh_dir("store-reload");
    let store = open_store(&dir, "open").await;
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

    let reopened = open_store(&dir, "reopen").await;
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

#[tokio::test]
async fn a_save_from_a_stale_version_is_refused_and_changes_nothing() {
    let dir = fresh_dir("store-stale");
    let store = open_store(&dir, "open").await;
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

#[tokio::test]
async fn an_invalid_form_is_not_saved() {
    let dir = fresh_dir("store-invalid");
    let store = open_store(&dir, "open").await;
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

#[tokio::test]
async fn a_wrong_or_missing_key_is_a_clear_error_that_destroys_nothing() {
    let dir = fresh_dir("store-keys");
    let store = open_store(&dir, "open").await;
    saved(&store, &form(), 0).await;
    store.close().await;

    let other = base64::engine::general_purpose::STANDARD.encode([9u8; 32]);
    let wrong = Store::open(&database_url(&dir), Some(&other)).await;
    assert!(
        matches!(wrong, Err(StoreError::Key(KeyError::Wrong))),
        "{:?}",
        wrong.err()
    );

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

#[tokio::test]
async fn remembered_sessions_are_kept_until_they_expire_or_are_forgotten() {
    use std::time::{Duration, SystemTime};
    let dir = fresh_dir("store-sessions");
    let store = open_store(&dir, "open").await;
    let now = SystemTime::now();
    let hour = Duration::from_secs(3600);
    store
        .remember_session(&[1; 32], now + hour)
        .await
        .expect("remember");
    store
        .remember_session(&[2; 32], now + hour)
        .await
        .expect("remember");
    store
        .remember_session(&[3; 32], now - hour)
        .await
        .expect("remember");
    store.forget_session(&[2; 32]).await.expect("forget");
    store.close().await;

    let reopened = open_store(&dir, "reopen").await;
    let live = reopened.live_sessions(now).await.expect("sessions");
    assert_eq!(live.len(), 1, "one live, one forgotten, one expired");
    assert_eq!(live[0].0, [1; 32]);
    let kept = live[0].1.duration_since(now).expect("in the future");
    assert!(
        kept > hour - Duration::from_secs(2) && kept <= hour,
        "{kept:?}"
    );
}
