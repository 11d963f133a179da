use leptos::prelude::*;

use crate::ui::config_page::ConfigPage;

/// The HTML document around the app, rendered on the server. Title and stylesheet are
/// written here directly: a single-page app needs neither a router nor leptos_meta, and
/// leaving both out keeps them out of the WASM bundle.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <title>"SMTP configuration · smtp-setup"</title>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <link rel="stylesheet" href="/pkg/smtp-setup.css" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    view! {
        <main>
            <ConfigPage />
        </main>
    }
}
