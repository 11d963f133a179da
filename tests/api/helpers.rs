//! Starts the peers of `tests/peers/peers.mjs` for one test, and builds the app's
//! test sender pointed at them; starts the whole application in-process. Each test gets
//! its own peers on fresh ports, its own application and its own database.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use leptos::config::LeptosOptions;
use serde::Deserialize;
use smtp_setup::domain::{AuthType, Security, SmtpForm, StoredSecrets};
use smtp_setup::edge::startup::Application;
use smtp_setup::server::check::Checks;
use smtp_setup::server::config::{ServerSettings, Timeouts};
use smtp_setup::server::store::Store;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

/// A test send whose secret fields are typed: the store holds nothing to stand in.
pub const NOTHING_STORED: StoredSecrets = StoredSecrets {
    client_secret: None,
    password: None,
    private_key: None,
};

/// The fixed sign-in token of the applications the tests start (from the secrets file
/// `.ci/no-secrets.sh` searches the test output for).
pub static ADMIN_TOKEN: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let secrets: serde_json::Value =
        serde_json::from_str(include_str!("../peers/secrets.json")).expect("secrets.json");
    secrets["integrationAdminToken"]
        .as_str()
        .expect("integrationAdminToken")
        .to_owned()
});

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PeerInfo {
    pub authority: String,
    pub smtp: String,
    /// The same SMTP peer with implicit TLS (port 465 style).
    pub smtps: String,
    /// dovecot, with implicit TLS (only when started with PEER_IMAP=1).
    #[serde(default)]
    pub imaps: Option<String>,
    pub control: String,
    /// Microsoft Graph's one request (the app's password credentials).
    pub graph: String,
    /// An application's webhook endpoint (HTTPS, the peers' certificate): `/ok`,
    /// `/flaky` (500 twice per delivery, then 200), `/hang`.
    pub webhooks: String,
    pub ca_file: String,
    pub tenant: String,
    pub tenant_domain: String,
    pub client_id: String,
    pub client_secret: String,
    pub mailbox: String,
    pub smtp_username: String,
    pub smtp_password: String,
}

pub struct Peers {
    // Killed on drop; the peers also exit when their stdin closes.
    _child: Child,
    pub info: PeerInfo,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredMessage {
    pub auth_user: String,
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    pub from: Sender,
    pub to: Vec<String>,
    pub subject: String,
    pub message_id: Option<String>,
    pub text: String,
    pub html: Option<String>,
    pub cc: Vec<String>,
    /// What a `Bcc` header that reached the server named (none should).
    pub bcc: Vec<String>,
    pub reply_to: Option<String>,
    /// The header names as they arrived, in order, lower case.
    pub header_names: Vec<String>,
    /// SHA-256 (hex) of the message as the server received it (dot-unstuffed).
    pub sha256: String,
    pub secure: bool,
    /// Which of the peer's SMTP connections (1, 2, …) it came over.
    pub connection: u32,
}

/// A request the webhook endpoint received, as it saw it.
#[derive(Debug, Deserialize)]
pub struct WebhookRequest {
    pub path: String,
    pub id: String,
    /// Whether `standardwebhooks` verified its signature (and timestamp).
    pub verified: bool,
    pub error: Option<String>,
    /// The verified body.
    pub event: Option<serde_json::Value>,
}

/// A message file of dovecot's INBOX (maildir).
#[derive(Debug, Deserialize)]
pub struct MailboxFile {
    /// `INBOX`, or the folder's name.
    pub folder: String,
    pub name: String,
    pub flags: String,
}

/// The SMTP peer's connections: how many were opened, how many are open now, the most
/// open at once, and how many were refused as one too many (`PEER_SMTP_CONNECTION_LIMIT`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Connections {
    pub connections: u32,
    pub open_connections: u32,
    pub max_open_connections: u32,
    pub connection_limit_refusals: u32,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PeerStats {
    pub token_requests: u32,
    pub auth_attempts: u32,
    /// AUTH lines a strict peer refused as longer than 512 octets.
    pub long_lines: u32,
}

#[derive(Debug, Deserialize)]
pub struct Sender {
    pub address: String,
    pub name: String,
}

fn peers_script(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers");
    assert!(
        dir.join("node_modules").is_dir(),
        "the test peers' npm packages are missing: run `make test` (or `npm ci` in tests/peers)"
    );
    dir.join(name)
}

/// Starts a peer script; its first output line (JSON) says it is ready and where.
async fn spawn_node<T: serde::de::DeserializeOwned>(
    script: &str,
    env: &[(&str, &str)],
) -> (Child, T, Lines<BufReader<ChildStdout>>) {
    let mut child = Command::new("node")
        .arg(peers_script(script))
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("start node tests/peers/{script}: {e}"));
    let mut lines = BufReader::new(child.stdout.take().expect("peer stdout")).lines();
    // No polling or sleeping: the line is printed once every server listens.
    let first_line = lines
        .next_line()
        .await
        .expect("read the peer's ready line")
        .unwrap_or_else(|| panic!("{script} exited before it was ready"));
    let info = serde_json::from_str(&first_line)
        .unwrap_or_else(|e| panic!("{script}'s ready line {first_line:?}: {e}"));
    (child, info, lines)
}

