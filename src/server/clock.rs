//! Instants as the store, the tokens and the assertions write them: whole seconds or
//! milliseconds since the Unix epoch (0 before it, `i64::MAX` past its range).

use std::time::{SystemTime, UNIX_EPOCH};

pub fn unix_seconds(at: SystemTime) -> i64 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

pub fn unix_millis(at: SystemTime) -> i64 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
