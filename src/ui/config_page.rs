use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use super::checklist::Checklist;
use super::choice_select::ChoiceSelect;
use super::failure_panel::{FailurePanel, Problem};
use super::field_input::{FieldInput, FieldState};
use super::history::History;
use super::setup_guide::{GuideSignals, SetupGuide};
use super::toast::Toast;
use super::transcript::Transcript;
use crate::api::{save_configuration, send_test_email, test_history};
use crate::domain::{AuthType, Cloud, Field, FieldErrors, Security, SmtpForm, StoredSecrets};
use crate::report::{transcript_text, StepResult, TestOutcome};
use crate::saved::{InitialData, SaveOutcome};

/// The form as signals, and the one way to read it whole: [`Self::snapshot`].
#[derive(Clone, Copy)]
struct FormState {
    auth_type: RwSignal<AuthType>,
    cloud: RwSignal<Cloud>,
    security: RwSignal<Security>,
    /// One per [`Field`], in `Field::ALL` order.
    fields: [FieldState; Field::ALL.len()],
}

impl FormState {
    fn new() -> Self {
        Self {
            auth_type: RwSignal::new(AuthType::default()),
            cloud: RwSignal::new(Cloud::default()),
            security: RwSignal::new(Security::default()),
            fields: Field::ALL.map(FieldState::new),
        }
    }

    fn get(&self, field: Field) -> FieldState {
        self.fields
            .iter()
            .copied()
            .find(|s| s.field == field)
            .unwrap_or_else(|| FieldState::new(field))
    }

    fn text(&self, field: Field) -> String {
        self.get(field).value.get_untracked()
    }

    fn snapshot(&self) -> SmtpForm {
        SmtpForm {
            auth_type: self.auth_type.get_untracked(),
            cloud: self.cloud.get_untracked(),
            security: self.security.get_untracked(),
            email_address: self.text(Field::EmailAddress),
            name: self.text(Field::Name),
            tenant_id: self.text(Field::TenantId),
            smtp_user: self.text(Field::SmtpUser),
            smtp_password: self.text(Field::SmtpPassword),
            object_id: self.text(Field::ObjectId),
            smtp_host: self.text(Field::SmtpHost),
            smtp_port: self.text(Field::SmtpPort),
            username: self.text(Field::Username),
            password: self.text(Field::Password),
            send_test_to: self.text(Field::SendTestTo),
        }
    }

    /// Fills the form from saved values (secrets are never among them).
    fn load(&self, saved: &SmtpForm) {
        self.auth_type.set(saved.auth_type);
        self.cloud.set(saved.cloud);
        self.security.set(saved.security);
        for state in self.fields {
            state.value.set(saved.value(state.field).to_owned());
        }
    }

    /// Shows the messages of every field the chosen type uses.
    fn touch_all(&self) {
        for field in self.auth_type.get_untracked().fields() {
            self.get(*field).touched.set(true);
        }
    }
}

