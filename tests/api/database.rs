//! The databases the tests run against: SQLite in a directory of the test's own, or a
//! database of the test's own on one real PostgreSQL server that the first test to need
//! it starts (`tests/peers/postgres.sh`) and that stops when this test process ends.

use std::io::BufRead as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{LazyLock, Mutex};

use smtp_setup::server::store::Store;
use sqlx::Connection as _;

use crate::helpers::{database_url, fresh_dir};

/// The `SMTP_SETUP_KEY` every instance on PostgreSQL shares in the tests (from the
/// secrets file `.ci/no-secrets.sh` searches the test output for).
pub static SHARED_KEY: LazyLock<String> = LazyLock::new(|| {
    let secrets: serde_json::Value =
        serde_json::from_str(include_str!("../peers/secrets.json")).expect("secrets.json");
    secrets["sharedSealingKey"]
        .as_str()
        .expect("sharedSealingKey")
        .to_owned()
});

/// One backend's database for one test.
pub enum Database {
    Sqlite { dir: PathBuf },
    Postgres { url: String },
}

impl Database {
    pub fn sqlite(name: &str) -> Self {
        Self::Sqlite {
            dir: fresh_dir(name),
        }
    }

    /// A new, empty database named after the test on the shared server.
    pub async fn postgres(name: &str) -> Self {
        Self::postgres_on(&server(), name).await
    }

    /// A new, empty database named after the test on `server` (a URL without a database).
    async fn postgres_on(server: &str, name: &str) -> Self {
        let name = database_name(name);
        let mut admin = sqlx::PgConnection::connect(&format!("{server}/postgres"))
            .await
            .expect("connect to the test PostgreSQL");
        for statement in [
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            format!("CREATE DATABASE {name}"),
        ] {
            sqlx::Executor::execute(&mut admin, statement.as_str())
                .await
                .unwrap_or_else(|e| panic!("{statement}: {e}"));
        }
        Self::Postgres {
            url: format!("{server}/{name}"),
        }
    }

    /// Drops the PostgreSQL database under the applications using it: from then on
    /// their store does not answer.
    pub async fn drop_under_them(&self) {
        let Self::Postgres { url } = self else {
            panic!("PostgreSQL only")
        };
        let (server, name) = url.rsplit_once('/').expect("a database name");
        let mut admin = sqlx::PgConnection::connect(&format!("{server}/postgres"))
            .await
            .expect("connect to the test PostgreSQL");
        let statement = format!("DROP DATABASE {name} WITH (FORCE)");
        sqlx::Executor::execute(&mut admin, statement.as_str())
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }

    /// Writes the PostgreSQL database out with `pg_dump` beside the servers' logs
    /// (`target/process-logs/`), which the secret scan of `make unit` reads: the same
    /// search for tokens and secrets as SQLite's files get.
    pub async fn dump_for_scan(&self) {
        let Self::Postgres { url } = self else {
            panic!("PostgreSQL only")
        };
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL's binaries")
            .filter_map(|entry| entry.ok().map(|e| e.path().join("bin/pg_dump")))
            .filter(|path| path.exists())
            .max()
            .expect("pg_dump");
        let name = url.rsplit('/').next().expect("a database name");
        let file = crate::app_process::process_log(std::path::Path::new(&format!("pg-{name}")));
        let output = tokio::process::Command::new(bin)
            .arg(format!("--dbname={url}"))
            .arg("--file")
            .arg(&file)
            .output()
            .await
            .expect("run pg_dump");
        assert!(
            output.status.success(),
            "pg_dump: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let dump = std::fs::read_to_string(&file).expect("the dump");
        assert!(dump.contains("CREATE TABLE public.outbox"), "an empty dump");
    }

    pub fn url(&self) -> String {
        match self {
            Self::Sqlite { dir } => database_url(dir),
            Self::Postgres { url } => url.clone(),
        }
    }

    /// `SMTP_SETUP_KEY`: none on SQLite (the key file beside the database), the shared
    /// one on PostgreSQL.
    pub fn key(&self) -> Option<&'static str> {
        match self {
            Self::Sqlite { .. } => None,
            Self::Postgres { .. } => Some(SHARED_KEY.as_str()),
        }
    }

