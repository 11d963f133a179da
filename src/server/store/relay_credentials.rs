//! The relay's application credentials (names and Argon2id hashes, never a password) and
//! its also allowed senders.

use crate::api::relay::RelayCredential;
use crate::domain::SenderList;
use crate::server::store::{Store, StoreError};

impl Store {
    /// `false` when a credential of that name exists already.
    pub async fn add_credential(
        &self,
        name: &str,
        password_hash: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let added = on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO relay_credential (name, password_hash, created_at) VALUES ($1, $2, $3)
                 ON CONFLICT (name) DO NOTHING",
            )
            .bind(name)
            .bind(password_hash)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(added == 1)
    }

    pub async fn credential_hash(&self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar("SELECT password_hash FROM relay_credential WHERE name = $1")
                .bind(name)
                .fetch_optional(pool)
                .await?
        }))
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
        let rows: Vec<(String, i64, Option<i64>)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT name, created_at, last_used_at FROM relay_credential ORDER BY name")
                .fetch_all(pool)
                .await?
        });
        Ok(rows
            .into_iter()
            .map(|(name, created_at, last_used_at)| RelayCredential {
                name,
                created_at,
                last_used_at,
            })
            .collect())
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
