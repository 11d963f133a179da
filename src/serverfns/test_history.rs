use leptos::prelude::*;

use crate::api::codec::Json;
use crate::api::saved::HistoryEntry;
use crate::api::ApiError;

/// The last 20 test sends, newest first.
#[server(prefix = "/api", endpoint = "test_history", output = Json)]
pub async fn test_history() -> Result<Vec<HistoryEntry>, ApiError> {
    let ctx = crate::serverfns::context::server_context()?;
    Ok(ctx.state.store.history().await?)
}