    /// The store on this database; `why` names the moment.
    pub async fn open(&self, why: &str) -> Store {
        let (store, _) = Store::open(&self.url(), self.key()).await.expect(why);
        store
    }
}

/// `t_` and the test's name; PostgreSQL keeps 63 bytes of a name, so a longer one is
/// cut to 48 and followed by 12 hex digits of its hash (two tests that share the
/// first 48 still get databases of their own).
fn database_name(test: &str) -> String {
    use sha2::Digest as _;
    let name = format!("t_{}", test.replace('-', "_"));
    if name.len() <= 63 {
        return name;
    }
    let hash: String = sha2::Sha256::digest(name.as_bytes())[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{}_{hash}", &name[..48])
}

/// A PostgreSQL server of one test's own, run as production runs it (fsync and
/// synchronous commits on), which the test crashes (`pg_ctl stop -m immediate`) and starts
/// again on the same port.
pub struct OwnServer {
    stdin: tokio::process::ChildStdin,
    answers: tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
    // Not killed on drop (a killed script would leave its server running): `stdin` closes
    // with this, and the script then stops the server and removes the cluster.
    _child: tokio::process::Child,
}

impl OwnServer {
    /// The server and a new database on it named after the test.
    pub async fn start(name: &str) -> (Self, Database) {
        use tokio::io::AsyncBufReadExt as _;
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/postgres.sh");
        let mut child = tokio::process::Command::new("bash")
            .arg(&script)
            .env("POSTGRES_DURABLE", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", script.display()));
        let stdin = child.stdin.take().expect("stdin");
        let mut answers = tokio::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
        let url = answers
            .next_line()
            .await
            .expect("the PostgreSQL script's first line")
            .unwrap_or_default();
        assert!(
            url.starts_with("postgres://"),
            "tests/peers/postgres.sh did not start PostgreSQL (its errors are above)"
        );
        let server = Self {
            stdin,
            answers,
            _child: child,
        };
        (server, Database::postgres_on(&url, name).await)
    }

    /// `pg_ctl stop -m immediate`: every backend ends at once, as in a crash; returns once
    /// the server is gone.
    pub async fn crash(&mut self) {
        self.command("stop", "stopped").await;
    }

    /// Starts the cluster again (it recovers from its log first); returns once it accepts
    /// connections.
    pub async fn restart(&mut self) {
        self.command("start", "started").await;
    }

    async fn command(&mut self, command: &str, answer: &str) {
        use tokio::io::AsyncWriteExt as _;
        self.stdin
            .write_all(format!("{command}\n").as_bytes())
            .await
            .expect("tell postgres.sh");
        let line = self
            .answers
            .next_line()
            .await
            .expect("postgres.sh's answer");
        assert_eq!(
            line.as_deref(),
            Some(answer),
            "postgres.sh, asked to {command}"
        );
    }
}

struct Server {
    url: String,
    // Never dropped: its standard input closes when this process ends, and the script
    // then stops the server and removes its files.
    _child: Child,
}

static SERVER: LazyLock<Mutex<Option<Server>>> = LazyLock::new(|| Mutex::new(None));

/// The shared server's URL (without a database), started on first use.
fn server() -> String {
    let mut server = SERVER.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(server) = server.as_ref() {
        return server.url.clone();
    }
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/postgres.sh");
    let mut child = Command::new("bash")
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}", script.display()));
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the PostgreSQL script's first line");
    let url = line.trim().to_owned();
    assert!(
        url.starts_with("postgres://"),
        "tests/peers/postgres.sh did not start PostgreSQL (its errors are above)"
    );
    *server = Some(Server {
        url: url.clone(),
        _child: child,
    });
    url
}

/// Runs a test body (an `async fn(Database)`) once on each backend, as two tests.
#[macro_export]
macro_rules! on_both_backends {
    ($($test:ident),* $(,)?) => {
        $(
            mod $test {
                #[tokio::test]
                async fn sqlite() {
                    super::$test($crate::database::Database::sqlite(stringify!($test))).await;
                }

                #[tokio::test]
                async fn postgres() {
                    super::$test($crate::database::Database::postgres(stringify!($test)).await).await;
                }
            }
        )*
    };
}
