use leptos::either::Either;
use leptos::prelude::*;

use crate::api::report::TestKind;
use crate::api::saved::HistoryEntry;
use crate::i18n::{lang, texts};
use crate::ui::format::instant;

/// The last checks, newest first.
#[component]
pub fn History(entries: RwSignal<Vec<HistoryEntry>>) -> impl IntoView {
    let t = texts();
    view! {
        <section class="history" aria-labelledby="history-title">
            <h2 id="history-title">{t.recent_tests}</h2>
            {move || {
                let rows = entries.get();
                if rows.is_empty() {
                    Either::Left(view! { <p class="hint">{t.no_test_yet}</p> })
                } else {
                    Either::Right(view! {
                        <div class="table-scroll" tabindex="0" role="region" aria-labelledby="history-title">
                            <table id="history-table">
                                <thead>
                                    <tr>
                                        <th scope="col">{t.when}</th>
                                        <th scope="col">{t.test}</th>
                                        <th scope="col">{t.kind}</th>
                                        <th scope="col">{t.recipient}</th>
                                        <th scope="col">{t.result}</th>
                                    </tr>
                                </thead>
                                <tbody>{rows.into_iter().map(row).collect_view()}</tbody>
                            </table>
                        </div>
                    })
                }
            }}
        </section>
    }
}

fn row(entry: HistoryEntry) -> impl IntoView {
    let t = texts();
    let result = if entry.passed {
        match entry.kind {
            TestKind::SendTest | TestKind::ScheduledSend => t.history_sent.to_owned(),
            TestKind::MailboxAccess => t.history_opened.to_owned(),
            TestKind::ScheduledCheck => t.history_token.to_owned(),
        }
    } else {
        let step = entry.step.map_or(t.unknown_step, t.step_label);
        let summary = entry.summary.as_ref().map(|words| words.get(lang()));
        (t.history_failed)(step, entry.code.as_deref().or(summary))
    };
    let at = entry.at;
    view! {
        <tr class=if entry.passed { "sent" } else { "failed" }>
            <td>{move || instant(&at)}</td>
            <td>{(t.test_kind)(entry.kind)}</td>
            <td>{(t.auth_type_name)(entry.auth_type)}</td>
            <td>{entry.recipient}</td>
            <td>{result}</td>
        </tr>
    }
}
