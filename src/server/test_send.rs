//! A whole test send: parse the form, get a token and inspect it (Microsoft OAuth2), send
//! the message. Returns the report the page renders (outcome, checklist, transcript);
//! never an `Err` the page would have to guess about.

use std::sync::Arc;
use std::time::SystemTime;

use reqwest::Url;

use super::checklist::Checklist;
use super::config::{ServerSettings, SmtpEndpoint, Timeouts};
use super::deadline::Deadline;
use super::diagnosis;
use super::entra::{TokenClient, TokenRequest};
use super::message;
use super::smtp::wire::Transcript;
use super::smtp::{Credentials, Destination, Security, SmtpClient};
use super::token_cache::{CacheKey, TokenCache};
use super::token_inspection;
use crate::domain::{AuthType, MicrosoftOAuthSettings, PasswordSettings, SendSettings, SmtpForm};
use crate::report::{Failure, Step, TestOutcome, TestReport};

/// Microsoft 365's SMTP submission port (STARTTLS), the same in every cloud.
const SUBMISSION_PORT: u16 = 587;

pub struct TestSender {
    tokens: TokenClient,
    tokens_cache: TokenCache,
    smtp: SmtpClient,
    authority_override: Option<Url>,
    smtp_override: Option<SmtpEndpoint>,
    timeouts: Timeouts,
}

/// Where one test's recording goes: the checklist and the transcript.
struct Record<'a> {
    checklist: &'a mut Checklist,
    transcript: &'a mut Transcript,
}

impl TestSender {
    pub fn new(settings: &ServerSettings) -> Result<Self, String> {
        let pem = settings.extra_roots_pem.as_deref();
        Ok(Self {
            tokens: TokenClient::new(pem)?,
            tokens_cache: TokenCache::default(),
            smtp: SmtpClient::new(pem, settings.timeouts.smtp_step)?,
            authority_override: settings.authority_override.clone(),
            smtp_override: settings.smtp_override.clone(),
            timeouts: settings.timeouts,
        })
    }

    pub async fn run(&self, form: &SmtpForm) -> TestReport {
        let mut checklist = Checklist::new(Step::plan(form.auth_type));
        let mut transcript = Transcript::default();
        let mut record = Record {
            checklist: &mut checklist,
            transcript: &mut transcript,
        };
        let outcome = self.attempt(form, &mut record).await;
        match &outcome {
            TestOutcome::Sent { recipient } => tracing::info!(%recipient, "test email sent"),
            TestOutcome::Invalid(errors) => {
                tracing::info!(fields = ?errors.labels(), "test send refused: invalid input");
            }
            TestOutcome::Failed(failure) => tracing::warn!(
                step = ?failure.step,
                code = failure.code.as_deref().unwrap_or("-"),
                detail = %failure.detail,
                "test send failed"
            ),
            TestOutcome::RateLimited { .. } => {}
        }
        TestReport {
            outcome,
            steps: checklist.finish(),
            transcript: transcript.finish(),
        }
    }

    async fn attempt(&self, form: &SmtpForm, record: &mut Record<'_>) -> TestOutcome {
        let settings = match form.parse() {
            Ok(settings) => settings,
            Err(errors) => {
                let detail = format!("to correct: {}", errors.labels().join(", "));
                record.checklist.failed(Step::Inputs, detail);
                return TestOutcome::Invalid(errors);
            }
        };
        record
            .checklist
            .passed(Step::Inputs, "every field is valid");
        let deadline = Deadline::after(self.timeouts.total);
        let sent = match &settings {
            SendSettings::MicrosoftOAuth2(microsoft) => {
                self.send_microsoft(&settings, microsoft, &deadline, record)
                    .await
            }
            SendSettings::Password(password) => {
                self.send_password(&settings, password, &deadline, record)
                    .await
            }
        };
        match sent {
            Ok(()) => TestOutcome::Sent {
                recipient: settings.sender().recipient.to_string(),
            },
            Err(failure) => TestOutcome::Failed(failure),
        }
    }

