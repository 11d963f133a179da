//! The saved configuration, its sealed secrets and the test history, in SQLite (WAL,
//! synchronous FULL: a save that returned is on disk, and a crash at any point leaves the
//! old or the new configuration, whole, because each save is one statement).

pub mod key;
pub mod sealing;
mod sessions;

use std::path::PathBuf;
use std::str::FromStr as _;
use std::time::Duration;

use secrecy::SecretString;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row as _, SqlitePool};

use self::key::{KeyError, KeySource};
use self::sealing::SealingKey;
use crate::domain::{AuthType, Cloud, Security, SmtpForm};
use crate::report::Step;
use crate::saved::{HistoryEntry, SavedConfig, StoredSecret};

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/smtp-setup.db";

/// Associated data of each sealed value (see [`sealing`]).
const CLIENT_SECRET: &str = "client_secret";
const PASSWORD: &str = "password";
const KEY_CHECK: &str = "key_check";
const KEY_CHECK_TEXT: &[u8] = b"smtp-setup key check v1";

/// How many past tests the page shows.
pub const HISTORY_SHOWN: u32 = 20;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("DATABASE_URL {url:?}: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("cannot open the database {path}: {reason}")]
    Open { path: PathBuf, reason: String },
    #[error("cannot apply the database migrations: {0}")]
    Migrate(String),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("a stored secret cannot be opened with this key")]
    Sealed,
}

pub struct Store {
    pool: SqlitePool,
    key: SealingKey,
}

/// The stored secrets, opened, for a test send or a save that keeps them.
#[derive(Default)]
pub struct StoredSecrets {
    pub client_secret: Option<SecretString>,
    pub password: Option<SecretString>,
}

/// A secret in a save: keep the stored one, or replace it with a new value.
pub enum SecretChange<'a> {
    Keep,
    Replace(&'a str),
}

pub enum Saved {
    Done(Box<SavedConfig>),
    Conflict { current_version: i64 },
}

/// Creates an empty database file readable by its owner only, unless one exists. SQLite
/// gives the WAL and shared-memory files the database file's permissions, so the history
/// and the sealed secrets stay out of other local users' reach (they are sealed, but the
/// mailbox, tenant and history are not). An existing file keeps the permissions the
/// administrator gave it.
fn create_owner_only(path: &std::path::Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(error),
    }
}

