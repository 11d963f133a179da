//! Server-only code: plain async Rust that the server functions and the edge call.
//! Nothing here is compiled into the WASM bundle, and everything here can be tested
//! without a browser. Its rooms, bottom first, are in `.ci/layers.txt`.

pub mod admin;
pub mod app_state;
pub mod bounces;
pub mod certificate_credential;
pub mod check;
pub mod config;
pub mod diagnosis;
pub mod history;
pub mod html;
pub mod imap;
pub mod metrics;
pub mod microsoft;
pub mod net;
pub mod relay;
pub mod retention;
pub mod saved_config;
pub mod smtp;
pub mod store;
pub mod time;
pub mod watch;
pub mod webhooks;
