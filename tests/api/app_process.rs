//! The real server binary, started like an operator would, for what only a process can
//! show: a save surviving SIGKILL, a test send finishing on SIGTERM, sessions surviving
//! a restart.

use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command as StdCommand, ExitStatus, Stdio};
use std::time::Duration;

use serde_json::json;
use tokio::process::Command;
use tokio::sync::mpsc;

use crate::helpers::{database_url, fresh_dir, open_store, session_cookie, ADMIN_TOKEN};

/// The binary, running, its output, and a signed-in administrator's cookie. Dropped, it
/// is killed.
pub struct Binary {
    child: Child,
    /// The server's output lines, as a thread reads them (it also copies each into the
    /// log file the secret scan reads).
    output: mpsc::UnboundedReceiver<String>,
    /// Every line read so far.
    said: Vec<String>,
    pub base: String,
    pub http: reqwest::Client,
    pub cookie: String,
    /// The relay's SMTP address, as the server printed it.
    pub relay: Option<std::net::SocketAddr>,
    /// The relay's implicit-TLS address, as the server printed it.
    pub relay_tls: Option<std::net::SocketAddr>,
}

/// Where the servers the tests start write their output: one file per server, every
/// line kept, for `.ci/no-secrets.sh` (make unit) to search.
pub fn process_log(dir: &Path) -> PathBuf {
    let logs = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/process-logs");
    std::fs::create_dir_all(&logs).expect("the process log folder");
    let name = dir
        .file_name()
        .map_or_else(|| "server".into(), |n| n.to_string_lossy().into_owned());
    logs.join(format!("{name}.log"))
}

/// Copies every line of `output` into `log` and onto the channel, until the process
/// closes it. A thread of its own, so that nothing is lost when the test's runtime ends
/// first.
fn read_output(
    output: impl std::io::Read + Send + 'static,
    log: PathBuf,
) -> mpsc::UnboundedReceiver<String> {
    let (lines, receiver) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        use std::io::Write as _;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap_or_else(|e| panic!("{}: {e}", log.display()));
        for line in std::io::BufReader::new(output).lines() {
            let Ok(line) = line else { break };
            let _ = writeln!(file, "{line}");
            let _ = lines.send(line);
        }
    });
    receiver
}

/// Starts the binary on a free port and signs in with the fixed sign-in token.
/// Readiness is the sign-in line the server prints once it listens.
pub async fn spawn_binary(dir: &Path, extra_env: &[(&str, &str)]) -> Binary {
    start_binary(dir, extra_env, true).await
}

/// The same without `SMTP_SETUP_ADMIN_TOKEN`: signed in with the one-time link the
/// server printed.
pub async fn spawn_binary_with_printed_link(dir: &Path, extra_env: &[(&str, &str)]) -> Binary {
    start_binary(dir, extra_env, false).await
}