impl Store {
    /// Opens (creating if needed) the database, applies the migrations, and finds the
    /// key. `env_key` is `SMTP_SETUP_KEY`.
    pub async fn open(
        database_url: &str,
        env_key: Option<&str>,
    ) -> Result<(Self, KeySource), StoreError> {
        let options = SqliteConnectOptions::from_str(database_url)
            .map_err(|e| StoreError::BadUrl {
                url: database_url.to_owned(),
                reason: e.to_string(),
            })?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(5));
        let path = options.get_filename().to_owned();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Open {
                path: path.clone(),
                reason: e.to_string(),
            })?;
        }
        create_owner_only(&path).map_err(|e| StoreError::Open {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Open {
                path: path.clone(),
                reason: e.to_string(),
            })?;
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Migrate(e.to_string()))?;

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
                let sealed = key
                    .seal(KEY_CHECK, KEY_CHECK_TEXT)
                    .map_err(|_| StoreError::Sealed)?;
                sqlx::query("INSERT INTO key_check (id, sealed) VALUES (1, ?)")
                    .bind(sealed)
                    .execute(&pool)
                    .await?;
            }
        }
        Ok((Self { pool, key }, source))
    }

    /// Whether the database answers (for `/healthz`).
    pub async fn is_usable(&self) -> bool {
        sqlx::query_scalar::<_, i64>("SELECT 1")
            .fetch_one(&self.pool)
            .await
            .is_ok()
    }

    /// The saved configuration without its secrets (version 0 when nothing is saved).
    pub async fn load(&self) -> Result<SavedConfig, StoreError> {
        let Some(row) = sqlx::query("SELECT * FROM configuration WHERE id = 1")
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(SavedConfig::default());
        };
        let text = |name: &str| row.try_get::<String, _>(name).unwrap_or_default();
        let secret = |prefix: &str, with_hint: bool| -> Option<StoredSecret> {
            let length: Option<i64> = row.try_get(format!("{prefix}_length").as_str()).ok()?;
            let saved_at: Option<String> =
                row.try_get(format!("{prefix}_saved_at").as_str()).ok()?;
            let hint: Option<String> = if with_hint {
                row.try_get(format!("{prefix}_hint").as_str()).ok()?
            } else {
                None
            };
            Some(StoredSecret {
                hint,
                length: u32::try_from(length?).unwrap_or(0),
                saved_at: saved_at?,
            })
        };
        let form = SmtpForm {
            auth_type: AuthType::from_key(&text("auth_type")).unwrap_or_default(),
            cloud: Cloud::from_key(&text("cloud")).unwrap_or_default(),
            email_address: text("email_address"),
            name: text("name"),
            tenant_id: text("tenant_id"),
            smtp_user: text("smtp_user"),
            smtp_password: String::new(),
            object_id: text("object_id"),
            smtp_host: text("smtp_host"),
            smtp_port: text("smtp_port"),
            security: Security::from_key(&text("security")).unwrap_or_default(),
            username: text("username"),
            password: String::new(),
            send_test_to: text("send_test_to"),
        };
        Ok(SavedConfig {
            version: row.try_get("version")?,
            form,
            client_secret: secret("client_secret", true),
            password: secret("password", false),
            saved_at: Some(text("saved_at")),
        })
    }

    /// The stored secrets, opened.
    pub async fn secrets(&self) -> Result<StoredSecrets, StoreError> {
        let row = sqlx::query(
            "SELECT client_secret_sealed, password_sealed FROM configuration WHERE id = 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(StoredSecrets::default());
        };
        let open = |purpose: &str, sealed: Option<Vec<u8>>| {
            sealed
                .map(|s| {
                    self.key
                        .open_secret(purpose, &s)
                        .map_err(|_| StoreError::Sealed)
                })
                .transpose()
        };
        Ok(StoredSecrets {
            client_secret: open(CLIENT_SECRET, row.try_get("client_secret_sealed")?)?,
            password: open(PASSWORD, row.try_get("password_sealed")?)?,
        })
    }

    /// Saves `form` if the stored version is still `base_version`, in one statement.
    /// The form's own secret fields are ignored: `client_secret` and `password` say what
    /// to do with each secret.
    pub async fn save(
        &self,
        form: &SmtpForm,
        client_secret: SecretChange<'_>,
        password: SecretChange<'_>,
        base_version: i64,
    ) -> Result<Saved, StoreError> {
        let sealed = |purpose: &str, change: &SecretChange<'_>| match change {
            SecretChange::Keep => Ok(None),
            SecretChange::Replace(value) => self
                .key
                .seal(purpose, value.as_bytes())
                .map(Some)
                .map_err(|_| StoreError::Sealed),
        };
        let length = |change: &SecretChange<'_>| match change {
            SecretChange::Keep => None,
            SecretChange::Replace(value) => i64::try_from(value.chars().count()).ok(),
        };
        let hint = match &client_secret {
            SecretChange::Keep => None,
            SecretChange::Replace(value) => Some(value.chars().take(3).collect::<String>()),
        };
        let result = sqlx::query(
            "INSERT INTO configuration (
                id, version, auth_type, cloud, email_address, name, tenant_id, smtp_user,
                object_id, smtp_host, smtp_port, security, username, send_test_to,
                client_secret_sealed, client_secret_hint, client_secret_length, client_secret_saved_at,
                password_sealed, password_length, password_saved_at, saved_at)
             VALUES (1, 1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,
                ?13, ?14, ?15, CASE WHEN ?13 IS NULL THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%SZ', 'now') END,
                ?16, ?17, CASE WHEN ?16 IS NULL THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%SZ', 'now') END,
                strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
             ON CONFLICT (id) DO UPDATE SET
                version = version + 1,
                auth_type = excluded.auth_type, cloud = excluded.cloud,
                email_address = excluded.email_address, name = excluded.name,
                tenant_id = excluded.tenant_id, smtp_user = excluded.smtp_user,
                object_id = excluded.object_id, smtp_host = excluded.smtp_host,
                smtp_port = excluded.smtp_port, security = excluded.security,
                username = excluded.username, send_test_to = excluded.send_test_to,
                client_secret_sealed = coalesce(excluded.client_secret_sealed, client_secret_sealed),
                client_secret_hint = coalesce(excluded.client_secret_hint, client_secret_hint),
                client_secret_length = coalesce(excluded.client_secret_length, client_secret_length),
                client_secret_saved_at = coalesce(excluded.client_secret_saved_at, client_secret_saved_at),
                password_sealed = coalesce(excluded.password_sealed, password_sealed),
                password_length = coalesce(excluded.password_length, password_length),
                password_saved_at = coalesce(excluded.password_saved_at, password_saved_at),
                saved_at = excluded.saved_at
             WHERE configuration.version = ?18",
        )
        .bind(form.auth_type.key())
        .bind(form.cloud.key())
        .bind(&form.email_address)
        .bind(&form.name)
        .bind(&form.tenant_id)
        .bind(&form.smtp_user)
        .bind(&form.object_id)
        .bind(&form.smtp_host)
        .bind(&form.smtp_port)
        .bind(form.security.key())
        .bind(&form.username)
        .bind(&form.send_test_to)
        .bind(sealed(CLIENT_SECRET, &client_secret)?)
        .bind(hint)
        .bind(length(&client_secret))
        .bind(sealed(PASSWORD, &password)?)
        .bind(length(&password))
        .bind(base_version)
        .execute(&self.pool)
        .await?;
        // One row: inserted (first save, from version 0) or updated (the version matched).
        // None: the stored version moved on, and nothing was written.
        if result.rows_affected() == 1 {
            return Ok(Saved::Done(Box::new(self.load().await?)));
        }
        let current_version = self.load().await?.version;
        Ok(Saved::Conflict { current_version })
    }

    pub async fn record_test(&self, entry: &HistoryEntry) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO test_history (at, auth_type, recipient, outcome, step, code, detail)
             VALUES (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), ?, ?, ?, ?, ?, ?)",
        )
        .bind(&entry.auth_type)
        .bind(&entry.recipient)
        .bind(if entry.sent { "sent" } else { "failed" })
        .bind(entry.step.map(|s| format!("{s:?}")))
        .bind(&entry.code)
        .bind(&entry.detail)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The last [`HISTORY_SHOWN`] tests, newest first.
    pub async fn history(&self) -> Result<Vec<HistoryEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT at, auth_type, recipient, outcome, step, code, detail
             FROM test_history ORDER BY id DESC LIMIT ?",
        )
        .bind(HISTORY_SHOWN)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|row| HistoryEntry {
                at: row.try_get("at").unwrap_or_default(),
                auth_type: row.try_get("auth_type").unwrap_or_default(),
                recipient: row.try_get("recipient").unwrap_or_default(),
                sent: row
                    .try_get::<String, _>("outcome")
                    .is_ok_and(|o| o == "sent"),
                step: row
                    .try_get::<Option<String>, _>("step")
                    .ok()
                    .flatten()
                    .and_then(|s| Step::ALL.into_iter().find(|step| format!("{step:?}") == s)),
                code: row.try_get("code").ok().flatten(),
                detail: row.try_get("detail").ok().flatten(),
            })
            .collect())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}
