//! The relay: business applications send through the saved configuration, over SMTP
//! (`inbound`) or the HTTP API (`edge::web::relay_api`). Either way a message is checked
//! once as it arrives ([`Relay::receive`]: the sender rule, the size), completed, and
//! written to the outbox before the application hears "queued"; the `worker` then sends
//! it to Exchange with the saved configuration, retrying what may pass later.

pub mod credentials;
pub mod inbound;
pub mod incoming;
pub mod message;
pub mod submitter;
pub mod worker;

use std::sync::Arc;
use std::time::SystemTime;

use tokio::sync::Notify;

use self::credentials::RelayAuth;
use crate::api::relay::{RelayOverview, Retention};
use crate::domain::{MailboxAddress, SenderList};
use crate::server::config::relay::RelaySettings;
use crate::server::store::sealing::random_bytes;
use crate::server::store::{Store, StoreError};
use crate::server::time::unix_millis;

/// What the listener, the API and the worker share.
pub struct Relay {
    pub store: Arc<Store>,
    /// Where the SMTP listener is bound; `None` when it is off.
    pub smtp_address: Option<std::net::SocketAddr>,
    pub auth: RelayAuth,
    pub settings: RelaySettings,
    /// How long messages are kept (`server::retention` drops them), for the page.
    pub retention: Retention,
    /// Rung when a message is queued or made due, so the worker need not poll.
    pub wake: Notify,
}

/// Exchange Online's recipients per message: over SMTP a further RCPT TO is refused, and
/// a message through the HTTP API with more is refused whole.
pub const MAX_RECIPIENTS: usize = 500;

/// Why the relay would not take a message. Each has its SMTP reply and its HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("no configuration is saved yet: save one on the page, then send again")]
    NoConfiguration,
    #[error("{found} may not send through this relay; the sender must be {allowed}")]
    ForeignSender { found: String, allowed: String },
    #[error(
        "the Sender header names {found}, which may not send through this relay; the sender \
         must be {allowed}"
    )]
    ForeignSenderHeader { found: String, allowed: String },
    #[error(
        "credential {credential} may send only as {allowed}, not as {found}: use one of those, \
         or widen the credential's senders on the page"
    )]
    SenderOutsideCredential {
        credential: String,
        found: String,
        allowed: String,
    },
    #[error(
        "credential {credential} has handed over its {per_hour} messages of the last hour, its \
         quota: try again later"
    )]
    QuotaReached { credential: String, per_hour: u32 },
    #[error("the message has no From header")]
    NoFromHeader,
    #[error("the message is larger than this relay's limit of {limit} bytes")]
    TooLarge { limit: usize },
    #[error("the message's header section is larger than this relay's limit of {limit} bytes")]
    HeadTooLarge { limit: usize },
    #[error("the message has no recipient in To, Cc or Bcc")]
    NoRecipients,
    #[error(
        "the message has more than {limit} recipients, Exchange Online's limit per message: \
         send it as several messages"
    )]
    TooManyRecipients { limit: usize },
    #[error("the message cannot be stored: {0}")]
    Store(#[from] StoreError),
}

impl Refusal {
    /// What the application is told. A store failure is logged whole here and told only
    /// as "try again later".
    pub fn words(&self) -> String {
        match self {
            Refusal::Store(error) if error.is_out_of_space() => {
                tracing::error!(%error, "a message could not be queued: the disk is full");
                "Insufficient system storage: the relay's disk is full, so the message was \
                 not stored; send it again later"
                    .to_owned()
            }
            Refusal::Store(error) => {
                tracing::error!(%error, "a message could not be queued");
                "the message could not be stored; try again later".to_owned()
            }
            other => other.to_string(),
        }
    }
}

/// The senders a message may have: the configured mailbox and the also allowed senders
/// (compared case-insensitively).
pub struct AllowedSenders {
    mailbox: MailboxAddress,
    also: SenderList,
    /// The configured Name, for the From of messages the API composes.
    display_name: String,
}

impl AllowedSenders {
    pub fn check(&self, address: &str) -> Result<(), Refusal> {
        if address.eq_ignore_ascii_case(self.mailbox.as_str()) || self.also.contains(address) {
            Ok(())
        } else {
            Err(Refusal::ForeignSender {
                found: if address.is_empty() {
                    "the empty sender <>".to_owned()
                } else {
                    address.to_owned()
                },
                allowed: if self.also.addresses().is_empty() {
                    self.mailbox.as_str().to_owned()
                } else {
                    format!("{} or one of the also allowed senders", self.mailbox)
                },
            })
        }
    }

    pub fn mailbox(&self) -> &MailboxAddress {
        &self.mailbox
    }

    pub fn display_name(&self) -> &str {
        &self.display_name
    }

    pub(super) fn domain(&self) -> &str {
        self.mailbox
            .as_str()
            .rsplit_once('@')
            .map_or("localhost", |(_, domain)| domain)
    }
}

impl Relay {
    pub fn new(
        store: Arc<Store>,
        settings: RelaySettings,
        smtp_address: Option<std::net::SocketAddr>,
    ) -> Self {
        Self {
            auth: RelayAuth::new(store.clone()),
            store,
            smtp_address,
            settings,
            retention: Retention::default(),
            wake: Notify::new(),
        }
    }

    /// With `retention`, which the page shows (the defaults otherwise).
    pub fn kept_for(self, retention: Retention) -> Self {
        Self { retention, ..self }
    }

    /// The saved configuration's sender; `NoConfiguration` before the first save.
    pub async fn allowed_senders(&self) -> Result<AllowedSenders, Refusal> {
        let saved = self.store.load().await?;
        if saved.version == 0 {
            return Err(Refusal::NoConfiguration);
        }
        let mailbox = MailboxAddress::parse(&saved.form.email_address)
            .map_err(|_| Refusal::NoConfiguration)?;
        let also = self.store.allowed_senders().await?;
        Ok(AllowedSenders {
            mailbox,
            also,
            display_name: saved.form.name,
        })
    }
}

impl Relay {
    /// The page's "Retry now": a waiting or failed message is due at once. `false`: no
    /// such message, or it is being sent or was sent.
    pub async fn retry_now(&self, id: &str) -> Result<bool, StoreError> {
        let due = self
            .store
            .retry_now(id, unix_millis(SystemTime::now()))
            .await?;
        if due {
            self.wake.notify_one();
        }
        Ok(due)
    }
}

/// How many messages the page's Outbox lists.
pub const OUTBOX_SHOWN: u32 = 50;

impl Relay {
    /// The page's Relay section; `base_url` is how administrators reach this server.
    pub async fn overview(&self, base_url: &str) -> Result<RelayOverview, StoreError> {
        let saved = self.store.load().await?;
        Ok(RelayOverview {
            smtp_address: self.smtp_address.map(|a| a.to_string()),
            api_url: format!("{}/api/v1/messages", base_url.trim_end_matches('/')),
            mailbox: saved.form.email_address,
            also_allowed: self.store.allowed_senders().await?.to_text(),
            credentials: self.store.credentials().await?,
            outbox: self.store.recent_outbox(OUTBOX_SHOWN).await?,
            webhooks: self.store.webhooks().await?,
            retention: self.retention,
        })
    }
}

/// The id applications and the page see: 128 random bits in hex.
pub(super) fn new_message_id() -> Result<String, StoreError> {
    let bytes = random_bytes::<16>()?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
