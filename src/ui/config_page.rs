use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use super::checklist::Checklist;
use super::choice_select::ChoiceSelect;
use super::failure_panel::{FailurePanel, Problem};
use super::field_input::{FieldInput, FieldState};
use super::setup_guide::{GuideSignals, SetupGuide};
use super::toast::Toast;
use super::transcript::Transcript;
use crate::api::send_test_email;
use crate::domain::{AuthType, Cloud, Field, Security, SmtpForm};
use crate::report::{transcript_text, StepResult, TestOutcome};

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

    /// Shows the messages of every field the chosen type uses.
    fn touch_all(&self) {
        for field in self.auth_type.get_untracked().fields() {
            self.get(*field).touched.set(true);
        }
    }
}

#[component]
pub fn ConfigPage() -> impl IntoView {
    let form = FormState::new();
    let auth_type = form.auth_type;
    // A sensible start for the password type; the administrator can change it.
    form.get(Field::SmtpPort).value.set("587".to_owned());
    let toast = RwSignal::new(None::<String>);
    let problem = RwSignal::new(None::<Problem>);
    let steps = RwSignal::new(None::<Vec<StepResult>>);
    let transcript = RwSignal::new(None::<String>);
    let send = Action::new(|form: &SmtpForm| send_test_email(form.clone()));
    let pending = send.pending();

    // Effects run only in the browser: until hydration, the button stays disabled so a
    // click can never fall back to a plain HTML form submission.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    Effect::new(move |_| {
        let Some(result) = send.value().get() else {
            return;
        };
        let outcome = result.map(|report| {
            steps.set(Some(report.steps));
            transcript.set(Some(transcript_text(&report.transcript)));
            report.outcome
        });
        match outcome {
            Ok(TestOutcome::Sent { recipient }) => {
                toast.set(Some(format!("Test email sent to {recipient}")));
            }
            Ok(TestOutcome::Invalid(errors)) => {
                form.touch_all();
                if let Some(first) = errors.first() {
                    focus(first.input_id());
                }
            }
            Ok(TestOutcome::Failed(failure)) => problem.set(Some(Problem::Failed(failure))),
            Err(error) => problem.set(Some(Problem::Unreachable(error.to_string()))),
        }
    });

    let at_fault = Signal::derive(move || match problem.get() {
        Some(Problem::Failed(failure)) => failure.field,
        _ => None,
    });

    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        form.touch_all();
        let input = form.snapshot();
        match input.parse() {
            Err(errors) => {
                if let Some(first) = errors.first() {
                    focus(first.input_id());
                }
            }
            Ok(_) => {
                toast.set(None);
                problem.set(None);
                steps.set(None);
                transcript.set(None);
                send.dispatch(input);
            }
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

    view! {
        <h1>"SMTP configuration"</h1>
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
                <FieldInput state=form.get(Field::SmtpPassword) at_fault secret=true autocomplete="new-password" />
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
                <FieldInput state=form.get(Field::Password) at_fault secret=true autocomplete="new-password" />
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
                    disabled=move || !hydrated.get() || pending.get()
                    aria-busy=move || pending.get().to_string()
                >
                    {move || if pending.get() { "Sending test email…" } else { "Send test email" }}
                </button>
            </div>
        </form>
        <FailurePanel problem />
        <div hidden=is_password>
            <SetupGuide values=guide />
        </div>
        <Checklist steps=steps.into() open=Signal::derive(move || problem.read().is_some()) />
        <Transcript text=transcript.into() />
        <Toast message=toast />
    }
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
