//! `GET /errors`: the error catalogue (`server::diagnosis::catalogue`) as a page of its
//! own, in the visitor's language, each entry under its stable anchor; a failure
//! panel links to the entry of the error it shows. Public, like `/healthz`: it holds
//! nothing of this installation, only what each error means.

use axum::http::HeaderMap;
use axum::response::Html;

use crate::edge::web::language;
use crate::i18n::Lang;
use crate::server::diagnosis::catalogue::{self, Source};
use crate::server::html::escape;

pub async fn errors(headers: HeaderMap) -> Html<String> {
    Html(page(language::of(&headers)))
}

pub fn page(lang: Lang) -> String {
    let labels = catalogue::labels(lang);
    let t = lang.texts();
    let entries = catalogue::entries();
    let mut body = String::new();
    for source in Source::ALL {
        body.push_str(&format!(
            "<section><h2>{}</h2>",
            escape(source.title().get(lang))
        ));
        for entry in entries.iter().filter(|e| e.source == source) {
            body.push_str(&format!(
                "<article id=\"{id}\"><h3><code>{code}</code> {summary}</h3><dl><dt>{step_label}</dt><dd>{step}</dd>",
                id = escape(&entry.id),
                code = escape(&entry.code),
                summary = escape(entry.summary.get(lang)),
                step_label = labels.step,
                step = escape((t.step_label)(entry.step)),
            ));
            if let Some(field) = entry.field {
                body.push_str(&format!(
                    "<dt>{}</dt><dd>{}</dd>",
                    labels.field,
                    escape((t.field_label)(field))
                ));
            }
            body.push_str("</dl>");
            if let Some(says) = &entry.says {
                // The server's words, as it sends them: English.
                body.push_str(&format!(
                    "<p>{}:</p><pre lang=\"en\">{}</pre>",
                    labels.says,
                    escape(says)
                ));
            }
            body.push_str(&format!(
                "<p><strong>{}:</strong> {}</p></article>",
                labels.fix,
                escape(entry.fix.get(lang))
            ));
        }
        body.push_str("</section>");
    }
    let switch: String = Lang::ALL
        .into_iter()
        .filter(|other| *other != lang)
        .map(|other| {
            format!(
                "<a href=\"/language/{tag}?back=/errors\" hreflang=\"{tag}\" lang=\"{tag}\">{name}</a>",
                tag = other.tag(),
                name = other.name()
            )
        })
        .collect();
    format!(
        "<!DOCTYPE html><html lang=\"{tag}\"><head><meta charset=\"utf-8\"><title>{title} · smtp-setup</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"></head>\
         <body><header><nav><a href=\"/\">smtp-setup</a> · {switch}</nav></header>\
         <main><h1>{title}</h1><p>{intro}</p>{body}</main></body></html>",
        tag = lang.tag(),
        title = labels.title,
        intro = labels.intro,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_is_under_its_anchor_in_both_languages() {
        for lang in Lang::ALL {
            let page = page(lang);
            for entry in catalogue::entries() {
                assert!(
                    page.contains(&format!("<article id=\"{}\">", entry.id)),
                    "{}",
                    entry.id
                );
            }
            assert!(page.contains(&format!("<html lang=\"{}\">", lang.tag())));
        }
        // The placeholders are shown, not taken for markup.
        assert!(page(Lang::En).contains("&lt;Email address&gt;"));
    }
}
