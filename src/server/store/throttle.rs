//! Named rows that serialize work across instances: a transaction that starts by locking
//! one runs alone among those that lock the same name. On PostgreSQL the upsert takes the
//! row's lock until the transaction ends; on SQLite it makes the transaction the one
//! writer (it is the transaction's first statement, so it never has to upgrade a read).
//! Each row also holds an instant (`next_at`, Unix ms): the relay's pace.

/// Locks the row named `$1` (made on first use) and returns its `next_at`.
pub const LOCK: &str = "INSERT INTO throttle (name, next_at) VALUES ($1, 0)
     ON CONFLICT (name) DO UPDATE SET next_at = throttle.next_at
     RETURNING next_at";

/// Sets the locked row's `next_at` to `$2` (in the same transaction).
pub const SET_NEXT: &str = "UPDATE throttle SET next_at = $2 WHERE name = $1";
