//! What users install, as they install it: the release archive (`make dist`) unpacked
//! into a fresh folder and started from another working directory with only an
//! environment file. Run by `make install-test`, which builds the artifacts first and
//! names them in the environment (`make unit` skips these tests).

use std::path::{Path, PathBuf};

use smtp_setup::api::relay::MessageStatus;
use tokio::process::Command;

use crate::app_process::spawn_installed;
use crate::helpers::{fresh_dir, spawn_peers, Peers, ADMIN_TOKEN};
use crate::relay::{python_client, queued_id, remember_secret, settled_messages};

/// An artifact `make install-test` built, named by `variable`.
fn artifact(variable: &str) -> PathBuf {
    let path = std::env::var_os(variable)
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("{variable} is not set: run `make install-test`"));
    assert!(path.exists(), "{}: no such file", path.display());
    path
}

/// `KEY=VALUE` lines, comments and blank lines left out: an environment file.
pub fn read_env_file(path: &Path) -> Vec<(String, String)> {
    std::fs::read_to_string(path)
        .expect("the environment file")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            let (key, value) = line.split_once('=').expect("KEY=VALUE");
            (key.to_owned(), value.to_owned())
        })
        .collect()
}

/// What an operator writes into the environment file for these peers: the page and
/// the relay on free ports, a data folder, a fixed sign-in token.
fn env_file(path: &Path, data: &Path, peers: &Peers) {
    let lines = [
        "# smtp-setup for the test peers".to_owned(),
        "SMTP_SETUP_LISTEN=127.0.0.1:0".to_owned(),
        "SMTP_SETUP_RELAY_ADDR=127.0.0.1:0".to_owned(),
        format!("SMTP_SETUP_DATA_DIR={}", data.display()),
        format!("SMTP_SETUP_ADMIN_TOKEN={}", *ADMIN_TOKEN),
        format!("SMTP_SETUP_AUTHORITY_URL={}", peers.info.authority),
        format!("SMTP_SETUP_SMTP_ADDR={}", peers.info.smtp),
        format!("SMTP_SETUP_CA_FILE={}", peers.info.ca_file),
        "SMTP_SETUP_RELAY_SENDS_PER_MINUTE=0".to_owned(),
        "RUST_LOG=warn,smtp_setup=info".to_owned(),
    ];
    std::fs::write(path, lines.join("\n") + "\n").expect("the environment file");
}

/// Runs `program ARGS` with exactly `env` (and PATH): its status and standard output.
async fn run_installed(program: &Path, env: &[(String, String)], args: &[&str]) -> String {
    let output = Command::new(program)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .await
        .expect("run the installed binary");
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test]
async fn the_release_archive_unpacked_anywhere_serves_its_page_and_relays() {
    let archive = artifact("SMTP_SETUP_DIST_ARCHIVE");
    let root = fresh_dir("install-archive");
    let unpacked = root.join("opt");
    std::fs::create_dir_all(&unpacked).expect("a folder");
    let status = Command::new("tar")
        .arg("-xzf")
        .arg(&archive)
        .arg("-C")
        .arg(&unpacked)
        .status()
        .await
        .expect("tar");
    assert!(status.success());
    let folder = std::fs::read_dir(&unpacked)
        .expect("unpacked")
        .next()
        .expect("one folder")
        .expect("entry")
        .path();
    for file in [
        "smtp-setup",
        "smtp-setup.service",
        "smtp-setup.env.example",
        "README.md",
        "LICENSE",
        "site/hash.txt",
    ] {
        assert!(folder.join(file).exists(), "{file} is in the archive");
    }
    let program = folder.join("smtp-setup");
    let version = run_installed(&program, &[], &["--version"]).await;
    assert!(version.starts_with("smtp-setup "), "{version}");

    let peers = spawn_peers().await;
    let data = root.join("var/lib/smtp-setup");
    let env_path = root.join("smtp-setup.env");
    env_file(&env_path, &data, &peers);
    let env = read_env_file(&env_path);
    // Another working directory, which the server must not write into.
    let cwd = root.join("elsewhere");
    std::fs::create_dir_all(&cwd).expect("a folder");
    let server = spawn_installed(&program, &cwd, &env).await;

    // The page and its bundles, from the site beside the binary, precompressed.
    let page = server
        .http
        .get(format!("{}/", server.base))
        .header("cookie", &server.cookie)
        .send()
        .await
        .expect("the page");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    let hashes = std::fs::read_to_string(folder.join("site/hash.txt")).expect("hash.txt");
    let wasm = hashes
        .lines()
        .find_map(|line| line.strip_prefix("wasm: "))
        .expect("the WASM's hash");
    let wasm_url = format!("/pkg/smtp-setup.{wasm}.wasm");
    assert!(html.contains(&wasm_url), "the page names {wasm_url}");
    let bundle = server
        .http
        .get(format!("{}{wasm_url}", server.base))
        .header("accept-encoding", "br")
        .send()
        .await
        .expect("the bundle");
    assert_eq!(bundle.status(), 200);
    assert_eq!(
        bundle
            .headers()
            .get("content-encoding")
            .and_then(|v| v.to_str().ok()),
        Some("br")
    );

    // Configured on the page, a credential from the command line, one message relayed.
    let mut form = serde_json::to_value(peers.form()).expect("the form");
    form["client_secret"] = peers.info.client_secret.clone().into();
    let saved: serde_json::Value = server
        .http
        .post(format!("{}/api/save_configuration", server.base))
        .header("cookie", &server.cookie)
        .json(&serde_json::json!({"form": form, "base_version": 0}))
        .send()
        .await
        .expect("save")
        .json()
        .await
        .expect("json");
    assert_eq!(saved["Saved"]["version"], 1, "{saved}");
    let added = run_installed(&program, &env, &["credentials", "add", "erp"]).await;
    let password = added.lines().last().expect("the password").to_owned();
    remember_secret(&password);
    let cert = data.join("smtp-setup.relay-cert.pem");
    let results = python_client(
        server.relay.expect("the relay"),
        &cert,
        &[
            "--user",
            "erp",
            "--mail-from",
            &peers.info.mailbox,
            "--to",
            "a@fabrikam-test.com",
            "--tag",
            "from-the-archive",
        ],
        Some(&password),
    )
    .await;
    let id = queued_id(&results[0]);
    let store = crate::helpers::open_store_at(&data.join("smtp-setup.db"), "read").await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let entry = store
            .outbox_entry(&id, "erp")
            .await
            .expect("read")
            .expect("the message");
        if entry.status == MessageStatus::Sent {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{entry:?}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let delivered = settled_messages(&store, &peers).await;
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].subject, "from-the-archive 0-0");
    store.close().await;
    // Everything it wrote is in the data folder; nothing in the working directory.
    for file in [
        "smtp-setup.db",
        "smtp-setup.key",
        "smtp-setup.relay-cert.pem",
    ] {
        assert!(data.join(file).exists(), "{file} in the data folder");
    }
    let written: Vec<_> = std::fs::read_dir(&cwd).expect("cwd").collect();
    assert!(
        written.is_empty(),
        "written into the working directory: {written:?}"
    );
}
