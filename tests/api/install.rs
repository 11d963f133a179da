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
    // As docs/src/install.md says: the example copied, the settings added to it.
    let env_path = folder.join("smtp-setup.env");
    let settings = root.join("settings.env");
    env_file(&settings, &data, &peers);
    let text = std::fs::read_to_string(folder.join("smtp-setup.env.example")).expect("example")
        + &std::fs::read_to_string(&settings).expect("settings");
    std::fs::write(&env_path, text).expect("smtp-setup.env");
    let env = read_env_file(&env_path);
    // Another working directory, which the server must not write into; the variables
    // from the file as the shell reads it, nothing else.
    let cwd = root.join("elsewhere");
    std::fs::create_dir_all(&cwd).expect("a folder");
    let script = format!(
        "set -a; . {}; set +a; exec {}",
        env_path.display(),
        program.display()
    );
    let server = spawn_installed(Path::new("/bin/bash"), &["-c", &script], &cwd, &[]).await;

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
    save_over_http(&server.http, &server.base, &server.cookie, &peers).await;
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

/// `podman` (or docker) as `make image` ran it; what it printed.
async fn engine(args: &[&str]) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/podman.sh");
    let output = Command::new(script)
        .args(args)
        .output()
        .await
        .expect("run podman");
    assert!(
        output.status.success(),
        "podman {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// A container or volume removed however the test ends.
struct Removed(&'static str, String);

impl Drop for Removed {
    fn drop(&mut self) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/podman.sh");
        if self.0 == "container" {
            // Its output first, where the secret scan reads the servers' logs.
            if let Ok(logs) = std::process::Command::new(&script)
                .args(["logs", &self.1])
                .output()
            {
                let file = crate::app_process::process_log(Path::new(&self.1));
                let _ = std::fs::write(file, [logs.stdout, logs.stderr].concat());
            }
        }
        let _ = std::process::Command::new(script)
            .args([self.0, "rm", "-f", &self.1])
            .output();
    }
}

/// A port free on 127.0.0.1 now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// The peers on fixed ports, in `dir` (their certificates kept there), so that they
/// can go away and come back where they were.
async fn peers_at(dir: &Path, ports: &[(&str, String)]) -> Peers {
    let dir = dir.to_string_lossy().into_owned();
    let mut env: Vec<(&str, &str)> = ports.iter().map(|(k, v)| (*k, v.as_str())).collect();
    env.push(("PEER_DIR", &dir));
    crate::helpers::spawn_peers_with(&env).await
}

/// Waits until the container answers `/healthz` at `base` (a minute at most).
async fn until_healthy(base: &str) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        if let Ok(response) = reqwest::get(format!("{base}/healthz")).await {
            if response.status().is_success() {
                return;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{base} never got healthy"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_container_image_runs_read_only_unprivileged_and_keeps_its_queue_across_containers() {
    let image = std::env::var("SMTP_SETUP_IMAGE")
        .unwrap_or_else(|_| panic!("SMTP_SETUP_IMAGE is not set: run `make install-test`"));
    let tag = std::process::id();
    let volume = format!("smtp-setup-test-{tag}");
    engine(&["volume", "create", &volume]).await;
    let _volume = Removed("volume", volume.clone());
    let data =
        PathBuf::from(engine(&["volume", "inspect", &volume, "--format", "{{.Mountpoint}}"]).await);

    let peer_dir = fresh_dir("install-image-peers");
    let ports = [
        ("PEER_TOKEN_PORT", free_port().to_string()),
        ("PEER_SMTP_PORT", free_port().to_string()),
        ("PEER_CONTROL_PORT", free_port().to_string()),
    ];
    let peers = peers_at(&peer_dir, &ports).await;
    let (http, smtp, smtps) = (free_port(), free_port(), free_port());
    let base = format!("http://127.0.0.1:{http}");
    let peer_files = format!("{0}:{0}:ro", peer_dir.display());
    let env = [
        format!("SMTP_SETUP_LISTEN=127.0.0.1:{http}"),
        format!("SMTP_SETUP_RELAY_ADDR=127.0.0.1:{smtp}"),
        format!("SMTP_SETUP_RELAY_TLS_ADDR=127.0.0.1:{smtps}"),
        format!("SMTP_SETUP_ADMIN_TOKEN={}", *ADMIN_TOKEN),
        format!("SMTP_SETUP_AUTHORITY_URL={}", peers.info.authority),
        format!("SMTP_SETUP_SMTP_ADDR={}", peers.info.smtp),
        format!("SMTP_SETUP_CA_FILE={}", peers.info.ca_file),
        "SMTP_SETUP_RELAY_SENDS_PER_MINUTE=0".to_owned(),
        "SMTP_SETUP_RELAY_FIRST_RETRY_SECONDS=1".to_owned(),
    ];
    let run = |name: String| {
        let mut args = vec![
            "run".to_owned(),
            "-d".to_owned(),
            "--name".to_owned(),
            name,
            "--network".to_owned(),
            "host".to_owned(),
            "--read-only".to_owned(),
            "-v".to_owned(),
            format!("{volume}:/data"),
            "-v".to_owned(),
            peer_files.clone(),
        ];
        for pair in &env {
            args.push("-e".to_owned());
            args.push(pair.clone());
        }
        args.push(image.clone());
        args
    };
    let first = format!("smtp-setup-test-{tag}-a");
    let args = run(first.clone());
    engine(&args.iter().map(String::as_str).collect::<Vec<_>>()).await;
    let _first = Removed("container", first.clone());
    until_healthy(&base).await;
    // Its own HEALTHCHECK (smtp-setup healthcheck, no curl in the image) says healthy.
    engine(&["healthcheck", "run", &first]).await;
    // Not root inside.
    let uid = engine(&["exec", &first, "id", "-u"]).await;
    assert_ne!(uid, "0", "the server runs as root");

    // Signed in, saved, a credential, one message over SMTP and one over HTTP.
    let http_client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let login = http_client
        .get(format!("{base}/login?token={}", *ADMIN_TOKEN))
        .send()
        .await
        .expect("sign in");
    assert_eq!(login.status(), 303);
    let cookie = crate::helpers::session_cookie(&login);
    save_over_http(&http_client, &base, &cookie, &peers).await;
    let added = engine(&["exec", &first, "smtp-setup", "credentials", "add", "erp"]).await;
    let password = added.lines().last().expect("the password").to_owned();
    remember_secret(&password);
    let cert = data.join("smtp-setup.relay-cert.pem");
    let sender = peers.info.mailbox.clone();
    let relay = |port: u16, tag: &'static str, count: &'static str, ssl: bool| {
        let password = password.clone();
        let cert = cert.clone();
        let mailbox = sender.clone();
        async move {
            let mut args = vec![
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
            if ssl {
                args.push("--ssl");
            }
            let results = python_client(
                std::net::SocketAddr::from(([127, 0, 0, 1], port)),
                &cert,
                &args,
                Some(&password),
            )
            .await;
            results.iter().map(queued_id).collect::<Vec<_>>()
        }
    };
    assert_eq!(relay(smtp, "over-smtp", "1", false).await.len(), 1);
    assert_eq!(relay(smtps, "over-smtps", "1", true).await.len(), 1);
    let api = http_client
        .post(format!("{base}/api/v1/messages"))
        .basic_auth("erp", Some(&password))
        .json(&serde_json::json!({"to": ["a@fabrikam-test.com"], "subject": "over-http", "text": "t"}))
        .send()
        .await
        .expect("POST");
    assert_eq!(api.status(), 202);
    let store = crate::helpers::open_store_at(&data.join("smtp-setup.db"), "read").await;
    let delivered = until_delivered(&store, &peers, 3).await;
    assert_eq!(delivered, ["over-http", "over-smtp 0-0", "over-smtps 0-0"]);

    // Microsoft goes away; three messages wait; the container is stopped (SIGTERM).
    peers.stop().await;
    let waiting = relay(smtp, "while-down", "3", false).await;
    assert_eq!(waiting.len(), 3);
    engine(&["stop", "-t", "30", &first]).await;
    let exit = engine(&["inspect", &first, "--format", "{{.State.ExitCode}}"]).await;
    assert_eq!(exit, "0", "a clean exit on SIGTERM");

    // Microsoft is back; a new container on the same volume: the configuration is
    // there, and every waiting message goes, once.
    let peers = peers_at(&peer_dir, &ports).await;
    let second = format!("smtp-setup-test-{tag}-b");
    let args = run(second.clone());
    engine(&args.iter().map(String::as_str).collect::<Vec<_>>()).await;
    let _second = Removed("container", second.clone());
    until_healthy(&base).await;
    let delivered = until_delivered(&store, &peers, 3).await;
    assert_eq!(
        delivered,
        ["while-down 0-0", "while-down 0-1", "while-down 0-2"]
    );
    let page = http_client
        .get(format!("{base}/"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("the page")
        .text()
        .await
        .expect("html");
    assert!(
        page.contains(&peers.info.mailbox),
        "the configuration is kept"
    );
    store.close().await;
}

/// Waits until the peers hold `count` messages, then until the relay is idle: their
/// subjects, sorted.
async fn until_delivered(
    store: &smtp_setup::server::store::Store,
    peers: &Peers,
    count: usize,
) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    while peers.messages().await.len() < count {
        assert!(tokio::time::Instant::now() < deadline, "not all delivered");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let mut subjects: Vec<String> = settled_messages(store, peers)
        .await
        .into_iter()
        .map(|m| m.subject)
        .collect();
    subjects.sort();
    subjects
}

/// `dpkg ARGS` on this machine.
async fn dpkg(args: &[&str]) {
    let output = Command::new("dpkg")
        .args(args)
        .output()
        .await
        .expect("dpkg");
    assert!(
        output.status.success(),
        "dpkg {args:?}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The server as its unit starts it, without systemd: the package's binary, as an
/// unprivileged user (`nobody`, standing in for the unit's dynamic user), with the
/// unit's environment file and its `Environment=` lines.
async fn start_as_the_unit(extra: &[(String, String)]) -> crate::app_process::Binary {
    let unit = std::fs::read_to_string("/lib/systemd/system/smtp-setup.service").expect("the unit");
    let mut env = read_env_file(Path::new("/etc/smtp-setup/env"));
    for line in unit.lines() {
        if let Some(pair) = line.strip_prefix("Environment=") {
            let (key, value) = pair.split_once('=').expect("KEY=VALUE");
            env.push((key.to_owned(), value.to_owned()));
        }
    }
    env.extend_from_slice(extra);
    // What StateDirectory= would make: the data folder, the service's own.
    std::fs::create_dir_all("/var/lib/smtp-setup").expect("the state directory");
    let status = Command::new("chown")
        .args(["65534:65534", "/var/lib/smtp-setup"])
        .status()
        .await
        .expect("chown");
    assert!(status.success());
    spawn_installed(
        Path::new("/usr/bin/setpriv"),
        &[
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "/usr/bin/smtp-setup",
            "serve",
        ],
        Path::new("/var/lib/smtp-setup"),
        &env,
    )
    .await
}

#[tokio::test]
async fn the_debian_package_installs_upgrades_keeps_its_settings_and_purges() {
    let first = artifact("SMTP_SETUP_DEB");
    let second = artifact("SMTP_SETUP_DEB_UPGRADE");
    let first = first.to_string_lossy().into_owned();
    let second = second.to_string_lossy().into_owned();
    dpkg(&["-i", &first]).await;
    // The environment file, made at install: the owner's only, with a fresh key and
    // sign-in token.
    let env_path = Path::new("/etc/smtp-setup/env");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(env_path)
            .expect("/etc/smtp-setup/env")
            .permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    let made = read_env_file(env_path);
    let key = made
        .iter()
        .find(|(k, _)| k == "SMTP_SETUP_KEY")
        .map(|(_, v)| v.clone())
        .expect("a sealing key");
    remember_secret(&key);
    let token = made
        .iter()
        .find(|(k, _)| k == "SMTP_SETUP_ADMIN_TOKEN")
        .map(|(_, v)| v.clone())
        .expect("a sign-in token");
    remember_secret(&token);
    assert!(token.len() >= 16);
    // The administrator points it at the peers (an edit the upgrade must keep).
    let peers = spawn_peers().await;
    // The peers' CA where the service's user may read it.
    let shared = fresh_dir("install-deb-ca");
    let ca = shared.join("ca.pem");
    std::fs::copy(&peers.info.ca_file, &ca).expect("the CA");
    let edit = format!(
        "SMTP_SETUP_AUTHORITY_URL={}\nSMTP_SETUP_SMTP_ADDR={}\nSMTP_SETUP_CA_FILE={}\nSMTP_SETUP_LISTEN=127.0.0.1:0\nSMTP_SETUP_RELAY_ADDR=127.0.0.1:0\nRUST_LOG=warn,smtp_setup=info\n",
        peers.info.authority,
        peers.info.smtp,
        ca.display()
    );
    let mut text = std::fs::read_to_string(env_path).expect("env");
    text.push_str(&edit);
    std::fs::write(env_path, &text).expect("edit");
    let admin = [("SMTP_SETUP_ADMIN_TOKEN".to_owned(), (*ADMIN_TOKEN).clone())];
    let server = start_as_the_unit(&admin).await;
    save_over_http(&server.http, &server.base, &server.cookie, &peers).await;
    drop(server);
    assert!(Path::new("/var/lib/smtp-setup/smtp-setup.db").exists());

    // An upgrade keeps the settings (edited) and the data.
    dpkg(&["-i", &second]).await;
    assert_eq!(std::fs::read_to_string(env_path).expect("env"), text);
    let server = start_as_the_unit(&admin).await;
    let page = server
        .http
        .get(format!("{}/", server.base))
        .header("cookie", &server.cookie)
        .send()
        .await
        .expect("the page")
        .text()
        .await
        .expect("html");
    assert!(
        page.contains(&peers.info.mailbox),
        "the saved configuration is kept"
    );
    drop(server);

    // Removing keeps both; purging deletes both.
    dpkg(&["-r", "smtp-setup"]).await;
    assert!(!Path::new("/usr/bin/smtp-setup").exists());
    assert!(env_path.exists() && Path::new("/var/lib/smtp-setup/smtp-setup.db").exists());
    dpkg(&["-P", "smtp-setup"]).await;
    assert!(!env_path.exists() && !Path::new("/var/lib/smtp-setup").exists());
}

#[tokio::test]
async fn two_containers_on_one_postgresql_share_the_configuration_and_the_outbox() {
    let image = std::env::var("SMTP_SETUP_IMAGE")
        .unwrap_or_else(|_| panic!("SMTP_SETUP_IMAGE is not set: run `make install-test`"));
    let db = crate::database::Database::postgres("install_two_containers").await;
    let peers = spawn_peers().await;
    // The peers' CA where the containers' user may read it.
    let peer_dir = fresh_dir("install-two-containers-ca");
    let ca = peer_dir.join("ca.pem");
    std::fs::copy(&peers.info.ca_file, &ca).expect("the CA");
    let tag = std::process::id();
    let mut bases = Vec::new();
    let mut guards = Vec::new();
    for n in 1..=2 {
        let (http, smtp) = (free_port(), free_port());
        let name = format!("smtp-setup-test-{tag}-pg{n}");
        let volume = format!("smtp-setup-test-{tag}-pg{n}");
        engine(&["volume", "create", &volume]).await;
        let env = [
            format!("DATABASE_URL={}", db.url()),
            format!("SMTP_SETUP_KEY={}", *crate::database::SHARED_KEY),
            format!("SMTP_SETUP_ADMIN_TOKEN={}", *ADMIN_TOKEN),
            format!("SMTP_SETUP_LISTEN=127.0.0.1:{http}"),
            format!("SMTP_SETUP_RELAY_ADDR=127.0.0.1:{smtp}"),
            "SMTP_SETUP_RELAY_TLS_ADDR=".to_owned(),
            format!("SMTP_SETUP_AUTHORITY_URL={}", peers.info.authority),
            format!("SMTP_SETUP_SMTP_ADDR={}", peers.info.smtp),
            format!("SMTP_SETUP_CA_FILE={}", ca.display()),
            "SMTP_SETUP_RELAY_SENDS_PER_MINUTE=0".to_owned(),
        ];
        let mut args = vec![
            "run".to_owned(),
            "-d".to_owned(),
            "--name".to_owned(),
            name.clone(),
            "--network".to_owned(),
            "host".to_owned(),
            "--read-only".to_owned(),
            "-v".to_owned(),
            format!("{volume}:/data"),
            "-v".to_owned(),
            format!("{0}:{0}:ro", peer_dir.display()),
        ];
        for pair in env {
            args.push("-e".to_owned());
            args.push(pair);
        }
        args.push(image.clone());
        engine(&args.iter().map(String::as_str).collect::<Vec<_>>()).await;
        // Dropped in this order: the container (its logs kept), then its volume.
        guards.push(Removed("container", name));
        guards.push(Removed("volume", volume));
        bases.push((format!("http://127.0.0.1:{http}"), smtp));
    }
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    for (base, _) in &bases {
        until_healthy(base).await;
        let health = reqwest::get(format!("{base}/healthz"))
            .await
            .expect("healthz");
        assert!(health
            .text()
            .await
            .expect("text")
            .starts_with("ok: store usable (postgres)"));
    }
    // Saved on the first, a credential made on the first: the second relays with both.
    let (one, two) = (&bases[0].0, &bases[1]);
    let login = client
        .get(format!("{one}/login?token={}", *ADMIN_TOKEN))
        .send()
        .await
        .expect("sign in");
    let cookie = crate::helpers::session_cookie(&login);
    save_over_http(&client, one, &cookie, &peers).await;
    let added: serde_json::Value = client
        .post(format!("{one}/api/add_relay_credential"))
        .header("cookie", &cookie)
        .json(&serde_json::json!({"name": "erp"}))
        .send()
        .await
        .expect("add")
        .json()
        .await
        .expect("json");
    let password = added["Added"]["password"]
        .as_str()
        .expect("a password")
        .to_owned();
    remember_secret(&password);
    let answer = client
        .post(format!("{}/api/v1/messages", two.0))
        .basic_auth("erp", Some(&password))
        .json(&serde_json::json!({"to": ["a@fabrikam-test.com"], "subject": "via-the-second", "text": "t"}))
        .send()
        .await
        .expect("POST");
    assert_eq!(answer.status(), 202);
    let store = db.open("read").await;
    let delivered = until_delivered(&store, &peers, 1).await;
    assert_eq!(delivered, ["via-the-second"]);
    store.close().await;
    drop(guards);
}

/// The peers' configuration saved through the page's server function at `base`, as the
/// first version.
async fn save_over_http(http: &reqwest::Client, base: &str, cookie: &str, peers: &Peers) {
    let mut form = serde_json::to_value(peers.form()).expect("the form");
    form["client_secret"] = peers.info.client_secret.clone().into();
    let saved: serde_json::Value = http
        .post(format!("{base}/api/save_configuration"))
        .header("cookie", cookie)
        .json(&serde_json::json!({"form": form, "base_version": 0}))
        .send()
        .await
        .expect("save")
        .json()
        .await
        .expect("json");
    assert_eq!(saved["Saved"]["version"], 1, "{saved}");
}
