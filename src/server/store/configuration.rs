//! The one saved configuration: its values, its secrets sealed, and what the page may
//! know of them (the first three characters of a client secret, as Entra shows it, the
//! length, when each was saved).

use std::time::SystemTime;

use crate::api::relay::utc;
use crate::api::saved::{SavedConfig, SecretFingerprint};
use crate::domain::{
    AuthType, CertificatePem, ClientSecret, Cloud, CredentialKind, PrivateKeyPem, SecretInput,
    Security, SmtpForm, SmtpPassword, StoredSecrets,
};
use crate::server::store::{known, Store, StoreError};
use crate::server::time::unix_millis;

/// Associated data of each sealed value (see [`crate::server::store::sealing`]).
const CLIENT_SECRET: &str = "client_secret";
const PASSWORD: &str = "password";
const PRIVATE_KEY: &str = "private_key";

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// A secret in a save: keep the stored one, or replace it with a new value.
pub enum SecretChange<'a> {
    Keep,
    Replace(&'a str),
}

pub enum Saved {
    Done(Box<SavedConfig>),
    Conflict { current_version: i64 },
}

#[derive(sqlx::FromRow)]
struct ConfigurationRow {
    version: i64,
    auth_type: String,
    cloud: String,
    email_address: String,
    name: String,
    tenant_id: String,
    client_id: String,
    object_id: String,
    smtp_host: String,
    smtp_port: String,
    security: String,
    username: String,
    send_test_to: String,
    monitor_to: String,
    credential: String,
    secret_expires: String,
    secret_expires_from_graph: bool,
    certificate: String,
    private_key_saved_at: Option<String>,
    client_secret_hint: Option<String>,
    client_secret_length: Option<i64>,
    client_secret_saved_at: Option<String>,
    password_length: Option<i64>,
    password_saved_at: Option<String>,
    saved_at: String,
}

