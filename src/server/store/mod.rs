//! The store: the saved configuration with its sealed secrets, the test history, the
//! admin sessions and limits, and the relay's credentials and outbox.
//!
//! Two backends behind one interface, chosen by `DATABASE_URL`: SQLite, embedded, for one
//! instance (WAL, synchronous FULL: a write that returned is on disk), and PostgreSQL,
//! which several instances share. Every statement is written once, with `$n` parameters
//! (both drivers read them), and compiled for each driver by [`on_pool!`]; the few that
//! differ say so where they stand. Each save is one statement, so a crash at any point
//! leaves the old or the new configuration, whole. Rows are decoded strictly: a value this
//! version does not know is an error, never a silent default.

/// Runs `$body` with `$pool` bound to the open backend's pool: the same code, compiled
/// once per driver.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pool {
            $crate::server::store::Pool::Sqlite($pool) => $body,
            $crate::server::store::Pool::Postgres($pool) => $body,
        }
    };
}

mod configuration;
pub mod files;
mod history;
pub mod key;
mod limits;
mod outbox;
mod relay_credentials;
pub mod sealing;
mod sessions;
mod throttle;

use std::path::PathBuf;
use std::str::FromStr as _;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

pub use self::configuration::{Saved, SecretChange};
pub use self::history::HISTORY_SHOWN;
use self::key::{KeyError, KeySource};
pub use self::limits::Limited;
pub use self::outbox::{Claim, Due, Enqueued, NewMessage};
use self::sealing::{SealError, SealingKey};
use crate::api::report::Words;
use crate::api::ApiError;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/smtp-setup.db";

/// Where an instance on PostgreSQL keeps its own files (the relay's self-signed
/// certificate): where the embedded database would be.
const INSTANCE_FILES: &str = "data/smtp-setup.db";

/// Associated data of the sealed key check (see [`sealing`]).
const KEY_CHECK: &str = "key_check";
const KEY_CHECK_TEXT: &[u8] = b"smtp-setup key check v1";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("DATABASE_URL {url}: {source}")]
    BadUrl {
        /// Without its password.
        url: String,
        #[source]
        source: sqlx::Error,
    },
    #[error(
        "DATABASE_URL {url}: not a database this version knows; use sqlite://PATH or \
         postgres://USER@HOST/DATABASE"
    )]
    UnknownBackend { url: String },
    #[error("cannot connect to the database {url}: {source}")]
    Connect {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("cannot create the database {path}: {source}")]
    Create {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot open the database {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: sqlx::Error,
    },
    #[error("cannot apply the database migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("a stored secret cannot be sealed or opened with this key: {0}")]
    Seal(#[from] SealError),
    /// A value written by another version of smtp-setup, or by hand.
    #[error("the database holds {value:?} in {column}, which this version does not know")]
    Unknown { column: &'static str, value: String },
}

/// What the page is told: the store's words, while the log keeps the whole error.
impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        tracing::error!(%error, "the store failed");
        ApiError::Unavailable(error.to_string())
    }
}

/// Which database holds the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// One instance, a file.
    Sqlite,
    /// Shared by every instance that names it.
    Postgres,
}

impl Backend {
    /// The backend a `DATABASE_URL` names, by its scheme.
    pub fn of(database_url: &str) -> Option<Self> {
        let scheme = database_url.split_once(':')?.0;
        match scheme.to_ascii_lowercase().as_str() {
            "sqlite" => Some(Self::Sqlite),
            "postgres" | "postgresql" => Some(Self::Postgres),
            _ => None,
        }
    }

    /// As `/healthz` and the log name it.
    pub fn key(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// A `DATABASE_URL` as it may be logged or shown: without a password.
pub fn redacted_url(database_url: &str) -> String {
    match url::Url::parse(database_url) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("redacted"));
            url.to_string()
        }
        Ok(_) => database_url.to_owned(),
        // Not a URL: nothing in it is known to be safe to show.
        Err(_) => "(unreadable URL)".to_owned(),
    }
}

enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

