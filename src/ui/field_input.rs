use leptos::prelude::*;

use crate::api::saved::SecretFingerprint;
use crate::domain::{Field, FieldError};
use crate::i18n::{lang, texts, Fingerprint};
use crate::ui::format::instant;

/// One form field's state: the raw text and whether its message may be shown yet.
#[derive(Clone, Copy)]
pub struct FieldState {
    pub field: Field,
    pub value: RwSignal<String>,
    /// Set when the field loses focus for the first time (or on submit): from then on
    /// its message follows every keystroke.
    pub touched: RwSignal<bool>,
    /// For a secret field, what the server stores: while there is one, empty means
    /// "keep it".
    pub stored: Option<RwSignal<Option<SecretFingerprint>>>,
    /// What only the server could find (a key that is not the certificate's), with the
    /// value it was found in: shown until the value changes.
    pub server_error: RwSignal<Option<(String, FieldError)>>,
}

impl FieldState {
    pub fn new(field: Field, stored: Option<RwSignal<Option<SecretFingerprint>>>) -> Self {
        Self {
            field,
            value: RwSignal::new(String::new()),
            touched: RwSignal::new(false),
            stored,
            server_error: RwSignal::new(None),
        }
    }

    /// The message to show now: the domain's own, once the field has been touched.
    pub fn visible_message(&self) -> Option<FieldError> {
        let value = self.value.read();
        let kept = self.stored.is_some_and(|stored| stored.read().is_some());
        if !self.touched.get() || (kept && value.is_empty()) {
            return None;
        }
        self.field.message(&value).or_else(|| {
            self.server_error
                .read()
                .as_ref()
                .filter(|(refused, _)| *refused == *value)
                .map(|(_, error)| error.clone())
        })
    }
}

/// A labelled input with its hint and its live validation message, tied together with
/// `aria-describedby` / `aria-invalid`. `secret` makes it a password input with a
/// show/hide toggle.
#[component]
pub fn FieldInput(
    state: FieldState,
    /// The field a failed test points at, highlighted until the next test.
    #[prop(into)]
    at_fault: Signal<Option<Field>>,
    #[prop(optional)] secret: bool,
    #[prop(optional, into)] placeholder: Option<Signal<String>>,
    /// The browser's `autocomplete` hint; none: `off`.
    #[prop(optional)]
    autocomplete: Option<&'static str>,
    /// The input's `type`; none: `text` (a secret field is always `password`/`text`).
    #[prop(optional)]
    input_type: Option<&'static str>,
    /// A `<textarea>` (a PEM certificate or key) instead of a one-line input.
    #[prop(optional)]
    multiline: bool,
) -> impl IntoView {
    let field = state.field;
    let id = field.input_id();
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let t = texts();
    let lang = lang();
    let message = Memo::new(move |_| state.visible_message().map(|error| error.text(lang)));
    // A failed test's field stays marked, for the eye and for assistive technology,
    // until its value changes.
    let value_at_fault = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        let faulted = at_fault.get() == Some(field);
        value_at_fault.set(faulted.then(|| state.value.get_untracked()));
    });
    let faulted = move || value_at_fault.read().as_deref() == Some(state.value.read().as_str());
    let fault_id = format!("{id}-fault");
    let revealed = RwSignal::new(false);
    let kind = move || match (secret, revealed.get()) {
        (true, false) => "password",
        (true, true) => "text",
        _ => input_type.unwrap_or("text"),
    };
    let stored_id = format!("{id}-stored");
    // A write-only secret shows what is stored ("abC… (40 characters), saved …").
    let stored_text = move || {
        state.stored.and_then(|stored| stored.get()).map(|print| {
            let saved = if print.saved_at.is_empty() {
                String::new()
            } else {
                instant(&print.saved_at)
            };
            match field {
                Field::PrivateKey => (t.stored_key)(&saved),
                _ => (t.stored_secret)(&Fingerprint {
                    hint: print.hint.as_deref(),
                    length: print.length,
                    saved: &saved,
                }),
            }
        })
    };
    let described_by = {
        let hint_id = hint_id.clone();
        let error_id = error_id.clone();
        let stored_id = stored_id.clone();
        let fault_id = fault_id.clone();
        move || {
            let mut ids = hint_id.clone();
            if stored_text().is_some() {
                ids.push(' ');
                ids.push_str(&stored_id);
            }
            if message.get().is_some() {
                ids.push(' ');
                ids.push_str(&error_id);
            }
            if faulted() {
                ids.push(' ');
                ids.push_str(&fault_id);
            }
            ids
        }
    };
    let stored_line = move || {
        stored_text().map(|text| {
            view! {
                <p class="stored" id=stored_id.clone()>{text}</p>
            }
        })
    };
    let toggle = secret.then(|| {
        view! {
            <button
                type="button"
                class="reveal"
                aria-controls=id
                aria-pressed=move || revealed.get().to_string()
                on:click=move |_| revealed.update(|r| *r = !*r)
            >
                {move || if revealed.get() { t.hide } else { t.show }}
            </button>
        }
    });

    view! {
        <div
            class="field"
            class:invalid=move || message.get().is_some()
            class:at-fault=faulted
        >
            <label for=id>{(t.field_label)(field)}</label>
            <p class="hint" id=hint_id>
                {(t.field_hint)(field)}
            </p>
            <div class="input-row">
                {if multiline {
                    view! {
                        <textarea
                            id=id
                            rows="6"
                            autocomplete="off"
                            spellcheck="false"
                            aria-invalid=move || (message.get().is_some() || faulted()).to_string()
                            aria-describedby=described_by
                            prop:value=move || state.value.get()
                            on:input=move |ev| state.value.set(event_target_value(&ev))
                            on:blur=move |_| state.touched.set(true)
                        ></textarea>
                    }
                        .into_any()
                } else {
                    view! {
                        <input
                            id=id
                            type=kind
                            autocomplete=autocomplete.unwrap_or("off")
                            spellcheck="false"
                            placeholder=move || placeholder.map(|p| p.get()).unwrap_or_default()
                            aria-invalid=move || (message.get().is_some() || faulted()).to_string()
                            aria-describedby=described_by
                            prop:value=move || state.value.get()
                            on:input=move |ev| state.value.set(event_target_value(&ev))
                            on:blur=move |_| state.touched.set(true)
                        />
                    }
                        .into_any()
                }}
                {toggle}
            </div>
            {stored_line}
            <p class="field-error" id=error_id aria-live="polite">
                {move || message.get()}
            </p>
            <p class="fault-note" id=fault_id hidden=move || !faulted()>
                {t.at_fault_note}
            </p>
        </div>
    }
}
