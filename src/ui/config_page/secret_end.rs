//! "Secret expires" read from Microsoft Graph instead of typed: the form as it is goes
//! to the server, which asks Graph with the app's own credential.

use leptos::prelude::*;

use super::state::{api_problem, PageState};
use crate::api::certificate::ExpiryLookup;
use crate::domain::{Field, SmtpForm};
use crate::i18n::{lang, texts};
use crate::serverfns::read_secret_expiry;

#[component]
pub fn SecretEndFromGraph(page: PageState) -> impl IntoView {
    let t = texts();
    let lang = lang();
    let form = page.form;
    let read = Action::new(|form: &SmtpForm| read_secret_expiry(form.clone()));
    // What Graph said, or why it could not: (text, Graph's own words).
    let note = RwSignal::new(None::<(String, String)>);
    Effect::new(move |_| {
        if let Some(result) = read.value().get() {
            match result {
                Ok(ExpiryLookup::Found { date }) => {
                    form.field(Field::SecretExpires).value.set(date.clone());
                    form.graph_date.set(Some(date.clone()));
                    note.set(Some(((t.found_in_graph)(&date), String::new())));
                }
                Ok(ExpiryLookup::Invalid(errors)) => {
                    note.set(None);
                    page.refused(&errors);
                }
                Ok(ExpiryLookup::Failed {
                    summary,
                    fix,
                    detail,
                }) => note.set(Some((
                    format!("{} {}", summary.get(lang), fix.get(lang)),
                    detail,
                ))),
                Err(error) => page.problem.set(Some(api_problem(error))),
            }
        }
    });
    view! {
        <div class="graph-read">
            <button
                type="button"
                id="read-secret-expiry"
                class="secondary"
                aria-describedby="read-secret-expiry-hint"
                disabled=move || read.pending().get()
                on:click=move |_| {
                    read.dispatch(form.snapshot());
                }
            >
                {move || if read.pending().get() { t.reading_from_graph } else { t.read_from_graph }}
            </button>
            <p class="hint" id="read-secret-expiry-hint">{t.read_from_graph_hint}</p>
            <div id="secret-expiry-note" aria-live="polite">
                {move || {
                    note.get()
                        .map(|(text, detail)| {
                            view! {
                                <p>{text}</p>
                                {(!detail.is_empty())
                                    .then(|| view! { <pre class="detail" lang="en">{detail}</pre> })}
                            }
                        })
                }}
            </div>
        </div>
    }
}
