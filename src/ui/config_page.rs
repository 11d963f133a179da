use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use super::checklist::Checklist;
use super::failure_panel::{FailurePanel, Problem};
use super::field_input::{FieldInput, FieldState};
use super::toast::Toast;
use crate::api::send_test_email;
use crate::domain::{AuthType, Field, MicrosoftOAuthForm};
use crate::report::{StepResult, TestOutcome};

/// The form's fields as signals, and the one way to read them all: [`Self::snapshot`].
#[derive(Clone, Copy)]
struct FormState {
    email_address: FieldState,
    name: FieldState,
    tenant_id: FieldState,
    smtp_user: FieldState,
    smtp_password: FieldState,
    send_test_to: FieldState,
}

impl FormState {
    fn new() -> Self {
        Self {
            email_address: FieldState::new(Field::EmailAddress),
            name: FieldState::new(Field::Name),
            tenant_id: FieldState::new(Field::TenantId),
            smtp_user: FieldState::new(Field::SmtpUser),
            smtp_password: FieldState::new(Field::SmtpPassword),
            send_test_to: FieldState::new(Field::SendTestTo),
        }
    }

    fn all(&self) -> [FieldState; 6] {
        [
            self.email_address,
            self.name,
            self.tenant_id,
            self.smtp_user,
            self.smtp_password,
            self.send_test_to,
        ]
    }

    fn snapshot(&self) -> MicrosoftOAuthForm {
        MicrosoftOAuthForm {
            email_address: self.email_address.value.get_untracked(),
            name: self.name.value.get_untracked(),
            tenant_id: self.tenant_id.value.get_untracked(),
            smtp_user: self.smtp_user.value.get_untracked(),
            smtp_password: self.smtp_password.value.get_untracked(),
            send_test_to: self.send_test_to.value.get_untracked(),
        }
    }

    fn touch_all(&self) {
        for state in self.all() {
            state.touched.set(true);
        }
    }
}

#[component]
pub fn ConfigPage() -> impl IntoView {
    let form = FormState::new();
    let auth_type = RwSignal::new(AuthType::default());
    let toast = RwSignal::new(None::<String>);
    let problem = RwSignal::new(None::<Problem>);
    let steps = RwSignal::new(None::<Vec<StepResult>>);
    let send = Action::new(|form: &MicrosoftOAuthForm| send_test_email(form.clone()));
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
                send.dispatch(input);
            }
        }
    };

    let recipient_placeholder = Signal::derive(move || form.email_address.value.get());

    view! {
        <h1>"SMTP configuration"</h1>
        <p class="lead">
            "Set how the application sends email, then send a test message to prove it works."
        </p>
        <form class="config" novalidate on:submit=on_submit>
            <div class="field">
                <label for="auth-type">"Authentication type"</label>
                <select
                    id="auth-type"
                    on:change=move |ev| {
                        let key = event_target_value(&ev);
                        if let Some(kind) = AuthType::ALL.into_iter().find(|k| k.key() == key) {
                            auth_type.set(kind);
                        }
                    }
                >
                    {AuthType::ALL
                        .into_iter()
                        .map(|kind| {
                            view! {
                                <option value=kind.key() selected=move || auth_type.get() == kind>
                                    {kind.label()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <FieldInput state=form.email_address at_fault autocomplete="email" input_type="email" />
            <FieldInput state=form.name at_fault />
            <FieldInput state=form.tenant_id at_fault />
            <FieldInput state=form.smtp_user at_fault />
            <FieldInput state=form.smtp_password at_fault secret=true autocomplete="new-password" />
            <FieldInput
                state=form.send_test_to
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
        <Checklist steps=steps.into() open=Signal::derive(move || problem.read().is_some()) />
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
