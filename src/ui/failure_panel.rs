// `Either` rather than `into_any()`: type-erased views pull a large generic hydration
// path into the WASM bundle.
use leptos::either::Either;
use leptos::prelude::*;

use super::copy_button::CopyButton;
use crate::api::report::Failure;
use crate::api::ApiError;
use crate::i18n::{lang, texts};

/// What went wrong with a test, as the page shows it.
#[derive(Clone, Debug, PartialEq)]
pub enum Problem {
    /// The test ran and failed at a step.
    Failed(Failure),
    /// Something to act on that is not a failed test: a save conflict, a rate limit, a
    /// call that did not get its answer.
    Notice { title: String, text: String },
}

/// A panel that stays until dismissed: the failing step, the real error text, the
/// field at fault and the fix.
#[component]
pub fn FailurePanel(problem: RwSignal<Option<Problem>>) -> impl IntoView {
    move || {
        problem.get().map(|current| {
            let body = match current {
                Problem::Failed(failure) => Either::Left(failure_view(failure)),
                Problem::Notice { title, text } => Either::Right(notice_view(title, text)),
            };
            view! {
                <section class="failure" role="alert" aria-labelledby="failure-title">
                    {body}
                    <button type="button" class="dismiss-panel" on:click=move |_| problem.set(None)>
                        {texts().dismiss}
                    </button>
                </section>
            }
        })
    }
}

fn notice_view(title: String, text: String) -> impl IntoView {
    view! {
        <h2 id="failure-title">{title}</h2>
        <p class="summary">{text}</p>
    }
}

fn failure_view(failure: Failure) -> impl IntoView {
    let lang = lang();
    let t = lang.texts();
    let summary = failure.summary.get(lang).to_owned();
    let fix = failure.fix.get(lang).to_owned();
    let field = failure.field.map(|field| {
        view! {
            <p class="at-fault-field">
                {t.field_to_check} <a href=format!("#{}", field.input_id())>{(t.field_label)(field)}</a>
            </p>
        }
    });
    let catalogue = failure.catalogue_href().map(|href| {
        view! { <p class="catalogue"><a href=href>{t.in_the_catalogue}</a></p> }
    });
    let code = failure
        .code
        .map(|code| view! { <code class="code">{code}</code> });
    let references = (!failure.references.is_empty()).then(|| {
        view! {
            <dl class="references">
                {failure
                    .references
                    .into_iter()
                    .map(|(name, value)| {
                        let name = (t.reference_name)(&name);
                        let label = (t.copy_named)(&name);
                        let copy = value.clone();
                        view! {
                            <dt>{name}</dt>
                            <dd>
                                <code>{value}</code>
                                " "
                                <CopyButton text=Signal::derive(move || copy.clone()) label />
                            </dd>
                        }
                    })
                    .collect_view()}
            </dl>
        }
    });
    view! {
        <h2 id="failure-title">{t.failed_at} <span class="step">{(t.step_label)(failure.step)}</span></h2>
        <p class="summary">{summary} " " {code}</p>
        // The server's own words, as it sent them (English, from Microsoft).
        {(!failure.detail.is_empty()).then(|| view! { <pre class="detail" lang="en">{failure.detail}</pre> })}
        {field}
        <p class="fix"><strong>{t.what_to_do}</strong>{fix}</p>
        {catalogue}
        {references}
    }
}

/// The title and text of a call that did not get its answer (the relay panel shows them
/// on one line).
pub fn api_words(error: ApiError) -> (&'static str, String) {
    let t = texts();
    match error {
        ApiError::SignedOut => (t.signed_out_title, t.signed_out.to_owned()),
        ApiError::Unavailable(detail) => (t.unavailable_title, (t.unavailable)(&detail)),
        ApiError::Malformed(detail) => (t.malformed_title, (t.malformed)(&detail)),
        ApiError::Unreachable(detail) => (t.unreachable_title, (t.unreachable)(&detail)),
    }
}
