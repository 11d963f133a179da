//! Whether the store has room. A write refused for lack of disk space (SQLite's
//! `SQLITE_FULL`, PostgreSQL's `53100 disk_full`, or `ENOSPC` from the file system) is
//! told as such to whoever submitted the message (`452 4.3.1`, HTTP 507), and `/healthz`
//! reports it from the first such refusal until a message is stored again: a retrying
//! application is what shows that space came back.

use std::sync::atomic::{AtomicI64, Ordering};

use super::{Store, StoreError};

/// ENOSPC on Linux.
const NO_SPACE: i32 = 28;

impl StoreError {
    /// Whether the database refused the write for lack of disk space.
    pub fn is_out_of_space(&self) -> bool {
        let StoreError::Sql(error) = self else {
            return false;
        };
        match error {
            sqlx::Error::Database(database) => {
                // SQLite's primary code 13 (its extended codes keep it in the low byte),
                // PostgreSQL's SQLSTATE class 53 item 100.
                let code = database.code().unwrap_or_default();
                code == "53100"
                    || code.parse::<i64>().is_ok_and(|c| c & 0xff == 13)
                    || database.message().contains("database or disk is full")
            }
            sqlx::Error::Io(io) => {
                io.raw_os_error() == Some(NO_SPACE) || io.kind() == std::io::ErrorKind::StorageFull
            }
            _ => false,
        }
    }
}

/// When a write was last refused for lack of space and nothing was stored since.
#[derive(Debug, Default)]
pub struct Room {
    /// Milliseconds since the epoch; 0: there is room.
    refused_since: AtomicI64,
}

impl Room {
    fn note<T>(&self, result: &Result<T, StoreError>, now_ms: i64) {
        match result {
            Ok(_) => self.refused_since.store(0, Ordering::Relaxed),
            Err(error) if error.is_out_of_space() => {
                crate::server::metrics::store_out_of_space();
                // The first refusal is the one the admin needs: keep it.
                let _ = self.refused_since.compare_exchange(
                    0,
                    now_ms.max(1),
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                );
            }
            Err(_) => {}
        }
    }
}

impl Store {
    /// Remembers whether a message's write found room (`enqueue` calls it).
    pub(super) fn note_room<T>(&self, result: &Result<T, StoreError>, now_ms: i64) {
        self.room.note(result, now_ms);
    }

    /// Since when (milliseconds since the epoch) writes are refused for lack of disk
    /// space; `None` while there is room.
    pub fn out_of_space_since(&self) -> Option<i64> {
        match self.room.refused_since.load(Ordering::Relaxed) {
            0 => None,
            since => Some(since),
        }
    }
}
