//! Server-only code: plain async Rust that the server functions call. Nothing here is
//! compiled into the WASM bundle, and everything here can be tested without a browser.

pub mod accept;
pub mod admin;
pub mod check;
pub mod clock;
pub mod credential;
pub mod deadline;
pub mod diagnosis;
pub mod entra;
pub mod graph;
pub mod history;
pub mod imap;
pub mod message;
pub mod metrics;
pub mod relay;
pub mod sasl;
pub mod saved_config;
pub mod settings;
pub mod smtp;
pub mod state;
pub mod store;
pub mod tls;
pub mod token_cache;
pub mod token_inspection;
pub mod watch;
pub mod wire;
