//! The page's Relay section: where applications connect, the relay credentials (a new
//! one's password shown once, with ready-to-copy examples), and the Outbox with each
//! message's status and, when it did not go, the server's own words.

use leptos::either::Either;
use leptos::prelude::*;

use super::copy_button::CopyButton;
use crate::api::relay::{
    add_relay_credential, outbox_action, relay_overview, remove_relay_credential,
    save_allowed_senders, utc, CredentialAdded, MessageStatus, OutboxAction, OutboxEntry,
    RelayCredential, RelayOverview, SendersSaved,
};
use crate::domain::SenderList;

/// A new credential, while its password is on screen.
#[derive(Clone)]
struct Shown {
    name: String,
    password: String,
}

#[component]
pub fn RelayPanel(overview: RwSignal<RelayOverview>) -> impl IntoView {
    let shown = RwSignal::new(None::<Shown>);
    let problem = RwSignal::new(None::<String>);
    let new_name = RwSignal::new(String::new());
    let add = Action::new(|name: &String| add_relay_credential(name.clone()));
    Effect::new(move || match add.value().get() {
        Some(Ok(CredentialAdded::Added {
            name,
            password,
            overview: now,
        })) => {
            overview.set(now);
            shown.set(Some(Shown {
                name,
                password: password.0,
            }));
            problem.set(None);
            new_name.set(String::new());
        }
        Some(Ok(CredentialAdded::Refused(why))) => problem.set(Some(why)),
        Some(Err(error)) => problem.set(Some(error.to_string())),
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
    let senders_problem = Memo::new(move |_| {
        SenderList::parse(&senders.get())
            .err()
            .map(|error| error.to_string())
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
            <h2 id="relay-title">"Relay"</h2>
            <p class="hint">{move || where_to_connect(&overview.read())}</p>
            <h3>"Also allowed senders"</h3>
            <form class="allowed-senders" on:submit=on_save_senders>
                <label for="also-allowed-senders">
                    "Addresses the app may also send as (shared mailboxes, aliases with SendAs), one per line"
                </label>
                <textarea
                    id="also-allowed-senders"
                    rows="3"
                    spellcheck="false"
                    aria-invalid=move || senders_problem.get().is_some().to_string()
                    prop:value=move || senders.get()
                    on:input=move |ev| {
                        senders_saved.set(false);
                        senders.set(event_target_value(&ev));
                    }
                ></textarea>
                {move || senders_problem.get().map(|why| view! { <p class="field-error">{why}</p> })}
                <button type="submit" disabled=move || save_senders.pending().get()>"Update allowed senders"</button>
                {move || senders_saved.get().then(|| view! { <span class="hint">" Saved."</span> })}
            </form>
            <h3>"Relay credentials"</h3>
            <p class="hint">
                "Each application signs in with a credential of its own: its name as the user name, and the password shown once when it is added."
            </p>
            <form class="add-credential" on:submit=on_add>
                <label for="credential-name">"New credential name"</label>
                <input
                    id="credential-name"
                    type="text"
                    autocomplete="off"
                    spellcheck="false"
                    prop:value=move || new_name.get()
                    on:input=move |ev| new_name.set(event_target_value(&ev))
                />
                <button type="submit" disabled=move || add.pending().get()>"Add credential"</button>
            </form>
            {move || problem.get().map(|why| view! { <p class="field-error" role="alert">{why}</p> })}
            {move || shown.get().map(|shown| view! { <NewPassword shown overview /> })}
            {move || credentials_table(overview.read().credentials.clone(), remove)}
            <h3>"Outbox"</h3>
            <button type="button" on:click=move |_| { refresh.dispatch(()); }>"Refresh"</button>
            {move || outbox_table(overview.read().outbox.clone(), act)}
        </section>
    }
}

fn where_to_connect(overview: &RelayOverview) -> String {
    let smtp = match &overview.smtp_address {
        Some(address) => format!("SMTP on {address} (STARTTLS, AUTH PLAIN or LOGIN)"),
        None => "SMTP is off (SMTP_SETUP_RELAY_ADDR)".to_owned(),
    };
    let sender = if overview.mailbox.is_empty() {
        "Save a configuration first: its email address is the sender allowed.".to_owned()
    } else if overview.also_allowed.is_empty() {
        format!("The sender must be {}.", overview.mailbox)
    } else {
        format!(
            "The sender must be {} or one of the also allowed senders.",
            overview.mailbox
        )
    };
    format!(
        "Applications send through the saved configuration: {smtp}, or HTTP at {}. {sender}",
        overview.api_url
    )
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
    view! {
        <div class="new-password" role="status">
            <p>
                "The password of " <strong>{name}</strong>
                ", shown only now: copy it into the application."
            </p>
            <p class="secret-line">
                <code id="new-credential-password">{password}</code>
                <CopyButton text=Signal::derive(move || password_text.clone()) label="Copy the password" />
            </p>
            <p>"To try it from a shell:"</p>
            <pre id="relay-example">{example}</pre>
        </div>
    }
}

fn credentials_table(
    credentials: Vec<RelayCredential>,
    remove: Action<String, Result<RelayOverview, crate::api::ApiError>>,
) -> impl IntoView {
    if credentials.is_empty() {
        return Either::Left(view! { <p class="hint">"No relay credential yet."</p> });
    }
    let rows = credentials
        .into_iter()
        .map(|credential| {
            let name = credential.name.clone();
            let used = credential.last_used_at.map_or("never".to_owned(), when);
            view! {
                <tr>
                    <td>{credential.name.clone()}</td>
                    <td>{when(credential.created_at)}</td>
                    <td>{used}</td>
                    <td>
                        <button type="button" on:click=move |_| { remove.dispatch(name.clone()); }>
                            "Remove"
                        </button>
                    </td>
                </tr>
            }
        })
        .collect_view();
    Either::Right(view! {
        <table id="credentials-table" class="data">
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Added (UTC)"</th>
                    <th scope="col">"Last used (UTC)"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    })
}

fn outbox_table(
    outbox: Vec<OutboxEntry>,
    act: Action<(String, OutboxAction), Result<RelayOverview, crate::api::ApiError>>,
) -> impl IntoView {
    if outbox.is_empty() {
        return Either::Left(view! { <p class="hint">"No message relayed yet."</p> });
    }
    let rows = outbox
        .into_iter()
        .map(|entry| {
            let actionable = matches!(
                entry.status,
                MessageStatus::Queued | MessageStatus::Retrying | MessageStatus::Failed
            );
            let (retry_id, delete_id) = (entry.id.clone(), entry.id.clone());
            let next = entry.next_attempt_at.map(when).unwrap_or_default();
            view! {
                <tr class=entry.status.key() data-id=entry.id.clone()>
                    <td>{when(entry.accepted_at)}</td>
                    <td>{entry.mail_from.clone()}</td>
                    <td>{entry.recipients.join(", ")}</td>
                    <td>{entry.subject.clone()}</td>
                    <td class="status">{status_label(entry.status)}</td>
                    <td>{entry.attempts}</td>
                    <td>{next}</td>
                    <td class="last-error">{entry.last_error.clone().unwrap_or_default()}</td>
                    <td>
                        {actionable.then(|| view! {
                            <button type="button" on:click=move |_| { act.dispatch((retry_id.clone(), OutboxAction::RetryNow)); }>
                                "Retry now"
                            </button>
                            <button type="button" on:click=move |_| { act.dispatch((delete_id.clone(), OutboxAction::Delete)); }>
                                "Delete"
                            </button>
                        })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    Either::Right(view! {
        <table id="outbox-table" class="data">
            <thead>
                <tr>
                    <th scope="col">"Accepted (UTC)"</th>
                    <th scope="col">"From"</th>
                    <th scope="col">"To"</th>
                    <th scope="col">"Subject"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col">"Attempts"</th>
                    <th scope="col">"Next try (UTC)"</th>
                    <th scope="col">"Last error"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    })
}

fn status_label(status: MessageStatus) -> &'static str {
    match status {
        MessageStatus::Queued => "Queued",
        MessageStatus::Sending => "Sending",
        MessageStatus::Retrying => "Waiting to retry",
        MessageStatus::Sent => "Sent",
        MessageStatus::Failed => "Failed",
    }
}

/// `2026-11-27 10:00`, in UTC as the rest of the page.
fn when(unix_millis: i64) -> String {
    let text = utc(unix_millis);
    text[..16].replace('T', " ")
}
