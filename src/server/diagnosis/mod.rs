//! Known failures → the step, the field (or admin task) at fault, and the fix: the one
//! place where the words an administrator reads are made. Each source has its own file;
//! each rule matches the real text Entra ID or the mail server sends, and anything
//! unknown still shows that text unchanged.

pub mod catalogue;
mod certificate;
mod connection;
pub mod entra;
pub mod imap;
pub mod inspection;
mod peer;
pub mod relay;
pub mod seen;
pub mod smtp;

use crate::api::report::{Failure, Step, Words};
use crate::domain::Field;

/// A step that failed, and the error that failed it: what a diagnosis is made from.
#[derive(Debug)]
pub struct StepFailed<E> {
    pub step: Step,
    pub error: E,
}

/// Our words in English and Brazilian Portuguese, side by side.
fn words(en: impl Into<String>, pt_br: impl Into<String>) -> Words {
    Words::new(en, pt_br)
}

/// One way to build every failure: `Failure::at(step, summary).fix(…).field(…)…`.
impl Failure {
    pub fn at(step: Step, summary: Words) -> Self {
        Failure {
            step,
            field: None,
            summary,
            detail: String::new(),
            code: None,
            fix: Words::default(),
            references: Vec::new(),
            entry: None,
        }
    }

    /// The catalogue entry this failure is (see `catalogue`).
    pub fn entry(mut self, id: &str) -> Self {
        self.entry = Some(id.to_owned());
        self
    }

    pub fn field(mut self, field: impl Into<Option<Field>>) -> Self {
        self.field = field.into();
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }

    pub fn code(mut self, code: impl Into<Option<String>>) -> Self {
        self.code = code.into();
        self
    }

    pub fn fix(mut self, fix: Words) -> Self {
        self.fix = fix;
        self
    }

    pub fn references(mut self, references: Vec<(String, String)>) -> Self {
        self.references = references;
        self
    }
}

/// Something of ours went wrong, not the administrator's configuration.
pub fn internal(step: Step, error: &dyn std::error::Error) -> Failure {
    Failure::at(
        step,
        words(
            "smtp-setup could not prepare the test.",
            "O smtp-setup não conseguiu preparar o teste.",
        ),
    )
    .detail(error.to_string())
    .fix(words(
        "This is a bug in smtp-setup; please report it with the text above.",
        "Isto é um defeito do smtp-setup; informe-o com o texto acima.",
    ))
}
