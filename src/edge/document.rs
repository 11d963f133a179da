//! The HTML document around the app, rendered on the server: the head, the stylesheet,
//! the hydration scripts under the request's CSP nonce, and the app in the body.

use leptos::prelude::*;

use crate::app::App;

/// The HTML document around the app, rendered on the server. Title and stylesheet are
/// written here directly: a single-page app needs neither a router nor leptos_meta, and
/// leaving both out keeps them out of the WASM bundle.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let urls = crate::edge::assets::bundle_urls(&options);
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
                <link rel="stylesheet" href=urls.css.clone() />
                <AutoReload options />
                <HydrationScripts urls />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The Content-Security-Policy admits the inline hydration scripts by this request's
/// nonce (set by `edge::web::headers`); `use_nonce` reads it from the context.
fn provide_csp_nonce() {
    use crate::edge::web::headers::CspNonce;
    let nonce = use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<CspNonce>().cloned());
    if let Some(CspNonce(value)) = nonce.filter(|n| !n.0.is_empty()) {
        provide_context(leptos::nonce::Nonce::from_value(value));
    }
}

/// Loads the page's code and hydrates the page with it. Unlike Leptos' own
/// `HydrationScripts`, which starts once the document is parsed, the WASM's download and
/// compilation start from the head, while the browser still reads and lays out the
/// page; hydration then runs as soon as the document is complete.
#[component]
fn HydrationScripts(urls: &'static crate::edge::assets::BundleUrls) -> impl IntoView {
    use leptos::nonce::use_nonce;
    // A failed streaming compilation (say, a proxy that changed the content type) leaves
    // the URL, which wasm-bindgen's init then fetches and compiles itself.
    let compile = format!(
        "window.__pageWasm = WebAssembly.compileStreaming(fetch({wasm:?})).catch(() => {wasm:?});",
        wasm = urls.wasm
    );
    let hydrate = format!(
        "import init, {{ hydrate }} from {js:?};\ninit({{ module_or_path: await window.__pageWasm }}).then(() => hydrate());",
        js = urls.js
    );
    let nonce = use_nonce();
    view! {
        <link rel="modulepreload" href=urls.js.clone() />
        <script nonce=nonce.clone()>{compile}</script>
        <script type="module" nonce=nonce>{hydrate}</script>
    }
}
