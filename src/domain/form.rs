//! The form as typed, and its one parse. The browser runs it to show messages and to
//! refuse a submit; the server runs it once per request before acting.

use std::fmt;

use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{
    AuthType, CertificatePem, ClientId, ClientSecret, Cloud, Credential, CredentialKind,
    DisplayName, ExpiryDate, Field, FieldError, MailboxAddress, MailboxError, MicrosoftOAuthConfig,
    ObjectId, PasswordConfig, PrivateKeyPem, Security, SendConfig, Sender, SmtpHost, SmtpPassword,
    SmtpPort, SmtpUsername, TenantId,
};

/// The form exactly as typed: raw values, untrusted, sent from the browser to the
/// server. Fields of the other authentication type are kept (switching back and forth
/// loses nothing) but ignored. Its only way to become usable is [`Self::parse`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SmtpForm {
    pub auth_type: AuthType,
    pub cloud: Cloud,
    pub email_address: String,
    pub name: String,
    pub tenant_id: String,
    /// "SMTP User" in the help article: the Application (client) ID.
    pub client_id: String,
    /// A client secret or a certificate.
    pub credential: CredentialKind,
    /// "SMTP Password" in the help article: the client secret's Value.
    pub client_secret: SecretInput,
    /// Optional: the day the client secret expires (`YYYY-MM-DD`).
    pub secret_expires: String,
    /// That date was read from Microsoft Graph (not typed).
    pub secret_expires_from_graph: bool,
    /// The certificate (PEM): public.
    pub certificate: String,
    /// The certificate's private key (PEM): write-only.
    pub private_key: SecretInput,
    pub object_id: String,
    pub smtp_host: String,
    pub smtp_port: String,
    pub security: Security,
    pub username: String,
    pub password: SecretInput,
    pub send_test_to: String,
    /// Optional: the scheduled check's daily test email goes here.
    pub monitor_to: String,
}

/// A write-only secret field: a value typed now, or empty, which leaves the secret the
/// server keeps in place. On the wire it is the typed text, empty for "keep".
#[derive(Clone, Default)]
pub enum SecretInput {
    #[default]
    KeepStored,
    Typed(SecretString),
}

impl SecretInput {
    /// What the field holds, as the browser's input element does.
    pub fn from_typed(text: String) -> Self {
        if text.is_empty() {
            Self::KeepStored
        } else {
            Self::Typed(SecretString::from(text))
        }
    }

    pub fn is_typed(&self) -> bool {
        matches!(self, Self::Typed(_))
    }

    /// The typed value through `parse`, else the kept one. Empty with nothing kept is
    /// `parse("")`'s own error, the same one an empty field gets while typing.
    fn resolve<T, K: From<T>, E>(
        &self,
        parse: fn(&str) -> Result<T, E>,
        kept: Option<K>,
    ) -> Result<K, E> {
        match (self, kept) {
            (Self::Typed(value), _) => parse(value.expose_secret()).map(K::from),
            (Self::KeepStored, Some(kept)) => Ok(kept),
            (Self::KeepStored, None) => parse("").map(K::from),
        }
    }

    /// The typed value through `parse`; `None` when the field keeps the stored secret.
    pub fn parse_typed<T, E>(&self, parse: fn(&str) -> Result<T, E>) -> Option<Result<T, E>> {
        match self {
            Self::Typed(value) => Some(parse(value.expose_secret())),
            Self::KeepStored => None,
        }
    }
}

impl From<String> for SecretInput {
    fn from(text: String) -> Self {
        Self::from_typed(text)
    }
}

impl From<&str> for SecretInput {
    fn from(text: &str) -> Self {
        Self::from_typed(text.to_owned())
    }
}

impl fmt::Debug for SecretInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::KeepStored => "KeepStored",
            Self::Typed(_) => "Typed([redacted])",
        })
    }
}

impl PartialEq for SecretInput {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::KeepStored, Self::KeepStored) => true,
            (Self::Typed(a), Self::Typed(b)) => a.expose_secret() == b.expose_secret(),
            _ => false,
        }
    }
}

impl Eq for SecretInput {}

impl Serialize for SecretInput {
    /// The browser sends what was typed; the server only ever serializes forms loaded
    /// from the store, whose secrets are always `KeepStored`.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::KeepStored => serializer.serialize_str(""),
            Self::Typed(value) => serializer.serialize_str(value.expose_secret()),
        }
    }
}

impl<'de> Deserialize<'de> for SecretInput {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::from_typed)
    }
}

