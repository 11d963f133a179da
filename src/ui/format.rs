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
    // browser's first rendering stay the same. The instants turn local a frame later,
    // so that the form's buttons come alive first (the browser's date formatter is
    // costly to make).
    Effect::new(move |_| request_animation_frame(move || hydrated.set(true)));
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
    use std::cell::RefCell;

    use leptos::wasm_bindgen::JsValue;

    use crate::i18n::Lang;

    /// The browser's formatters, made once per page: `Date.toLocaleString` builds a new
    /// `Intl.DateTimeFormat` on every call, which made re-rendering the history's
    /// instants in local time the largest single cost of hydration (see BENCHMARKS.md).
    struct Formatters {
        lang: Lang,
        date: js_sys::Function,
        number: js_sys::Function,
    }

    thread_local! {
        static FORMATTERS: RefCell<Option<Formatters>> = const { RefCell::new(None) };
    }

    fn with_formatters<T>(lang: Lang, use_them: impl FnOnce(&Formatters) -> T) -> Option<T> {
        FORMATTERS.with(|cell| {
            let mut cell = cell.borrow_mut();
            if cell.as_ref().is_none_or(|made| made.lang != lang) {
                *cell = Some(made_for(lang)?);
            }
            cell.as_ref().map(use_them)
        })
    }

    fn made_for(lang: Lang) -> Option<Formatters> {
        let locales = js_sys::Array::of1(&lang.tag().into());
        let options = js_sys::Object::new();
        js_sys::Reflect::set(&options, &"dateStyle".into(), &"medium".into()).ok()?;
        js_sys::Reflect::set(&options, &"timeStyle".into(), &"short".into()).ok()?;
        let date = js_sys::Intl::DateTimeFormat::new(&locales, &options).format();
        let number = js_sys::Intl::NumberFormat::new(&locales, &js_sys::Object::new()).format();
        Some(Formatters { lang, date, number })
    }

    pub fn local(rfc3339: &str, lang: Lang) -> Option<String> {
        let millis = js_sys::Date::parse(rfc3339);
        if millis.is_nan() {
            return None;
        }
        let date = js_sys::Date::new(&JsValue::from_f64(millis));
        with_formatters(lang, |formatters| {
            formatters.date.call1(&JsValue::UNDEFINED, &date).ok()
        })
        .flatten()
        .and_then(|text| text.as_string())
    }

    pub fn number(n: u64, lang: Lang) -> Option<String> {
        // Counts stay far below 2^53: exact as a JavaScript number.
        #[allow(clippy::cast_precision_loss)]
        let value = JsValue::from_f64(n as f64);
        with_formatters(lang, |formatters| {
            formatters.number.call1(&JsValue::UNDEFINED, &value).ok()
        })
        .flatten()
        .and_then(|text| text.as_string())
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
