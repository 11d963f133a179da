//! The relay's application credentials (names and Argon2id hashes, never a password) and
//! its also allowed senders.

use super::{Store, StoreError};
use crate::api::relay::RelayCredential;
use crate::domain::SenderList;

impl Store {
    /// `false` when a credential of that name exists already.
    pub async fn add_credential(
        &self,
        name: &str,
        password_hash: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        Ok(sqlx::query(
            "INSERT INTO relay_credential (name, password_hash, created_at) VALUES (?, ?, ?)
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(password_hash)
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1)
    }

    pub async fn credential_hash(&self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT password_hash FROM relay_credential WHERE name = ?")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn credential_used(&self, name: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE relay_credential SET last_used_at = ? WHERE name = ?")
            .bind(now)
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn credentials(&self) -> Result<Vec<RelayCredential>, StoreError> {
        let rows: Vec<(String, i64, Option<i64>)> = sqlx::query_as(
            "SELECT name, created_at, last_used_at FROM relay_credential ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await?;
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
        Ok(sqlx::query("DELETE FROM relay_credential WHERE name = ?")
            .bind(name)
            .execute(&self.pool)
            .await?
            .rows_affected()
            == 1)
    }
}

impl Store {
    /// The also allowed senders, in the order they were saved.
    pub async fn allowed_senders(&self) -> Result<SenderList, StoreError> {
        let rows: Vec<String> =
            sqlx::query_scalar("SELECT address FROM relay_sender ORDER BY rowid")
                .fetch_all(&self.pool)
                .await?;
        SenderList::parse(&rows.join("\n")).map_err(|_| StoreError::Unknown {
            column: "relay_sender.address",
            value: rows.join(", "),
        })
    }

    /// Replaces the list, in one transaction.
    pub async fn set_allowed_senders(&self, senders: &SenderList) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM relay_sender")
            .execute(&mut *tx)
            .await?;
        for address in senders.addresses() {
            sqlx::query("INSERT INTO relay_sender (address) VALUES (?)")
                .bind(address.as_str().to_ascii_lowercase())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
