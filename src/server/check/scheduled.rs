//! The scheduled check of the saved configuration: a fresh token (never the cache's:
//! the point is that Entra still accepts the credential) inspected for
//! `SMTP.SendAsApp`. No mail is sent and no mail server is contacted.

use super::token::TokenSource;
use super::{every_field_valid, failed, Checks, Recorder};
use crate::api::report::{Step, TestOutcome, TestReport};
use crate::domain::{SendConfig, SmtpForm, StoredSecrets};
use crate::server::diagnosis;
use crate::server::token_inspection::SMTP_ROLE;

impl Checks {
    pub async fn credential_check(&self, form: &SmtpForm, stored: &StoredSecrets) -> TestReport {
        let mut run = Recorder::new(&Step::CREDENTIAL_CHECK, self.timeouts.total);
        let parsed = form
            .parse(stored)
            .map(|config| (config, every_field_valid()));
        let (outcome, mailbox) = match run.record(Step::Inputs, parsed) {
            Err(refused) => (TestOutcome::Invalid(refused.error), None),
            Ok(SendConfig::Password(config)) => (
                TestOutcome::Failed(diagnosis::imap::needs_microsoft()),
                Some(config.sender.mailbox.to_string()),
            ),
            Ok(SendConfig::MicrosoftOAuth2(config)) => {
                let mailbox = config.sender.mailbox.to_string();
                let outcome = match self.tokens.target(&config) {
                    Err(error) => failed("scheduled check", error.into()),
                    Ok(target) => match self
                        .tokens
                        .ready(&mut run, &config, &target, SMTP_ROLE, TokenSource::Fresh)
                        .await
                    {
                        Ok(_) => TestOutcome::TokenIssued {
                            mailbox: mailbox.clone(),
                        },
                        Err(attempted) => failed("scheduled check", attempted.failure),
                    },
                };
                (outcome, Some(mailbox))
            }
        };
        run.report(outcome, mailbox)
    }
}
