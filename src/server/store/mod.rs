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
    (pool $pools:expr, $pool:ident => $body:expr) => {
        match $pools {
            $crate::server::store::Pool::Sqlite($pool) => $body,
            $crate::server::store::Pool::Postgres($pool) => $body,
        }
    };
    ($store:expr, $pool:ident => $body:expr) => {
        on_pool!(pool &$store.pool, $pool => $body)
    };
}

/// Runs `$body` in a transaction of the store's pool (`$tx`), committed when it ends.
macro_rules! on_pool_tx {
    ($store:expr, $tx:ident => $body:block) => {
        match &$store.pool {
            $crate::server::store::Pool::Sqlite(pool) => {
                let mut $tx = pool.begin().await?;
                $body
                $tx.commit().await?;
            }
            $crate::server::store::Pool::Postgres(pool) => {
                let mut $tx = pool.begin().await?;
                $body
                $tx.commit().await?;
            }
        }
    };
}

mod backend;
pub mod backup;
mod commits;
mod configuration;
pub mod files;
mod history;
pub mod key;
mod limits;
mod outbox;
pub mod pieces;
mod relay_credentials;
pub mod reports;
mod retention;
mod rotation;
pub mod sealing;
mod sessions;
mod slots;
mod space;
mod throttle;
pub mod webhooks;

use std::path::PathBuf;
use std::time::Duration;

use sqlx::{PgPool, SqlitePool};

use self::backend::{open_postgres, open_sqlite, Pools};
pub use self::backend::{redacted_url, Backend};
pub use self::configuration::{Saved, SecretChange};
pub use self::history::HISTORY_SHOWN;
use self::key::{KeyError, KeySource};
pub use self::limits::Limited;
pub use self::outbox::{Claim, Due, Enqueued, NewMessage};
use self::sealing::{SealError, SealingKey};
use crate::api::report::Words;

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
    #[error("the store is closing")]
    Closed,
    /// A value written by another version of smtp-setup, or by hand.
    #[error("the database holds {value:?} in {column}, which this version does not know")]
    Unknown { column: &'static str, value: String },
    #[error(
        "this database was written by smtp-setup {written_by} (migration {found}); this is \
         {this}, which knows up to migration {known}: start {written_by} or newer \
         (nothing was changed)"
    )]
    NewerDatabase {
        written_by: String,
        found: i64,
        this: &'static str,
        known: i64,
    },
}

#[derive(Clone)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

pub struct Store {
    pool: Pool,
    /// For writing the pieces of a message's body, commits not synced (see [`Pools`]).
    pieces: Pool,
    /// Stores accepted messages, those that come together in one commit.
    committer: commits::Committer,
    key: SealingKey,
    /// The database file, or on PostgreSQL where this instance keeps its own files (the
    /// relay keeps its self-signed certificate beside it).
    path: PathBuf,
    /// Whether the last message's write found room (for `/healthz`).
    room: space::Room,
}

/// How long `/healthz` waits for the database.
const HEALTH_WAIT: Duration = Duration::from_secs(2);

impl Store {
    /// Opens (creating if needed) the database, applies the migrations, and finds the
    /// key. `env_key` is `SMTP_SETUP_KEY`; on PostgreSQL it is required, since every
    /// instance must seal and open with the same key.
    pub async fn open(
        database_url: &str,
        env_key: Option<&str>,
    ) -> Result<(Self, KeySource), StoreError> {
        let url = redacted_url(database_url);
        let (pools, path) = match Backend::of(database_url) {
            Some(Backend::Sqlite) => open_sqlite(database_url, &url).await?,
            Some(Backend::Postgres) => open_postgres(database_url, &url).await?,
            None => return Err(StoreError::UnknownBackend { url }),
        };
        let Pools { main: pool, pieces } = pools;
        let check = key_check(&pool).await?;
        let key_file = key::key_file_beside(&path);
        let (key, source) = match (&pool, env_key) {
            (Pool::Postgres(_), None) => return Err(KeyError::NeededWhenShared.into()),
            _ => key::load_key(env_key, &key_file, check.is_some())?,
        };
        let committer = commits::Committer::start(pool.clone());
        let mut store = Self {
            pool,
            pieces,
            committer,
            key,
            path,
            room: space::Room::default(),
        };
        let sealed = match check {
            Some(sealed) => sealed,
            None => {
                // Two instances starting on a new database at once: the first key stays,
                // and the other instance's key is checked against it below.
                let sealed = store.key.seal(KEY_CHECK, KEY_CHECK_TEXT)?;
                on_pool!(store, pool => {
                    sqlx::query("INSERT INTO key_check (id, sealed) VALUES (1, $1) ON CONFLICT (id) DO NOTHING")
                        .bind(sealed)
                        .execute(pool)
                        .await?;
                });
                key_check(&store.pool)
                    .await?
                    .ok_or(StoreError::Sql(sqlx::Error::RowNotFound))?
            }
        };
        let opens =
            |key: &SealingKey| key.open(KEY_CHECK, &sealed).ok().as_deref() == Some(KEY_CHECK_TEXT);
        let pending = key::new_key_file(&key_file);
        if !opens(&store.key) {
            // A rotation stopped after its commit: the new key, beside the old one, opens
            // the store; it takes the old one's place now.
            match (env_key, key::read_key_file(&pending)) {
                (None, Some(new)) if opens(&new) => {
                    key::replace_key_file(&key_file)?;
                    tracing::warn!(file = %key_file.display(), "an interrupted key rotation is finished: the new key is in place");
                    store.key = new;
                }
                _ => return Err(KeyError::Wrong.into()),
            }
        } else if env_key.is_none() && pending.exists() {
            // A rotation stopped before its commit: the old key still opens everything.
            let _ = std::fs::remove_file(&pending);
            tracing::warn!("an interrupted key rotation changed nothing; its new key is dropped");
        }
        Ok((store, source))
    }

    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Whether the database answers (for `/healthz`), within [`HEALTH_WAIT`]: a stopped
    /// PostgreSQL is otherwise waited for as long as the pool's acquire timeout, longer
    /// than a monitor waits for its answer.
    pub async fn is_usable(&self) -> bool {
        let ask =
            async { on_pool!(self, pool => sqlx::query("SELECT 1").execute(pool).await.is_ok()) };
        tokio::time::timeout(HEALTH_WAIT, ask)
            .await
            .unwrap_or(false)
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
        for pools in [&self.pieces, &self.pool] {
            on_pool!(pool pools, pool => {
                while pool.num_idle() < pool.size() as usize && std::time::Instant::now() < deadline {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                pool.close().await;
            });
        }
    }
}

/// The sealed constant the key must open, if a key was ever used on this database.
async fn key_check(pool: &Pool) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(on_pool!(pool pool, pool => {
        sqlx::query_scalar("SELECT sealed FROM key_check WHERE id = 1")
            .fetch_optional(pool)
            .await?
    }))
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
