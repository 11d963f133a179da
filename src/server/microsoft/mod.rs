//! The Microsoft clients: Entra ID's token endpoint (`entra`), the token cache, the
//! inspection of a token's claims before it is used, and Microsoft Graph.

pub mod entra;
pub mod graph;
pub mod token_cache;
pub mod token_inspection;