pub struct Store {
    pool: Pool,
    key: SealingKey,
    /// The database file, or on PostgreSQL where this instance keeps its own files (the
    /// relay keeps its self-signed certificate beside it).
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the database, applies the migrations, and finds the
    /// key. `env_key` is `SMTP_SETUP_KEY`; on PostgreSQL it is required, since every
    /// instance must seal and open with the same key.
    pub async fn open(
        database_url: &str,
        env_key: Option<&str>,
    ) -> Result<(Self, KeySource), StoreError> {
        let url = redacted_url(database_url);
        let (pool, path) = match Backend::of(database_url) {
            Some(Backend::Sqlite) => open_sqlite(database_url, &url).await?,
            Some(Backend::Postgres) => open_postgres(database_url, &url).await?,
            None => return Err(StoreError::UnknownBackend { url }),
        };
        let check: Option<Vec<u8>> = match &pool {
            Pool::Sqlite(pool) => {
                sqlx::query_scalar("SELECT sealed FROM key_check WHERE id = 1")
                    .fetch_optional(pool)
                    .await?
            }
            Pool::Postgres(pool) => {
                sqlx::query_scalar("SELECT sealed FROM key_check WHERE id = 1")
                    .fetch_optional(pool)
                    .await?
            }
        };
        let (key, source) = match (&pool, env_key) {
            (Pool::Postgres(_), None) => return Err(KeyError::NeededWhenShared.into()),
            _ => key::load_key(env_key, &key::key_file_beside(&path), check.is_some())?,
        };
        let store = Self { pool, key, path };
        if check.is_none() {
            // Two instances starting on a new database at once: the first key stays, and
            // the other instance's key is checked against it below.
            let sealed = store.key.seal(KEY_CHECK, KEY_CHECK_TEXT)?;
            on_pool!(store, pool => {
                sqlx::query("INSERT INTO key_check (id, sealed) VALUES (1, $1) ON CONFLICT (id) DO NOTHING")
                    .bind(sealed)
                    .execute(pool)
                    .await?;
            });
        }
        let sealed: Vec<u8> = on_pool!(store, pool => {
            sqlx::query_scalar("SELECT sealed FROM key_check WHERE id = 1")
                .fetch_one(pool)
                .await?
        });
        if store.key.open(KEY_CHECK, &sealed).ok().as_deref() != Some(KEY_CHECK_TEXT) {
            return Err(KeyError::Wrong.into());
        }
        Ok((store, source))
    }

    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Whether the database answers (for `/healthz`).
    pub async fn is_usable(&self) -> bool {
        on_pool!(self, pool => sqlx::query("SELECT 1").execute(pool).await.is_ok())
    }

    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// Closes every connection; on SQLite the last one folds the write-ahead log into the
    /// database. A connection a finished request dropped goes back to the pool on a task
    /// of its own: closing before it is back would leave it to the runtime's shutdown,
    /// unclosed, and the log behind. So the pool first waits (a little) for every
    /// connection to be idle.
    pub async fn close(&self) {
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        on_pool!(self, pool => {
            while pool.num_idle() < pool.size() as usize && std::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            pool.close().await;
        });
    }
}

async fn open_sqlite(database_url: &str, url: &str) -> Result<(Pool, PathBuf), StoreError> {
    let options = SqliteConnectOptions::from_str(database_url)
        .map_err(|source| StoreError::BadUrl {
            url: url.to_owned(),
            source,
        })?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(5));
    let path = options.get_filename().to_owned();
    let created = |source| StoreError::Create {
        path: path.clone(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(created)?;
    }
    // A new database is readable by its owner only; SQLite gives the WAL and
    // shared-memory files the same permissions, so the history and the sealed
    // secrets stay out of other local users' reach. An existing file keeps the
    // permissions the administrator gave it.
    match files::create_owner_only(&path) {
        Ok(_) => {}
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(error) => return Err(created(error)),
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options)
        .await
        .map_err(|source| StoreError::Open {
            path: path.clone(),
            source,
        })?;
    sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
    Ok((Pool::Sqlite(pool), path))
}

/// Several instances may start at once: the migrator holds PostgreSQL's advisory lock
/// while it works, so one applies the migrations and the others find them applied.
async fn open_postgres(database_url: &str, url: &str) -> Result<(Pool, PathBuf), StoreError> {
    let options =
        PgConnectOptions::from_str(database_url).map_err(|source| StoreError::BadUrl {
            url: url.to_owned(),
            source,
        })?;
    let pool = PgPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options)
        .await
        .map_err(|source| StoreError::Connect {
            url: url.to_owned(),
            source,
        })?;
    sqlx::migrate!("./migrations/postgres").run(&pool).await?;
    Ok((Pool::Postgres(pool), PathBuf::from(INSTANCE_FILES)))
}

/// Words in every language, as a column holds them: JSON. A row written before there
/// were two languages holds one text, read back as the same in all of them.
fn words_from_column(text: String) -> Words {
    serde_json::from_str::<Words>(&text).unwrap_or_else(|_| Words::same(text))
}

fn words_to_column(words: Option<&Words>) -> Option<String> {
    words.and_then(|words| serde_json::to_string(words).ok())
}

/// A key read back from the store, or the error that names the column and the value.
fn known<T>(
    column: &'static str,
    value: String,
    from_key: fn(&str) -> Option<T>,
) -> Result<T, StoreError> {
    from_key(&value).ok_or(StoreError::Unknown { column, value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_url_is_shown_without_its_password() {
        assert_eq!(
            redacted_url("postgres://smtp:s3cret-pw@db.internal:5432/smtp_setup"),
            "postgres://smtp:redacted@db.internal:5432/smtp_setup"
        );
        assert_eq!(
            redacted_url("sqlite://data/smtp-setup.db"),
            "sqlite://data/smtp-setup.db"
        );
        assert_eq!(redacted_url("postgres://s3cret pw@"), "(unreadable URL)");
    }

    #[test]
    fn the_backend_is_the_urls_scheme() {
        assert_eq!(Backend::of("sqlite://x.db"), Some(Backend::Sqlite));
        assert_eq!(Backend::of("postgres://h/db"), Some(Backend::Postgres));
        assert_eq!(Backend::of("postgresql://h/db"), Some(Backend::Postgres));
        assert_eq!(Backend::of("mysql://h/db"), None);
        assert_eq!(Backend::of("data/smtp-setup.db"), None);
    }
}
