//! Operating it for years: a backup taken while the relay accepts messages and restored
//! on a fresh data folder; the key rotated, with SIGKILL at each point of the rotation.

use std::path::Path;
use std::time::Duration;

use tokio::process::Command;

use crate::app_process::spawn_binary;
use crate::helpers::{database_url, fresh_dir, open_store, spawn_peers};
use crate::relay::{python_client, queued_id, remember_secret};

/// `smtp-setup ARGS` on the store in `dir`: its exit code, stdout and stderr.
async fn cli(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_smtp-setup"))
        .args(args)
        .env("DATABASE_URL", database_url(dir))
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .output()
        .await
        .expect("run the binary");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn a_backup_taken_while_the_relay_accepts_restores_everything_accepted_before_it() {
    let dir = fresh_dir("ops-backup");
    let peers = spawn_peers().await;
    {
        let store = open_store(&dir, "save").await;
        peers.save_form_in(&store).await;
        store.close().await;
    }
    let (code, out, _) = cli(&dir, &["credentials", "add", "erp"], &[]).await;
    assert_eq!(code, Some(0));
    let password = out.lines().last().expect("a password").to_owned();
    remember_secret(&password);
    // Microsoft unreachable: what is accepted stays in the outbox.
    let mut env = peers.env();
    env.retain(|(k, _)| *k != "SMTP_SETUP_SMTP_ADDR");
    env.push(("SMTP_SETUP_SMTP_ADDR", "127.0.0.1:9"));
    let app = spawn_binary(&dir, &env).await;
    let relay = app.relay.expect("the relay");
    let cert = dir.join("app.relay-cert.pem");
    let send = |tag: &'static str, count: &'static str| {
        let (cert, password, mailbox) =
            (cert.clone(), password.clone(), peers.info.mailbox.clone());
        async move {
            let args = [
                "--user",
                "erp",
                "--mail-from",
                &mailbox,
                "--to",
                "a@fabrikam-test.com",
                "--tag",
                tag,
                "--count",
                count,
            ];
            let results = python_client(relay, &cert, &args, Some(&password)).await;
            results.iter().map(queued_id).collect::<Vec<_>>()
        }
    };
    let before = send("before", "10").await;
    assert_eq!(before.len(), 10);
    // More come in while the backup is taken.
    let during = tokio::spawn(send("during", "300"));
    let store = open_store(&dir, "watch").await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while store.queue_stats().await.expect("outbox").0 < 20 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the second batch never came"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    store.close().await;
    let file = dir.join("backup.db");
    let (code, out, err) = cli(&dir, &["backup", file.to_str().expect("path")], &[]).await;
    assert_eq!(code, Some(0), "{err}");
    assert!(
        !during.is_finished(),
        "the backup was taken while messages came in"
    );
    assert!(
        out.contains("not the key") && out.contains(&dir.join("app.key").display().to_string()),
        "{out}"
    );
    let during = during.await.expect("the second batch");
    assert_eq!(during.len(), 300);
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&file).expect("the backup").permissions(),
    );
    assert_eq!(mode & 0o777, 0o600, "owner-only");
    // A second backup to the same name is refused.
    let (code, _, err) = cli(&dir, &["backup", file.to_str().expect("path")], &[]).await;
    assert_eq!(code, Some(1), "{err}");
    drop(app);

    // Restored as docs/src/operations.md says: the copy and the key in a fresh data folder.
    let restored = fresh_dir("ops-backup-restored");
    std::fs::copy(&file, restored.join("app.db")).expect("copy");
    std::fs::copy(dir.join("app.key"), restored.join("app.key")).expect("the key");
    let store = open_store(&restored, "the restored store").await;
    let saved = store.load().await.expect("load");
    assert_eq!(saved.version, 1);
    assert_eq!(saved.form.email_address, peers.info.mailbox);
    assert!(store
        .secrets()
        .await
        .expect("secrets")
        .client_secret
        .is_some());
    let names: Vec<String> = store
        .credentials()
        .await
        .expect("credentials")
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, ["erp"]);
    for id in &before {
        assert!(
            store.outbox_entry(id, "erp").await.expect("read").is_some(),
            "{id} accepted before the backup is in it"
        );
    }
    store.close().await;
}

