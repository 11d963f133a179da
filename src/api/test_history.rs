use leptos::prelude::*;

use crate::saved::HistoryEntry;

/// The last 20 test sends, newest first.
#[server(prefix = "/api", endpoint = "test_history")]
pub async fn test_history() -> Result<Vec<HistoryEntry>, ServerFnError> {
    let ctx = super::context::server_context()?;
    ctx.store
        .history()
        .await
        .map_err(|e| ServerFnError::new(e.to_string()))
}
