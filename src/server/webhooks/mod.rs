//! Webhooks: what became of each message, told to the application's own HTTPS
//! endpoints as it happens, signed as Standard Webhooks sign (so an existing library
//! verifies it), stored with the change it reports and delivered at least once.

pub mod deliverer;
pub mod event;
pub mod signing;
