//! The scheduled check of the saved configuration: a fresh token (never the cache's:
//! the point is that Entra still accepts the credential) inspected for
//! `SMTP.SendAsApp`. No mail is sent and no mail server is contacted.

use crate::api::report::{Step, TestOutcome, TestReport};
use crate::domain::{SmtpForm, StoredSecrets};
use crate::server::check::token::TokenSource;
use crate::server::check::{failed, Checks};
use crate::server::microsoft::token_inspection::SMTP_ROLE;

impl Checks {
    pub async fn credential_check(&self, form: &SmtpForm, stored: &StoredSecrets) -> TestReport {
        self.microsoft_only(
            &Step::CREDENTIAL_CHECK,
            form,
            stored,
            |mut run, config| async move {
                let mailbox = config.sender.mailbox.to_string();
                let outcome = match self.tokens.target(&config) {
                    Err(error) => failed("scheduled check", error.into()),
                    Ok(target) => match self
                        .tokens
                        .ready(&mut run, &config, &target, SMTP_ROLE, TokenSource::Fresh)
                        .await
                    {
                        Ok(_) => TestOutcome::TokenIssued { mailbox },
                        Err(attempted) => failed("scheduled check", attempted.failure),
                    },
                };
                (run, outcome)
            },
        )
        .await
    }
}