/// The secrets the server keeps, as the form's parse sees them: an empty secret field
/// leaves the secret to the store. On the server they are the secrets themselves; the
/// browser, which never receives one, knows only whether each is there.
pub trait KeptSecrets {
    type ClientSecret: From<ClientSecret>;
    type Password: From<SmtpPassword>;
    type PrivateKey: From<PrivateKeyPem>;
    fn client_secret(&self) -> Option<Self::ClientSecret>;
    fn password(&self) -> Option<Self::Password>;
    /// The private key kept for the form's certificate (never another certificate's).
    fn private_key(&self) -> Option<Self::PrivateKey>;
}

/// What the form parses into, with the secrets `K` stands for.
pub type Parsed<K> = SendConfig<
    <K as KeptSecrets>::ClientSecret,
    <K as KeptSecrets>::Password,
    <K as KeptSecrets>::PrivateKey,
>;

/// The server's side: the stored secrets, opened and parsed.
#[derive(Clone, Debug, Default)]
pub struct StoredSecrets {
    pub client_secret: Option<ClientSecret>,
    pub password: Option<SmtpPassword>,
    pub private_key: Option<PrivateKeyPem>,
}

impl KeptSecrets for StoredSecrets {
    type ClientSecret = ClientSecret;
    type Password = SmtpPassword;
    type PrivateKey = PrivateKeyPem;

    fn client_secret(&self) -> Option<ClientSecret> {
        self.client_secret.clone()
    }

    fn password(&self) -> Option<SmtpPassword> {
        self.password.clone()
    }

    fn private_key(&self) -> Option<PrivateKeyPem> {
        self.private_key.clone()
    }
}

/// The browser's side: which secrets the server holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SecretsOnServer {
    pub client_secret: bool,
    pub password: bool,
    /// A private key for the certificate the form shows.
    pub private_key: bool,
}

/// A secret that is valid, typed or kept, where its value is not needed (the browser).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Present;

impl From<ClientSecret> for Present {
    fn from(_: ClientSecret) -> Self {
        Present
    }
}

impl From<SmtpPassword> for Present {
    fn from(_: SmtpPassword) -> Self {
        Present
    }
}

impl From<PrivateKeyPem> for Present {
    fn from(_: PrivateKeyPem) -> Self {
        Present
    }
}

impl KeptSecrets for SecretsOnServer {
    type ClientSecret = Present;
    type Password = Present;
    type PrivateKey = Present;

    fn private_key(&self) -> Option<Present> {
        self.private_key.then_some(Present)
    }

    fn client_secret(&self) -> Option<Present> {
        self.client_secret.then_some(Present)
    }

    fn password(&self) -> Option<Present> {
        self.password.then_some(Present)
    }
}

/// One message per invalid field, in form order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldErrors(Vec<(Field, FieldError)>);

