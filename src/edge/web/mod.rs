//! The HTTP edge: who may call what (sign-in, sessions, same-origin), the headers every
//! response carries, and the small pages that are not the app.

pub mod api_errors;
pub mod errors;
pub mod guard;
pub mod headers;
pub mod health;
pub mod html;
pub mod language;
pub mod login;
pub mod page;
pub mod relay_api;
pub mod serve;
