//! The page's languages. Every word the page shows is a field of [`Texts`]; each
//! language fills in all of them in its own file (`en.rs`, `pt_br.rs`), so a language
//! that misses one does not compile. Words with values are functions of those values.
//!
//! The server picks the language of a request (the `lang` cookie, else
//! `Accept-Language`), renders the page in it and writes it into the page; the browser
//! reads it back when it hydrates. Switching reloads the page in the other language.

mod en;
mod pt_br;
mod texts;

use serde::{Deserialize, Serialize};

pub use texts::{Expiry, Fingerprint, RelayPlace, Texts};

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

    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::En => &en::TEXTS,
            Lang::PtBr => &pt_br::TEXTS,
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

/// The words of the page's language (from the context; English outside a page).
pub fn texts() -> &'static Texts {
    lang().texts()
}

/// The page's language (from the context; English outside a page).
pub fn lang() -> Lang {
    leptos::prelude::use_context::<Lang>().unwrap_or_default()
}

/// How a character is named inside a message: printable ones quoted, others by what
/// they are or their code point, so that an invisible character is still named
/// precisely. Each language words the kinds.
pub(crate) enum Shown {
    Space,
    Tab,
    LineBreak,
    Invisible(u32),
    Printable(char),
}

impl Shown {
    pub(crate) fn of(c: char) -> Shown {
        use crate::domain::text::is_line_break;
        match c {
            ' ' => Shown::Space,
            '\t' => Shown::Tab,
            '\r' | '\n' => Shown::LineBreak,
            c if c.is_control() || is_line_break(c) || c.is_whitespace() => {
                Shown::Invisible(c as u32)
            }
            c => Shown::Printable(c),
        }
    }
}

/// Microsoft Learn pages the page links, in the help article's order.
pub mod learn {
    /// Register an application in Microsoft Entra ID.
    pub const REGISTER_APP: &str = "entra/identity-platform/quickstart-register-app";
    /// Add a client secret (Certificates & secrets).
    pub const CLIENT_SECRET: &str = "entra/identity-platform/how-to-add-credentials";
    /// Grant tenant-wide admin consent to an application.
    pub const ADMIN_CONSENT: &str = "entra/identity/enterprise-apps/grant-admin-consent";
    /// OAuth for IMAP, POP and SMTP: `SMTP.SendAsApp`, the service principal in
    /// Exchange (`New-ServicePrincipal`) and the mailbox permission.
    pub const EXCHANGE_OAUTH: &str = "exchange/client-developer/legacy-protocols/how-to-authenticate-an-imap-pop-smtp-application-by-using-oauth";
    /// Turning SMTP AUTH (authenticated client submission) on for a mailbox.
    pub const SMTP_AUTH: &str =
        "exchange/clients-and-mobile-in-exchange-online/authenticated-client-smtp-submission";
}

#[cfg(test)]
mod tests;
