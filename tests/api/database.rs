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
        let server = server();
        let name = format!("t_{}", name.replace('-', "_"));
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
