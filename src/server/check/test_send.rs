//! The test send: the form parsed against the stored secrets, a token and its
//! inspection (Microsoft OAuth2), then the SMTP dialogue up to the server accepting the
//! message. Returns the report the page renders; never an `Err` the page would have to
//! guess about.

use std::time::SystemTime;

use crate::api::report::{Failure, Step, TestOutcome, TestReport};
use crate::domain::{SendConfig, SmtpForm, StoredSecrets};
use crate::server::check::outgoing::{Content, Outgoing};
use crate::server::check::test_message;
use crate::server::check::{every_field_valid, failed, Checks, Recorder};
use crate::server::diagnosis;

impl Checks {
    /// The whole test: one parse of the form (an empty secret field takes the stored
    /// secret), then the steps of its authentication type.
    pub async fn send_test(&self, form: &SmtpForm, stored: &StoredSecrets) -> TestReport {
        let mut run = Recorder::new(Step::plan(form.auth_type), self.timeouts.total);
        let parsed = form
            .parse(stored)
            .map(|config| (config, every_field_valid()));
        let (outcome, recipient) = match run.record(Step::Inputs, parsed) {
            Err(refused) => {
                let errors = refused.error;
                tracing::info!(fields = ?errors.labels(), "test send refused: invalid input");
                (TestOutcome::Invalid(errors), None)
            }
            Ok(config) => {
                let recipient = config.sender().recipient.to_string();
                let outcome = match self.send(&mut run, &config).await {
                    Ok(()) => {
                        tracing::info!(%recipient, "test email sent");
                        TestOutcome::Sent {
                            recipient: recipient.clone(),
                        }
                    }
                    Err(failure) => failed("test send", failure),
                };
                (outcome, Some(recipient))
            }
        };
        run.report(outcome, recipient)
    }

    async fn send(&self, run: &mut Recorder, config: &SendConfig) -> Result<(), Failure> {
        let destination = self.destination(config);
        let server = destination.endpoint.to_string();
        let email = test_message::build(&test_message::Context {
            config,
            smtp_server: server.clone(),
            sent_at: SystemTime::now(),
        })
        .map_err(|e| diagnosis::internal(Step::Inputs, &e))?;
        let outgoing = Outgoing {
            destination,
            envelope: email.envelope().clone(),
            message: Content::Whole(email.formatted()),
            data_bound: self.timeouts.step,
            keep: None,
            context: diagnosis::smtp::Context {
                server: &server,
                mailbox: config.sender().mailbox.as_str(),
                auth: config.auth_type(),
            },
        };
        self.send_outgoing(run, config, &outgoing).await
    }
}
