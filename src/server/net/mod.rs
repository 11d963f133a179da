//! The wire: line I/O with its transcript and the TLS upgrade (`wire`), the TLS client
//! configuration and certificate checks (`tls`), SASL payloads (`sasl`), accepting
//! connections (`accept`), and a server's address (`Endpoint`).

pub mod accept;
mod endpoint;
pub mod sasl;
pub mod tls;
pub mod wire;

pub use endpoint::Endpoint;
