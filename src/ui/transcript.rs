use leptos::prelude::*;

use super::copy_button::CopyButton;
use crate::i18n::texts;

/// The SMTP or IMAP dialogue of the last check, credentials already redacted by the server.
#[component]
pub fn TranscriptPanel(text: Signal<Option<String>>) -> impl IntoView {
    move || {
        text.get().filter(|t| !t.is_empty()).map(|body| {
            let copy = body.clone();
            let t = texts();
            view! {
                <details class="transcript">
                    <summary>{t.transcript}</summary>
                    <p class="hint">{t.transcript_hint}</p>
                    <pre id="transcript-text" lang="en">{body}</pre>
                    <CopyButton text=Signal::derive(move || copy.clone()) label=t.copy_transcript />
                </details>
            }
        })
    }
}
