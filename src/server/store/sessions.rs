//! Admin sessions, shared by every instance on the database: the hash of each cookie and
//! when it expires. Signed in on one instance, an administrator is signed in on all.

use std::time::SystemTime;

use crate::server::store::{Store, StoreError};
use crate::server::time::unix_seconds;

impl Store {
    pub async fn remember_session(
        &self,
        key_hash: &[u8; 32],
        expires_at: SystemTime,
    ) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO session (key_hash, expires_at) VALUES ($1, $2)
                 ON CONFLICT (key_hash) DO UPDATE SET expires_at = excluded.expires_at",
            )
            .bind(key_hash.as_slice())
            .bind(unix_seconds(expires_at))
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    pub async fn forget_session(&self, key_hash: &[u8; 32]) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query("DELETE FROM session WHERE key_hash = $1")
                .bind(key_hash.as_slice())
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Whether the session is live at `now`.
    pub async fn is_live_session(
        &self,
        key_hash: &[u8; 32],
        now: SystemTime,
    ) -> Result<bool, StoreError> {
        let found: Option<i64> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT expires_at FROM session WHERE key_hash = $1 AND expires_at > $2")
                .bind(key_hash.as_slice())
                .bind(unix_seconds(now))
                .fetch_optional(pool)
                .await?
        });
        Ok(found.is_some())
    }

    /// Deletes the sessions expired at `now`.
    pub async fn forget_expired_sessions(&self, now: SystemTime) -> Result<u64, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query("DELETE FROM session WHERE expires_at <= $1")
                .bind(unix_seconds(now))
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }
}