/// The misbehaving peers of `tests/peers/faults.mjs`.
pub struct Faults {
    _child: Child,
    pub info: FaultInfo,
    events: Lines<BufReader<ChildStdout>>,
}

impl Faults {
    /// How many HTTP requests reached the HTTPS token endpoint.
    pub async fn https_token_requests(&self) -> u32 {
        self.control_get("/https-token-requests").await
    }

    /// Waits for the fault server's next event line (e.g. "message received"), a
    /// minute at most.
    pub async fn next_event(&mut self) -> String {
        tokio::time::timeout(Duration::from_secs(60), self.events.next_line())
            .await
            .expect("the fault peer's next event within a minute")
            .expect("read the fault peer's output")
            .expect("the fault peer exited")
    }

    /// Every line the SMTP server read so far, as the server saw it.
    pub async fn smtp_commands(&self) -> Vec<HeardCommand> {
        self.control_get("/smtp-commands").await
    }

    /// Every IMAP command the IMAP server read so far (its tag left out, a token as
    /// `[token]`).
    pub async fn imap_commands(&self) -> Vec<String> {
        self.control_get("/imap-commands").await
    }

    async fn control_get<T: serde::de::DeserializeOwned>(&self, path: &str) -> T {
        let url = format!("{}{path}", self.info.authority);
        reqwest::get(&url)
            .await
            .and_then(|response| response.error_for_status())
            .unwrap_or_else(|e| panic!("{url}: {e}"))
            .json()
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}"))
    }
}

/// A line the fault SMTP server read, and whether TLS protected it.
#[derive(Debug, Deserialize)]
pub struct HeardCommand {
    pub command: String,
    pub tls: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultInfo {
    pub authority: String,
    /// The same token endpoint over HTTPS, with the peers' server certificate.
    pub https_authority: String,
    pub smtp: String,
    /// The IMAP server (implicit TLS) behaving as FAULT_IMAP.
    pub imaps: String,
}

/// Faulty token endpoint and an SMTP server behaving as `smtp_mode`, using the
/// certificate the good peers made (so the app trusts it through their CA).
pub async fn spawn_faults(smtp_mode: &str, peers: &Peers) -> Faults {
    spawn_faults_with_cert(smtp_mode, peers, "").await
}

/// The fault peers with their IMAP server behaving as `imap_mode`, presenting the
/// certificate `peers` made for `cert_name` ("" for localhost, see below).
pub async fn spawn_imap_faults(imap_mode: &str, peers: &Peers, cert_name: &str) -> Faults {
    spawn_faults_with(
        peers,
        &[("FAULT_IMAP", imap_mode), ("FAULT_CERT_NAME", cert_name)],
    )
    .await
}

/// The same, presenting the certificate `peers` made for another subjectAltName (its
/// file name suffix, as peers.mjs names it: `-DNS_mail_other_example`).
pub async fn spawn_faults_with_cert(smtp_mode: &str, peers: &Peers, cert_name: &str) -> Faults {
    spawn_faults_with(
        peers,
        &[("FAULT_SMTP", smtp_mode), ("FAULT_CERT_NAME", cert_name)],
    )
    .await
}

async fn spawn_faults_with(peers: &Peers, env: &[(&str, &str)]) -> Faults {
    let cert_dir = std::path::Path::new(&peers.info.ca_file)
        .parent()
        .expect("peer dir")
        .to_string_lossy()
        .into_owned();
    let mut env = env.to_vec();
    env.push(("FAULT_CERT_DIR", cert_dir.as_str()));
    let (child, info, events) = spawn_node("faults.mjs", &env).await;
    Faults {
        _child: child,
        info,
        events,
    }
}

impl Peers {
    /// Stops the peers and waits until they are gone (their ports are free again).
    pub async fn stop(mut self) {
        let _ = self._child.kill().await;
    }
}

pub async fn spawn_peers() -> Peers {
    spawn_peers_with(&[]).await
}

/// Peers started with extra `PEER_*` settings (see tests/peers/peers.mjs).
pub async fn spawn_peers_with(env: &[(&str, &str)]) -> Peers {
    // The peers' stdout is not read after the ready line; they log to stderr.
    let (child, info, _) = spawn_node("peers.mjs", env).await;
    Peers {
        _child: child,
        info,
    }
}

impl Peers {
    /// Server settings as an operator would configure them for these peers.
    pub fn settings(&self) -> ServerSettings {
        self.settings_with(&self.info.smtp)
    }