#[tokio::test]
async fn on_postgresql_backup_says_pg_dump_is_the_tool() {
    let db = crate::database::Database::postgres("ops_backup_postgres").await;
    let dir = fresh_dir("ops-backup-postgres");
    let url = db.url();
    let (code, _, err) = cli(
        &dir,
        &["backup", "/tmp/never-written.db"],
        &[
            ("DATABASE_URL", &url),
            ("SMTP_SETUP_KEY", &crate::database::SHARED_KEY),
        ],
    )
    .await;
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("pg_dump"), "{err}");
    assert!(!Path::new("/tmp/never-written.db").exists());
}

/// A store in `dir` with a saved secret and a generated key waiting for its save.
async fn store_with_secrets(dir: &Path) -> (String, smtp_setup::api::saved::CertificateSummary) {
    let store = open_store(dir, "prepare").await;
    let secret = "Rot8Q~the-secret-before-rotation";
    let form = smtp_setup::domain::SmtpForm {
        email_address: "sender@contoso.com".into(),
        name: "Contoso".into(),
        tenant_id: "72f988bf-86f1-41af-91ab-2d7cd011db47".into(),
        client_id: "a1b2c3d4-e5f6-4789-abcd-0123456789ab".into(),
        ..Default::default()
    };
    crate::helpers::save_form(&store, &form, secret).await;
    let pending = smtp_setup::server::certificate_credential::keep::generate(&store, "Contoso")
        .await
        .expect("a pending key");
    store.close().await;
    (secret.to_owned(), pending)
}

/// What must hold whatever point a rotation reached: the store opens (with its key
/// file, repaired if need be), and every secret is what it was.
async fn opens_with_everything(
    dir: &Path,
    secret: &str,
    pending: &smtp_setup::api::saved::CertificateSummary,
) {
    let store = open_store(dir, "open after the rotation").await;
    let secrets = store.secrets().await.expect("secrets");
    assert_eq!(
        secrets
            .client_secret
            .map(|s| s.expose().to_owned())
            .as_deref(),
        Some(secret)
    );
    let certificate = smtp_setup::domain::CertificatePem::parse(&pending.pem).expect("pem");
    assert!(store
        .private_key_for(&certificate)
        .await
        .expect("pending")
        .is_some());
    store.close().await;
}

#[tokio::test]
async fn a_rotated_key_opens_everything_and_the_old_one_is_refused() {
    let dir = fresh_dir("ops-rotate");
    let (secret, pending) = store_with_secrets(&dir).await;
    let old = std::fs::read(dir.join("app.key")).expect("the old key");
    let (code, out, err) = cli(&dir, &["rotate-key"], &[]).await;
    assert_eq!(code, Some(0), "{err}");
    assert!(out.starts_with("Key rotated: 2 secrets"), "{out}");
    let new = std::fs::read(dir.join("app.key")).expect("the new key");
    assert_ne!(new, old);
    remember_secret(String::from_utf8_lossy(&new).trim());
    assert!(!dir.join("app.key.new").exists());
    opens_with_everything(&dir, &secret, &pending).await;
    // The old key, put back, is refused as any wrong key is.
    std::fs::write(dir.join("app.key"), &old).expect("the old key back");
    let refused = smtp_setup::server::store::Store::open(&database_url(&dir), None).await;
    let Err(error) = refused else {
        panic!("the old key opened the store")
    };
    assert!(
        error
            .to_string()
            .contains("the key does not open this database's secrets"),
        "{error}"
    );
}

