//! The test history: every test that reached a server, never a secret or a token.

use super::{known, Store, StoreError};
use crate::api::report::Step;
use crate::api::saved::HistoryEntry;
use crate::domain::AuthType;

/// How many past tests the page shows.
pub const HISTORY_SHOWN: u32 = 20;

const SENT: &str = "sent";
const FAILED: &str = "failed";

#[derive(sqlx::FromRow)]
struct HistoryRow {
    at: String,
    auth_type: String,
    recipient: String,
    outcome: String,
    step: Option<String>,
    code: Option<String>,
    detail: Option<String>,
}

impl HistoryRow {
    fn into_entry(self) -> Result<HistoryEntry, StoreError> {
        let sent = match self.outcome.as_str() {
            SENT => true,
            FAILED => false,
            _ => {
                return Err(StoreError::Unknown {
                    column: "outcome",
                    value: self.outcome,
                })
            }
        };
        Ok(HistoryEntry {
            at: self.at,
            auth_type: known("auth_type", self.auth_type, AuthType::from_key)?,
            recipient: self.recipient,
            sent,
            step: self
                .step
                .map(|step| known("step", step, Step::from_key))
                .transpose()?,
            code: self.code,
            detail: self.detail,
        })
    }
}

impl Store {
    pub async fn record_test(&self, entry: &HistoryEntry) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO test_history (at, auth_type, recipient, outcome, step, code, detail)
             VALUES (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), ?, ?, ?, ?, ?, ?)",
        )
        .bind(entry.auth_type.key())
        .bind(&entry.recipient)
        .bind(if entry.sent { SENT } else { FAILED })
        .bind(entry.step.map(Step::key))
        .bind(&entry.code)
        .bind(&entry.detail)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The last [`HISTORY_SHOWN`] tests, newest first.
    pub async fn history(&self) -> Result<Vec<HistoryEntry>, StoreError> {
        let rows: Vec<HistoryRow> = sqlx::query_as(
            "SELECT at, auth_type, recipient, outcome, step, code, detail
             FROM test_history ORDER BY id DESC LIMIT ?",
        )
        .bind(HISTORY_SHOWN)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(HistoryRow::into_entry).collect()
    }
}
