//! smtp-setup: configure how a business application sends email, and prove it works.
//!
//! `domain`, `report` and `diagnosis` are shared by the browser and the server; `ui` and
//! `api` hold the page and its server functions; `server` is plain async Rust that runs
//! only on the server (`ssr`) and never reaches the WASM bundle.

pub mod domain;
pub mod report;

#[cfg(feature = "ssr")]
pub mod server;
