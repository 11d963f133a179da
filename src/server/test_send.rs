//! A whole test send: parse the form, get a token, inspect it, send the message. Returns
//! the report the page renders (outcome + checklist); never an `Err` the page would have
//! to guess about.

use std::time::SystemTime;

use super::checklist::Checklist;
use super::config::{ServerSettings, Timeouts};
use super::deadline::Deadline;
use super::diagnosis;
use super::entra::{TokenClient, EXCHANGE_SCOPE};
use super::message;
use super::smtp::wire::Transcript;
use super::smtp::{Credentials, Destination, Security, SmtpClient};
use super::token_cache::{CacheKey, TokenCache};
use super::token_inspection;
use std::sync::Arc;

use crate::domain::{MicrosoftOAuthForm, MicrosoftOAuthSettings};
use crate::report::{Failure, Step, TestOutcome, TestReport};

pub struct TestSender {
    tokens: TokenClient,
    tokens_cache: TokenCache,
    smtp: SmtpClient,
    destination: Destination,
    authority: String,
    timeouts: Timeouts,
}

impl TestSender {
    pub fn new(settings: &ServerSettings) -> Result<Self, String> {
        let pem = settings.extra_roots_pem.as_deref();
        Ok(Self {
            tokens: TokenClient::new(settings.authority.clone(), pem)?,
            tokens_cache: TokenCache::default(),
            smtp: SmtpClient::new(pem, settings.timeouts.smtp_step)?,
            destination: Destination {
                endpoint: settings.smtp.clone(),
                security: Security::StartTls,
            },
            authority: settings.authority.as_str().trim_end_matches('/').to_owned(),
            timeouts: settings.timeouts,
        })
    }

    pub async fn run(&self, form: &MicrosoftOAuthForm) -> TestReport {
        let mut checklist = Checklist::new();
        let mut transcript = Transcript::default();
        let outcome = self.attempt(form, &mut checklist, &mut transcript).await;
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
            transcript: transcript.finish(),
        }
    }

    async fn attempt(
        &self,
        form: &MicrosoftOAuthForm,
        checklist: &mut Checklist,
        transcript: &mut Transcript,
    ) -> TestOutcome {
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
        let key = CacheKey::new(
            &self.authority,
            &settings.tenant,
            &settings.client_id,
            &settings.client_secret,
            EXCHANGE_SCOPE,
        );

        let first = self
            .token_then_send(
                &settings,
                &key,
                TokenSource::CacheFirst,
                &deadline,
                checklist,
                transcript,
            )
            .await;
        let outcome = match first {
            // A cached token refused at AUTH may have been revoked or outlived a permission
            // change: fetch a fresh one and try once more. AUTH is never retried otherwise,
            // so a wrong configuration cannot lock the mailbox out.
            Err(Attempt {
                failure,
                cached: true,
            }) if failure.step == Step::Authenticate => {
                self.tokens_cache.evict(&key);
                checklist.discard_from(Step::TokenRequest);
                transcript.note("AUTH refused a cached token: retrying once with a fresh token");
                self.token_then_send(
                    &settings,
                    &key,
                    TokenSource::Fresh,
                    &deadline,
                    checklist,
                    transcript,
                )
                .await
            }
            other => other,
        };
        match outcome {
            Ok(()) => TestOutcome::Sent {
                recipient: settings.recipient.to_string(),
            },
            Err(attempt) => TestOutcome::Failed(attempt.failure),
        }
    }

    async fn token_then_send(
        &self,
        settings: &MicrosoftOAuthSettings,
        key: &CacheKey,
        source: TokenSource,
        deadline: &Deadline,
        checklist: &mut Checklist,
        transcript: &mut Transcript,
    ) -> Result<(), Attempt> {
        let cached = match source {
            TokenSource::CacheFirst => self.tokens_cache.get(key),
            TokenSource::Fresh => None,
        };
        let was_cached = cached.is_some();
        let fail = |failure: Failure| Attempt {
            failure,
            cached: was_cached,
        };
        let token = match cached {
            Some((token, left)) => {
                checklist.passed(
                    Step::TokenRequest,
                    format!(
                        "reused a cached token (reusable for {} more minutes)",
                        left.as_secs() / 60
                    ),
                );
                token
            }
            None => {
                let fetched = self
                    .tokens
                    .request_token(
                        &settings.tenant,
                        &settings.client_id,
                        &settings.client_secret,
                        deadline,
                        self.timeouts.token,
                    )
                    .await;
                match fetched {
                    Ok(token) => {
                        let token = Arc::new(token);
                        self.tokens_cache.put(*key, token.clone());
                        let retried = matches!(source, TokenSource::Fresh)
                            .then_some(" (the cached token was refused at AUTH)")
                            .unwrap_or_default();
                        checklist.passed(
                            Step::TokenRequest,
                            format!("token issued by {}{retried}", self.authority),
                        );
                        token
                    }
                    Err(error) => {
                        let failure = diagnosis::token_failure(&error, &self.authority);
                        checklist.failed(Step::TokenRequest, failure.detail.clone());
                        return Err(fail(failure));
                    }
                }
            }
        };

        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or_default();
        match token_inspection::inspect(token.expose(), &settings.tenant, &settings.client_id, now)
        {
            Ok(summary) => checklist.passed(Step::TokenInspection, summary),
            Err(problem) => {
                checklist.failed(Step::TokenInspection, problem.to_string());
                return Err(fail(diagnosis::inspection_failure(&problem)));
            }
        }

        let server = self.destination.endpoint.to_string();
        let context = message::Context {
            settings,
            smtp_server: server.clone(),
            sent_at: SystemTime::now(),
        };
        let email = message::build(&context)
            .map_err(|error| fail(internal(Step::Inputs, error.to_string())))?;
        let credentials = Credentials::XOAuth2 {
            user: settings.mailbox.as_str(),
            token: token.expose(),
        };
        self.smtp
            .send(
                &self.destination,
                &credentials,
                email.envelope(),
                &email.formatted(),
                deadline,
                checklist,
                transcript,
            )
            .await
            .map_err(|failure| {
                fail(diagnosis::smtp_failure(
                    &failure,
                    &server,
                    settings.mailbox.as_str(),
                ))
            })
    }
}

/// Whether a token may come from the cache.
#[derive(Clone, Copy)]
enum TokenSource {
    CacheFirst,
    Fresh,
}

/// A failed attempt, and whether it used a cached token (which earns one retry).
struct Attempt {
    failure: Failure,
    cached: bool,
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
