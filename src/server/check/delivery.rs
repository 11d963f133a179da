//! A relayed message delivered with the saved configuration: the test send's own steps
//! (token, inspection, STARTTLS, AUTH, envelope, DATA), its token retry and its diagnosis,
//! with the application's envelope and bytes in place of the test message.

use std::time::Duration;

use lettre::address::{Address, Envelope};

use super::test_send::Outgoing;
use super::{Checks, Recorder};
use crate::api::report::{Failure, Step};
use crate::domain::SendConfig;
use crate::server::diagnosis;

/// One delivery may take this long in all, token included.
const DELIVERY_TOTAL: Duration = Duration::from_secs(300);
/// The slowest upload rate a DATA step is given time for, in bytes per second.
const SLOWEST_UPLOAD: u64 = 100 * 1024;

/// Why a message did not go, and whether trying again may help.
#[derive(Debug)]
pub enum Undelivered {
    /// Exchange refused this message (a 5xx to its envelope or content), or it can never
    /// be sent as it is.
    Permanent(Failure),
    /// Anything else: the network, a busy server (4xx), the token, the sign-in. The
    /// configuration may be fixed meanwhile; the message waits.
    Temporary(Failure),
}

impl Undelivered {
    pub fn failure(&self) -> &Failure {
        match self {
            Undelivered::Permanent(failure) | Undelivered::Temporary(failure) => failure,
        }
    }

    fn from_send(failure: Failure) -> Self {
        let about_the_message = matches!(failure.step, Step::Envelope | Step::Data);
        let refused_for_good = failure.code.as_deref().is_some_and(|c| c.starts_with('5'));
        if about_the_message && refused_for_good {
            Undelivered::Permanent(failure)
        } else {
            Undelivered::Temporary(failure)
        }
    }
}

impl Checks {
    /// Sends `message` from `from` to `recipients` through `config`'s server; a failure
    /// carries the step and the server's words, as a test send's would.
    pub async fn deliver(
        &self,
        config: &SendConfig,
        from: &str,
        recipients: &[String],
        message: Vec<u8>,
    ) -> Result<(), Undelivered> {
        let mut run = Recorder::new(Step::plan(config.auth_type()), DELIVERY_TOTAL);
        let envelope = envelope(from, recipients)
            .map_err(|e| Undelivered::Permanent(diagnosis::relay::unusable_envelope(&e)))?;
        let destination = self.destination(config);
        let server = destination.endpoint.to_string();
        let upload = Duration::from_secs(message.len() as u64 / SLOWEST_UPLOAD);
        let outgoing = Outgoing {
            destination,
            envelope,
            message,
            data_bound: self.timeouts.step + upload,
            context: diagnosis::smtp::Context {
                server: &server,
                mailbox: config.sender().mailbox.as_str(),
                auth: config.auth_type(),
            },
        };
        self.send_outgoing(&mut run, config, &outgoing)
            .await
            .map_err(Undelivered::from_send)
    }
}

#[derive(Debug, thiserror::Error)]
enum EnvelopeError {
    #[error("{address:?} is not an address: {source}")]
    Address {
        address: String,
        #[source]
        source: lettre::address::AddressError,
    },
    #[error(transparent)]
    Envelope(#[from] lettre::error::Error),
}

fn envelope(from: &str, recipients: &[String]) -> Result<Envelope, EnvelopeError> {
    let parse = |text: &str| {
        text.parse::<Address>()
            .map_err(|source| EnvelopeError::Address {
                address: text.to_owned(),
                source,
            })
    };
    let recipients = recipients
        .iter()
        .map(|r| parse(r))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Envelope::new(Some(parse(from)?), recipients)?)
}
