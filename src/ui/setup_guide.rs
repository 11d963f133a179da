use leptos::prelude::*;

use super::copy_button::CopyButton;
use crate::domain::Cloud;
use crate::guide::{check_script, setup_script, GuideInput};
use crate::i18n::{lang, learn};

/// The raw form values the guide reads, as signals: it follows every keystroke.
#[derive(Clone, Copy)]
pub struct GuideSignals {
    pub cloud: RwSignal<Cloud>,
    pub tenant_id: RwSignal<String>,
    pub client_id: RwSignal<String>,
    pub object_id: RwSignal<String>,
    pub email_address: RwSignal<String>,
}

impl GuideSignals {
    fn script(self, make: fn(&GuideInput<'_>) -> String) -> String {
        make(&GuideInput {
            cloud: self.cloud.get(),
            tenant_id: &self.tenant_id.read(),
            client_id: &self.client_id.read(),
            object_id: &self.object_id.read(),
            email_address: &self.email_address.read(),
        })
    }
}

/// The Microsoft 365 setup, step by step, with the PowerShell filled in from the form,
/// each step linking Microsoft Learn's page in the page's language.
#[component]
pub fn SetupGuide(values: GuideSignals) -> impl IntoView {
    let setup = Signal::derive(move || values.script(setup_script));
    let check = Signal::derive(move || values.script(check_script));
    let lang = lang();
    let t = lang.texts();
    let learn_link = move |path: &str, text: &'static str| {
        view! {
            <a class="learn" href=lang.learn(path) hreflang=lang.learn_locale() target="_blank" rel="noopener">
                {text}
            </a>
        }
    };
    view! {
        <details class="guide" id="setup-guide">
            <summary>{t.guide_summary}</summary>
            <ol class="guide-steps">
                <li>
                    <strong>{t.guide_register_title}</strong>" "
                    {move || (t.guide_register)(values.cloud.get().entra_admin_center())}
                    <span class="learn-links">
                        {learn_link(learn::REGISTER_APP, t.learn_register)}
                        {learn_link(learn::CLIENT_SECRET, t.learn_secret)}
                    </span>
                </li>
                <li>
                    <strong>{t.guide_permissions_title}</strong>" "{t.guide_permissions}
                    <span class="learn-links">{learn_link(learn::ADMIN_CONSENT, t.learn_consent)}</span>
                </li>
                <li>
                    <strong>{t.guide_object_id_title}</strong>" "{t.guide_object_id}
                </li>
                <li>
                    <strong>{t.guide_exchange_title}</strong>" "{t.guide_exchange}
                    <pre class="script" id="guide-setup-script" tabindex="0">{setup}</pre>
                    <CopyButton text=setup label=t.copy_setup />
                    <p class="hint">{t.guide_exchange_wait}</p>
                    <span class="learn-links">{learn_link(learn::EXCHANGE_OAUTH, t.learn_exchange)}</span>
                </li>
                <li>
                    <strong>{t.guide_check_title}</strong>
                    <pre class="script" id="guide-check-script" tabindex="0">{check}</pre>
                    <CopyButton text=check label=t.copy_check />
                    <p class="hint">{t.guide_smtp_auth}</p>
                    <span class="learn-links">{learn_link(learn::SMTP_AUTH, t.learn_smtp_auth)}</span>
                </li>
            </ol>
        </details>
    }
}
