//! The process and its HTTP edge, the composition root: start-up (settings, store,
//! services, router, listeners, shutdown), the command line, the HTML document, the
//! HTTP handlers and middleware, and what the process does for its memory and logs.
//! It may import everything; nothing imports it but `main`.

pub mod assets;
pub mod cli;
pub mod document;
pub mod memory;
pub mod precompress;
pub mod startup;
pub mod telemetry;
pub mod web;
