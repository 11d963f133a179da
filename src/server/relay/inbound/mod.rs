//! The relay's SMTP submission server (RFC 5321, with RFC 3207 STARTTLS, RFC 4954 AUTH,
//! RFC 2920 PIPELINING and RFC 1870 SIZE), in the parts Stalwart's `inbound/` and
//! smtp-proto keep apart: the byte-level reader and the queued replies (`io`), the pure
//! syntax of the arguments (`syntax`), what the session has learned (`state`), the dispatch of
//! each command (`dialogue`), the handlers (`auth`, `envelope`), the accept loop with the
//! STARTTLS upgrade (`listener`) and the relay's own certificate (`server_tls`).
//!
//! Replies to pipelined commands are written together when the client's input runs dry;
//! input that arrived before the TLS handshake is thrown away, so nothing sent in clear
//! text is read as if protected.

mod auth;
mod dialogue;
mod envelope;
mod io;
pub mod listener;
pub mod server_tls;
mod state;
pub mod syntax;
#[cfg(test)]
mod tests;
