//! The store: the saved configuration with its sealed secrets, the test history, the
//! admin sessions, and the relay's credentials and outbox, in SQLite (WAL, synchronous
//! FULL: a write that returned is on disk, and a crash at any point leaves the old or the
//! new configuration, whole, because each save is one statement). Rows are decoded
//! strictly: a value this version does not know is an error, never a silent default.

mod configuration;
pub mod files;
mod history;
pub mod key;
mod outbox;
mod relay_credentials;
pub mod sealing;
mod sessions;

use std::path::PathBuf;
use std::str::FromStr as _;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

pub use self::configuration::{Saved, SecretChange};
pub use self::history::HISTORY_SHOWN;
use self::key::{KeyError, KeySource};
pub use self::outbox::{Due, Enqueued, NewMessage};
use self::sealing::{SealError, SealingKey};
use crate::api::report::Words;
use crate::api::ApiError;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/smtp-setup.db";

/// Associated data of the sealed key check (see [`sealing`]).
const KEY_CHECK: &str = "key_check";
const KEY_CHECK_TEXT: &[u8] = b"smtp-setup key check v1";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("DATABASE_URL {url:?}: {source}")]
    BadUrl {
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

pub struct Store {
    pool: SqlitePool,
    key: SealingKey,
    /// The database file (the relay keeps its self-signed certificate beside it).
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the database, applies the migrations, and finds the
    /// key. `env_key` is `SMTP_SETUP_KEY`.
    pub async fn open(
        database_url: &str,
        env_key: Option<&str>,
    ) -> Result<(Self, KeySource), StoreError> {
        let options = SqliteConnectOptions::from_str(database_url)
            .map_err(|source| StoreError::BadUrl {
                url: database_url.to_owned(),
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
        sqlx::migrate!("./migrations").run(&pool).await?;

        let check: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT sealed FROM key_check WHERE id = 1")
                .fetch_optional(&pool)
                .await?;
        let (key, source) = key::load_key(env_key, &key::key_file_beside(&path), check.is_some())?;
        match check {
            Some(sealed) => {
                if key.open(KEY_CHECK, &sealed).ok().as_deref() != Some(KEY_CHECK_TEXT) {
                    return Err(KeyError::Wrong.into());
                }
            }
            None => {
                sqlx::query("INSERT INTO key_check (id, sealed) VALUES (1, ?)")
                    .bind(key.seal(KEY_CHECK, KEY_CHECK_TEXT)?)
                    .execute(&pool)
                    .await?;
            }
        }
        Ok((Self { pool, key, path }, source))
    }

    /// Whether the database answers (for `/healthz`).
    pub async fn is_usable(&self) -> bool {
        sqlx::query_scalar::<_, i64>("SELECT 1")
            .fetch_one(&self.pool)
            .await
            .is_ok()
    }

    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// Closes every connection; the last one folds the write-ahead log into the database.
    /// A connection a finished request dropped goes back to the pool on a task of its own:
    /// closing before it is back would leave it to the runtime's shutdown, unclosed, and
    /// the log behind. So the pool first waits (a little) for every connection to be idle.
    pub async fn close(&self) {
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while self.pool.num_idle() < self.pool.size() as usize
            && std::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        self.pool.close().await;
    }
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
