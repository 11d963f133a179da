//! A full disk: the data folder on a tmpfs of its own, filled to the last byte. A message
//! is then refused with `452 4.3.1` over SMTP and 507 with `Retry-After` over HTTP (held
//! to the OpenAPI document), nothing of it is stored, `/healthz` says `degraded` and
//! `/metrics` counts the refusals; once space is freed the next message is accepted and
//! delivered, and both are back to normal.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::helpers::{fresh_dir, spawn_peers};
use crate::openapi::{Seen, MESSAGES};
use crate::relay::{python_client, queued_id, rig_in, CREDENTIAL};

/// Larger than what SQLite's write-ahead log can already hold, so storing it needs new
/// space on the disk.
const MESSAGE_BYTES: usize = 6_000_000;

/// A tmpfs mounted on a folder for the test's life (the test runs as root, as CI does).
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Self {
        let status = std::process::Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(dir)
            .status()
            .expect("run mount");
        assert!(
            status.success(),
            "this test mounts a small tmpfs to fill it: it must run as root ({status})"
        );
        Tmpfs(dir.to_owned())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
    }
}

/// Writes `file` until the file system refuses: the disk is then full.
fn fill(file: &Path) {
    let mut filler = std::fs::File::create(file).expect("the filler");
    let block = vec![0u8; 64 * 1024];
    loop {
        if let Err(error) = filler.write_all(&block).and_then(|()| filler.sync_all()) {
            assert_eq!(error.raw_os_error(), Some(28), "{error}");
            break;
        }
    }
    // What is left is less than a block; take it too.
    loop {
        match filler
            .write(&[0u8; 512])
            .and_then(|n| filler.sync_all().map(|()| n))
        {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
}

async fn healthz(base: &str) -> (u16, String) {
    let response = reqwest::get(format!("{base}/healthz"))
        .await
        .expect("GET /healthz");
    let status = response.status().as_u16();
    (status, response.text().await.expect("text"))
}

async fn refusals_counted(base: &str) -> f64 {
    let text = reqwest::get(format!("{base}/metrics"))
        .await
        .expect("GET /metrics")
        .text()
        .await
        .expect("text");
    text.lines()
        .find_map(|line| line.strip_prefix("smtp_setup_store_out_of_space_total "))
        .map_or(0.0, |value| value.trim().parse().expect("a number"))
}

#[tokio::test]
async fn a_full_disk_refuses_with_insufficient_storage_and_recovers_when_space_returns() {
    let peers = spawn_peers().await;
    let dir = fresh_dir("relay-disk");
    let _tmpfs = Tmpfs::mount(&dir, "64m");
    let rig = rig_in(dir.clone(), &peers, &[]).await;
    rig.save_configuration(&peers).await;
    let relay = rig.app.relay_addr.expect("the relay listens");
    let cafile = rig.app.relay_cafile();
    let size = MESSAGE_BYTES.to_string();
    let send = |tag: &'static str| {
        let size = size.clone();
        let cafile = cafile.clone();
        let mailbox = rig.mailbox().to_owned();
        let password = rig.password.clone();
        async move {
            let args = [
                "--user",
                CREDENTIAL,
                "--mail-from",
                &mailbox,
                "--to",
                "customer@fabrikam-test.com",
                "--size",
                &size,
                "--tag",
                tag,
            ];
            python_client(relay, &cafile, &args, Some(&password))
                .await
                .remove(0)
        }
    };
    assert_eq!(healthz(&rig.app.base).await.0, 200);

    let filler = dir.join("filler");
    fill(&filler);
    let refused = send("disk-full").await;
    assert_eq!(refused["ok"], false, "{refused}");
    assert_eq!(refused["code"], 452, "{refused}");
    let reply = refused["reply"].as_str().expect("reply");
    assert!(
        reply.starts_with("4.3.1 Insufficient system storage"),
        "{reply}"
    );

    let mut seen = Seen::default();
    let body = format!(
        "From: {mailbox}\r\nTo: customer@fabrikam-test.com\r\nSubject: disk full over HTTP\r\n\r\n{}\r\n",
        "x".repeat(MESSAGE_BYTES),
        mailbox = rig.mailbox()
    );
    let answer = rig
        .app
        .http
        .post(format!("{}{MESSAGES}", rig.app.base))
        .basic_auth(CREDENTIAL, Some(&rig.password))
        .header("content-type", "message/rfc822")
        .body(body)
        .send()
        .await
        .expect("POST");
    let retry_after = answer
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let answer = seen.record("POST", MESSAGES, answer).await;
    assert_eq!(answer["status"], 507, "{answer}");
    assert_eq!(retry_after.as_deref(), Some("60"));
    // The checker's file cannot go on the full disk.
    seen.check(&fresh_dir("relay-disk-responses")).await;

    // Nothing of either was kept.
    let (waiting, _) = rig.app.store.queue_stats().await.expect("the outbox");
    assert_eq!(waiting, 0);
    let (status, health) = healthz(&rig.app.base).await;
    assert_eq!(status, 503, "{health}");
    assert!(
        health.starts_with(
            "degraded: the store (sqlite) has refused messages for lack of disk space since "
        ),
        "{health}"
    );
    assert!(refusals_counted(&rig.app.base).await >= 2.0);

    // Space comes back: the application's next try is accepted and delivered.
    std::fs::remove_file(&filler).expect("free the space");
    let accepted = send("space-again").await;
    let id = queued_id(&accepted);
    let delivered = rig.delivered(&peers, 1).await;
    assert_eq!(delivered.len(), 1, "only the accepted message was sent");
    assert!(
        delivered[0].subject.contains("space-again"),
        "{}",
        delivered[0].subject
    );
    let (status, health) = healthz(&rig.app.base).await;
    assert_eq!(status, 200, "{health}");
    assert!(health.starts_with("ok: store usable (sqlite)"), "{health}");
    let (status, report) = rig.api_report(&id).await;
    assert_eq!(status, 200, "{report}");
    rig.app.stop().await;
}
