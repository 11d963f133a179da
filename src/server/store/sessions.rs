//! Admin sessions kept across restarts: the hash of each cookie and when it expires.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{Store, StoreError};
use crate::server::clock::unix_seconds;

impl Store {
    pub async fn remember_session(
        &self,
        key_hash: &[u8; 32],
        expires_at: SystemTime,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT OR REPLACE INTO session (key_hash, expires_at) VALUES (?, ?)")
            .bind(key_hash.as_slice())
            .bind(unix_seconds(expires_at))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn forget_session(&self, key_hash: &[u8; 32]) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM session WHERE key_hash = ?")
            .bind(key_hash.as_slice())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The sessions still valid at `now`; expired ones are deleted on the way.
    pub async fn live_sessions(
        &self,
        now: SystemTime,
    ) -> Result<Vec<([u8; 32], SystemTime)>, StoreError> {
        let now = unix_seconds(now);
        sqlx::query("DELETE FROM session WHERE expires_at <= ?")
            .bind(now)
            .execute(&self.pool)
            .await?;
        let rows: Vec<(Vec<u8>, i64)> = sqlx::query_as("SELECT key_hash, expires_at FROM session")
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter()
            .map(|(key, expires)| {
                let unknown =
                    |column: &'static str, value: String| StoreError::Unknown { column, value };
                let key = <[u8; 32]>::try_from(key.as_slice())
                    .map_err(|_| unknown("session key_hash", format!("{} bytes", key.len())))?;
                let seconds = u64::try_from(expires)
                    .map_err(|_| unknown("session expires_at", expires.to_string()))?;
                Ok((key, UNIX_EPOCH + Duration::from_secs(seconds)))
            })
            .collect()
    }
}
