//! The form: its fields, the browser's own check (the same parse as the server's), and
//! the two actions, Send test email and Save.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use super::certificate::CertificatePanel;
use super::secret_end::SecretEndFromGraph;
use super::state::PageState;
use crate::domain::{AuthType, Cloud, CredentialKind, Field, SecretsOnServer, Security, SmtpForm};
use crate::i18n::texts;
use crate::serverfns::{check_mailbox_access, save_configuration, send_test_email};
use crate::ui::choice_select::ChoiceSelect;
use crate::ui::failure_panel::Problem;
use crate::ui::field_input::FieldInput;

#[component]
pub fn ConfigForm(page: PageState) -> impl IntoView {
    let form = page.form;
    let send = Action::new(|form: &SmtpForm| send_test_email(form.clone()));
    let check = Action::new(|form: &SmtpForm| check_mailbox_access(form.clone()));
    let save =
        Action::new(|(form, base): &(SmtpForm, i64)| save_configuration(form.clone(), *base));
    Effect::new(move |_| {
        if let Some(answer) = send.value().get() {
            page.show_test(answer);
        }
    });
    Effect::new(move |_| {
        if let Some(answer) = check.value().get() {
            page.show_test(answer);
        }
    });
    Effect::new(move |_| {
        if let Some(outcome) = save.value().get() {
            page.show_save(outcome);
        }
    });
    let busy = Signal::derive(move || {
        send.pending().get() || check.pending().get() || save.pending().get()
    });
    // Effects run only in the browser: until hydration, the buttons stay disabled so a
    // click can never fall back to a plain HTML form submission.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    // The browser's own check, before anything is sent: the same parse as the server's.
    let checked = move || -> Option<SmtpForm> {
        let input = form.snapshot();
        let on_server = SecretsOnServer {
            client_secret: page.stored_secret.read_untracked().is_some(),
            password: page.stored_password.read_untracked().is_some(),
            private_key: page.stored_key.read_untracked().is_some(),
        };
        match input.parse(&on_server) {
            Err(errors) => {
                page.refused(&errors);
                None
            }
            Ok(_) => {
                form.touch_all();
                page.clear_messages();
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
            page.steps.set(None);
            page.transcript.set(None);
            send.dispatch(input);
        }
    };
    let on_check = move |_| {
        if busy.get_untracked() {
            return;
        }
        if let Some(input) = checked() {
            page.steps.set(None);
            page.transcript.set(None);
            check.dispatch(input);
        }
    };
    let on_save = move |_| {
        if busy.get_untracked() {
            return;
        }
        if let Some(input) = checked() {
            save.dispatch((input, page.version.get_untracked()));
        }
    };

    let at_fault = Signal::derive(move || match page.problem.get() {
        Some(Problem::Failed(failure)) => failure.field,
        _ => None,
    });
    let recipient_placeholder = Signal::derive(move || form.field(Field::EmailAddress).value.get());
    let is_password = move || form.auth_type.get() == AuthType::Password;
    let is_certificate = move || form.credential.get() == CredentialKind::Certificate;
    let t = texts();

    view! {
        <form class="config" novalidate on:submit=on_submit>
            <ChoiceSelect
                id="auth-type"
                label=t.auth_type
                choices=&AuthType::ALL
                selected=form.auth_type
                key=AuthType::key
                text=t.auth_type_name
            />
            <FieldInput state=form.field(Field::EmailAddress) at_fault autocomplete="email" input_type="email" />
            <FieldInput state=form.field(Field::Name) at_fault />
            <div class="auth-fields" data-auth="microsoft_oauth2" hidden=is_password>
                <ChoiceSelect
                    id="cloud"
                    label=t.cloud
                    choices=&Cloud::ALL
                    selected=form.cloud
                    key=Cloud::key
                    text=t.cloud_name
                    hint=t.cloud_hint
                />
                <FieldInput state=form.field(Field::TenantId) at_fault />
                <FieldInput state=form.field(Field::ClientId) at_fault />
                <ChoiceSelect
                    id="credential"
                    label=t.credential
                    choices=&CredentialKind::ALL
                    selected=form.credential
                    key=CredentialKind::key
                    text=t.credential_name
                    hint=t.credential_hint
                />
                <div class="credential-fields" hidden=is_certificate>
                    <FieldInput
                        state=form.field(Field::ClientSecret)
                        at_fault
                        secret=true
                        autocomplete="new-password"
                    />
                    <FieldInput state=form.field(Field::SecretExpires) at_fault input_type="date" />
                    <SecretEndFromGraph page />
                </div>
                <div class="credential-fields" hidden=move || !is_certificate()>
                    <CertificatePanel page />
                    <FieldInput state=form.field(Field::Certificate) at_fault multiline=true />
                    <FieldInput state=form.field(Field::PrivateKey) at_fault multiline=true />
                </div>
                <FieldInput state=form.field(Field::ObjectId) at_fault />
            </div>
            <div class="auth-fields" data-auth="password" hidden=move || !is_password()>
                <FieldInput state=form.field(Field::SmtpHost) at_fault />
                <FieldInput state=form.field(Field::SmtpPort) at_fault input_type="text" />
                <ChoiceSelect
                    id="security"
                    label=t.security
                    choices=&Security::ALL
                    selected=form.security
                    key=Security::key
                    text=t.security_name
                    hint=t.security_hint
                />
                <FieldInput state=form.field(Field::Username) at_fault autocomplete="username" />
                <FieldInput
                    state=form.field(Field::Password)
                    at_fault
                    secret=true
                    autocomplete="new-password"
                />
            </div>
            <FieldInput
                state=form.field(Field::SendTestTo)
                at_fault
                input_type="email"
                placeholder=recipient_placeholder
            />
            <div class="auth-fields" hidden=is_password>
                <FieldInput state=form.field(Field::MonitorTo) at_fault input_type="email" />
            </div>
            <div class="actions">
                <button
                    type="submit"
                    id="send-test"
                    disabled=move || !hydrated.get() || busy.get()
                    aria-busy=move || send.pending().get().to_string()
                >
                    {move || if send.pending().get() { t.sending_test } else { t.send_test }}
                </button>
                <button
                    type="button"
                    id="check-mailbox"
                    class="secondary"
                    hidden=is_password
                    disabled=move || !hydrated.get() || busy.get()
                    aria-busy=move || check.pending().get().to_string()
                    on:click=on_check
                >
                    {move || if check.pending().get() { t.checking_mailbox } else { t.check_mailbox }}
                </button>
                <button
                    type="button"
                    id="save"
                    class="secondary"
                    disabled=move || !hydrated.get() || busy.get()
                    aria-busy=move || save.pending().get().to_string()
                    on:click=on_save
                >
                    {move || if save.pending().get() { t.saving } else { t.save }}
                </button>
            </div>
        </form>
    }
}
