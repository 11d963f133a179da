//! The domain's refusals in words: a `FieldError` in a language, and the English of
//! `Display` for logs and the relay's HTTP API. Here, above the domain, because words
//! are the tables'; the domain says which rule and with what values.

use std::fmt;

use crate::domain::{FieldError, FieldErrors, Lang};

impl FieldError {
    /// The words in a language.
    pub fn text(&self, lang: Lang) -> String {
        (lang.texts().field_error)(self)
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text(Lang::En))
    }
}

impl FieldErrors {
    /// The (English) labels of the invalid fields, for a log line or the checklist.
    pub fn labels(&self) -> Vec<&'static str> {
        let label = Lang::En.texts().field_label;
        self.iter().map(|(field, _)| label(field)).collect()
    }
}

/// For the checklist and the log: which fields to correct.
impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "to correct: {}", self.labels().join(", "))
    }
}