impl FieldErrors {
    pub fn get(&self, field: Field) -> Option<&FieldError> {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, error)| error)
    }

    /// The first invalid field in form order: where focus goes after a refused submit.
    pub fn first(&self) -> Option<Field> {
        self.0.first().map(|(field, _)| *field)
    }

    /// Adds a message for `field` unless it already has one.
    pub fn add_once(&mut self, field: Field, error: FieldError) {
        if self.get(field).is_none() {
            self.0.push((field, error));
            self.0.sort_by_key(|(f, _)| *f);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (Field, &FieldError)> {
        self.0.iter().map(|(field, error)| (*field, error))
    }

    /// The parsed value, or `None` with the error kept for `field`.
    pub fn check<T, E: Into<FieldError>>(
        &mut self,
        field: Field,
        result: Result<T, E>,
    ) -> Option<T> {
        result
            .map_err(|error| self.add_once(field, error.into()))
            .ok()
    }
}

impl Field {
    /// The message for one field's raw value, or `None` when it is valid: what the
    /// browser shows while the administrator types. It calls the same `parse` as
    /// [`SmtpForm::parse`], so browser and server always agree.
    pub fn message(self, value: &str) -> Option<FieldError> {
        fn words<T, E: Into<FieldError>>(result: Result<T, E>) -> Option<FieldError> {
            result.err().map(Into::into)
        }
        match self {
            Field::EmailAddress => words(MailboxAddress::parse(value)),
            Field::Name => words(DisplayName::parse(value)),
            Field::TenantId => words(TenantId::parse(value)),
            Field::ClientId => words(ClientId::parse(value)),
            Field::ClientSecret => words(ClientSecret::parse(value)),
            Field::SecretExpires => words(ExpiryDate::parse_optional(value)),
            Field::Certificate => words(CertificatePem::parse(value)),
            Field::PrivateKey => words(PrivateKeyPem::parse(value)),
            Field::ObjectId => words(ObjectId::parse_optional(value)),
            Field::SmtpHost => words(SmtpHost::parse(value)),
            Field::SmtpPort => words(SmtpPort::parse(value)),
            Field::Username => words(SmtpUsername::parse(value)),
            Field::Password => words(SmtpPassword::parse(value)),
            Field::SendTestTo | Field::MonitorTo => words(parse_recipient(value)),
        }
    }
}

/// "Send test to" is optional: empty means "send to the Email address".
fn parse_recipient(value: &str) -> Result<Option<MailboxAddress>, MailboxError> {
    if value.trim().is_empty() {
        Ok(None)
    } else {
        MailboxAddress::parse(value).map(Some)
    }
}

impl SmtpForm {
    /// The text fields the chosen type and credential use, in form order.
    pub fn fields(&self) -> &'static [Field] {
        self.auth_type.fields(self.credential)
    }

    /// The text of a field that is not a secret; `None` for the three secret fields,
    /// whose values never leave the browser's input (or the store) as text.
    pub fn text(&self, field: Field) -> Option<&str> {
        Some(match field {
            Field::EmailAddress => &self.email_address,
            Field::Name => &self.name,
            Field::TenantId => &self.tenant_id,
            Field::ClientId => &self.client_id,
            Field::SecretExpires => &self.secret_expires,
            Field::Certificate => &self.certificate,
            Field::ObjectId => &self.object_id,
            Field::SmtpHost => &self.smtp_host,
            Field::SmtpPort => &self.smtp_port,
            Field::Username => &self.username,
            Field::SendTestTo => &self.send_test_to,
            Field::MonitorTo => &self.monitor_to,
            Field::ClientSecret | Field::PrivateKey | Field::Password => return None,
        })
    }

    /// Every field of the chosen type through its `parse`, every message at once. An
    /// empty secret field takes the secret `kept` by the server, if there is one.
    pub fn parse<K: KeptSecrets>(&self, kept: &K) -> Result<Parsed<K>, FieldErrors> {
        let mut errors = FieldErrors::default();
        let mailbox = errors.check(
            Field::EmailAddress,
            MailboxAddress::parse(&self.email_address),
        );
        let display_name = errors.check(Field::Name, DisplayName::parse(&self.name));
        let recipient = errors.check(Field::SendTestTo, parse_recipient(&self.send_test_to));
        let sender = match (mailbox, display_name, recipient) {
            (Some(mailbox), Some(display_name), Some(recipient)) => Some(Sender {
                recipient: recipient.unwrap_or_else(|| mailbox.clone()),
                mailbox,
                display_name,
            }),
            _ => None,
        };
        let config = match self.auth_type {
            AuthType::MicrosoftOAuth2 => self.parse_microsoft(sender, kept, &mut errors),
            AuthType::Password => self.parse_password(sender, kept, &mut errors),
        };
        match config {
            Some(config) if errors.is_empty() => Ok(config),
            _ => Err(errors),
        }
    }

    fn parse_microsoft<K: KeptSecrets>(
        &self,
        sender: Option<Sender>,
        kept: &K,
        errors: &mut FieldErrors,
    ) -> Option<Parsed<K>> {
        let tenant = errors.check(Field::TenantId, TenantId::parse(&self.tenant_id));
        let client_id = errors.check(Field::ClientId, ClientId::parse(&self.client_id));
        let credential = self.parse_credential(kept, errors);
        // Not used to send, but an invalid value is still pointed out.
        let object_id = errors.check(Field::ObjectId, ObjectId::parse_optional(&self.object_id));
        let monitor_to = errors.check(Field::MonitorTo, parse_recipient(&self.monitor_to));
        Some(SendConfig::MicrosoftOAuth2(MicrosoftOAuthConfig {
            sender: sender?,
            cloud: self.cloud,
            tenant: tenant?,
            client_id: client_id?,
            credential: credential?,
            object_id: object_id?,
            monitor_to: monitor_to?,
        }))
    }

    fn parse_credential<K: KeptSecrets>(
        &self,
        kept: &K,
        errors: &mut FieldErrors,
    ) -> Option<Credential<K::ClientSecret, K::PrivateKey>> {
        match self.credential {
            CredentialKind::ClientSecret => {
                let secret = errors.check(
                    Field::ClientSecret,
                    self.client_secret
                        .resolve(ClientSecret::parse, kept.client_secret()),
                );
                let expires = errors.check(
                    Field::SecretExpires,
                    ExpiryDate::parse_optional(&self.secret_expires),
                );
                Some(Credential::Secret {
                    secret: secret?,
                    expires: expires?,
                })
            }
            CredentialKind::Certificate => {
                let certificate =
                    errors.check(Field::Certificate, CertificatePem::parse(&self.certificate));
                let private_key = errors.check(
                    Field::PrivateKey,
                    self.private_key
                        .resolve(PrivateKeyPem::parse, kept.private_key()),
                );
                Some(Credential::Certificate {
                    certificate: certificate?,
                    private_key: private_key?,
                })
            }
        }
    }

    fn parse_password<K: KeptSecrets>(
        &self,
        sender: Option<Sender>,
        kept: &K,
        errors: &mut FieldErrors,
    ) -> Option<Parsed<K>> {
        let host = errors.check(Field::SmtpHost, SmtpHost::parse(&self.smtp_host));
        let port = errors.check(Field::SmtpPort, SmtpPort::parse(&self.smtp_port));
        let username = errors.check(Field::Username, SmtpUsername::parse(&self.username));
        let password = errors.check(
            Field::Password,
            self.password.resolve(SmtpPassword::parse, kept.password()),
        );
        Some(SendConfig::Password(PasswordConfig {
            sender: sender?,
            host: host?,
            port: port?,
            security: self.security,
            username: username?,
            password: password?,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ClientSecretError;

    fn typed(text: &str) -> SecretInput {
        SecretInput::from_typed(text.to_owned())
    }

    fn valid() -> SmtpForm {
        SmtpForm {
            email_address: "noreply@contoso.com".into(),
            name: "Contoso".into(),
            tenant_id: "72F988BF-86F1-41AF-91AB-2D7CD011DB47".into(),
            client_id: "a1b2c3d4-e5f6-4789-abcd-0123456789ab".into(),
            client_secret: typed("abC8Q~secret-value"),
            ..SmtpForm::default()
        }
    }

    fn nothing_kept() -> StoredSecrets {
        StoredSecrets::default()
    }

    #[test]
    fn a_valid_form_parses_and_the_recipient_defaults_to_the_mailbox() {
        let Ok(SendConfig::MicrosoftOAuth2(config)) = valid().parse(&nothing_kept()) else {
            panic!("the default type is Microsoft OAuth2, and the form is valid");
        };
        assert_eq!(config.sender.recipient.as_str(), "noreply@contoso.com");
        assert_eq!(
            config.tenant.as_str(),
            "72f988bf-86f1-41af-91ab-2d7cd011db47"
        );
        let Credential::Secret { secret, expires } = config.credential else {
            panic!("the default credential is a client secret");
        };
        assert_eq!(secret.expose(), "abC8Q~secret-value");
        assert_eq!(expires, None);
    }

    #[test]
    fn the_password_type_needs_only_its_own_fields() {
        let form = SmtpForm {
            auth_type: AuthType::Password,
            email_address: "noreply@contoso.com".into(),
            smtp_host: "smtp.contoso.com".into(),
            smtp_port: "465".into(),
            username: "relay".into(),
            password: typed("pw"),
            ..SmtpForm::default()
        };
        let Ok(SendConfig::Password(config)) = form.parse(&nothing_kept()) else {
            panic!("password type");
        };
        assert_eq!(config.port.get(), 465);
        // A bad Microsoft field does not matter to the password type, and vice versa.
        let other = SmtpForm {
            tenant_id: "common".into(),
            ..form.clone()
        };
        assert!(other.parse(&nothing_kept()).is_ok());
        let errors = SmtpForm {
            smtp_port: "x".into(),
            password: SecretInput::KeepStored,
            ..form
        }
        .parse(&nothing_kept())
        .unwrap_err();
        let fields: Vec<Field> = errors.iter().map(|(f, _)| f).collect();
        assert_eq!(fields, [Field::SmtpPort, Field::Password]);
    }

    #[test]
    fn every_invalid_field_is_reported_in_form_order() {
        let form = SmtpForm {
            email_address: "nope".into(),
            name: "A\r\nBcc: x@y.z".into(),
            tenant_id: "common".into(),
            client_id: "app".into(),
            client_secret: typed("8c5b1e3a-2f4d-4c6b-9a7e-1d2c3b4a5f60"),
            secret_expires: "tomorrow".into(),
            object_id: "not a guid".into(),
            send_test_to: "also nope".into(),
            monitor_to: "nor this".into(),
            ..SmtpForm::default()
        };
        let errors = form.parse(&nothing_kept()).unwrap_err();
        let fields: Vec<Field> = errors.iter().map(|(f, _)| f).collect();
        assert_eq!(fields, form.fields());
        assert_eq!(errors.first(), Some(Field::EmailAddress));
    }

    #[test]
    fn field_messages_are_the_parse_errors_words() {
        let errors = SmtpForm {
            client_secret: typed("8c5b1e3a-2f4d-4c6b-9a7e-1d2c3b4a5f60"),
            ..valid()
        }
        .parse(&nothing_kept())
        .unwrap_err();
        let expected = FieldError::ClientSecret(ClientSecretError::LooksLikeSecretId);
        assert_eq!(errors.get(Field::ClientSecret), Some(&expected));
        assert_eq!(
            Field::ClientSecret.message("8c5b1e3a-2f4d-4c6b-9a7e-1d2c3b4a5f60"),
            Some(expected)
        );
        assert_eq!(Field::SendTestTo.message(""), None);
        assert!(Field::SendTestTo.message("x").is_some());
    }

    #[test]
    fn an_empty_secret_field_takes_the_kept_secret() {
        let form = SmtpForm {
            client_secret: SecretInput::KeepStored,
            ..valid()
        };
        let missing = form.parse(&SecretsOnServer::default()).unwrap_err();
        assert_eq!(
            missing.get(Field::ClientSecret),
            Some(&FieldError::ClientSecret(ClientSecretError::Empty))
        );
        let on_server = SecretsOnServer {
            client_secret: true,
            ..SecretsOnServer::default()
        };
        assert!(form.parse(&on_server).is_ok());
        // On the server, the kept secret is the one used.
        let stored = StoredSecrets {
            client_secret: ClientSecret::parse("Kept8Q~stored-value").ok(),
            ..StoredSecrets::default()
        };
        let Ok(SendConfig::MicrosoftOAuth2(config)) = form.parse(&stored) else {
            panic!("the kept secret fills the empty field");
        };
        let Credential::Secret { secret, .. } = config.credential else {
            panic!("a client secret");
        };
        assert_eq!(secret.expose(), "Kept8Q~stored-value");
        // A typed value wins, and is still checked.
        let typed_wrong = SmtpForm {
            client_secret: typed("8c5b1e3a-2f4d-4c6b-9a7e-1d2c3b4a5f60"),
            ..valid()
        };
        assert!(typed_wrong.parse(&on_server).is_err());
        assert!(typed_wrong.parse(&stored).is_err());
    }

    #[test]
    fn the_certificate_credential_needs_a_certificate_and_its_key() {
        let cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";
        let form = SmtpForm {
            credential: CredentialKind::Certificate,
            client_secret: SecretInput::KeepStored,
            certificate: cert.into(),
            ..valid()
        };
        // No key typed and none kept for this certificate.
        let errors = form.parse(&SecretsOnServer::default()).unwrap_err();
        let fields: Vec<Field> = errors.iter().map(|(f, _)| f).collect();
        assert_eq!(fields, [Field::PrivateKey]);
        let kept = SecretsOnServer {
            private_key: true,
            ..SecretsOnServer::default()
        };
        let Ok(SendConfig::MicrosoftOAuth2(config)) = form.parse(&kept) else {
            panic!("a kept key completes the certificate");
        };
        assert_eq!(config.credential.kind(), CredentialKind::Certificate);
        // The secret's fields do not matter to a certificate, nor its fields to a secret.
        let secret_form = SmtpForm {
            certificate: "junk".into(),
            ..valid()
        };
        assert!(secret_form.parse(&nothing_kept()).is_ok());
        let bad_date = SmtpForm {
            secret_expires: "tomorrow".into(),
            ..valid()
        };
        let errors = bad_date.parse(&nothing_kept()).unwrap_err();
        assert_eq!(errors.first(), Some(Field::SecretExpires));
    }

    #[test]
    fn a_secret_travels_as_the_typed_text_and_empty_means_keep() {
        let json = serde_json::to_string(&valid()).unwrap();
        assert!(
            json.contains(r#""client_secret":"abC8Q~secret-value""#),
            "{json}"
        );
        assert!(json.contains(r#""password":"""#), "{json}");
        let back: SmtpForm = serde_json::from_str(&json).unwrap();
        assert_eq!(back, valid());
        assert_eq!(back.password, SecretInput::KeepStored);
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let form = SmtpForm {
            password: typed("hunter2-password"),
            ..valid()
        };
        assert!(!format!("{form:?}").contains("secret-value"));
        assert!(!format!("{form:?}").contains("hunter2"));
        let config = form.parse(&nothing_kept()).unwrap();
        assert!(!format!("{config:?}").contains("secret-value"));
    }
}
