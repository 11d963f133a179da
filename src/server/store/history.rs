//! The test history: every check that reached a server, never a secret or a token.

use std::time::SystemTime;

use crate::api::relay::utc;
use crate::api::report::{Step, TestKind};
use crate::api::saved::HistoryEntry;
use crate::domain::AuthType;
use crate::server::store::{known, words_from_column, words_to_column, Store, StoreError};
use crate::server::time::unix_millis;

/// How many past tests the page shows.
pub const HISTORY_SHOWN: u32 = 20;

const PASSED: &str = "passed";
const FAILED: &str = "failed";

#[derive(sqlx::FromRow)]
struct HistoryRow {
    at: String,
    kind: String,
    auth_type: String,
    recipient: String,
    outcome: String,
    step: Option<String>,
    code: Option<String>,
    detail: Option<String>,
}

impl HistoryRow {
    fn into_entry(self) -> Result<HistoryEntry, StoreError> {
        let passed = match self.outcome.as_str() {
            PASSED => true,
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
            kind: known("kind", self.kind, TestKind::from_key)?,
            auth_type: known("auth_type", self.auth_type, AuthType::from_key)?,
            recipient: self.recipient,
            passed,
            step: self
                .step
                .map(|step| known("step", step, Step::from_key))
                .transpose()?,
            code: self.code,
            summary: self.detail.map(words_from_column),
        })
    }
}

impl Store {
    /// Records `entry` as made at `at`.
    pub async fn record_test(
        &self,
        entry: &HistoryEntry,
        at: SystemTime,
    ) -> Result<(), StoreError> {
        let now = utc(unix_millis(at));
        on_pool!(self, pool => {
        sqlx::query(
            "INSERT INTO test_history (at, kind, auth_type, recipient, outcome, step, code, detail)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&now)
        .bind(entry.kind.key())
        .bind(entry.auth_type.key())
        .bind(&entry.recipient)
        .bind(if entry.passed { PASSED } else { FAILED })
        .bind(entry.step.map(Step::key))
        .bind(&entry.code)
        .bind(words_to_column(entry.summary.as_ref()))
        .execute(pool)
        .await?;
        });
        Ok(())
    }

    /// Whether a check of `kind` was recorded in the 24 hours before `now`.
    pub async fn recorded_within_a_day(
        &self,
        kind: TestKind,
        now: SystemTime,
    ) -> Result<bool, StoreError> {
        let day_ago = utc(unix_millis(now) - 24 * 60 * 60 * 1000);
        let found: Option<(String,)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT at FROM test_history WHERE kind = $1 AND at > $2 LIMIT 1")
                .bind(kind.key())
                .bind(&day_ago)
                .fetch_optional(pool)
                .await?
        });
        Ok(found.is_some())
    }

    /// The last [`HISTORY_SHOWN`] tests, newest first.
    pub async fn history(&self) -> Result<Vec<HistoryEntry>, StoreError> {
        let rows: Vec<HistoryRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT at, kind, auth_type, recipient, outcome, step, code, detail
                 FROM test_history ORDER BY id DESC LIMIT $1",
            )
            .bind(i64::from(HISTORY_SHOWN))
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(HistoryRow::into_entry).collect()
    }
}