#[component]
pub fn ConfigPage() -> impl IntoView {
    let initial = initial_data();
    let form = FormState::new();
    form.load(&initial.saved.form);
    if form.get(Field::SmtpPort).value.get_untracked().is_empty() {
        // A sensible start for the password type; the administrator can change it.
        form.get(Field::SmtpPort).value.set("587".to_owned());
    }
    let auth_type = form.auth_type;
    let version = RwSignal::new(initial.saved.version);
    let stored_secret = RwSignal::new(initial.saved.client_secret.clone());
    let stored_password = RwSignal::new(initial.saved.password.clone());
    let history = RwSignal::new(initial.history.clone());
    let initial_json = serde_json::to_string(&initial).unwrap_or_default();
    Effect::new(move |_| {
        form.get(Field::SmtpPassword)
            .kept
            .set(stored_secret.read().is_some());
        form.get(Field::Password)
            .kept
            .set(stored_password.read().is_some());
    });
    let stored = move || StoredSecrets {
        client_secret: stored_secret.read_untracked().is_some(),
        password: stored_password.read_untracked().is_some(),
    };

    let toast = RwSignal::new(None::<String>);
    let problem = RwSignal::new(None::<Problem>);
    let steps = RwSignal::new(None::<Vec<StepResult>>);
    let transcript = RwSignal::new(None::<String>);
    let send = Action::new(|form: &SmtpForm| send_test_email(form.clone()));
    let save =
        Action::new(|(form, base): &(SmtpForm, i64)| save_configuration(form.clone(), *base));
    let refresh_history = Action::new(|_: &()| test_history());
    let busy = Signal::derive(move || send.pending().get() || save.pending().get());

    // Effects run only in the browser: until hydration, the buttons stay disabled so a
    // click can never fall back to a plain HTML form submission.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    let refused = move |errors: &FieldErrors| {
        form.touch_all();
        if let Some(first) = errors.first() {
            focus(first.input_id());
        }
    };

    Effect::new(move |_| {
        let Some(result) = send.value().get() else {
            return;
        };
        refresh_history.dispatch(());
        let outcome = result.map(|report| {
            if !report.steps.is_empty() {
                steps.set(Some(report.steps));
                transcript.set(Some(transcript_text(&report.transcript)));
            }
            report.outcome
        });
        match outcome {
            Ok(TestOutcome::Sent { recipient }) => {
                toast.set(Some(format!("Test email sent to {recipient}")));
            }
            Ok(TestOutcome::Invalid(errors)) => refused(&errors),
            Ok(TestOutcome::Failed(failure)) => problem.set(Some(Problem::Failed(failure))),
            Ok(TestOutcome::RateLimited { retry_after_secs }) => {
                problem.set(Some(Problem::Notice {
                    title: "Too many test emails".to_owned(),
                    text: format!(
                        "At most a few test emails a minute are sent from one session, so this \
                         page cannot be used to flood the mailbox. Try again in {retry_after_secs} s."
                    ),
                }))
            }
            Err(error) => problem.set(Some(Problem::Unreachable(error.to_string()))),
        }
    });

    Effect::new(move |_| {
        if let Some(Ok(entries)) = refresh_history.value().get() {
            history.set(entries);
        }
    });

    Effect::new(move |_| {
        let Some(result) = save.value().get() else {
            return;
        };
        match result {
            Ok(SaveOutcome::Saved(config)) => {
                let config = *config;
                version.set(config.version);
                stored_secret.set(config.client_secret);
                stored_password.set(config.password);
                // Saved secrets leave the page: the fields show what is stored instead.
                form.get(Field::SmtpPassword).value.set(String::new());
                form.get(Field::Password).value.set(String::new());
                toast.set(Some("Configuration saved".to_owned()));
            }
            Ok(SaveOutcome::Invalid(errors)) => refused(&errors),
            Ok(SaveOutcome::Conflict { current_version }) => problem.set(Some(Problem::Notice {
                title: "Not saved: changed by someone else".to_owned(),
                text: format!(
                    "The configuration was saved elsewhere since this page loaded (it is now at \
                     version {current_version}). Reload the page to see those changes, then make \
                     yours again. Nothing was overwritten."
                ),
            })),
            Err(error) => problem.set(Some(Problem::Unreachable(error.to_string()))),
        }
    });

    let at_fault = Signal::derive(move || match problem.get() {
        Some(Problem::Failed(failure)) => failure.field,
        _ => None,
    });

    // The browser's own check, before anything is sent: the same parse as the server's.
    let checked = move || -> Option<SmtpForm> {
        form.touch_all();
        let input = form.snapshot();
        match input.check(stored()) {
            Err(errors) => {
                if let Some(first) = errors.first() {
                    focus(first.input_id());
                }
                None
            }
            Ok(()) => {
                toast.set(None);
                problem.set(None);
                Some(input)
            }
        }
    };

    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        if let Some(input) = checked() {
            steps.set(None);
            transcript.set(None);
            send.dispatch(input);
        }
    };

    let on_save = move |_| {
        if busy.get_untracked() {
            return;
        }
        if let Some(input) = checked() {
            save.dispatch((input, version.get_untracked()));
        }
    };

    let recipient_placeholder = Signal::derive(move || form.get(Field::EmailAddress).value.get());
    let is_password = move || auth_type.get() == AuthType::Password;
    let guide = GuideSignals {
        cloud: form.cloud,
        tenant_id: form.get(Field::TenantId).value,
        smtp_user: form.get(Field::SmtpUser).value,
        object_id: form.get(Field::ObjectId).value,
        email_address: form.get(Field::EmailAddress).value,
    };
    let secret_stored = Signal::derive(move || stored_secret.get().map(|s| s.describe()));
    let password_stored = Signal::derive(move || stored_password.get().map(|s| s.describe()));

    view! {
        <header class="top">
            <h1>"SMTP configuration"</h1>
            <form method="post" action="/logout" class="sign-out">
                <button type="submit">"Sign out"</button>
            </form>
        </header>
        <div id="initial-data" hidden data-json=initial_json></div>
        <p class="lead">
            "Set how the application sends email, then send a test message to prove it works."
        </p>
        <form class="config" novalidate on:submit=on_submit>
            <ChoiceSelect
                id="auth-type"
                label="Authentication type"
                choices=&AuthType::ALL
                selected=auth_type
                key=AuthType::key
                text=AuthType::label
            />
            <FieldInput state=form.get(Field::EmailAddress) at_fault autocomplete="email" input_type="email" />
            <FieldInput state=form.get(Field::Name) at_fault />
            <div class="auth-fields" data-auth="microsoft_oauth2" hidden=is_password>
                <ChoiceSelect
                    id="cloud"
                    label="Cloud"
                    choices=&Cloud::ALL
                    selected=form.cloud
                    key=Cloud::key
                    text=Cloud::label
                    hint="Where the tenant lives: sets the sign-in authority, the token scope and the SMTP host."
                />
                <FieldInput state=form.get(Field::TenantId) at_fault />
                <FieldInput state=form.get(Field::SmtpUser) at_fault />
                <FieldInput
                    state=form.get(Field::SmtpPassword)
                    at_fault
                    secret=true
                    autocomplete="new-password"
                    stored=secret_stored
                />
                <FieldInput state=form.get(Field::ObjectId) at_fault />
            </div>
            <div class="auth-fields" data-auth="password" hidden=move || !is_password()>
                <FieldInput state=form.get(Field::SmtpHost) at_fault />
                <FieldInput state=form.get(Field::SmtpPort) at_fault input_type="text" />
                <ChoiceSelect
                    id="security"
                    label="Encryption"
                    choices=&Security::ALL
                    selected=form.security
                    key=Security::key
                    text=Security::label
                    hint="Credentials are only ever sent encrypted."
                />
                <FieldInput state=form.get(Field::Username) at_fault autocomplete="username" />
                <FieldInput
                    state=form.get(Field::Password)
                    at_fault
                    secret=true
                    autocomplete="new-password"
                    stored=password_stored
                />
            </div>
            <FieldInput
                state=form.get(Field::SendTestTo)
                at_fault
                input_type="email"
                placeholder=recipient_placeholder
            />
            <div class="actions">
                <button
                    type="submit"
                    id="send-test"
                    disabled=move || !hydrated.get() || busy.get()
                    aria-busy=move || send.pending().get().to_string()
                >
                    {move || if send.pending().get() { "Sending test email…" } else { "Send test email" }}
                </button>
                <button
                    type="button"
                    id="save"
                    class="secondary"
                    disabled=move || !hydrated.get() || busy.get()
                    aria-busy=move || save.pending().get().to_string()
                    on:click=on_save
                >
                    {move || if save.pending().get() { "Saving…" } else { "Save" }}
                </button>
            </div>
        </form>
        <FailurePanel problem />
        <div hidden=is_password>
            <SetupGuide values=guide />
        </div>
        <Checklist steps=steps.into() open=Signal::derive(move || problem.read().is_some()) />
        <Transcript text=transcript.into() />
        <History entries=history />
        <Toast message=toast />
    }
}

/// What the page starts from. On the server: loaded by the router before rendering. In
/// the browser: read back from the page, so hydration starts from the same values.
#[cfg(feature = "ssr")]
fn initial_data() -> InitialData {
    use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<InitialData>().cloned())
        .unwrap_or_default()
}

#[cfg(not(feature = "ssr"))]
fn initial_data() -> InitialData {
    document()
        .get_element_by_id("initial-data")
        .and_then(|element| element.get_attribute("data-json"))
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default()
}

/// Moves keyboard focus to an input (after a refused submit).
fn focus(id: &str) {
    use leptos::wasm_bindgen::JsCast;
    if let Some(element) = document()
        .get_element_by_id(id)
        .and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = element.focus();
    }
}
