//! A whole test send: parse the form, get a token, inspect it, send the message. Returns
//! the report the page renders (outcome + checklist); never an `Err` the page would have
//! to guess about.

use std::time::SystemTime;

use super::checklist::Checklist;
use super::config::{ServerSettings, Timeouts};
use super::deadline::Deadline;
use super::diagnosis;
use super::entra::TokenClient;
use super::message;
use super::smtp::SmtpClient;
use super::token_inspection;
use crate::domain::MicrosoftOAuthForm;
use crate::report::{Failure, Step, TestOutcome, TestReport};

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

    pub async fn run(&self, form: &MicrosoftOAuthForm) -> TestReport {
        let mut checklist = Checklist::new();
        let outcome = self.attempt(form, &mut checklist).await;
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
        TestReport {
            outcome,
            steps: checklist.finish(),
        }
    }

    async fn attempt(&self, form: &MicrosoftOAuthForm, checklist: &mut Checklist) -> TestOutcome {
        let settings = match form.parse() {
            Ok(settings) => settings,
            Err(errors) => {
                let fields: Vec<&str> = errors.iter().map(|(f, _)| f.label()).collect();
                checklist.failed(Step::Inputs, format!("to correct: {}", fields.join(", ")));
                return TestOutcome::Invalid(errors);
            }
        };
        checklist.passed(Step::Inputs, "every field is valid");
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
                let failure = diagnosis::token_failure(&error, &self.authority);
                checklist.failed(Step::TokenRequest, failure.detail.clone());
                return TestOutcome::Failed(failure);
            }
        };
        checklist.passed(
            Step::TokenRequest,
            format!("token issued by {}", self.authority),
        );

        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or_default();
        match token_inspection::inspect(token.expose(), &settings.tenant, &settings.client_id, now)
        {
            Ok(summary) => checklist.passed(Step::TokenInspection, summary),
            Err(problem) => {
                checklist.failed(Step::TokenInspection, problem.to_string());
                return TestOutcome::Failed(diagnosis::inspection_failure(&problem));
            }
        }

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
                checklist,
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
