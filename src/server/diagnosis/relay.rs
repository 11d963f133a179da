//! The relay's own failures, beside Exchange's: what the Outbox says when a queued
//! message cannot go.

use crate::api::report::{Failure, Step, Words};
use crate::domain::FieldErrors;
use crate::i18n::Lang;
use crate::server::diagnosis::words;

/// An envelope address no mail server would take (the application sent it).
pub fn unusable_envelope(error: &dyn std::error::Error) -> Failure {
    Failure::at(
        Step::Envelope,
        words(
            "The message's envelope has an address that cannot be sent to.",
            "O envelope da mensagem tem um endereço para o qual não é possível enviar.",
        ),
    )
    .detail(error.to_string())
    .fix(words(
        "Correct the address in the application that sent the message, and send it again.",
        "Corrija o endereço no aplicativo que enviou a mensagem e envie-a de novo.",
    ))
}

/// No configuration to send with: `why` it is missing.
fn no_configuration(why: Words) -> Failure {
    Failure::at(
        Step::Inputs,
        words(
            "There is no complete saved configuration to send with:",
            "Não há uma configuração salva completa para enviar:",
        )
        .then(&why),
    )
    .fix(words(
        "Save the SMTP configuration on the page; queued messages then go out.",
        "Salve a configuração SMTP na página; as mensagens na fila então saem.",
    ))
}

pub fn nothing_saved() -> Failure {
    no_configuration(words("nothing is saved yet.", "nada foi salvo ainda."))
}

/// The store could not be read: its error is technical, shown as it is.
pub fn unreadable_configuration(error: &dyn std::error::Error) -> Failure {
    no_configuration(words(
        "the store cannot be read.",
        "o armazenamento não pode ser lido.",
    ))
    .detail(error.to_string())
}

/// Saved, but no longer complete (a field the parse now refuses).
pub fn incomplete_configuration(errors: &FieldErrors) -> Failure {
    let labels = |lang: Lang| {
        let label = lang.texts().field_label;
        errors
            .iter()
            .map(|(field, _)| label(field))
            .collect::<Vec<_>>()
            .join(", ")
    };
    no_configuration(words(
        format!("these fields need attention: {}.", labels(Lang::En)),
        format!("estes campos precisam de atenção: {}.", labels(Lang::PtBr)),
    ))
}

/// The relay gave up on a message that kept failing for a day.
pub fn gave_up(last: &Failure, hours: u64) -> Failure {
    let mut failure = last.clone();
    failure.summary = words(
        format!("Not delivered after {hours} hours of retries."),
        format!("Não entregue depois de {hours} horas de novas tentativas."),
    )
    .then(&last.summary);
    failure
}
