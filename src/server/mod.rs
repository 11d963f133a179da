//! Server-only code: plain async Rust that the server functions call. Nothing here is
//! compiled into the WASM bundle, and everything here can be tested without a browser.

pub mod admin;
pub mod assets;
pub mod checklist;
pub mod config;
pub mod configuration;
pub mod deadline;
pub mod diagnosis;
pub mod entra;
pub mod memory;
pub mod message;
pub mod precompress;
pub mod smtp;
pub mod store;
pub mod telemetry;
pub mod test_send;
pub mod token_cache;
pub mod token_inspection;
pub mod web;
