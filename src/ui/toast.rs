use std::time::Duration;

use leptos::prelude::*;

use crate::i18n::texts;

/// How long a success toast stays before it leaves by itself.
const TOAST_LIFETIME: Duration = Duration::from_secs(6);

/// A polite status toast. `message` is cleared after a few seconds or on dismiss; a
/// newer toast is never cut short by an older one's timer.
#[component]
pub fn Toast(message: RwSignal<Option<String>>) -> impl IntoView {
    let generation = StoredValue::new(0u64);
    Effect::new(move |_| {
        if message.read().is_some() {
            let mine = generation.get_value() + 1;
            generation.set_value(mine);
            set_timeout(
                move || {
                    if generation.get_value() == mine {
                        message.set(None);
                    }
                },
                TOAST_LIFETIME,
            );
        }
    });
    view! {
        <div class="toast-region" role="status" aria-live="polite">
            {move || {
                message
                    .get()
                    .map(|text| {
                        view! {
                            <div class="toast">
                                <span>{text}</span>
                                <button
                                    type="button"
                                    class="dismiss"
                                    aria-label=texts().dismiss
                                    on:click=move |_| message.set(None)
                                >
                                    "×"
                                </button>
                            </div>
                        }
                    })
            }}
        </div>
    }
}