async fn start_binary(dir: &Path, extra_env: &[(&str, &str)], fixed_token: bool) -> Binary {
    let mut command = StdCommand::new(env!("CARGO_BIN_EXE_smtp-setup"));
    if fixed_token {
        command.env("SMTP_SETUP_ADMIN_TOKEN", &*ADMIN_TOKEN);
    }
    command
        // Files an instance keeps beside itself (on PostgreSQL: data/) stay in `dir`.
        .current_dir(dir)
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .env("LEPTOS_SITE_ROOT", dir.join("site"))
        // As cargo-leptos would (Cargo.toml output-name); else Leptos prints advice.
        .env("LEPTOS_OUTPUT_NAME", "smtp-setup")
        .env("DATABASE_URL", database_url(dir))
        .env("SMTP_SETUP_RELAY_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "warn")
        .envs(extra_env.iter().copied());
    launch(command, &process_log(dir), fixed_token).await
}

/// An installed binary (`program ARGS`, from an archive or a package) started in `cwd`
/// with exactly `env` (and PATH), as an operator's environment file gives it: none of
/// the test build's or cargo-leptos' variables. Signed in with the fixed token `env`
/// names.
pub async fn spawn_installed(
    program: &Path,
    args: &[&str],
    cwd: &Path,
    env: &[(String, String)],
) -> Binary {
    let mut command = StdCommand::new(program);
    command
        .args(args)
        .current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    launch(command, &process_log(cwd), true).await
}

/// Starts `command` with its output read into `log`, waits for its sign-in link, and
/// signs in (with the fixed token, or the printed one-time link).
async fn launch(mut command: StdCommand, log: &Path, fixed_token: bool) -> Binary {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the server binary");
    let output = read_output(child.stdout.take().expect("stdout"), log.to_owned());
    let mut binary = Binary {
        child,
        output,
        said: Vec::new(),
        base: String::new(),
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        cookie: String::new(),
        relay: None,
        relay_tls: None,
    };
    let link = loop {
        let line = binary
            .next_line()
            .await
            .expect("the server exited before printing its sign-in link");
        if let Some(address) = line.strip_prefix("smtp-setup: relay listening on smtp://") {
            binary.relay = Some(address.parse().expect("the relay's address"));
        }
        if let Some(address) = line.strip_prefix("smtp-setup: relay listening on smtps://") {
            binary.relay_tls = Some(address.parse().expect("the relay's TLS address"));
        }
        if let Some(link) = line.strip_prefix("smtp-setup: sign in at ") {
            break link.to_owned();
        }
    };
    binary.base = link.split("/login").next().expect("base url").to_owned();
    let link = if fixed_token {
        // A fixed token is never printed: the link names the variable instead.
        assert!(
            link.ends_with("/login?token=<SMTP_SETUP_ADMIN_TOKEN>"),
            "{link}"
        );
        format!("{}/login?token={}", binary.base, *ADMIN_TOKEN)
    } else {
        link
    };
    let response = binary.http.get(&link).send().await.expect("sign in");
    assert_eq!(response.status(), 303);
    binary.cookie = session_cookie(&response);
    binary
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Binary {
    /// The server's next output line, a minute at most; `None` once it exited.
    async fn next_line(&mut self) -> Option<String> {
        let line = tokio::time::timeout(Duration::from_secs(60), self.output.recv())
            .await
            .expect("the server said nothing for a minute")?;
        self.said.push(line.clone());
        Some(line)
    }

    /// The first line since the start that contains `text`, read already or still to
    /// come.
    pub async fn has_said(&mut self, text: &str) -> String {
        match self.said.iter().find(|line| line.contains(text)) {
            Some(line) => line.clone(),
            None => self.wait_for(text).await,
        }
    }

    /// Reads the server's output up to the next line that contains `text`: the server
    /// has reached the point that line marks. (Its logs go to its standard output.)
    pub async fn wait_for(&mut self, text: &str) -> String {
        loop {
            let line = self
                .next_line()
                .await
                .unwrap_or_else(|| panic!("the server exited before saying {text:?}"));
            if line.contains(text) {
                return line;
            }
        }
    }

    /// SIGKILL, and the process is gone.
    pub fn sigkill(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("the server is gone");
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the process to exit by itself, a minute at most.
    async fn exit_status(&mut self) -> ExitStatus {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the server did not exit"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn address(&self) -> std::net::SocketAddr {
        self.base
            .trim_start_matches("http://")
            .parse()
            .expect("the base is an address")
    }

    async fn post_as_admin(&self, endpoint: &str, body: serde_json::Value) -> reqwest::Response {
        self.http
            .post(format!("{}/api/{endpoint}", self.base))
            .header("cookie", &self.cookie)
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    async fn save(&self, k: i64) -> reqwest::Response {
        self.post_as_admin("save_configuration", save_body(k)).await
    }
}

/// Save number `k`: every field says `k`, so a half-written row would show.
fn save_body(k: i64) -> serde_json::Value {
    json!({
        "form": {
            "email_address": format!("v{k}@contoso.com"),
            "name": format!("v{k}"),
            "tenant_id": "72f988bf-86f1-41af-91ab-2d7cd011db47",
            "client_id": "a1b2c3d4-e5f6-4789-abcd-0123456789ab",
            "client_secret": format!("Sec8Q~value-{k}"),
            "object_id": "",
            "send_test_to": format!("to-v{k}@contoso.com"),
        },
        "base_version": k - 1,
    })
}

/// Where a save in flight is when the process is killed: the log line that says the
/// server got there, and what must hold afterwards.
#[derive(Clone, Copy, Debug)]
enum KillPoint {
    /// The statement is about to run: the old configuration or the new one, whole.
    BeforeTheStatement,
    /// The statement ran and the server says so (the answer may not have left): the new
    /// configuration, since what the server accepted is on disk.
    AfterTheStatement,
}

impl KillPoint {
    fn line(self) -> &'static str {
        match self {
            KillPoint::BeforeTheStatement => "saving the configuration",
            KillPoint::AfterTheStatement => "configuration saved",
        }
    }
}

#[tokio::test]
async fn a_server_killed_at_each_point_of_a_save_comes_back_with_one_whole_configuration() {
    let dir = fresh_dir("app-sigkill");
    let mut on_disk = 0;
    let points = [
        KillPoint::BeforeTheStatement,
        KillPoint::AfterTheStatement,
        KillPoint::BeforeTheStatement,
        KillPoint::AfterTheStatement,
    ];
    for (round, point) in points.into_iter().enumerate() {
        let mut app = spawn_binary(&dir, &[("RUST_LOG", "warn,smtp_setup=debug")]).await;
        // A save that was answered, then one in flight when SIGKILL comes.
        let answered = on_disk + 1;
        assert!(
            app.save(answered).await.status().is_success(),
            "save {answered}"
        );
        app.wait_for(KillPoint::AfterTheStatement.line()).await;
        let in_flight = answered + 1;
        let request = app
            .http
            .post(format!("{}/api/save_configuration", app.base))
            .header("cookie", &app.cookie)
            .json(&save_body(in_flight))
            .send();
        let request = tokio::spawn(request);
        app.wait_for(point.line()).await;
        app.sigkill();
        let _ = request.await;
        // Killed, the server closed nothing: its write-ahead log is still there.
        assert!(dir.join("app.db-wal").exists(), "round {round}");

        let store = open_store(&dir, "reopen after SIGKILL").await;
        let loaded = store.load().await.expect("load");
        let k = loaded.version;
        match point {
            KillPoint::BeforeTheStatement => assert!(
                k == answered || k == in_flight,
                "round {round}: version {k} after the save of {in_flight} was killed"
            ),
            KillPoint::AfterTheStatement => {
                assert_eq!(
                    k, in_flight,
                    "round {round}: a save the server made is lost"
                )
            }
        }
        // Whole: every field from the same save, and its secret with it.
        assert_eq!(loaded.form.name, format!("v{k}"));
        assert_eq!(loaded.form.email_address, format!("v{k}@contoso.com"));
        assert_eq!(loaded.form.send_test_to, format!("to-v{k}@contoso.com"));
        let secret = store
            .secrets()
            .await
            .expect("secrets")
            .client_secret
            .expect("secret");
        assert_eq!(secret.expose(), format!("Sec8Q~value-{k}"));
        store.close().await;
        on_disk = k;
    }
}

#[tokio::test]
async fn sigterm_lets_an_in_flight_test_send_finish_and_restarts_clean() {
    let dir = fresh_dir("app-sigterm");
    let peers = crate::helpers::spawn_peers().await;
    let mut faults = crate::helpers::spawn_faults("slow-data", &peers).await;
    let mut app = spawn_binary(
        &dir,
        &[
            ("SMTP_SETUP_AUTHORITY_URL", peers.info.authority.as_str()),
            ("SMTP_SETUP_SMTP_ADDR", faults.info.smtp.as_str()),
            ("SMTP_SETUP_CA_FILE", peers.info.ca_file.as_str()),
            ("RUST_LOG", "warn,smtp_setup=info"),
        ],
    )
    .await;
    let form = peers.form();
    let body = json!({ "form": {
        "email_address": form.email_address, "name": form.name, "tenant_id": form.tenant_id,
        "client_id": form.client_id, "client_secret": peers.info.client_secret,
        "send_test_to": form.send_test_to,
    }});
    let request = app
        .http
        .post(format!("{}/api/send_test_email", app.base))
        .header("cookie", &app.cookie)
        .json(&body)
        .send();
    let in_flight = tokio::spawn(request);
    // The message is on the fault server, which will never answer it.
    assert_eq!(faults.next_event().await, r#"{"event":"message received"}"#);
    let pid = app.pid().to_string();
    let status = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .expect("kill");
    assert!(status.success());
    // New connections are refused at once, while the send is still in flight.
    app.wait_for("stopped accepting connections").await;
    assert!(
        tokio::net::TcpStream::connect(app.address()).await.is_err(),
        "a new connection after SIGTERM"
    );

    // The send in flight is answered (its DATA step ends at its own bound), then the
    // server exits cleanly.
    let response = in_flight
        .await
        .expect("join")
        .expect("the in-flight request is answered");
    let report: serde_json::Value = response.json().await.expect("json");
    assert_eq!(
        report["report"]["outcome"]["Failed"]["step"], "Data",
        "{report}"
    );
    let exit = app.exit_status().await;
    assert!(exit.success(), "exit status {exit:?}");
    // The store was closed: SQLite's last connection folds the write-ahead log into the
    // database and removes it (after SIGKILL it stays, see the test above).
    if dir.join("app.db-wal").exists() {
        let mut rest = Vec::new();
        while let Some(line) = app.next_line().await {
            rest.push(line);
        }
        panic!(
            "the store was not closed; the server said:\n{}",
            rest.join("\n")
        );
    }

    // A restart comes up clean, with the failed test in the history.
    let restarted = spawn_binary(&dir, &[]).await;
    let history: serde_json::Value = restarted
        .post_as_admin("test_history", json!({}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(history[0]["step"], "Data", "{history}");
}

#[tokio::test]
async fn a_session_survives_a_restart_until_signed_out() {
    let dir = fresh_dir("app-sessions");
    let history = |app: &Binary, cookie: &str| {
        app.http
            .post(format!("{}/api/test_history", app.base))
            .header("cookie", cookie)
            .json(&json!({}))
            .send()
    };
    let mut first = spawn_binary(&dir, &[]).await;
    let cookie = first.cookie.clone();
    first.sigkill();

    let mut second = spawn_binary(&dir, &[]).await;
    let response = history(&second, &cookie).await.expect("request");
    assert_eq!(response.status(), 200, "signed in before the restart");
    let signed_out = second
        .http
        .post(format!("{}/logout", second.base))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("sign out");
    assert_eq!(signed_out.status(), 200);
    second.sigkill();

    let third = spawn_binary(&dir, &[]).await;
    let response = history(&third, &cookie).await.expect("request");
    assert_eq!(response.status(), 401, "signed out before the restart");
    let response = history(&third, &third.cookie).await.expect("request");
    assert_eq!(response.status(), 200, "a new sign-in works");
}
