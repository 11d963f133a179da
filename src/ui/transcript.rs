use leptos::prelude::*;

use super::copy_button::CopyButton;

/// The SMTP or IMAP dialogue of the last check, credentials already redacted by the server.
#[component]
pub fn TranscriptPanel(text: Signal<Option<String>>) -> impl IntoView {
    move || {
        text.get().filter(|t| !t.is_empty()).map(|body| {
            let copy = body.clone();
            view! {
                <details class="transcript">
                    <summary>"Transcript"</summary>
                    <p class="hint">
                        "What was said on the wire, for a support ticket. Credentials are "
                        "shown as [redacted]; the message itself is left out."
                    </p>
                    <pre id="transcript-text">{body}</pre>
                    <CopyButton text=Signal::derive(move || copy.clone()) label="Copy the transcript" />
                </details>
            }
        })
    }
}
