use leptos::either::Either;
use leptos::prelude::*;

use crate::api::report::TestKind;
use crate::api::saved::HistoryEntry;

/// The last checks, newest first.
#[component]
pub fn History(entries: RwSignal<Vec<HistoryEntry>>) -> impl IntoView {
    view! {
        <section class="history" aria-labelledby="history-title">
            <h2 id="history-title">"Recent tests"</h2>
            {move || {
                let rows = entries.get();
                if rows.is_empty() {
                    Either::Left(view! { <p class="hint">"No test sent yet."</p> })
                } else {
                    Either::Right(view! {
                        <table id="history-table">
                            <thead>
                                <tr>
                                    <th scope="col">"When (UTC)"</th>
                                    <th scope="col">"Test"</th>
                                    <th scope="col">"Type"</th>
                                    <th scope="col">"Recipient"</th>
                                    <th scope="col">"Result"</th>
                                </tr>
                            </thead>
                            <tbody>{rows.into_iter().map(row).collect_view()}</tbody>
                        </table>
                    })
                }
            }}
        </section>
    }
}

fn row(entry: HistoryEntry) -> impl IntoView {
    let when = entry.at.replace('T', " ").trim_end_matches('Z').to_owned();
    let result = if entry.passed {
        match entry.kind {
            TestKind::SendTest => "Sent".to_owned(),
            TestKind::MailboxAccess => "Mailbox opened".to_owned(),
        }
    } else {
        let step = entry.step.map(|s| s.label()).unwrap_or("unknown step");
        match (&entry.code, &entry.detail) {
            (Some(code), _) => format!("Failed at {step}: {code}"),
            (None, Some(detail)) => format!("Failed at {step}: {detail}"),
            (None, None) => format!("Failed at {step}"),
        }
    };
    view! {
        <tr class=if entry.passed { "sent" } else { "failed" }>
            <td>{when}</td>
            <td>{entry.kind.label()}</td>
            <td>{entry.auth_type.label()}</td>
            <td>{entry.recipient}</td>
            <td>{result}</td>
        </tr>
    }
}