#[tokio::test]
async fn sigkill_at_each_point_of_a_rotation_leaves_a_key_that_opens_everything() {
    for mark in [
        "rotate-key: the new key is written beside the old one",
        "rotate-key: every secret is sealed with the new key (committing)",
        "rotate-key: committed",
        "rotate-key: the new key file is in place",
    ] {
        let dir = fresh_dir(&format!("ops-rotate-kill-{}", mark.len()));
        let (secret, pending) = store_with_secrets(&dir).await;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_smtp-setup"))
            .arg("rotate-key")
            .env("DATABASE_URL", database_url(&dir))
            .env("RUST_LOG", "warn,smtp_setup=info")
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("rotate-key");
        let stdout = child.stdout.take().expect("stdout");
        let reached = tokio::task::spawn_blocking(move || {
            use std::io::BufRead as _;
            std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .any(|line| line.contains(mark))
        });
        let reached = tokio::time::timeout(Duration::from_secs(30), reached)
            .await
            .expect("the mark within 30 s")
            .expect("read");
        assert!(reached, "{mark:?} never said");
        child.kill().expect("SIGKILL");
        child.wait().expect("gone");
        for file in ["app.key", "app.key.new"] {
            if let Ok(key) = std::fs::read_to_string(dir.join(file)) {
                remember_secret(key.trim());
            }
        }
        opens_with_everything(&dir, &secret, &pending).await;
        assert!(
            !dir.join("app.key.new").exists(),
            "{mark}: the rotation was finished or forgotten"
        );
    }
}

#[tokio::test]
async fn with_smtp_setup_key_the_new_key_is_printed_and_only_it_opens_the_store() {
    let db = crate::database::Database::postgres("ops_rotate_postgres").await;
    let store = db.open("prepare").await;
    crate::helpers::save_form(
        &store,
        &crate::helpers::spawn_peers().await.form(),
        "Rot8Q~pg-secret",
    )
    .await;
    store.close().await;
    let dir = fresh_dir("ops-rotate-postgres");
    let url = db.url();
    let (code, out, err) = cli(
        &dir,
        &["rotate-key"],
        &[
            ("DATABASE_URL", &url),
            ("SMTP_SETUP_KEY", &crate::database::SHARED_KEY),
        ],
    )
    .await;
    assert_eq!(code, Some(0), "{err}");
    let new = out.lines().nth(1).expect("the new key").to_owned();
    remember_secret(&new);
    assert!(out.contains("on every instance"), "{out}");
    let old =
        smtp_setup::server::store::Store::open(&url, Some(&crate::database::SHARED_KEY)).await;
    assert!(old.is_err(), "the old key still opens the store");
    let (store, _) = smtp_setup::server::store::Store::open(&url, Some(&new))
        .await
        .expect("the new key opens it");
    let secret = store
        .secrets()
        .await
        .expect("secrets")
        .client_secret
        .expect("a secret");
    assert_eq!(secret.expose(), "Rot8Q~pg-secret");
    store.close().await;
}

/// The states a rotation passes through, made exactly (a SIGKILL at a log mark can land
/// a little later than the mark): between writing the new key and the commit, and
/// between the commit and the new file's taking the old one's place.
#[tokio::test]
async fn each_state_a_rotation_can_stop_in_is_finished_or_forgotten_at_the_next_start() {
    // Before the commit: the old key and a new key file beside it.
    let dir = fresh_dir("ops-rotate-before-commit");
    let (secret, pending) = store_with_secrets(&dir).await;
    let (_, stray) = smtp_setup::server::store::key::new_key().expect("a key");
    smtp_setup::server::store::key::write_key_file(&dir.join("app.key.new"), &stray)
        .expect("write");
    opens_with_everything(&dir, &secret, &pending).await;
    assert!(
        !dir.join("app.key.new").exists(),
        "the unused new key is dropped"
    );

    // After the commit: the database sealed with the new key, the old key file still in
    // place and the new one beside it.
    let dir = fresh_dir("ops-rotate-after-commit");
    let (secret, pending) = store_with_secrets(&dir).await;
    let old = std::fs::read(dir.join("app.key")).expect("the old key");
    let (code, _, err) = cli(&dir, &["rotate-key"], &[]).await;
    assert_eq!(code, Some(0), "{err}");
    std::fs::rename(dir.join("app.key"), dir.join("app.key.new")).expect("the new key beside");
    std::fs::write(dir.join("app.key"), &old).expect("the old key in place");
    remember_secret(
        std::fs::read_to_string(dir.join("app.key.new"))
            .expect("new")
            .trim(),
    );
    opens_with_everything(&dir, &secret, &pending).await;
    assert!(
        !dir.join("app.key.new").exists(),
        "the rotation is finished"
    );
    assert_ne!(std::fs::read(dir.join("app.key")).expect("key"), old);
}
