//! The plain pages the server writes itself (sign-in messages), without the app.

use crate::i18n::Lang;

/// A minimal page (no script) for sign-in messages, with the other language a link away.
pub fn page(lang: Lang, title: &str, text: &str) -> String {
    let switch: String = Lang::ALL
        .into_iter()
        .filter(|other| *other != lang)
        .map(|other| {
            format!(
                "<a href=\"/language/{tag}?back=/login\" hreflang=\"{tag}\" lang=\"{tag}\">{name}</a>",
                tag = other.tag(),
                name = other.name()
            )
        })
        .collect();
    format!(
        "<!DOCTYPE html><html lang=\"{tag}\"><head><meta charset=\"utf-8\"><title>{title} · smtp-setup</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"></head>\
         <body><main><h1>{title}</h1><p>{text}</p><p>{switch}</p></main></body></html>",
        tag = lang.tag()
    )
}
