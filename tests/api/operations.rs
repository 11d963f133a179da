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

    // Restored as the README says: the copy and the key in a fresh data folder.
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
