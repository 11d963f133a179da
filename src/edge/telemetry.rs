//! Logging set-up. Nothing logged anywhere in the server carries a secret or a token:
//! they live in `secrecy` wrappers whose `Debug` is redacted and which have no `Display`.

use std::io::IsTerminal as _;

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // `try_init`: a second call (tests) keeps the first subscriber instead of panicking.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        // Colours for a terminal only: escape codes in journald or a log file get in
        // the way of anyone searching them.
        .with_ansi(std::io::stdout().is_terminal())
        .try_init();
}
