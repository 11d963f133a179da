//! What each protocol fact a step returns gives the checklist (its words, made by
//! `diagnosis::seen`) and the steps after it (its value).

use super::Observed;
use crate::api::report::Words;
use crate::server::diagnosis::seen;
use crate::server::net::sasl::Mechanism;
use crate::server::smtp::reply::Reply;
use crate::server::{imap, smtp};

/// A fact that is all words: the value is `()`.
macro_rules! words_only {
    ($($fact:ty => $words:expr),* $(,)?) => {
        $(impl Observed for $fact {
            type Value = ();
            fn split(self) -> ((), Words) {
                let words: fn(&$fact) -> Words = $words;
                ((), words(&self))
            }
        })*
    };
}

words_only! {
    smtp::Connected => seen::smtp_connected,
    smtp::Secured => seen::smtp_secured,
    Reply => seen::smtp_reply,
    imap::Connected => seen::imap_connected,
    imap::Secured => seen::imap_secured,
    imap::XOAuth2Offered => seen::imap_offered,
    imap::Authenticated => seen::imap_authenticated,
    imap::LoggedOut => |_| seen::imap_logged_out(),
}

/// The mechanism is what AUTH then uses.
impl Observed for smtp::Offered {
    type Value = Mechanism;
    fn split(self) -> (Mechanism, Words) {
        let words = seen::smtp_offered(&self);
        (self.mechanism, words)
    }
}

/// The count is what the check reports.
impl Observed for imap::Examined {
    type Value = imap::Examined;
    fn split(self) -> (imap::Examined, Words) {
        let words = seen::imap_examined(&self);
        (self, words)
    }
}
