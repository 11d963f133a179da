//! Who hands a message over, and what it may do: a relay credential with its limits (the
//! senders it may use, the client addresses it may connect from, its messages an hour),
//! or a client address allowed without AUTH, which only the relay's own rules bind.

use std::net::IpAddr;
use std::time::Duration;

use super::credentials::CredentialName;
use super::{AllowedSenders, Refusal};
use crate::domain::CredentialScope;
use crate::server::store::Store;

/// The window of the hourly quota, in milliseconds.
const HOUR_MS: i64 = 60 * 60 * 1000;
/// When a refused application may try again: the quota's window slides.
pub const QUOTA_RETRY: Duration = Duration::from_secs(60);

#[derive(Clone, Debug)]
pub struct Submitter {
    /// The credential's name, or `ip:<address>` (the outbox's `submitted_by`).
    submitted_by: String,
    credential: Option<CredentialName>,
    scope: CredentialScope,
}

impl Submitter {
    pub fn credential(name: CredentialName, scope: CredentialScope) -> Self {
        Self {
            submitted_by: name.as_str().to_owned(),
            credential: Some(name),
            scope,
        }
    }

    pub fn allowed_address(ip: IpAddr) -> Self {
        Self {
            submitted_by: format!("ip:{ip}"),
            credential: None,
            scope: CredentialScope::default(),
        }
    }

    pub fn submitted_by(&self) -> &str {
        &self.submitted_by
    }

    /// A sender (the envelope's, a From, a Sender): one the relay allows, and one this
    /// credential may use.
    pub fn check_sender(&self, senders: &AllowedSenders, address: &str) -> Result<(), Refusal> {
        senders.check(address)?;
        match (&self.credential, &self.scope.senders) {
            (Some(name), Some(own)) if !own.contains(address) => {
                Err(Refusal::SenderOutsideCredential {
                    credential: name.as_str().to_owned(),
                    found: address.to_owned(),
                    allowed: own.to_text().replace('\n', ", "),
                })
            }
            _ => Ok(()),
        }
    }

    /// Whether another message fits in the credential's hourly quota (counted over the
    /// outbox, by every instance together; messages handed over at the same moment may
    /// pass it by a few).
    pub async fn check_quota(&self, store: &Store, now: i64) -> Result<(), Refusal> {
        let (Some(name), Some(quota)) = (&self.credential, self.scope.per_hour) else {
            return Ok(());
        };
        let sent = store
            .messages_submitted_since(&self.submitted_by, now - HOUR_MS)
            .await?;
        if sent >= u64::from(quota.get()) {
            return Err(Refusal::QuotaReached {
                credential: name.as_str().to_owned(),
                per_hour: quota.get(),
            });
        }
        Ok(())
    }
}
