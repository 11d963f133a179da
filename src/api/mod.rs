//! What the page and the server say to each other: the types the server functions
//! (`serverfns`) carry, the report of a check, the saved configuration, the relay as the
//! page shows it, and the error of a call. Plain data, the same in the browser and on
//! the server; nothing here calls the server.

pub mod certificate;
pub mod codec;
pub mod error;
pub mod relay;
pub mod report;
pub mod saved;
pub mod webhooks;

pub use error::ApiError;
pub use saved::TestAnswer;