    pub fn settings_with(&self, smtp_addr: &str) -> ServerSettings {
        ServerSettings::from_lookup(|name| match name {
            "SMTP_SETUP_AUTHORITY_URL" => Some(self.info.authority.clone()),
            "SMTP_SETUP_SMTP_ADDR" => Some(smtp_addr.to_owned()),
            "SMTP_SETUP_IMAP_ADDR" => self.info.imaps.clone(),
            "SMTP_SETUP_CA_FILE" => Some(self.info.ca_file.clone()),
            "SMTP_SETUP_GRAPH_URL" => Some(self.info.graph.clone()),
            _ => None,
        })
        .expect("peer settings")
    }

    pub fn checks(&self) -> Checks {
        Checks::new(&self.settings()).expect("checks")
    }

    /// The form an administrator would fill in for the peers' registered app.
    pub fn form(&self) -> SmtpForm {
        SmtpForm {
            email_address: self.info.mailbox.clone(),
            name: "Contoso Notifications".into(),
            tenant_id: self.info.tenant.to_uppercase(),
            client_id: self.info.client_id.clone(),
            client_secret: self.info.client_secret.clone().into(),
            send_test_to: "admin@contoso-test.com".into(),
            ..SmtpForm::default()
        }
    }

    /// The "Username and password" form for the peers' SMTP account over `security`.
    pub fn password_form(&self, security: Security) -> SmtpForm {
        let addr = match security {
            Security::StartTls => &self.info.smtp,
            Security::ImplicitTls => &self.info.smtps,
        };
        let (host, port) = addr.rsplit_once(':').expect("host:port");
        SmtpForm {
            auth_type: AuthType::Password,
            email_address: self.info.mailbox.clone(),
            name: "Contoso Relay".into(),
            smtp_host: host.into(),
            smtp_port: port.into(),
            security,
            username: self.info.smtp_username.clone(),
            password: self.info.smtp_password.clone().into(),
            send_test_to: "admin@contoso-test.com".into(),
            ..SmtpForm::default()
        }
    }

    /// How many token requests and AUTH attempts the peers have seen.
    pub async fn stats(&self) -> PeerStats {
        self.control_get("/stats").await
    }

    /// The SMTP connections the peer has seen, and how many are open.
    pub async fn connections(&self) -> Connections {
        self.control_get("/stats").await
    }

    /// When each token request reached the token peer, in ms on the peer's clock.
    pub async fn token_request_times(&self) -> Vec<f64> {
        self.control_get("/token-requests").await
    }

    /// The messages the SMTP peer accepted.
    pub async fn messages(&self) -> Vec<StoredMessage> {
        self.control_get("/messages").await
    }

    /// Registers a certificate (PEM) on the peers' app, as an upload in the portal does.
    pub async fn register_certificate(&self, pem: &str) {
        self.control_send(reqwest::Method::POST, "/certificates", pem.to_owned())
            .await;
    }

    /// `true`: from now on the SMTP peer's reply to each message's final dot waits;
    /// `false`: the waiting replies are given (250) and no more wait.
    pub async fn hold_data_replies(&self, hold: bool) {
        let method = if hold {
            reqwest::Method::POST
        } else {
            reqwest::Method::DELETE
        };
        self.control_send(method, "/data-hold", String::new()).await;
    }

    /// How many messages the SMTP peer has accepted (counted as they arrive; cheaper to
    /// ask than [`Self::messages`], which sends each one's text).
    pub async fn received(&self) -> u64 {
        let stats: serde_json::Value = self.control_get("/stats").await;
        stats["received"].as_u64().unwrap_or_default()
    }

    /// How many replies to a final dot wait now (see [`Self::hold_data_replies`]).
    pub async fn held_replies(&self) -> u64 {
        let stats: serde_json::Value = self.control_get("/stats").await;
        stats["heldReplies"].as_u64().unwrap_or_default()
    }

    /// Delivers `message` into dovecot's INBOX (peers started with `PEER_IMAP=1`).
    pub async fn deliver_to_mailbox(&self, message: String) {
        self.control_send(reqwest::Method::POST, "/mailbox", message)
            .await;
    }

