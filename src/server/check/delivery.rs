//! A relayed message delivered with the saved configuration: the test send's own steps
//! (token, inspection, STARTTLS, AUTH, envelope, DATA), its token retry and its diagnosis,
//! with the application's envelope and bytes in place of the test message.

use std::time::Duration;

use lettre::address::{Address, Envelope};

use crate::api::report::{Failure, Step};
use crate::domain::SendConfig;
use crate::server::check::outgoing::{
    reusable, Content, KeptConnection, Open, Outgoing, QUIT_BOUND,
};
use crate::server::check::{Checks, Recorder, StepFailed};
use crate::server::diagnosis;
use crate::server::smtp::SmtpError;

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
    /// Sends `message` (read a piece at a time) from `from` to `recipients` through
    /// `config`'s server; a failure carries the step and the server's words, as a test
    /// send's would.
    /// `version` is the saved configuration's: a connection `kept` from another one is
    /// closed instead of reused.
    pub async fn deliver(
        &self,
        kept: &KeptConnection,
        (config, version): (&SendConfig, i64),
        from: &str,
        recipients: &[String],
        message: Content<'_>,
    ) -> Result<(), Undelivered> {
        let envelope = envelope(from, recipients)
            .map_err(|e| Undelivered::Permanent(diagnosis::relay::unusable_envelope(&e)))?;
        let destination = self.destination(config);
        let server = destination.endpoint.to_string();
        let upload = Duration::from_secs(message.size() / SLOWEST_UPLOAD);
        let outgoing = Outgoing {
            destination,
            envelope,
            message,
            data_bound: self.timeouts.step + upload,
            keep: Some((kept, version)),
            context: diagnosis::smtp::Context {
                server: &server,
                mailbox: config.sender().mailbox.as_str(),
                auth: config.auth_type(),
            },
        };
        if let Some(open) = kept.take() {
            if reusable(open.version, version, open.messages, open.opened.elapsed()) {
                match self.send_again(open, &outgoing).await {
                    Ok(open) => {
                        kept.set(Some(open));
                        return Ok(());
                    }
                    // The server's verdict on this message.
                    Err(Some(failed)) => {
                        let failure = diagnosis::smtp::failure(&failed, &outgoing.context);
                        return Err(Undelivered::from_send(failure));
                    }
                    // The connection had died meanwhile: a new one below.
                    Err(None) => {}
                }
            } else {
                let mut open = open;
                let _ = tokio::time::timeout(QUIT_BOUND, open.session.quit()).await;
            }
        }
        let mut run = Recorder::new(Step::plan(config.auth_type()), DELIVERY_TOTAL);
        self.send_outgoing(&mut run, config, &outgoing)
            .await
            .map_err(Undelivered::from_send)
    }

    /// The envelope and DATA on a kept connection. `Err(Some)`: the server refused;
    /// `Err(None)`: the connection is gone (closed, reset, silent).
    async fn send_again(
        &self,
        mut open: Open,
        outgoing: &Outgoing<'_>,
    ) -> Result<Open, Option<StepFailed<SmtpError>>> {
        let bound = self.timeouts.step;
        let steps = [(Step::Envelope, bound), (Step::Data, outgoing.data_bound)];
        for (step, bound) in steps {
            let result = match step {
                Step::Envelope => {
                    tokio::time::timeout(bound, open.session.envelope(&outgoing.envelope)).await
                }
                _ => tokio::time::timeout(bound, outgoing.message.send(&mut open.session)).await,
            };
            match result {
                Ok(Ok(_)) => {}
                // 421: the server is closing the connection, not judging the message.
                Ok(Err(SmtpError::Refused(reply))) if reply.code == 421 => return Err(None),
                Ok(Err(error @ SmtpError::Refused(_))) => {
                    // RSET would be needed to go on; a new connection is simpler.
                    let _ = tokio::time::timeout(QUIT_BOUND, open.session.quit()).await;
                    return Err(Some(StepFailed { step, error }));
                }
                Ok(Err(_)) | Err(_) => return Err(None),
            }
        }
        open.messages += 1;
        Ok(open)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::report::Words;

    fn failure(step: Step, code: Option<&str>) -> Failure {
        Failure {
            step,
            field: None,
            summary: Words::default(),
            detail: String::new(),
            code: code.map(str::to_owned),
            fix: Words::default(),
            references: Vec::new(),
            entry: None,
        }
    }

    /// The rule docs/src/relay.md states: a 5xx to the message's envelope or content fails it for good;
    /// anything else (a 4xx, the network, TLS, a timeout, the token, the sign-in) waits
    /// and is retried.
    #[test]
    fn only_a_refusal_of_the_message_itself_is_permanent() {
        let permanent = |step, code| {
            matches!(
                Undelivered::from_send(failure(step, code)),
                Undelivered::Permanent(_)
            )
        };
        assert!(permanent(Step::Envelope, Some("550 5.1.10")));
        assert!(permanent(Step::Data, Some("554 5.2.252")));
        assert!(!permanent(Step::Data, Some("451 4.7.500")));
        assert!(!permanent(Step::Envelope, Some("421 4.7.0")));
        assert!(
            !permanent(Step::Data, None),
            "a dropped connection mid-DATA"
        );
        assert!(!permanent(Step::Authenticate, Some("535 5.7.3")));
        assert!(!permanent(Step::StartTls, None), "a TLS problem");
        assert!(!permanent(Step::Connect, None), "the network, a timeout");
        assert!(!permanent(Step::TokenRequest, Some("AADSTS7000215")));
    }
}
