//! What the page shows besides the form, and how each answer of the server changes it.

use leptos::prelude::*;

use super::form_state::FormState;
use crate::api::report::{transcript_text, StepResult, TestOutcome};
use crate::api::saved::{
    CertificateSummary, ExpiryNotice, HistoryEntry, InitialData, SaveOutcome, SecretFingerprint,
};
use crate::api::{ApiError, TestAnswer};
use crate::domain::FieldErrors;
use crate::i18n::texts;
use crate::ui::failure_panel::{api_words, Problem};
use crate::ui::format::count;

#[derive(Clone, Copy)]
pub struct PageState {
    pub form: FormState,
    /// The saved version this page started from (a save names it).
    pub version: RwSignal<i64>,
    pub stored_secret: RwSignal<Option<SecretFingerprint>>,
    pub stored_password: RwSignal<Option<SecretFingerprint>>,
    /// The server holds a private key for the certificate the form shows.
    pub stored_key: RwSignal<Option<SecretFingerprint>>,
    /// The certificate as the server read it (saved, generated or opened).
    pub certificate: RwSignal<Option<CertificateSummary>>,
    /// When the saved credential expires, once it is near.
    pub expiry: RwSignal<Option<ExpiryNotice>>,
    pub toast: RwSignal<Option<String>>,
    pub problem: RwSignal<Option<Problem>>,
    pub steps: RwSignal<Option<Vec<StepResult>>>,
    pub transcript: RwSignal<Option<String>>,
    pub history: RwSignal<Vec<HistoryEntry>>,
}

impl PageState {
    pub fn new(initial: InitialData) -> Self {
        let saved = initial.saved;
        let stored_secret = RwSignal::new(saved.client_secret);
        let stored_password = RwSignal::new(saved.password);
        let stored_key = RwSignal::new(saved.private_key);
        let form = FormState::new(&saved.form, stored_secret, stored_password, stored_key);
        if form
            .field(crate::domain::Field::SmtpPort)
            .value
            .read_untracked()
            .is_empty()
        {
            // A sensible start for the password type; the administrator can change it.
            form.field(crate::domain::Field::SmtpPort)
                .value
                .set("587".to_owned());
        }
        Self {
            form,
            version: RwSignal::new(saved.version),
            stored_secret,
            stored_password,
            stored_key,
            certificate: RwSignal::new(saved.certificate),
            expiry: RwSignal::new(saved.expiry),
            toast: RwSignal::new(None),
            problem: RwSignal::new(None),
            steps: RwSignal::new(None),
            transcript: RwSignal::new(None),
            history: RwSignal::new(initial.history),
        }
    }

    /// A submit the browser's own check let through: earlier messages go.
    pub fn clear_messages(&self) {
        self.toast.set(None);
        self.problem.set(None);
    }

    /// Every message shows; focus goes to the first invalid field.
    pub fn refused(&self, errors: &FieldErrors) {
        for (field, error) in errors.iter() {
            let state = self.form.field(field);
            state
                .server_error
                .set(Some((state.value.get_untracked(), error.clone())));
        }
        self.form.touch_all();
        if let Some(first) = errors.first() {
            super::focus(first.input_id());
        }
    }

    pub fn show_test(&self, answer: Result<TestAnswer, ApiError>) {
        let TestAnswer { report, history } = match answer {
            Ok(answer) => answer,
            Err(error) => return self.problem.set(Some(api_problem(error))),
        };
        if let Some(history) = history {
            self.history.set(history);
        }
        if !report.steps.is_empty() {
            self.steps.set(Some(report.steps));
            self.transcript
                .set(Some(transcript_text(&report.transcript)));
        }
        let t = texts();
        match report.outcome {
            TestOutcome::Sent { recipient } => {
                self.toast.set(Some((t.test_sent)(&recipient)));
            }
            TestOutcome::MailboxOpened { mailbox, messages } => {
                let messages = count(u64::from(messages));
                self.toast
                    .set(Some((t.mailbox_opened)(&mailbox, &messages)));
            }
            // Only the server's own schedule runs this check.
            TestOutcome::TokenIssued { .. } => {}
            TestOutcome::Invalid(errors) => self.refused(&errors),
            TestOutcome::Failed(failure) => self.problem.set(Some(Problem::Failed(failure))),
            TestOutcome::RateLimited { retry_after_secs } => self.notice(
                t.too_many_tests_title,
                (t.too_many_tests)(&count(retry_after_secs)),
            ),
        }
    }

    pub fn show_save(&self, outcome: Result<SaveOutcome, ApiError>) {
        let t = texts();
        match outcome {
            Ok(SaveOutcome::Saved(config)) => {
                let config = *config;
                self.version.set(config.version);
                self.stored_secret.set(config.client_secret);
                self.stored_password.set(config.password);
                self.stored_key.set(config.private_key);
                self.certificate.set(config.certificate);
                self.expiry.set(config.expiry);
                self.form.forget_secrets();
                self.toast.set(Some(t.saved.to_owned()));
            }
            Ok(SaveOutcome::Invalid(errors)) => self.refused(&errors),
            Ok(SaveOutcome::Conflict { current_version }) => {
                self.notice(t.conflict_title, (t.conflict)(current_version))
            }
            Err(error) => self.problem.set(Some(api_problem(error))),
        }
    }

    fn notice(&self, title: &str, text: String) {
        self.problem.set(Some(Problem::Notice {
            title: title.to_owned(),
            text,
        }));
    }
}

/// A call that did not get its answer, each case in its own words.
pub(super) fn api_problem(error: ApiError) -> Problem {
    let (title, text) = api_words(error);
    Problem::Notice {
        title: title.to_owned(),
        text,
    }
}
