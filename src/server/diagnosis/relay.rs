//! The relay's own failures, beside Exchange's: what the Outbox says when a queued
//! message cannot go.

use crate::api::report::{Failure, Step};

/// An envelope address no mail server would take (the application sent it).
pub fn unusable_envelope(error: &dyn std::error::Error) -> Failure {
    Failure::at(
        Step::Envelope,
        "The message's envelope has an address that cannot be sent to.",
    )
    .detail(error.to_string())
    .fix("Correct the address in the application that sent the message, and send it again.")
}

/// No configuration to send with: saved never, or no longer complete.
pub fn no_configuration(why: &str) -> Failure {
    Failure::at(
        Step::Inputs,
        "There is no complete saved configuration to send with.",
    )
    .detail(why.to_owned())
    .fix("Save the SMTP configuration on the page; queued messages then go out.")
}

/// The relay gave up on a message that kept failing for a day.
pub fn gave_up(last: &Failure, hours: u64) -> Failure {
    let mut failure = last.clone();
    failure.summary = format!(
        "Not delivered after {hours} hours of retries. {}",
        last.summary
    );
    failure
}
