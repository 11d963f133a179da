//! Parse, don't validate: every value the administrator types becomes one of these
//! types through its single `parse` function. The module compiles into both the WASM
//! bundle (instant messages while typing) and the server (the refusal of a bad request),
//! so the two can never disagree.

/// `Display`, `TryFrom<String>` (through the type's one `parse`) and `From<_> for String`
/// for a newtype over `String`: serde (de)serializes each of them through `parse`, so a
/// value from the network is checked exactly like a value typed in the form.
macro_rules! string_newtype {
    ($name:ident, $error:ty) => {
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = $error;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }
    };
}
pub(crate) use string_newtype;

mod certificate;
mod client;
mod cloud;
mod credential_scope;
mod display_name;
mod field;
mod field_error;
mod form;
mod guid;
mod ip_range;
mod lang;
mod mailbox;
mod object_id;
mod password_login;
mod send_config;
mod sender_list;
mod smtp_server;
mod tenant;
pub(crate) mod text;
mod webhook_url;

pub use certificate::{
    pem_block, CertificateError, CertificatePem, CredentialKind, ExpiryDate, ExpiryDateError,
    PrivateKeyError, PrivateKeyPem,
};
pub use client::{ClientId, ClientIdError, ClientSecret, ClientSecretError};
pub use cloud::Cloud;
pub use credential_scope::{
    CredentialScope, CredentialScopeError, HourlyQuota, HourlyQuotaError, MAX_PER_HOUR,
};
pub use display_name::{DisplayName, DisplayNameError};
pub use field::Field;
pub use field_error::FieldError;
pub use form::{
    FieldErrors, KeptSecrets, Present, SecretInput, SecretsOnServer, SmtpForm, StoredSecrets,
};
pub use ip_range::{IpRange, IpRangeList, IpRangeListError, MAX_RANGES};
pub use lang::Lang;
pub use mailbox::{MailboxAddress, MailboxError};
pub use object_id::{ObjectId, ObjectIdError};
pub use password_login::{SmtpPassword, SmtpPasswordError, SmtpUsername, SmtpUsernameError};
pub use send_config::{
    AuthType, Credential, MicrosoftOAuthConfig, PasswordConfig, SendConfig, Sender,
};
pub use sender_list::{SenderList, SenderListError};
pub use smtp_server::{Security, SmtpHost, SmtpHostError, SmtpPort, SmtpPortError};
pub use tenant::{TenantId, TenantIdError};
pub use webhook_url::{WebhookUrl, WebhookUrlError, MAX_URL};

/// The limits the messages quote.
pub mod limits {
    pub use super::certificate::MAX_PEM_LEN as PEM;
    pub use super::client::MAX_SECRET_LEN as CLIENT_SECRET;
    pub use super::display_name::MAX_LEN as DISPLAY_NAME;
    pub use super::mailbox::MAX_LEN as MAILBOX;
    pub use super::password_login::MAX_LEN as LOGIN;
    pub use super::sender_list::MAX_SENDERS as SENDERS;
    pub use super::tenant::{MAX_DOMAIN_LEN as DOMAIN, MAX_LABEL_LEN as DOMAIN_LABEL};
}
