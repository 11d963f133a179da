//! The page's languages. Every word the page shows is a field of [`Texts`]; each
//! language fills in all of them in its own file (`en.rs`, `pt_br.rs`), so a language
//! that misses one does not compile. Words with values are functions of those values.
//!
//! The server picks the language of a request (the `lang` cookie, else
//! `Accept-Language`), renders the page in it and writes it into the page; the browser
//! reads it back when it hydrates. Switching reloads the page in the other language.

mod display;
mod en;
mod pt_br;
mod texts;

pub use crate::domain::Lang;
pub use texts::{Expiry, Fingerprint, RelayPlace, Texts};

/// Each language's words.
impl Lang {
    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::En => &en::TEXTS,
            Lang::PtBr => &pt_br::TEXTS,
        }
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
