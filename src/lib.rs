//! smtp-setup: configure how a business application sends email, and prove it works.
//!
//! `domain` and `guide` are shared by the browser and the server; `ui` is the page,
//! `serverfns` its calls to the server and `api` the types they carry;
//! `server` is plain async Rust that runs only on the server (`ssr`) and never reaches
//! the WASM bundle.

pub mod api;
pub mod app;
pub mod domain;
pub mod guide;
pub mod i18n;
pub mod serverfns;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod edge;
#[cfg(feature = "ssr")]
pub mod fuzzing;
#[cfg(feature = "ssr")]
pub mod server;

/// The WASM entry point: hydrates the server-rendered page. (No panic hook: with
/// `panic = "abort"` it would only add formatting code to every load for a message
/// no administrator reads.)
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    leptos::mount::hydrate_body(app::App);
}
