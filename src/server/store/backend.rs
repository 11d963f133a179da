//! Which database holds the store, and opening it: SQLite (a file, one instance) or
//! PostgreSQL (shared by several instances), chosen by `DATABASE_URL`'s scheme.

use std::path::PathBuf;
use std::str::FromStr as _;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::server::store::{files, Pool, StoreError, INSTANCE_FILES};

/// The store's two pools on one database: `main` for everything, its commits synced
/// ("on disk before it says yes"); `pieces` for the pieces of a message's body only, whose
/// commits are not, since what makes a message accepted is the outbox row committed on
/// `main` after them.
pub(super) struct Pools {
    pub main: Pool,
    pub pieces: Pool,
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

pub(super) async fn open_sqlite(
    database_url: &str,
    url: &str,
) -> Result<(Pools, PathBuf), StoreError> {
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
    let connect = |options: SqliteConnectOptions| {
        let path = path.clone();
        async move {
            SqlitePoolOptions::new()
                .max_connections(4)
                .acquire_timeout(Duration::from_secs(5))
                .connect_with(options)
                .await
                .map_err(|source| StoreError::Open { path, source })
        }
    };
    let pool = Pool::Sqlite(connect(options.clone()).await?);
    migrate(&pool, &sqlx::migrate!("./migrations/sqlite")).await?;
    // The pieces' commits are not synced: the outbox row's commit that follows them syncs
    // the write-ahead log, and with it every frame written before (SQLite syncs the log
    // before a checkpoint copies it into the database, and the database after).
    let pieces = connect(options.synchronous(SqliteSynchronous::Normal)).await?;
    Ok((
        Pools {
            main: pool,
            pieces: Pool::Sqlite(pieces),
        },
        path,
    ))
}

/// Several instances may start at once: the migrator holds PostgreSQL's advisory lock
/// while it works, so one applies the migrations and the others find them applied.
pub(super) async fn open_postgres(
    database_url: &str,
    url: &str,
) -> Result<(Pools, PathBuf), StoreError> {
    let options =
        PgConnectOptions::from_str(database_url).map_err(|source| StoreError::BadUrl {
            url: url.to_owned(),
            source,
        })?;
    let connect = |options: PgConnectOptions, connections: u32| {
        let url = url.to_owned();
        async move {
            PgPoolOptions::new()
                .max_connections(connections)
                .acquire_timeout(Duration::from_secs(5))
                .connect_with(options)
                .await
                .map_err(|source| StoreError::Connect { url, source })
        }
    };
    let pool = Pool::Postgres(connect(options.clone(), 8).await?);
    migrate(&pool, &sqlx::migrate!("./migrations/postgres")).await?;
    // The pieces' commits are not waited for: the outbox row's synchronous commit that
    // follows them flushes the log up to itself, and with it every record written before.
    let pieces = connect(options.options([("synchronous_commit", "off")]), 4).await?;
    Ok((
        Pools {
            main: pool,
            pieces: Pool::Postgres(pieces),
        },
        PathBuf::from(INSTANCE_FILES),
    ))
}

/// The version of this binary, as the store records it.
const THIS_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Applies the migrations this binary has, unless the database holds one it does not
/// know (a newer smtp-setup wrote it): then nothing is changed and the refusal names
/// both versions. After migrating, the store records that this version wrote it.
async fn migrate(pool: &Pool, migrator: &sqlx::migrate::Migrator) -> Result<(), StoreError> {
    let known = migrator.iter().map(|m| m.version).max().unwrap_or(0);
    let found = newest_applied(pool).await?;
    if let Some(found) = found.filter(|found| *found > known) {
        return Err(StoreError::NewerDatabase {
            written_by: written_by(pool)
                .await
                .unwrap_or_else(|| "a newer version".to_owned()),
            found,
            this: THIS_VERSION,
            known,
        });
    }
    on_pool!(pool pool, pool => migrator.run(pool).await?);
    on_pool!(pool pool, pool => {
        sqlx::query(
            "INSERT INTO store_info (key, value) VALUES ('written_by', $1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(THIS_VERSION)
        .execute(pool)
        .await?;
    });
    Ok(())
}

/// The newest migration the database holds; `None` for a new database.
async fn newest_applied(pool: &Pool) -> Result<Option<i64>, StoreError> {
    let exists: bool = match pool {
        Pool::Sqlite(pool) => sqlx::query_scalar(
            "SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
        )
        .fetch_one(pool)
        .await?,
        Pool::Postgres(pool) => {
            sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
                .fetch_one(pool)
                .await?
        }
    };
    if !exists {
        return Ok(None);
    }
    Ok(on_pool!(pool pool, pool => {
        sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations")
            .fetch_one(pool)
            .await?
    }))
}

/// Which version recorded itself last, when the store knows.
async fn written_by(pool: &Pool) -> Option<String> {
    on_pool!(pool pool, pool => {
        sqlx::query_scalar("SELECT value FROM store_info WHERE key = 'written_by'")
            .fetch_optional(pool)
            .await
            .ok()
            .flatten()
    })
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
