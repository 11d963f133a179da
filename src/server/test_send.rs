//! A whole test send: parse the form, get a token, send the message. Returns the
//! outcome the page renders; never an `Err` the page would have to guess about.

use std::time::SystemTime;

use super::config::{ServerSettings, Timeouts};
use super::deadline::Deadline;
use super::diagnosis;
use super::entra::TokenClient;
use super::message;
use super::smtp::SmtpClient;
use crate::domain::MicrosoftOAuthForm;
use crate::report::{Failure, Step, TestOutcome};

pub struct TestSender {
    tokens: TokenClient,
    smtp: SmtpClient,
    authority: String,
    timeouts: Timeouts,
}

impl TestSender {
    pub fn new(settings: &ServerSettings) -> Result<Self, String> {
        let pem = settings.extra_roots_pem.as_deref();
        Ok(Self {
            tokens: TokenClient::new(settings.authority.clone(), pem)?,
            smtp: SmtpClient::new(settings.smtp.clone(), pem, settings.timeouts.smtp_step)?,
            authority: settings.authority.as_str().trim_end_matches('/').to_owned(),
            timeouts: settings.timeouts,
        })
    }

    pub async fn run(&self, form: &MicrosoftOAuthForm) -> TestOutcome {
        let outcome = self.attempt(form).await;
        match &outcome {
            TestOutcome::Sent { recipient } => tracing::info!(%recipient, "test email sent"),
            TestOutcome::Invalid(errors) => {
                let fields: Vec<&str> = errors.iter().map(|(f, _)| f.label()).collect();
                tracing::info!(?fields, "test send refused: invalid input");
            }
            TestOutcome::Failed(failure) => tracing::warn!(
                step = ?failure.step,
                code = failure.code.as_deref().unwrap_or("-"),
                detail = %failure.detail,
                "test send failed"
            ),
        }
        outcome
    }

    async fn attempt(&self, form: &MicrosoftOAuthForm) -> TestOutcome {
        let settings = match form.parse() {
            Ok(settings) => settings,
            Err(errors) => return TestOutcome::Invalid(errors),
        };
        let deadline = Deadline::after(self.timeouts.total);

        let token = match self
            .tokens
            .request_token(
                &settings.tenant,
                &settings.client_id,
                &settings.client_secret,
                deadline.limit(self.timeouts.token),
            )
            .await
        {
            Ok(token) => token,
            Err(error) => {
                return TestOutcome::Failed(diagnosis::token_failure(&error, &self.authority))
            }
        };

        let server = self.smtp.endpoint().to_string();
        let context = message::Context {
            settings: &settings,
            smtp_server: server.clone(),
            sent_at: SystemTime::now(),
        };
        let email = match message::build(&context) {
            Ok(email) => email,
            Err(error) => return TestOutcome::Failed(internal(Step::Inputs, error.to_string())),
        };
        let sent = self
            .smtp
            .send_xoauth2(
                &settings.mailbox,
                &token,
                email.envelope(),
                &email.formatted(),
                &deadline,
            )
            .await;
        match sent {
            Ok(()) => TestOutcome::Sent {
                recipient: settings.recipient.to_string(),
            },
            Err(failure) => TestOutcome::Failed(diagnosis::smtp_failure(
                &failure,
                &server,
                settings.mailbox.as_str(),
            )),
        }
    }
}

fn internal(step: Step, detail: String) -> Failure {
    Failure {
        step,
        field: None,
        summary: "smtp-setup could not prepare the test.".to_owned(),
        detail,
        code: None,
        fix: "This is a bug in smtp-setup; please report it with the text above.".to_owned(),
        references: Vec::new(),
    }
}
