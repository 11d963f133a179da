//! Server functions, one per file. Each is a thin adapter: it takes the untrusted
//! input, hands it to plain server modules, and returns a typed outcome.

#[cfg(feature = "ssr")]
pub mod context;
mod save_configuration;
mod send_test_email;
mod test_history;

pub use save_configuration::{save_configuration, SaveConfiguration};
pub use send_test_email::{send_test_email, SendTestEmail};
pub use test_history::{test_history, TestHistory};
