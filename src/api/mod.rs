//! The page's calls to the server: the server functions (one per file, each a thin
//! adapter from the untrusted input to `server`), and the types they carry.

pub mod certificate;
mod check_mailbox_access;
pub mod codec;
#[cfg(feature = "ssr")]
pub mod context;
pub mod error;
pub mod relay;
pub mod report;
mod save_configuration;
pub mod saved;
mod send_test_email;
mod test_history;

pub use certificate::{
    generate_certificate, import_certificate, read_secret_expiry, GenerateCertificate,
    ImportCertificate, ReadSecretExpiry,
};
pub use check_mailbox_access::{check_mailbox_access, CheckMailboxAccess};
pub use error::ApiError;
pub use save_configuration::{save_configuration, SaveConfiguration};
pub use send_test_email::{send_test_email, SendTestEmail, TestAnswer};
pub use test_history::{test_history, TestHistory};
