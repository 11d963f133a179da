//! The page's calls to the server, one `#[server]` function per file, each a thin
//! adapter from the untrusted input to `server`. They compile for the browser too (the
//! macro keeps a client stub there), so a file names `crate::server` only inside a
//! function's body or in an ssr-only item.

pub mod certificate;
mod check_mailbox_access;
#[cfg(feature = "ssr")]
pub mod context;
pub mod relay;
mod save_configuration;
mod send_test_email;
mod test_history;
mod webhooks;

pub use certificate::{
    generate_certificate, import_certificate, read_secret_expiry, GenerateCertificate,
    ImportCertificate, ReadSecretExpiry,
};
pub use check_mailbox_access::{check_mailbox_access, CheckMailboxAccess};
pub use relay::{
    add_relay_credential, limit_relay_credential, outbox_action, relay_overview,
    remove_relay_credential, save_allowed_senders, AddRelayCredential, LimitRelayCredential,
    OutboxActionCall, RelayOverviewCall, RemoveRelayCredential, SaveAllowedSenders,
};
pub use save_configuration::{save_configuration, SaveConfiguration};
pub use send_test_email::{send_test_email, SendTestEmail};
pub use test_history::{test_history, TestHistory};
pub use webhooks::{
    add_webhook, remove_webhook, test_webhook, webhook_log, AddWebhook, RemoveWebhook, TestWebhook,
    WebhookLog,
};
