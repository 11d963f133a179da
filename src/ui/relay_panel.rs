//! The page's Relay section: where applications connect, the relay credentials (a new
//! one's password shown once, with ready-to-copy examples), and the Outbox with each
//! message's status and, when it did not go, the server's own words.

use leptos::either::Either;
use leptos::prelude::*;

use super::copy_button::CopyButton;
use super::credential_limits::CredentialLimits;
use super::webhooks_panel::WebhooksPanel;
use crate::api::relay::{
    utc, CredentialAdded, CredentialRefusal, MessageStatus, OutboxAction, OutboxEntry,
    RelayCredential, RelayOverview, SendersSaved,
};
use crate::domain::{FieldError, SenderList};
use crate::i18n::{lang, texts, RelayPlace};
use crate::serverfns::{
    add_relay_credential, outbox_action, relay_overview, remove_relay_credential,
    save_allowed_senders,
};
use crate::ui::failure_panel::api_words;
use crate::ui::format::instant;

/// A new credential, while its password is on screen.
#[derive(Clone)]
struct Shown {
    name: String,
    password: String,
}

#[component]
pub fn RelayPanel(overview: RwSignal<RelayOverview>) -> impl IntoView {
    let shown = RwSignal::new(None::<Shown>);
    let editing = RwSignal::new(None::<RelayCredential>);
    let problem = RwSignal::new(None::<String>);
    let new_name = RwSignal::new(String::new());
    let add = Action::new(|name: &String| add_relay_credential(name.clone()));
    Effect::new(move || match add.value().get() {
        Some(Ok(CredentialAdded::Added {
            name,
            password,
            overview: now,
        })) => {
            overview.set(*now);
            shown.set(Some(Shown {
                name,
                password: password.0,
            }));
            problem.set(None);
            new_name.set(String::new());
        }
        Some(Ok(CredentialAdded::Refused(why))) => problem.set(Some(refusal(&why))),
        Some(Err(error)) => {
            let (title, text) = api_words(error);
            problem.set(Some(format!("{title}: {text}")));
        }
        None => {}
    });
    let remove = Action::new(|name: &String| remove_relay_credential(name.clone()));
    let refresh = Action::new(|_: &()| relay_overview());
    Effect::new(move || {
        if let Some(Ok(now)) = refresh.value().get() {
            overview.set(now);
        }
    });
    let act =
        Action::new(|(id, action): &(String, OutboxAction)| outbox_action(id.clone(), *action));
    Effect::new(move || {
        if let Some(Ok(now)) = remove.value().get() {
            overview.set(now);
        }
    });
    Effect::new(move || {
        if let Some(Ok(now)) = act.value().get() {
            overview.set(now);
        }
    });
    let senders = RwSignal::new(overview.get_untracked().also_allowed);
    let lang = lang();
    let t = lang.texts();
    let senders_problem = Memo::new(move |_| {
        SenderList::parse(&senders.get())
            .err()
            .map(|error| FieldError::from(error).text(lang))
    });
    let save_senders = Action::new(|text: &String| save_allowed_senders(text.clone()));
    let senders_saved = RwSignal::new(false);
    Effect::new(move || match save_senders.value().get() {
        Some(Ok(SendersSaved::Saved(now))) => {
            senders.set(now.also_allowed.clone());
            overview.set(now);
            senders_saved.set(true);
        }
        Some(Ok(SendersSaved::Invalid(_)) | Err(_)) | None => senders_saved.set(false),
    });
    let on_save_senders = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if senders_problem.get_untracked().is_none() {
            save_senders.dispatch(senders.get_untracked());
        }
    };
    let on_add = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        add.dispatch(new_name.get_untracked());
    };

    view! {
        <section class="relay" aria-labelledby="relay-title">
            <h2 id="relay-title">{t.relay}</h2>
            <p class="hint">{move || where_to_connect(&overview.read())}</p>
            <h3>{t.also_allowed}</h3>
            <form class="allowed-senders" on:submit=on_save_senders>
                <label for="also-allowed-senders">{t.also_allowed_label}</label>
                <textarea
                    id="also-allowed-senders"
                    rows="3"
                    spellcheck="false"
                    aria-invalid=move || senders_problem.get().is_some().to_string()
                    aria-describedby="also-allowed-senders-error"
                    prop:value=move || senders.get()
                    on:input=move |ev| {
                        senders_saved.set(false);
                        senders.set(event_target_value(&ev));
                    }
                ></textarea>
                <p class="field-error" id="also-allowed-senders-error" aria-live="polite">
                    {move || senders_problem.get()}
                </p>
                <button type="submit" disabled=move || save_senders.pending().get()>{t.update_allowed}</button>
                {move || senders_saved.get().then(|| view! { <span class="hint">" "{t.allowed_saved}</span> })}
            </form>
            <h3>{t.credentials}</h3>
            <p class="hint">{t.credentials_hint}</p>
            <form class="add-credential" on:submit=on_add>
                <label for="credential-name">{t.new_credential}</label>
                <input
                    id="credential-name"
                    type="text"
                    autocomplete="off"
                    spellcheck="false"
                    prop:value=move || new_name.get()
                    on:input=move |ev| new_name.set(event_target_value(&ev))
                />
                <button type="submit" disabled=move || add.pending().get()>{t.add_credential}</button>
            </form>
            {move || problem.get().map(|why| view! { <p class="field-error" role="alert">{why}</p> })}
            {move || shown.get().map(|shown| view! { <NewPassword shown overview /> })}
            {move || credentials_table(overview.read().credentials.clone(), remove, editing)}
            {move || editing.get().map(|credential| view! { <CredentialLimits credential overview editing /> })}
            <WebhooksPanel overview />
            <h3 id="outbox-title">{t.outbox}</h3>
            <p class="hint" id="outbox-kept">{move || (t.outbox_kept)(&overview.read().retention)}</p>
            <button type="button" on:click=move |_| { refresh.dispatch(()); }>{t.refresh}</button>
            {move || outbox_table(overview.read().outbox.clone(), act)}
        </section>
    }
}

