use leptos::prelude::*;

use crate::ui::config_page::ConfigPage;

#[component]
pub fn App() -> impl IntoView {
    view! {
        <main>
            <ConfigPage />
        </main>
    }
}
