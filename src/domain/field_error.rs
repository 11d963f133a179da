//! A field's refusal as a value: which rule, with what values, never a sentence. The
//! words are made by `i18n` in the page's language, in the browser and on the server
//! alike; its `Display` (`i18n::display`) gives the English ones (logs, the relay's HTTP
//! API).

use serde::{Deserialize, Serialize};

use super::{
    CertificateError, ClientIdError, ClientSecretError, DisplayNameError, ExpiryDateError,
    HourlyQuotaError, IpRangeListError, MailboxError, ObjectIdError, PrivateKeyError,
    SenderListError, SmtpHostError, SmtpPasswordError, SmtpPortError, SmtpUsernameError,
    TenantIdError, WebhookUrlError,
};

impl std::error::Error for FieldError {}

/// The enum, one variant per domain error; `From<E> for FieldError`; and `Display`
/// (English) and `Error` for each domain error.
macro_rules! field_errors {
    ($($variant:ident($error:ty)),* $(,)?) => {
        #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
        pub enum FieldError {
            $($variant($error),)*
        }

        $(
            impl From<$error> for FieldError {
                fn from(error: $error) -> Self {
                    FieldError::$variant(error)
                }
            }

            impl std::fmt::Display for $error {
                fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    std::fmt::Display::fmt(&FieldError::from(self.clone()), f)
                }
            }

            impl std::error::Error for $error {}
        )*
    };
}

field_errors!(
    Mailbox(MailboxError),
    DisplayName(DisplayNameError),
    TenantId(TenantIdError),
    ClientId(ClientIdError),
    ClientSecret(ClientSecretError),
    SecretExpires(ExpiryDateError),
    Certificate(CertificateError),
    PrivateKey(PrivateKeyError),
    ObjectId(ObjectIdError),
    SmtpHost(SmtpHostError),
    SmtpPort(SmtpPortError),
    SmtpUsername(SmtpUsernameError),
    SmtpPassword(SmtpPasswordError),
    SenderList(SenderListError),
    IpRangeList(IpRangeListError),
    HourlyQuota(HourlyQuotaError),
    WebhookUrl(WebhookUrlError),
);
