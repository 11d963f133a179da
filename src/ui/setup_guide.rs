use leptos::prelude::*;

use super::copy_button::CopyButton;
use crate::domain::Cloud;
use crate::guide::{check_script, setup_script, GuideInput};

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

/// The Microsoft 365 setup, step by step, with the PowerShell filled in from the form.
#[component]
pub fn SetupGuide(values: GuideSignals) -> impl IntoView {
    let setup = Signal::derive(move || values.script(setup_script));
    let check = Signal::derive(move || values.script(check_script));
    let admin_center = move || values.cloud.get().entra_admin_center();
    view! {
        <details class="guide" id="setup-guide">
            <summary>"Setup guide: Microsoft 365 app-only SMTP, filled in from this form"</summary>
            <ol class="guide-steps">
                <li>
                    <strong>"Register the app. "</strong>
                    "In the Entra admin center ("<code>{admin_center}</code>
                    "): App registrations → New registration. Copy the Application (client) ID into "
                    <em>"SMTP User"</em>" and the Directory (tenant) ID into "<em>"TenantId"</em>
                    ". Certificates & secrets → New client secret: copy its Value (not its Secret ID) into "
                    <em>"SMTP Password"</em>"."
                </li>
                <li>
                    <strong>"Add the permissions. "</strong>
                    "API permissions → Add a permission → APIs my organization uses → "
                    "Office 365 Exchange Online → Application permissions: "<code>"SMTP.SendAsApp"</code>
                    " (and "<code>"IMAP.AccessAsApp"</code>" if the application also reads mail). "
                    "Then Grant admin consent. Not under Microsoft Graph: that is the commonest mistake."
                </li>
                <li>
                    <strong>"Find the service principal's ObjectId. "</strong>
                    "Enterprise applications → your app → Object ID, into "<em>"ObjectId"</em>
                    ". Not the Object ID on the App registration page: that one is the registration's."
                </li>
                <li>
                    <strong>"Register the service principal in Exchange and give it the mailbox. "</strong>
                    "In PowerShell, as an Exchange administrator:"
                    <pre class="script" id="guide-setup-script">{setup}</pre>
                    <CopyButton text=setup label="Copy the setup commands" />
                    <p class="hint">
                        "Permissions can take up to about 30 minutes to apply; until then Exchange answers 535 5.7.3."
                    </p>
                </li>
                <li>
                    <strong>"Check where the setup stands (read-only). "</strong>
                    <pre class="script" id="guide-check-script">{check}</pre>
                    <CopyButton text=check label="Copy the check commands" />
                </li>
            </ol>
        </details>
    }
}