/// The pending keys' index: a SHA-256 of the certificate's PEM, as the form holds it.
fn certificate_hash(certificate: &CertificatePem) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(certificate.as_str().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[derive(sqlx::FromRow)]
struct SealedRow {
    client_secret_sealed: Option<Vec<u8>>,
    password_sealed: Option<Vec<u8>>,
    private_key_sealed: Option<Vec<u8>>,
}

impl ConfigurationRow {
    fn into_saved(self) -> Result<SavedConfig, StoreError> {
        let form = SmtpForm {
            auth_type: known("auth_type", self.auth_type, AuthType::from_key)?,
            cloud: known("cloud", self.cloud, Cloud::from_key)?,
            email_address: self.email_address,
            name: self.name,
            tenant_id: self.tenant_id,
            client_id: self.client_id,
            credential: known("credential", self.credential, CredentialKind::from_key)?,
            client_secret: SecretInput::KeepStored,
            secret_expires: self.secret_expires,
            secret_expires_from_graph: self.secret_expires_from_graph,
            certificate: self.certificate,
            private_key: SecretInput::KeepStored,
            object_id: self.object_id,
            smtp_host: self.smtp_host,
            smtp_port: self.smtp_port,
            security: known("security", self.security, Security::from_key)?,
            username: self.username,
            password: SecretInput::KeepStored,
            send_test_to: self.send_test_to,
            monitor_to: self.monitor_to,
        };
        Ok(SavedConfig {
            version: self.version,
            form,
            client_secret: fingerprint(
                self.client_secret_hint,
                self.client_secret_length,
                self.client_secret_saved_at,
            )?,
            password: fingerprint(None, self.password_length, self.password_saved_at)?,
            private_key: fingerprint(None, Some(0), self.private_key_saved_at)?,
            certificate: None,
            expiry: None,
            saved_at: Some(self.saved_at),
        })
    }
}

/// A stored secret's fingerprint: present when its length and time are.
fn fingerprint(
    hint: Option<String>,
    length: Option<i64>,
    saved_at: Option<String>,
) -> Result<Option<SecretFingerprint>, StoreError> {
    let (Some(length), Some(saved_at)) = (length, saved_at) else {
        return Ok(None);
    };
    let length = u32::try_from(length).map_err(|_| StoreError::Unknown {
        column: "secret length",
        value: length.to_string(),
    })?;
    Ok(Some(SecretFingerprint {
        hint,
        length,
        saved_at,
    }))
}

impl Store {
    /// The saved configuration without its secrets (version 0 when nothing is saved).
    pub async fn load(&self) -> Result<SavedConfig, StoreError> {
        let row: Option<ConfigurationRow> = on_pool!(self, pool => {
            sqlx::query_as("SELECT * FROM configuration WHERE id = 1")
                .fetch_optional(pool)
                .await?
        });
        row.map_or_else(|| Ok(SavedConfig::default()), ConfigurationRow::into_saved)
    }

    /// The stored secrets, opened and parsed like typed ones. A stored secret that no
    /// longer passes its parse is left out, as if none were stored: the form then asks
    /// for it again.
    pub async fn secrets(&self) -> Result<StoredSecrets, StoreError> {
        let row: Option<SealedRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT client_secret_sealed, password_sealed, private_key_sealed
                 FROM configuration WHERE id = 1",
            )
            .fetch_optional(pool)
            .await?
        });
        let Some(row) = row else {
            return Ok(StoredSecrets::default());
        };
        Ok(StoredSecrets {
            client_secret: self.open_secret(
                CLIENT_SECRET,
                row.client_secret_sealed,
                ClientSecret::parse,
            )?,
            password: self.open_secret(PASSWORD, row.password_sealed, SmtpPassword::parse)?,
            // The saved certificate's key: what the saved configuration signs with.
            private_key: self.open_secret(
                PRIVATE_KEY,
                row.private_key_sealed,
                PrivateKeyPem::parse,
            )?,
        })
    }

    /// The private key kept for `certificate`: the saved one when it is the saved
    /// certificate, else one generated or opened here and not saved yet.
    pub async fn private_key_for(
        &self,
        certificate: &CertificatePem,
    ) -> Result<Option<PrivateKeyPem>, StoreError> {
        let saved: Option<(Option<Vec<u8>>,)> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT private_key_sealed FROM configuration WHERE id = 1 AND certificate = $1",
            )
            .bind(certificate.as_str())
            .fetch_optional(pool)
            .await?
        });
        if let Some((sealed @ Some(_),)) = saved {
            return self.open_secret(PRIVATE_KEY, sealed, PrivateKeyPem::parse);
        }
        let pending: Option<(Vec<u8>,)> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT private_key_sealed FROM pending_private_keys WHERE certificate_sha256 = $1",
            )
            .bind(certificate_hash(certificate))
            .fetch_optional(pool)
            .await?
        });
        self.open_secret(PRIVATE_KEY, pending.map(|(s,)| s), PrivateKeyPem::parse)
    }

    /// Whether `certificate` is the saved configuration's.
    pub async fn is_saved_certificate(
        &self,
        certificate: &CertificatePem,
    ) -> Result<bool, StoreError> {
        let found: Option<(i64,)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT version FROM configuration WHERE id = 1 AND certificate = $1")
                .bind(certificate.as_str())
                .fetch_optional(pool)
                .await?
        });
        Ok(found.is_some())
    }

    /// Keeps a key made or opened on this server until the configuration using its
    /// certificate is saved; keys left waiting for a day are dropped.
    pub async fn keep_pending_key(
        &self,
        certificate: &CertificatePem,
        key: &PrivateKeyPem,
    ) -> Result<(), StoreError> {
        let sealed = self.key.seal(PRIVATE_KEY, key.expose().as_bytes())?;
        let now = unix_millis(SystemTime::now());
        on_pool!(self, pool => {
            let mut transaction = pool.begin().await?;
            sqlx::query("DELETE FROM pending_private_keys WHERE created_at < $1")
                .bind(utc(now - DAY_MS))
                .execute(&mut *transaction)
                .await?;
            sqlx::query(
                "INSERT INTO pending_private_keys (certificate_sha256, private_key_sealed, created_at)
                 VALUES ($1, $2, $3)
                 ON CONFLICT (certificate_sha256) DO UPDATE SET
                    private_key_sealed = excluded.private_key_sealed, created_at = excluded.created_at",
            )
            .bind(certificate_hash(certificate))
            .bind(sealed)
            .bind(utc(now))
            .execute(&mut *transaction)
            .await?;
            transaction.commit().await?;
        });
        Ok(())
    }

    fn open_secret<T, E: std::fmt::Display>(
        &self,
        purpose: &str,
        sealed: Option<Vec<u8>>,
        parse: fn(&str) -> Result<T, E>,
    ) -> Result<Option<T>, StoreError> {
        let Some(sealed) = sealed else {
            return Ok(None);
        };
        let opened = self.key.open_secret(purpose, &sealed)?;
        Ok(parse(secrecy::ExposeSecret::expose_secret(&opened))
            .inspect_err(
                |error| tracing::warn!(purpose, %error, "a stored secret no longer parses"),
            )
            .ok())
    }

    /// Saves `form` if the stored version is still `base_version`, in one statement.
    /// The form's own secret fields are ignored: `client_secret` and `password` say what
    /// to do with each secret.
    pub async fn save(
        &self,
        form: &SmtpForm,
        client_secret: SecretChange<'_>,
        password: SecretChange<'_>,
        private_key: SecretChange<'_>,
        base_version: i64,
    ) -> Result<Saved, StoreError> {
        let sealed = |purpose: &str, change: &SecretChange<'_>| match change {
            SecretChange::Keep => Ok(None),
            SecretChange::Replace(value) => self.key.seal(purpose, value.as_bytes()).map(Some),
        };
        let length = |change: &SecretChange<'_>| match change {
            SecretChange::Keep => None,
            SecretChange::Replace(value) => i64::try_from(value.chars().count()).ok(),
        };
        let hint = match &client_secret {
            SecretChange::Keep => None,
            SecretChange::Replace(value) => Some(value.chars().take(3).collect::<String>()),
        };
        tracing::debug!(base_version, "saving the configuration");
        let now = utc(unix_millis(SystemTime::now()));
        let result = on_pool!(self, pool => {
        sqlx::query(
            "INSERT INTO configuration (
                id, version, auth_type, cloud, email_address, name, tenant_id, client_id,
                object_id, smtp_host, smtp_port, security, username, send_test_to,
                client_secret_sealed, client_secret_hint, client_secret_length, client_secret_saved_at,
                password_sealed, password_length, password_saved_at, saved_at,
                credential, secret_expires, certificate, private_key_sealed, private_key_saved_at,
                secret_expires_from_graph, monitor_to)
             VALUES (1, 1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
                $13, $14, $15, CASE WHEN $13 IS NULL THEN NULL ELSE $25 END,
                $16, $17, CASE WHEN $16 IS NULL THEN NULL ELSE $25 END,
                $25,
                $19, $20, $21, $22, CASE WHEN $22 IS NULL THEN NULL ELSE $25 END,
                $23, $24)
             ON CONFLICT (id) DO UPDATE SET
                version = configuration.version + 1,
                auth_type = excluded.auth_type, cloud = excluded.cloud,
                email_address = excluded.email_address, name = excluded.name,
                tenant_id = excluded.tenant_id, client_id = excluded.client_id,
                object_id = excluded.object_id, smtp_host = excluded.smtp_host,
                smtp_port = excluded.smtp_port, security = excluded.security,
                username = excluded.username, send_test_to = excluded.send_test_to,
                client_secret_sealed = coalesce(excluded.client_secret_sealed, configuration.client_secret_sealed),
                client_secret_hint = coalesce(excluded.client_secret_hint, configuration.client_secret_hint),
                client_secret_length = coalesce(excluded.client_secret_length, configuration.client_secret_length),
                client_secret_saved_at = coalesce(excluded.client_secret_saved_at, configuration.client_secret_saved_at),
                password_sealed = coalesce(excluded.password_sealed, configuration.password_sealed),
                password_length = coalesce(excluded.password_length, configuration.password_length),
                password_saved_at = coalesce(excluded.password_saved_at, configuration.password_saved_at),
                credential = excluded.credential, secret_expires = excluded.secret_expires,
                secret_expires_from_graph = excluded.secret_expires_from_graph,
                monitor_to = excluded.monitor_to,
                certificate = excluded.certificate,
                private_key_sealed = coalesce(excluded.private_key_sealed, configuration.private_key_sealed),
                private_key_saved_at = coalesce(excluded.private_key_saved_at, configuration.private_key_saved_at),
                saved_at = excluded.saved_at
             WHERE configuration.version = $18",
        )
        .bind(form.auth_type.key())
        .bind(form.cloud.key())
        .bind(&form.email_address)
        .bind(&form.name)
        .bind(&form.tenant_id)
        .bind(&form.client_id)
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
        .bind(form.credential.key())
        .bind(&form.secret_expires)
        // As the form's parse holds it, so that the key is found by the same text.
        .bind(CertificatePem::parse(&form.certificate).map_or_else(|_| form.certificate.clone(), |c| c.as_str().to_owned()))
        .bind(sealed(PRIVATE_KEY, &private_key)?)
        .bind(form.secret_expires_from_graph)
        .bind(&form.monitor_to)
        .bind(&now)
        .execute(pool)
        .await?
        .rows_affected()
        });
        // One row: inserted (first save, from version 0) or updated (the version matched).
        // None: the stored version moved on, and nothing was written.
        if result == 1 {
            return Ok(Saved::Done(Box::new(self.load().await?)));
        }
        let current_version = self.load().await?.version;
        Ok(Saved::Conflict { current_version })
    }
}
