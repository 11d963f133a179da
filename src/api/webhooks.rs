//! The webhooks as the command line (and, later, the page) shows them: each endpoint, and
//! its deliveries with how each went.

use serde::{Deserialize, Serialize};

/// A registered endpoint (its secret is never shown again).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookEndpoint {
    pub id: String,
    pub url: String,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// Where one delivery is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    /// Given up: no 2xx within a day.
    Failed,
}

impl DeliveryStatus {
    pub fn key(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        [
            DeliveryStatus::Pending,
            DeliveryStatus::Delivered,
            DeliveryStatus::Failed,
        ]
        .into_iter()
        .find(|status| status.key() == key)
    }
}

/// One event on its way to one endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookDelivery {
    /// The `webhook-id` header: the same for each attempt.
    pub id: String,
    pub event: String,
    pub status: DeliveryStatus,
    pub attempts: i64,
    /// The endpoint's last answer (`200`, `500 …`), or why there was none.
    pub last_reply: Option<String>,
    /// Unix milliseconds.
    pub created_at: i64,
}
