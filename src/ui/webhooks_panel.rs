//! The page's Webhooks: the endpoints (a new one's signing secret shown once), a test
//! event for each, and each one's delivery log with the endpoint's last answer.

use leptos::either::Either;
use leptos::prelude::*;

use super::copy_button::CopyButton;
use crate::api::relay::{RelayOverview, WebhookAdded};
use crate::api::webhooks::{WebhookDelivery, WebhookEndpoint};
use crate::domain::{FieldError, WebhookUrl};
use crate::i18n::{lang, texts};
use crate::serverfns::{add_webhook, remove_webhook, test_webhook, webhook_log};
use crate::ui::failure_panel::api_words;
use crate::ui::format::instant;

/// A new endpoint, while its secret is on screen.
#[derive(Clone)]
struct Shown {
    url: String,
    secret: String,
}

/// The endpoint whose log is open, and its deliveries.
#[derive(Clone)]
struct Log {
    endpoint: WebhookEndpoint,
    deliveries: Vec<WebhookDelivery>,
}

#[component]
pub fn WebhooksPanel(overview: RwSignal<RelayOverview>) -> impl IntoView {
    let lang = lang();
    let t = lang.texts();
    let url = RwSignal::new(String::new());
    let typed = RwSignal::new(false);
    let url_problem = Memo::new(move |_| {
        let text = url.get();
        (typed.get() || !text.is_empty())
            .then(|| WebhookUrl::parse(&text).err())
            .flatten()
            .map(|error| FieldError::from(error).text(lang))
    });
    let shown = RwSignal::new(None::<Shown>);
    let refused = RwSignal::new(None::<String>);
    let log = RwSignal::new(None::<Log>);
    let add = Action::new(|url: &String| add_webhook(url.clone()));
    Effect::new(move || match add.value().get() {
        Some(Ok(WebhookAdded::Added {
            secret,
            overview: now,
            ..
        })) => {
            shown.set(Some(Shown {
                url: url.get_untracked().trim().to_owned(),
                secret: secret.0,
            }));
            overview.set(*now);
            refused.set(None);
            url.set(String::new());
            typed.set(false);
        }
        Some(Ok(WebhookAdded::Invalid(error))) => {
            refused.set(Some(FieldError::from(error).text(lang)));
        }
        Some(Err(error)) => {
            let (title, text) = api_words(error);
            refused.set(Some(format!("{title}: {text}")));
        }
        None => {}
    });
    let remove = Action::new(|id: &String| remove_webhook(id.clone()));
    Effect::new(move || {
        if let Some(Ok(now)) = remove.value().get() {
            overview.set(now);
            log.set(None);
        }
    });
    // A test event, or a look at the log: the log of that endpoint, opened.
    let read = Action::new(|(endpoint, test): &(WebhookEndpoint, bool)| {
        let (endpoint, test) = (endpoint.clone(), *test);
        async move {
            let deliveries = if test {
                test_webhook(endpoint.id.clone()).await
            } else {
                webhook_log(endpoint.id.clone()).await
            };
            deliveries.map(|deliveries| Log {
                endpoint,
                deliveries,
            })
        }
    });
    Effect::new(move || {
        if let Some(Ok(opened)) = read.value().get() {
            log.set(Some(opened));
        }
    });
    let on_add = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        typed.set(true);
        if url_problem.get_untracked().is_none() {
            add.dispatch(url.get_untracked());
        }
    };
    view! {
        <section class="webhooks" aria-labelledby="webhooks-title">
            <h3 id="webhooks-title">{t.webhooks}</h3>
            <p class="hint">{t.webhooks_hint}</p>
            <form class="add-webhook" on:submit=on_add>
                <label for="webhook-url">{t.webhook_url_label}</label>
                <input
                    id="webhook-url"
                    type="url"
                    autocomplete="off"
                    spellcheck="false"
                    aria-invalid=move || url_problem.get().is_some().to_string()
                    aria-describedby="webhook-url-error"
                    prop:value=move || url.get()
                    on:input=move |ev| url.set(event_target_value(&ev))
                />
                <button type="submit" disabled=move || add.pending().get()>{t.add_webhook}</button>
                <p class="field-error" id="webhook-url-error" aria-live="polite">
                    {move || url_problem.get().or_else(|| refused.get())}
                </p>
            </form>
            {move || shown.get().map(|shown| {
                let copied = shown.secret.clone();
                view! {
                    <div class="new-password" role="status">
                        <p>{t.webhook_secret_before} <strong>{shown.url}</strong> {t.webhook_secret_after}</p>
                        <p class="secret-line">
                            <code id="new-webhook-secret">{shown.secret}</code>
                            <CopyButton text=Signal::derive(move || copied.clone()) label=t.copy_secret />
                        </p>
                    </div>
                }
            })}
            {move || endpoints_table(overview.read().webhooks.clone(), remove, read)}
            {move || log.get().map(log_table)}
        </section>
    }
}

