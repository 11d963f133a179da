//! Parse, don't validate: every value the administrator types becomes one of these
//! types through its single `parse` function. The module compiles into both the WASM
//! bundle (instant messages while typing) and the server (the refusal of a bad request),
//! so the two can never disagree.

mod client;
mod display_name;
mod field;
mod guid;
mod mailbox;
mod settings;
mod tenant;
mod text;

pub use client::{ClientId, ClientIdError, ClientSecret, ClientSecretError};
pub use display_name::{DisplayName, DisplayNameError};
pub use field::Field;
pub use mailbox::{MailboxAddress, MailboxError};
pub use settings::{AuthType, FieldErrors, MicrosoftOAuthForm, MicrosoftOAuthSettings};
pub use tenant::{TenantId, TenantIdError};
