//! The configuration after its parse: what a test send acts on. Only
//! [`SmtpForm::parse`](super::SmtpForm::parse) makes one.

use serde::{Deserialize, Serialize};

use super::{
    CertificatePem, ClientId, ClientSecret, Cloud, CredentialKind, DisplayName, ExpiryDate, Field,
    MailboxAddress, ObjectId, PrivateKeyPem, Security, SmtpHost, SmtpPassword, SmtpPort,
    SmtpUsername, TenantId,
};

/// How the application authenticates to the SMTP server.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AuthType {
    #[default]
    MicrosoftOAuth2,
    Password,
}

impl AuthType {
    pub const ALL: [AuthType; 2] = [AuthType::MicrosoftOAuth2, AuthType::Password];

    /// The stable name of the type: in the page's `<select>` and in the store.
    pub fn key(self) -> &'static str {
        match self {
            AuthType::MicrosoftOAuth2 => "microsoft_oauth2",
            AuthType::Password => "password",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.key() == key)
    }

    /// The text fields this type uses with `credential`, in form order.
    pub fn fields(self, credential: CredentialKind) -> &'static [Field] {
        match (self, credential) {
            (AuthType::MicrosoftOAuth2, CredentialKind::ClientSecret) => &[
                Field::EmailAddress,
                Field::Name,
                Field::TenantId,
                Field::ClientId,
                Field::ClientSecret,
                Field::SecretExpires,
                Field::ObjectId,
                Field::SendTestTo,
                Field::MonitorTo,
            ],
            (AuthType::MicrosoftOAuth2, CredentialKind::Certificate) => &[
                Field::EmailAddress,
                Field::Name,
                Field::TenantId,
                Field::ClientId,
                Field::Certificate,
                Field::PrivateKey,
                Field::ObjectId,
                Field::SendTestTo,
                Field::MonitorTo,
            ],
            (AuthType::Password, _) => &[
                Field::EmailAddress,
                Field::Name,
                Field::SmtpHost,
                Field::SmtpPort,
                Field::Username,
                Field::Password,
                Field::SendTestTo,
            ],
        }
    }
}

/// A configuration that passed every rule. `C`, `P` and `K` stand for the client
/// secret, the password and the certificate's private key: the secrets themselves on the
/// server, and in the browser (which never receives a stored secret) only the knowledge
/// that one is there, [`super::Present`].
#[derive(Clone, Debug)]
pub enum SendConfig<C = ClientSecret, P = SmtpPassword, K = PrivateKeyPem> {
    MicrosoftOAuth2(MicrosoftOAuthConfig<C, K>),
    Password(PasswordConfig<P>),
}

/// How the application proves who it is to Entra ID.
#[derive(Clone, Debug)]
pub enum Credential<C = ClientSecret, K = PrivateKeyPem> {
    /// A client secret, and the day it expires when the administrator gave it.
    Secret {
        secret: C,
        expires: Option<ExpiryDate>,
    },
    /// A certificate registered on the app, and its private key (signs the assertion).
    Certificate {
        certificate: CertificatePem,
        private_key: K,
    },
}

impl<C, K> Credential<C, K> {
    pub fn kind(&self) -> CredentialKind {
        match self {
            Credential::Secret { .. } => CredentialKind::ClientSecret,
            Credential::Certificate { .. } => CredentialKind::Certificate,
        }
    }
}

/// What every test message needs, whatever the authentication.
#[derive(Clone, Debug)]
pub struct Sender {
    pub mailbox: MailboxAddress,
    pub display_name: DisplayName,
    pub recipient: MailboxAddress,
}

#[derive(Clone, Debug)]
pub struct MicrosoftOAuthConfig<C = ClientSecret, K = PrivateKeyPem> {
    pub sender: Sender,
    pub cloud: Cloud,
    pub tenant: TenantId,
    pub client_id: ClientId,
    pub credential: Credential<C, K>,
    /// The Enterprise application's Object ID, when given: not used to send or read,
    /// but it fills in the PowerShell a diagnosis asks for.
    pub object_id: Option<ObjectId>,
    /// Where the scheduled check sends a real test email (at most daily), when given.
    pub monitor_to: Option<MailboxAddress>,
}

#[derive(Clone, Debug)]
pub struct PasswordConfig<P = SmtpPassword> {
    pub sender: Sender,
    pub host: SmtpHost,
    pub port: SmtpPort,
    pub security: Security,
    pub username: SmtpUsername,
    pub password: P,
}

impl<C, P, K> SendConfig<C, P, K> {
    pub fn sender(&self) -> &Sender {
        match self {
            SendConfig::MicrosoftOAuth2(config) => &config.sender,
            SendConfig::Password(config) => &config.sender,
        }
    }

    pub fn auth_type(&self) -> AuthType {
        match self {
            SendConfig::MicrosoftOAuth2(_) => AuthType::MicrosoftOAuth2,
            SendConfig::Password(_) => AuthType::Password,
        }
    }
}
