use leptos::prelude::*;

/// A labelled `<select>` over a fixed set of choices (authentication type, cloud,
/// encryption). The choices name themselves through `key` and `label`.
#[component]
pub fn ChoiceSelect<T>(
    id: &'static str,
    label: &'static str,
    choices: &'static [T],
    selected: RwSignal<T>,
    key: fn(T) -> &'static str,
    text: fn(T) -> &'static str,
    #[prop(optional)] hint: Option<&'static str>,
) -> impl IntoView
where
    T: Copy + PartialEq + Send + Sync + 'static,
{
    let hint_id = format!("{id}-hint");
    let hint = hint.map(|hint| view! { <p class="hint" id=hint_id.clone()>{hint}</p> });
    view! {
        <div class="field">
            <label for=id>{label}</label>
            {hint}
            <select
                id=id
                aria-describedby=hint_id
                on:change=move |ev| {
                    let value = event_target_value(&ev);
                    if let Some(choice) = choices.iter().copied().find(|c| key(*c) == value) {
                        selected.set(choice);
                    }
                }
            >
                {choices
                    .iter()
                    .copied()
                    .map(|choice| {
                        view! {
                            <option value=key(choice) selected=move || selected.get() == choice>
                                {text(choice)}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </div>
    }
}