fn where_to_connect(overview: &RelayOverview) -> String {
    (texts().relay_place)(&RelayPlace {
        smtp: overview.smtp_address.as_deref(),
        api_url: &overview.api_url,
        mailbox: &overview.mailbox,
        also_allowed: !overview.also_allowed.is_empty(),
    })
}

/// Why a credential was not added, in the page's words.
fn refusal(why: &CredentialRefusal) -> String {
    let t = texts();
    match why {
        CredentialRefusal::BadName => t.credential_name_rule.to_owned(),
        CredentialRefusal::Exists(name) => (t.credential_exists)(name),
    }
}

/// The password, once, and an example for the application's administrator.
#[component]
fn NewPassword(shown: Shown, overview: RwSignal<RelayOverview>) -> impl IntoView {
    let Shown { name, password } = shown;
    let example = {
        let view = overview.read_untracked();
        let mailbox = if view.mailbox.is_empty() {
            "sender@contoso.com"
        } else {
            view.mailbox.as_str()
        };
        let smtp = view
            .smtp_address
            .clone()
            .unwrap_or_else(|| "127.0.0.1:2525".to_owned());
        format!(
            "swaks --server {smtp} --tls --auth-user {name} --auth-password '{password}' --from {mailbox} --to you@example.com\n\ncurl -u '{name}:{password}' -H 'Content-Type: application/json' -d '{{\"to\":[\"you@example.com\"],\"subject\":\"Hello\",\"text\":\"Sent through smtp-setup\"}}' {}",
            view.api_url
        )
    };
    let password_text = password.clone();
    let t = texts();
    view! {
        <div class="new-password" role="status">
            <p>
                {t.new_password_before} <strong>{name}</strong> {t.new_password_after}
            </p>
            <p class="secret-line">
                <code id="new-credential-password">{password}</code>
                <CopyButton text=Signal::derive(move || password_text.clone()) label=t.copy_password />
            </p>
            <p>{t.try_it}</p>
            <pre id="relay-example">{example}</pre>
        </div>
    }
}

