//! Checks of a configuration against the real services: a sequence of protocol steps,
//! each bounded, timed and recorded by the one [`Recorder`], each failure turned into
//! words by `diagnosis`. The test send is one; a check of mailbox access over IMAP
//! would be another, sharing the token steps of [`token`].

mod recorder;
pub mod test_send;
pub mod token;

pub use recorder::{Observed, Recorder, StepFailed};
pub use test_send::TestSender;