type OpenLog = Action<(WebhookEndpoint, bool), Result<Log, crate::api::ApiError>>;

fn endpoints_table(
    endpoints: Vec<WebhookEndpoint>,
    remove: Action<String, Result<RelayOverview, crate::api::ApiError>>,
    read: OpenLog,
) -> impl IntoView {
    let t = texts();
    if endpoints.is_empty() {
        return Either::Left(view! { <p class="hint">{t.no_webhook}</p> });
    }
    let rows = endpoints
        .into_iter()
        .map(|endpoint| {
            let created = endpoint.created_at;
            let (tested, logged, removed) = (endpoint.clone(), endpoint.clone(), endpoint.id.clone());
            // The visible words first, as the credentials' buttons (WCAG 2.5.3).
            let labels = [t.send_test_event, t.delivery_log, t.remove]
                .map(|words| format!("{words} {}", endpoint.url));
            let [test_label, log_label, remove_label] = labels;
            view! {
                <tr>
                    <td class="scope">{endpoint.url.clone()}</td>
                    <td>{move || instant(&crate::api::relay::utc(created))}</td>
                    <td>
                        <button type="button" aria-label=test_label on:click=move |_| { read.dispatch((tested.clone(), true)); }>
                            {t.send_test_event}
                        </button>
                        " "
                        <button type="button" aria-label=log_label on:click=move |_| { read.dispatch((logged.clone(), false)); }>
                            {t.delivery_log}
                        </button>
                        " "
                        <button type="button" aria-label=remove_label on:click=move |_| { remove.dispatch(removed.clone()); }>
                            {t.remove}
                        </button>
                    </td>
                </tr>
            }
        })
        .collect_view();
    Either::Right(view! {
        <div class="table-scroll">
            <table id="webhooks-table" class="data">
                <thead>
                    <tr>
                        <th scope="col">{t.address}</th>
                        <th scope="col">{t.added}</th>
                        <th scope="col"><span class="visually-hidden">{t.actions}</span></th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    })
}

fn log_table(log: Log) -> impl IntoView {
    let t = texts();
    let title = (t.delivery_log_of)(&log.endpoint.url);
    let body = if log.deliveries.is_empty() {
        Either::Left(view! { <p class="hint">{t.no_delivery}</p> })
    } else {
        let rows = log
            .deliveries
            .into_iter()
            .map(|delivery| {
                let created = delivery.created_at;
                view! {
                    <tr class=delivery.status.key()>
                        <td>{move || instant(&crate::api::relay::utc(created))}</td>
                        <td><code>{delivery.event}</code></td>
                        <td class="status">{(t.delivery_status)(delivery.status)}</td>
                        <td>{delivery.attempts}</td>
                        <td class="last-error" lang="en">{delivery.last_reply}</td>
                    </tr>
                }
            })
            .collect_view();
        Either::Right(view! {
            <div class="table-scroll">
                <table id="webhook-log" class="data">
                    <thead>
                        <tr>
                            <th scope="col">{t.accepted}</th>
                            <th scope="col">{t.event}</th>
                            <th scope="col">{t.status}</th>
                            <th scope="col">{t.attempts}</th>
                            <th scope="col">{t.last_answer}</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        })
    };
    view! {
        <h4 id="webhook-log-title">{title}</h4>
        {body}
    }
}