fn credentials_table(
    credentials: Vec<RelayCredential>,
    remove: Action<String, Result<RelayOverview, crate::api::ApiError>>,
    editing: RwSignal<Option<RelayCredential>>,
) -> impl IntoView {
    let t = texts();
    if credentials.is_empty() {
        return Either::Left(view! { <p class="hint">{t.no_credential}</p> });
    }
    let rows = credentials
        .into_iter()
        .map(|credential| {
            let name = credential.name.clone();
            let label = format!("{} {}", t.remove, credential.name);
            // The visible words first, as the Remove button's (WCAG 2.5.3).
            let limits_label = format!("{} {}", t.limits, credential.name);
            let (created, used) = (credential.created_at, credential.last_used_at);
            let summary = (t.scope_summary)(&credential.scope);
            let edited = credential.clone();
            view! {
                <tr>
                    <td>{credential.name.clone()}</td>
                    <td>{move || when(created)}</td>
                    <td>{move || used.map_or(t.never.to_owned(), when)}</td>
                    <td class="scope">{summary}</td>
                    <td>
                        <button type="button" aria-label=limits_label on:click=move |_| editing.set(Some(edited.clone()))>
                            {t.edit_limits}
                        </button>
                        <button type="button" aria-label=label on:click=move |_| { remove.dispatch(name.clone()); }>
                            {t.remove}
                        </button>
                    </td>
                </tr>
            }
        })
        .collect_view();
    Either::Right(view! {
        <div class="table-scroll">
            <table id="credentials-table" class="data">
                <thead>
                    <tr>
                        <th scope="col">{t.name}</th>
                        <th scope="col">{t.added}</th>
                        <th scope="col">{t.last_used}</th>
                        <th scope="col">{t.limits}</th>
                        <th scope="col"><span class="visually-hidden">{t.actions}</span></th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    })
}

fn outbox_table(
    outbox: Vec<OutboxEntry>,
    act: Action<(String, OutboxAction), Result<RelayOverview, crate::api::ApiError>>,
) -> impl IntoView {
    let t = texts();
    if outbox.is_empty() {
        return Either::Left(view! { <p class="hint">{t.no_message}</p> });
    }
    let rows = outbox
        .into_iter()
        .map(|entry| {
            let actionable = matches!(
                entry.status,
                MessageStatus::Queued | MessageStatus::Retrying | MessageStatus::Failed
            );
            let (retry_id, delete_id) = (entry.id.clone(), entry.id.clone());
            let (accepted, next) = (entry.accepted_at, entry.next_attempt_at);
            // The server's words are the same in every language, and English.
            let quoted = entry.last_error.as_ref().is_some_and(|w| w.en == w.pt_br);
            let last_error = entry.last_error.as_ref().map(|w| w.get(lang()).to_owned());
            view! {
                <tr class=entry.status.key() data-id=entry.id.clone()>
                    <td>{move || when(accepted)}</td>
                    <td>{entry.mail_from.clone()}</td>
                    <td>{entry.recipients.join(", ")}</td>
                    <td>{entry.subject.clone()}</td>
                    <td class="status">{(t.message_status)(entry.status)}</td>
                    <td>{entry.attempts}</td>
                    <td>{move || next.map(when).unwrap_or_default()}</td>
                    <td class="last-error" lang=quoted.then_some("en")>{last_error}</td>
                    <td>
                        {actionable.then(|| view! {
                            <button type="button" on:click=move |_| { act.dispatch((retry_id.clone(), OutboxAction::RetryNow)); }>
                                {t.retry_now}
                            </button>
                            <button type="button" on:click=move |_| { act.dispatch((delete_id.clone(), OutboxAction::Delete)); }>
                                {t.delete}
                            </button>
                        })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    Either::Right(view! {
        <div class="table-scroll" tabindex="0" role="region" aria-labelledby="outbox-title">
            <table id="outbox-table" class="data">
                <thead>
                    <tr>
                        <th scope="col">{t.accepted}</th>
                        <th scope="col">{t.from}</th>
                        <th scope="col">{t.to}</th>
                        <th scope="col">{t.subject}</th>
                        <th scope="col">{t.status}</th>
                        <th scope="col">{t.attempts}</th>
                        <th scope="col">{t.next_try}</th>
                        <th scope="col">{t.last_error}</th>
                        <th scope="col"><span class="visually-hidden">{t.actions}</span></th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    })
}

/// An instant of the relay's, for reading (see `ui::format`).
fn when(unix_millis: i64) -> String {
    instant(&utc(unix_millis))
}