    async fn send_microsoft(
        &self,
        all: &SendSettings,
        settings: &MicrosoftOAuthSettings,
        deadline: &Deadline,
        record: &mut Record<'_>,
    ) -> Result<(), Failure> {
        let authority = match &self.authority_override {
            Some(url) => url.clone(),
            None => Url::parse(settings.cloud.authority())
                .map_err(|e| internal(Step::TokenRequest, e.to_string()))?,
        };
        let oauth = OAuth {
            authority: &authority,
            scope: settings.cloud.scope(),
            destination: Destination {
                endpoint: self.smtp_override.clone().unwrap_or_else(|| SmtpEndpoint {
                    host: settings.cloud.smtp_host().to_owned(),
                    port: SUBMISSION_PORT,
                }),
                security: Security::StartTls,
            },
        };
        let key = CacheKey::new(
            authority.as_str(),
            &settings.tenant,
            &settings.client_id,
            &settings.client_secret,
            &oauth.scope,
        );
        let first = self
            .token_then_send(
                all,
                settings,
                &oauth,
                &key,
                TokenSource::CacheFirst,
                deadline,
                record,
            )
            .await;
        match first {
            // A cached token refused at AUTH may have been revoked or outlived a permission
            // change: fetch a fresh one and try once more. AUTH is never retried otherwise,
            // so a wrong configuration cannot lock the mailbox out.
            Err(Attempt {
                failure,
                cached: true,
            }) if failure.step == Step::Authenticate => {
                self.tokens_cache.evict(&key);
                record.checklist.discard_from(Step::TokenRequest);
                record
                    .transcript
                    .note("AUTH refused a cached token: retrying once with a fresh token");
                self.token_then_send(
                    all,
                    settings,
                    &oauth,
                    &key,
                    TokenSource::Fresh,
                    deadline,
                    record,
                )
                .await
                .map_err(|attempt| attempt.failure)
            }
            other => other.map_err(|attempt| attempt.failure),
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn token_then_send(
        &self,
        all: &SendSettings,
        settings: &MicrosoftOAuthSettings,
        oauth: &OAuth<'_>,
        key: &CacheKey,
        source: TokenSource,
        deadline: &Deadline,
        record: &mut Record<'_>,
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
        let authority = oauth.authority.as_str().trim_end_matches('/');
        let token = match cached {
            Some((token, left)) => {
                record.checklist.passed(
                    Step::TokenRequest,
                    format!(
                        "reused a cached token (reusable for {} more minutes)",
                        left.as_secs() / 60
                    ),
                );
                token
            }
            None => {
                let request = TokenRequest {
                    authority: oauth.authority,
                    tenant: &settings.tenant,
                    client_id: &settings.client_id,
                    secret: &settings.client_secret,
                    scope: &oauth.scope,
                };
                let fetched = self
                    .tokens
                    .request_token(&request, deadline, self.timeouts.token)
                    .await;
                match fetched {
                    Ok(token) => {
                        let token = Arc::new(token);
                        self.tokens_cache.put(*key, token.clone());
                        let retried = matches!(source, TokenSource::Fresh)
                            .then_some(" (the cached token was refused at AUTH)")
                            .unwrap_or_default();
                        record.checklist.passed(
                            Step::TokenRequest,
                            format!("token issued by {authority}{retried}"),
                        );
                        token
                    }
                    Err(error) => {
                        let failure = diagnosis::token_failure(&error, authority);
                        record
                            .checklist
                            .failed(Step::TokenRequest, failure.detail.clone());
                        return Err(fail(failure));
                    }
                }
            }
        };

        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or_default();
        let inspected = token_inspection::inspect(
            token.expose(),
            settings.cloud.exchange_resource(),
            &settings.tenant,
            &settings.client_id,
            now,
        );
        match inspected {
            Ok(summary) => record.checklist.passed(Step::TokenInspection, summary),
            Err(problem) => {
                record
                    .checklist
                    .failed(Step::TokenInspection, problem.to_string());
                return Err(fail(diagnosis::inspection_failure(&problem)));
            }
        }

        let credentials = Credentials::XOAuth2 {
            user: settings.sender.mailbox.as_str(),
            token: token.expose(),
        };
        self.send_message(all, &oauth.destination, &credentials, deadline, record)
            .await
            .map_err(fail)
    }

    async fn send_password(
        &self,
        all: &SendSettings,
        settings: &PasswordSettings,
        deadline: &Deadline,
        record: &mut Record<'_>,
    ) -> Result<(), Failure> {
        let destination = Destination {
            endpoint: SmtpEndpoint {
                host: settings.host.as_str().to_owned(),
                port: settings.port.get(),
            },
            security: settings.security,
        };
        let credentials = Credentials::Password {
            username: settings.username.as_str(),
            password: settings.password.secret(),
        };
        self.send_message(all, &destination, &credentials, deadline, record)
            .await
    }

    async fn send_message(
        &self,
        settings: &SendSettings,
        destination: &Destination,
        credentials: &Credentials<'_>,
        deadline: &Deadline,
        record: &mut Record<'_>,
    ) -> Result<(), Failure> {
        let server = destination.endpoint.to_string();
        let context = message::Context {
            settings,
            smtp_server: server.clone(),
            sent_at: SystemTime::now(),
        };
        let email = message::build(&context).map_err(|e| internal(Step::Inputs, e.to_string()))?;
        self.smtp
            .send(
                destination,
                credentials,
                email.envelope(),
                &email.formatted(),
                deadline,
                record.checklist,
                record.transcript,
            )
            .await
            .map_err(|failure| {
                let mailbox = settings.sender().mailbox.as_str();
                let auth = match settings {
                    SendSettings::MicrosoftOAuth2(_) => AuthType::MicrosoftOAuth2,
                    SendSettings::Password(_) => AuthType::Password,
                };
                diagnosis::smtp_failure(&failure, &server, mailbox, auth)
            })
    }
}

/// Where a Microsoft OAuth2 test goes: chosen by the cloud, unless the operator
/// overrides it.
struct OAuth<'a> {
    authority: &'a Url,
    scope: String,
    destination: Destination,
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
