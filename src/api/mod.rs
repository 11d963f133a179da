//! Server functions, one per file. Each is a thin adapter: it takes the untrusted
//! input, hands it to plain server modules, and returns a typed outcome.

mod send_test_email;

pub use send_test_email::{send_test_email, SendTestEmail};
