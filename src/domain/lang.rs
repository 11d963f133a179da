//! The languages the page speaks, as values: their tags, their names, which edition of
//! Microsoft Learn they read. Their words are `i18n`'s (`Lang::texts`).

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    En,
    PtBr,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::PtBr, Lang::En];

    /// The cookie that keeps the administrator's choice.
    pub const COOKIE: &'static str = "lang";

    /// The BCP 47 tag: `<html lang>`, the cookie, and `Intl` formatting in the browser.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::PtBr => "pt-BR",
        }
    }

    /// The language's name in itself, for the switcher.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::PtBr => "Português (Brasil)",
        }
    }

    /// Microsoft Learn's edition in this language (`learn.microsoft.com/pt-br/…`).
    pub fn learn_locale(self) -> &'static str {
        match self {
            Lang::En => "en-us",
            Lang::PtBr => "pt-br",
        }
    }

    /// A language tag as a browser or the cookie writes it: `pt-BR`, `pt`, `en-US`…
    /// Any Portuguese is taken as Brazilian Portuguese, the only one there is.
    pub fn parse_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "pt" => Some(Lang::PtBr),
            _ => None,
        }
    }

    /// The first language of an `Accept-Language` header we have, by its `q` weight
    /// (RFC 9110 §12.5.4); `None` when it names none of them.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(f32, Lang)> = None;
        for item in header.split(',') {
            let mut parts = item.split(';');
            let Some(lang) = parts.next().and_then(Lang::parse_tag) else {
                continue;
            };
            let weight = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())
                .unwrap_or(0.0);
            if weight > 0.0 && best.is_none_or(|(w, _)| weight > w) {
                best = Some((weight, lang));
            }
        }
        best.map(|(_, lang)| lang)
    }

    /// A Microsoft Learn page in this language.
    pub fn learn(self, path: &str) -> String {
        format!("https://learn.microsoft.com/{}/{path}", self.learn_locale())
    }
}
