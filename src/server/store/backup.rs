//! A consistent copy of the SQLite store while the server runs: `VACUUM INTO` (SQLite's
//! own online copy, one read transaction), into a private folder beside the target,
//! made owner-only, then renamed into place, so that no other local user can read it
//! at any moment. The copy holds the sealed secrets; the key that opens them is not in
//! it. PostgreSQL has its own tool for this (`pg_dump`).

use std::path::{Path, PathBuf};
use std::str::FromStr as _;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::Connection as _;

use super::backend::Backend;
use super::files;

/// Why a backup could not be written.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "the store is on PostgreSQL: back it up with pg_dump (pg_dump --format=custom \
         --file=smtp-setup.dump \"$DATABASE_URL\"), and keep SMTP_SETUP_KEY with it"
    )]
    Postgres,
    #[error("DATABASE_URL {0:?} names no database smtp-setup knows")]
    UnknownBackend(String),
    #[error("{} exists already: name a new file", .0.display())]
    Exists(PathBuf),
    #[error("{}: {source}", path.display())]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the copy could not be made: {0}")]
    Sql(#[from] sqlx::Error),
}

/// What was written, and where the key that opens it is.
pub struct Backup {
    pub file: PathBuf,
    pub database: PathBuf,
}

/// Writes a copy of the store `database_url` names to `target` (which must not exist).
pub async fn backup(database_url: &str, target: &Path) -> Result<Backup, BackupError> {
    match Backend::of(database_url) {
        Some(Backend::Sqlite) => {}
        Some(Backend::Postgres) => return Err(BackupError::Postgres),
        None => {
            return Err(BackupError::UnknownBackend(super::redacted_url(
                database_url,
            )))
        }
    }
    if target.exists() {
        return Err(BackupError::Exists(target.to_owned()));
    }
    let options = SqliteConnectOptions::from_str(database_url)?.create_if_missing(false);
    let database = options.get_filename().to_owned();
    let folder = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file_error = |path: &Path| {
        let path = path.to_owned();
        move |source| BackupError::File { path, source }
    };
    let private = files::private_folder(folder).map_err(file_error(folder))?;
    let copy = private.join("copy.db");
    let result = async {
        let mut connection = sqlx::SqliteConnection::connect_with(&options).await?;
        sqlx::query("VACUUM INTO $1")
            .bind(copy.to_string_lossy().as_ref())
            .execute(&mut connection)
            .await?;
        connection.close().await?;
        files::make_owner_only(&copy).map_err(file_error(&copy))?;
        std::fs::rename(&copy, target).map_err(file_error(target))
    }
    .await;
    let _ = std::fs::remove_dir_all(&private);
    result?;
    Ok(Backup {
        file: target.to_owned(),
        database,
    })
}
