//! The relay's application credentials (names and Argon2id hashes, never a password) and
//! its also allowed senders.

use crate::api::relay::RelayCredential;
use crate::domain::{CredentialScope, SenderList};
use crate::server::store::{Store, StoreError};

impl Store {
    /// `false` when a credential of that name exists already.
    pub async fn add_credential(
        &self,
        name: &str,
        password_hash: &str,
        scope: &CredentialScope,
        now: i64,
    ) -> Result<bool, StoreError> {
        let (senders, clients, per_hour) = scope_columns(scope);
        let added = on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO relay_credential (name, password_hash, created_at, senders, clients, per_hour)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (name) DO NOTHING",
            )
            .bind(name)
            .bind(password_hash)
            .bind(now)
            .bind(senders)
            .bind(clients)
            .bind(per_hour)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(added == 1)
    }

    /// `false` when there is no such credential.
    pub async fn set_credential_scope(
        &self,
        name: &str,
        scope: &CredentialScope,
    ) -> Result<bool, StoreError> {
        let (senders, clients, per_hour) = scope_columns(scope);
        let changed = on_pool!(self, pool => {
            sqlx::query(
                "UPDATE relay_credential SET senders = $1, clients = $2, per_hour = $3 WHERE name = $4",
            )
            .bind(senders)
            .bind(clients)
            .bind(per_hour)
            .bind(name)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(changed == 1)
    }

    /// What credential `name` may do; `None` when there is no such credential.
    pub async fn credential_scope(
        &self,
        name: &str,
    ) -> Result<Option<CredentialScope>, StoreError> {
        let row: Option<ScopeRow> = on_pool!(self, pool => {
            sqlx::query_as("SELECT senders, clients, per_hour FROM relay_credential WHERE name = $1")
                .bind(name)
                .fetch_optional(pool)
                .await?
        });
        row.map(scope_from_columns).transpose()
    }

    /// How many messages `submitted_by` handed over since `since` (ms).
    pub async fn messages_submitted_since(
        &self,
        submitted_by: &str,
        since: i64,
    ) -> Result<u64, StoreError> {
        let count: i64 = on_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM outbox WHERE submitted_by = $1 AND accepted_at > $2",
            )
            .bind(submitted_by)
            .bind(since)
            .fetch_one(pool)
            .await?
        });
        Ok(u64::try_from(count).unwrap_or_default())
    }

    /// Credential `name`'s password hash and its limits, read together at each sign-in.
    pub async fn credential_hash(
        &self,
        name: &str,
    ) -> Result<Option<(String, CredentialScope)>, StoreError> {
        type Row = (String, Option<String>, Option<String>, Option<i64>);
        let row: Option<Row> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT password_hash, senders, clients, per_hour FROM relay_credential WHERE name = $1",
            )
            .bind(name)
            .fetch_optional(pool)
            .await?
        });
        row.map(|(hash, senders, clients, per_hour)| {
            Ok((hash, scope_from_columns((senders, clients, per_hour))?))
        })
        .transpose()
    }

    pub async fn credential_used(&self, name: &str, now: i64) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE relay_credential SET last_used_at = $1 WHERE name = $2")
                .bind(now)
                .bind(name)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    pub async fn credentials(&self) -> Result<Vec<RelayCredential>, StoreError> {
        type Row = (
            String,
            i64,
            Option<i64>,
            Option<String>,
            Option<String>,
            Option<i64>,
        );
        let rows: Vec<Row> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT name, created_at, last_used_at, senders, clients, per_hour
                   FROM relay_credential ORDER BY name",
            )
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(
                |(name, created_at, last_used_at, senders, clients, per_hour)| {
                    Ok(RelayCredential {
                        name,
                        created_at,
                        last_used_at,
                        scope: scope_from_columns((senders, clients, per_hour))?,
                    })
                },
            )
            .collect()
    }

    /// `false` when there was no such credential.
    pub async fn remove_credential(&self, name: &str) -> Result<bool, StoreError> {
        let removed = on_pool!(self, pool => {
            sqlx::query("DELETE FROM relay_credential WHERE name = $1")
                .bind(name)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(removed == 1)
    }
}

impl Store {
    /// The also allowed senders, in the order they were saved.
    pub async fn allowed_senders(&self) -> Result<SenderList, StoreError> {
        let rows: Vec<String> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT address FROM relay_sender ORDER BY position")
                .fetch_all(pool)
                .await?
        });
        SenderList::parse(&rows.join("\n")).map_err(|_| StoreError::Unknown {
            column: "relay_sender.address",
            value: rows.join(", "),
        })
    }

    /// Replaces the list, in one transaction.
    pub async fn set_allowed_senders(&self, senders: &SenderList) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM relay_sender")
                .execute(&mut *tx)
                .await?;
            for (position, address) in (0_i64..).zip(senders.addresses()) {
                sqlx::query("INSERT INTO relay_sender (address, position) VALUES ($1, $2)")
                    .bind(address.as_str().to_ascii_lowercase())
                    .bind(position)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }
}

type ScopeRow = (Option<String>, Option<String>, Option<i64>);

/// A scope as its columns: each limit that is off is NULL.
fn scope_columns(scope: &CredentialScope) -> (Option<String>, Option<String>, Option<i64>) {
    (
        scope.senders.as_ref().map(SenderList::to_text),
        scope
            .clients
            .as_ref()
            .map(crate::domain::IpRangeList::to_text),
        scope.per_hour.map(|quota| i64::from(quota.get())),
    )
}

/// The scope its columns hold, read with the same parse as the page's.
fn scope_from_columns(
    (senders, clients, per_hour): ScopeRow,
) -> Result<CredentialScope, StoreError> {
    let per_hour = per_hour.map(|n| n.to_string());
    CredentialScope::parse(
        senders.as_deref().unwrap_or_default(),
        clients.as_deref().unwrap_or_default(),
        per_hour.as_deref().unwrap_or_default(),
    )
    .map_err(|error| StoreError::Unknown {
        column: "relay_credential scope",
        value: error.to_string(),
    })
}
