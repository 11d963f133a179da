//! The form that limits one relay credential: the senders it may use, the client
//! addresses it may connect from, messages an hour. Checked while typing by the same
//! `CredentialScope::parse` the server saves with.

use leptos::prelude::*;

use crate::api::relay::{RelayCredential, RelayOverview, ScopeSaved};
use crate::domain::CredentialScope;
use crate::i18n::lang;
use crate::serverfns::limit_relay_credential;
use crate::ui::failure_panel::api_words;

#[component]
pub fn CredentialLimits(
    credential: RelayCredential,
    overview: RwSignal<RelayOverview>,
    editing: RwSignal<Option<RelayCredential>>,
) -> impl IntoView {
    let lang = lang();
    let t = lang.texts();
    let (senders_text, clients_text, per_hour_text) = credential.scope.to_texts();
    let (senders, clients, per_hour) = (
        RwSignal::new(senders_text),
        RwSignal::new(clients_text),
        RwSignal::new(per_hour_text),
    );
    let problem = Memo::new(move |_| {
        CredentialScope::parse(&senders.get(), &clients.get(), &per_hour.get())
            .err()
            .map(|error| error.field_error().text(lang))
    });
    let name = credential.name.clone();
    let save = Action::new(
        move |(senders, clients, per_hour): &(String, String, String)| {
            limit_relay_credential(
                name.clone(),
                senders.clone(),
                clients.clone(),
                per_hour.clone(),
            )
        },
    );
    let refused = RwSignal::new(None::<String>);
    Effect::new(move || match save.value().get() {
        Some(Ok(ScopeSaved::Saved(now))) => {
            overview.set(now);
            editing.set(None);
        }
        Some(Ok(ScopeSaved::Invalid(error))) => refused.set(Some(error.field_error().text(lang))),
        Some(Err(error)) => {
            let (title, text) = api_words(error);
            refused.set(Some(format!("{title}: {text}")));
        }
        None => {}
    });
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if problem.get_untracked().is_none() {
            save.dispatch((
                senders.get_untracked(),
                clients.get_untracked(),
                per_hour.get_untracked(),
            ));
        }
    };
    let field = |id: &'static str, label: &'static str, value: RwSignal<String>| {
        view! {
            <label for=id>{label}</label>
            <textarea
                id=id
                rows="2"
                spellcheck="false"
                aria-describedby="credential-limits-error"
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            ></textarea>
        }
    };
    view! {
        <form class="credential-limits" on:submit=on_submit aria-labelledby="credential-limits-title">
            <h4 id="credential-limits-title">{(t.limits_of)(&credential.name)}</h4>
            {field("limit-senders", t.scope_senders_label, senders)}
            {field("limit-clients", t.scope_clients_label, clients)}
            <label for="limit-per-hour">{t.scope_per_hour_label}</label>
            <input
                id="limit-per-hour"
                type="text"
                inputmode="numeric"
                autocomplete="off"
                aria-describedby="credential-limits-error"
                prop:value=move || per_hour.get()
                on:input=move |ev| per_hour.set(event_target_value(&ev))
            />
            <p class="field-error" id="credential-limits-error" aria-live="polite">
                {move || problem.get().or_else(|| refused.get())}
            </p>
            <button type="submit" disabled=move || save.pending().get()>{t.save_limits}</button>
            " "
            <button type="button" on:click=move |_| editing.set(None)>{t.cancel}</button>
        </form>
    }
}
