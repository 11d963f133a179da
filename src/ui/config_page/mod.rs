//! The SMTP configuration page: the form, then what the last test or save said, the
//! setup guide, the report, the transcript, the recent tests and the relay.

mod certificate;
mod form;
mod form_state;
mod secret_end;
mod state;

use leptos::prelude::*;
use leptos::server::SharedValue;

use self::form::ConfigForm;
use self::state::PageState;
use super::checklist::Checklist;
use super::failure_panel::FailurePanel;
use super::history::History;
use super::relay_panel::RelayPanel;
use super::setup_guide::{GuideSignals, SetupGuide};
use super::toast::Toast;
use super::transcript::TranscriptPanel;
use crate::api::report::TestKind;
use crate::api::saved::{ExpiryLevel, InitialData};
use crate::domain::{AuthType, Field};
use crate::i18n::{Expiry, Lang};
use crate::ui::format::{instant, provide_hydrated};

#[component]
pub fn ConfigPage() -> impl IntoView {
    // Read from the store before rendering (`edge::web::page`); the browser gets the
    // same value from the page itself when it hydrates.
    let initial = SharedValue::new_serde_wb(|| use_context::<InitialData>().unwrap_or_default());
    let mut initial = initial.into_inner();
    let lang = initial.lang;
    provide_context(lang);
    provide_hydrated();
    let t = lang.texts();
    let relay = RwSignal::new(std::mem::take(&mut initial.relay));
    let page = PageState::new(initial);
    let form = page.form;
    let guide = GuideSignals {
        cloud: form.cloud,
        tenant_id: form.field(Field::TenantId).value,
        client_id: form.field(Field::ClientId).value,
        object_id: form.field(Field::ObjectId).value,
        email_address: form.field(Field::EmailAddress).value,
    };
    let is_password = move || form.auth_type.get() == AuthType::Password;

    view! {
        <header class="top">
            <h1>{t.page_title}</h1>
            <nav class="languages" aria-label=t.language>
                <ul>
                    {Lang::ALL
                        .into_iter()
                        .map(|other| {
                            view! {
                                <li>
                                    <a
                                        href=format!("/language/{}?back=/", other.tag())
                                        hreflang=other.tag()
                                        lang=other.tag()
                                        aria-current=(other == lang).then_some("true")
                                    >
                                        {other.name()}
                                    </a>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </nav>
            <form method="post" action="/logout" class="sign-out">
                <button type="submit">{t.sign_out}</button>
            </form>
        </header>
        <p class="lead">{t.lead}</p>
        {move || {
            page.expiry
                .get()
                .filter(|notice| notice.level() != ExpiryLevel::Quiet)
                .map(|notice| {
                    let text = (t.expiry)(&Expiry {
                        date: &notice.date,
                        days_left: notice.days_left,
                        source: notice.source,
                    });
                    view! {
                        <p
                            class="expiry-banner"
                            class:alarm=notice.level() == ExpiryLevel::Alarm
                            id="expiry-banner"
                        >
                            {text}
                        </p>
                    }
                })
        }}
        {move || {
            // The newest scheduled check, when it failed.
            page.history
                .read()
                .iter()
                .find(|entry| matches!(entry.kind, TestKind::ScheduledCheck | TestKind::ScheduledSend))
                .filter(|entry| !entry.passed)
                .map(|entry| {
                    let summary = entry
                        .summary
                        .as_ref()
                        .map(|words| words.get(lang).to_owned())
                        .unwrap_or_default();
                    let text = (t.scheduled_failed)(&instant(&entry.at), &summary);
                    view! {
                        <p class="expiry-banner alarm" id="scheduled-banner">
                            {text}
                        </p>
                    }
                })
        }}
        <ConfigForm page />
        <FailurePanel problem=page.problem />
        <div hidden=is_password>
            <SetupGuide values=guide />
        </div>
        <Checklist
            steps=page.steps.into()
            open=Signal::derive(move || page.problem.read().is_some())
        />
        <TranscriptPanel text=page.transcript.into() />
        <History entries=page.history />
        <RelayPanel overview=relay />
        <Toast message=page.toast />
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
