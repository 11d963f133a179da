use leptos::prelude::*;

use crate::i18n::texts;

/// A button that copies `text` to the clipboard and says so. The text stays visible and
/// selectable next to it, so nothing depends on clipboard permissions.
#[component]
pub fn CopyButton(
    #[prop(into)] text: Signal<String>,
    /// What is copied, for screen readers: "Copy the transcript".
    #[prop(into)]
    label: String,
) -> impl IntoView {
    let t = texts();
    let copied = RwSignal::new(false);
    let on_click = move |_| {
        let value = text.get_untracked();
        // The promise's result does not matter: on refusal the text is still on screen.
        let _ = window().navigator().clipboard().write_text(&value);
        copied.set(true);
    };
    view! {
        <button type="button" class="copy" aria-label=label on:click=on_click>
            {move || if copied.get() { t.copied } else { t.copy }}
        </button>
    }
}
