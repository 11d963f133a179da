use leptos::prelude::*;

use crate::ui::config_page::ConfigPage;

/// The HTML document around the app, rendered on the server. Title and stylesheet are
/// written here directly: a single-page app needs neither a router nor leptos_meta, and
/// leaving both out keeps them out of the WASM bundle.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let stylesheet = stylesheet_href(&options);
    provide_csp_nonce();
    let lang = crate::i18n::lang();
    view! {
        <!DOCTYPE html>
        <html lang=lang.tag()>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <title>{lang.texts().document_title}</title>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <link rel="stylesheet" href=stylesheet />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The Content-Security-Policy admits the one inline hydration script by this request's
/// nonce (set by `server::web::headers`); `HydrationScripts` reads it from the context.
#[cfg(feature = "ssr")]
fn provide_csp_nonce() {
    use crate::server::web::headers::CspNonce;
    let nonce = use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<CspNonce>().cloned());
    if let Some(CspNonce(value)) = nonce.filter(|n| !n.0.is_empty()) {
        provide_context(leptos::nonce::Nonce::from_value(value));
    }
}

#[cfg(not(feature = "ssr"))]
fn provide_csp_nonce() {}

#[cfg(feature = "ssr")]
fn stylesheet_href(options: &LeptosOptions) -> String {
    crate::server::assets::stylesheet_href(options)
}

// The shell is only ever rendered on the server; this keeps the browser build compiling.
#[cfg(not(feature = "ssr"))]
fn stylesheet_href(options: &LeptosOptions) -> String {
    format!("/{}/{}.css", options.site_pkg_dir, options.output_name)
}

#[component]
pub fn App() -> impl IntoView {
    view! {
        <main>
            <ConfigPage />
        </main>
    }
}
