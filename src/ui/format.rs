//! Instants as the reader expects them: once the page runs in the browser, in its
//! language's format and its time zone; before that (the server's rendering, which
//! cannot know the time zone), in UTC and marked so.

use leptos::prelude::*;

use crate::i18n::lang;

/// Set once the page runs in the browser: from then on, instants are local.
#[derive(Clone, Copy)]
pub struct Hydrated(RwSignal<bool>);

pub fn provide_hydrated() {
    let hydrated = RwSignal::new(false);
    // Effects run only in the browser, after hydration: the server's text and the
    // browser's first rendering stay the same.
    Effect::new(move |_| hydrated.set(true));
    provide_context(Hydrated(hydrated));
}

/// An RFC 3339 UTC instant (`2026-11-27T10:00:00Z`), for reading. Reactive: call it
/// inside a view's closure.
pub fn instant(rfc3339: &str) -> String {
    let local = use_context::<Hydrated>().is_some_and(|hydrated| hydrated.0.get());
    local
        .then(|| browser::local(rfc3339, lang()))
        .flatten()
        .unwrap_or_else(|| utc(rfc3339))
}

/// A count in the page's language (`1.234` in pt-BR, `1,234` in English), for words
/// the browser makes after an action (never in the server's HTML, which must hydrate
/// unchanged).
pub fn count(n: u64) -> String {
    browser::number(n, lang()).unwrap_or_else(|| n.to_string())
}

fn utc(rfc3339: &str) -> String {
    format!(
        "{} UTC",
        rfc3339.get(..16).unwrap_or(rfc3339).replace('T', " ")
    )
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::wasm_bindgen::JsValue;

    use crate::i18n::Lang;

    pub fn local(rfc3339: &str, lang: Lang) -> Option<String> {
        let millis = js_sys::Date::parse(rfc3339);
        if millis.is_nan() {
            return None;
        }
        let date = js_sys::Date::new(&JsValue::from_f64(millis));
        let options = js_sys::Object::new();
        js_sys::Reflect::set(&options, &"dateStyle".into(), &"medium".into()).ok()?;
        js_sys::Reflect::set(&options, &"timeStyle".into(), &"short".into()).ok()?;
        date.to_locale_string(lang.tag(), &options).as_string()
    }

    pub fn number(n: u64, lang: Lang) -> Option<String> {
        // Counts stay far below 2^53: exact as a JavaScript number.
        #[allow(clippy::cast_precision_loss)]
        let value = n as f64;
        js_sys::Number::from(value)
            .to_locale_string(lang.tag())
            .as_string()
    }
}

#[cfg(not(feature = "hydrate"))]
mod browser {
    use crate::i18n::Lang;

    pub fn local(_rfc3339: &str, _lang: Lang) -> Option<String> {
        None
    }

    pub fn number(_n: u64, _lang: Lang) -> Option<String> {
        None
    }
}
