//! The relay's application credentials: names and Argon2id hashes, never a password.

use super::{Store, StoreError};
use crate::api::relay::RelayCredential;

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