    /// The signing secret the webhook endpoint verifies with.
    pub async fn set_webhook_secret(&self, secret: &str) {
        self.control_send(reqwest::Method::POST, "/webhook-secret", secret.to_owned())
            .await;
    }

    /// Every request the webhook endpoint received, in order.
    pub async fn webhook_requests(&self) -> Vec<WebhookRequest> {
        self.control_get("/webhooks").await
    }

    /// dovecot's INBOX files and their maildir flags (`S`: read).
    pub async fn mailbox_files(&self) -> Vec<MailboxFile> {
        self.control_get("/mailbox").await
    }

    /// From now on the token peer refuses the client secret as expired (AADSTS7000222).
    pub async fn expire_secret(&self) {
        self.control_send(reqwest::Method::POST, "/secret-expired", String::new())
            .await;
    }

    async fn control_send(&self, method: reqwest::Method, path: &str, body: String) {
        let url = format!("{}{path}", self.info.control);
        reqwest::Client::new()
            .request(method, &url)
            .body(body)
            .send()
            .await
            .and_then(|response| response.error_for_status())
            .unwrap_or_else(|e| panic!("peer control API {url}: {e}"));
    }

    async fn control_get<T: serde::de::DeserializeOwned>(&self, path: &str) -> T {
        let url = format!("{}{path}", self.info.control);
        let body = reqwest::get(&url)
            .await
            .and_then(|response| response.error_for_status())
            .unwrap_or_else(|e| panic!("peer control API {url}: {e}"))
            .bytes()
            .await
            .unwrap_or_else(|e| panic!("peer control API {url}: {e}"));
        serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{url}: {e}"))
    }
}

/// Saves `form` with its client secret `secret` as the first version, through `store`
/// (as the page's Save would).
pub async fn save_form(store: &Store, form: &SmtpForm, secret: &str) {
    let saved = store
        .save(
            form,
            smtp_setup::server::store::SecretChange::Replace(secret),
            smtp_setup::server::store::SecretChange::Keep,
            smtp_setup::server::store::SecretChange::Keep,
            0,
        )
        .await
        .expect("save");
    assert!(
        matches!(saved, smtp_setup::server::store::Saved::Done(_)),
        "saved as the first version"
    );
}

impl Peers {
    /// Saves the form for these peers, with their client secret.
    pub async fn save_form_in(&self, store: &Store) {
        save_form(store, &self.form(), &self.info.client_secret).await;
    }

    /// The environment that points an application at these peers.
    pub fn env(&self) -> Vec<(&str, &str)> {
        vec![
            ("SMTP_SETUP_AUTHORITY_URL", self.info.authority.as_str()),
            ("SMTP_SETUP_SMTP_ADDR", self.info.smtp.as_str()),
            ("SMTP_SETUP_CA_FILE", self.info.ca_file.as_str()),
        ]
    }
}

/// The body of `GET url` (`/metrics`, `/healthz`…), which must answer.
pub async fn get_text(url: &str) -> String {
    reqwest::get(url)
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"))
        .text()
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"))
}

/// Short bounds so that the hanging-peer test takes seconds, not the full 25 s.
pub fn short_timeouts() -> Timeouts {
    Timeouts {
        total: Duration::from_secs(6),
        token: Duration::from_secs(2),
        step: Duration::from_secs(2),
    }
}

/// An empty directory of this test process for `name` (what a previous run left there is
/// removed first). Names are unique across the test modules.
pub fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("smtp-setup-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// The app's database in `dir`, as `DATABASE_URL` names it.
pub fn database_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("app.db").display())
}

/// The store in `dir`, with its key file beside the database; `why` names the moment.
pub async fn open_store(dir: &Path, why: &str) -> Store {
    let (store, _) = Store::open(&database_url(dir), None).await.expect(why);
    store
}

/// The SQLite store at `database`, with its key file beside it.
pub async fn open_store_at(database: &Path, why: &str) -> Store {
    let url = format!("sqlite://{}", database.display());
    let (store, _) = Store::open(&url, None).await.expect(why);
    store
}

/// The application, in this process, on a free port, with its database in a directory
/// of its own, and a signed-in administrator's cookie.
pub struct TestApp {
    pub base: String,
    /// The relay's SMTP address.
    pub relay_addr: Option<std::net::SocketAddr>,
    /// The relay's implicit-TLS address, when `SMTP_SETUP_RELAY_TLS_ADDR` was given.
    pub relay_tls_addr: Option<std::net::SocketAddr>,
    relay_certificate: PathBuf,
    /// The relay itself, to act as the page's Outbox buttons do.
    pub relay: std::sync::Arc<smtp_setup::server::relay::Relay>,
    /// The application's own store, to break it on purpose.
    pub store: std::sync::Arc<Store>,
    /// Its scheduled checks, to run one now or wait for the next.
    pub watch: std::sync::Arc<smtp_setup::server::watch::Watch>,
    pub http: reqwest::Client,
    pub cookie: String,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<()>,
}

