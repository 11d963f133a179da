use leptos::prelude::*;

use super::codec::Json;
use super::saved::HistoryEntry;
use super::ApiError;

/// The last 20 test sends, newest first.
#[server(prefix = "/api", endpoint = "test_history", output = Json)]
pub async fn test_history() -> Result<Vec<HistoryEntry>, ApiError> {
    let ctx = super::context::server_context()?;
    Ok(ctx.state.store.history().await?)
}