/// Builds and starts the application as `main` does, with `env` as its environment
/// (`DATABASE_URL` in `dir` and the fixed sign-in token unless `env` says otherwise),
/// then signs in.
pub async fn spawn_app(dir: &Path, env: &[(&str, &str)]) -> TestApp {
    log_in_process();
    let database = database_url(dir);
    let relay_certificate = env
        .iter()
        .find(|(key, _)| *key == "SMTP_SETUP_RELAY_TLS_CERT")
        .map_or_else(
            || dir.join("app.relay-cert.pem"),
            |(_, path)| PathBuf::from(path),
        );
    let settings = ServerSettings::from_lookup(|name| {
        env.iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| (*value).to_owned())
            .or_else(|| match name {
                "DATABASE_URL" => Some(database.clone()),
                "SMTP_SETUP_ADMIN_TOKEN" => Some(ADMIN_TOKEN.to_owned()),
                // Tests run side by side: each relay on a port of its own.
                "SMTP_SETUP_RELAY_ADDR" => Some("127.0.0.1:0".to_owned()),
                // The mailbox is read only by the tests that say where it is.
                "SMTP_SETUP_BOUNCE_INTERVAL" => Some("0".to_owned()),
                _ => None,
            })
    })
    .expect("settings");
    let options = LeptosOptions::builder()
        .output_name("smtp-setup")
        .site_root(dir.join("site").to_string_lossy().into_owned())
        .site_addr(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
        .build();
    let application = Application::build(settings, options)
        .await
        .expect("the application starts");
    let base = format!("http://{}", application.address());
    let relay_addr = application.relay_address();
    let relay_tls_addr = application.relay_tls_address();
    let relay = application.state().relay.clone();
    let store = application.state().store.clone();
    let watch = application.state().watch.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(application.run_until_stopped(async {
        let _ = stopped.await;
    }));
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let response = http
        .get(format!("{base}/login?token={}", *ADMIN_TOKEN))
        .send()
        .await
        .expect("sign in");
    assert_eq!(response.status(), 303, "the fixed token signs in");
    let cookie = session_cookie(&response);
    TestApp {
        base,
        relay_addr,
        relay_tls_addr,
        relay_certificate,
        relay,
        store,
        watch,
        http,
        cookie,
        stop,
        server,
    }
}

/// The applications started in this process log at debug level into one file beside
/// the servers' own (`app_process::process_log`), which the secret scan reads.
fn log_in_process() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let path = crate::app_process::process_log(Path::new("in-process"));
        let file =
            std::fs::File::create(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("warn,smtp_setup=debug"))
            .with_writer(std::sync::Mutex::new(file))
            .with_ansi(false)
            .try_init();
    });
}

/// `name=value` of the session cookie a sign-in set.
pub fn session_cookie(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("a session cookie")
        .to_owned()
}

impl TestApp {
    fn call(&self, endpoint: &str) -> reqwest::RequestBuilder {
        self.http.post(format!("{}/api/{endpoint}", self.base))
    }

    /// A server function called by the signed-in administrator's page.
    pub async fn post_as_admin(
        &self,
        endpoint: &str,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        self.call(endpoint)
            .header("cookie", &self.cookie)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// The same call without a session.
    pub async fn post_anonymous(
        &self,
        endpoint: &str,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        self.call(endpoint)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// The same call with the administrator's cookie and extra `headers` (what a browser
    /// adds for another site's page).
    pub async fn post_as_admin_with(
        &self,
        endpoint: &str,
        body: &serde_json::Value,
        headers: &[(&'static str, &'static str)],
    ) -> reqwest::Response {
        let mut request = self.call(endpoint).header("cookie", &self.cookie);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.json(body).send().await.expect("request")
    }

    /// Bytes as they are, with the administrator's cookie.
    pub async fn post_raw(
        &self,
        endpoint: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> reqwest::Response {
        self.call(endpoint)
            .header("cookie", &self.cookie)
            .header("content-type", content_type.to_owned())
            .body(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn get_as_admin(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .expect("request")
    }

    /// The certificate the relay presents (given in the environment or made beside the
    /// database), for a client to trust.
    pub fn relay_cafile(&self) -> PathBuf {
        self.relay_certificate.clone()
    }

    /// Stops as on SIGTERM: requests in flight finish, the store is closed.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        self.server.await.expect("the server task ends");
    }
}
