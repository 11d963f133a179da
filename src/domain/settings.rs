use std::fmt;

use serde::{Deserialize, Serialize};

use super::{
    ClientId, ClientSecret, Cloud, DisplayName, Field, MailboxAddress, ObjectId, Security,
    SmtpHost, SmtpPassword, SmtpPort, SmtpUsername, TenantId,
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

    pub fn label(self) -> &'static str {
        match self {
            AuthType::MicrosoftOAuth2 => "Microsoft (OAuth2)",
            AuthType::Password => "Username and password",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            AuthType::MicrosoftOAuth2 => "microsoft_oauth2",
            AuthType::Password => "password",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.key() == key)
    }

    /// The text fields this type uses, in form order.
    pub fn fields(self) -> &'static [Field] {
        match self {
            AuthType::MicrosoftOAuth2 => &[
                Field::EmailAddress,
                Field::Name,
                Field::TenantId,
                Field::SmtpUser,
                Field::SmtpPassword,
                Field::ObjectId,
                Field::SendTestTo,
            ],
            AuthType::Password => &[
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

/// The form exactly as typed: raw strings, untrusted, sent from the browser to the
/// server. Fields of the other authentication type are kept (switching back and forth
/// loses nothing) but ignored. Its only way to become usable settings is [`Self::parse`].
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SmtpForm {
    pub auth_type: AuthType,
    pub cloud: Cloud,
    pub email_address: String,
    pub name: String,
    pub tenant_id: String,
    pub smtp_user: String,
    pub smtp_password: String,
    pub object_id: String,
    pub smtp_host: String,
    pub smtp_port: String,
    pub security: Security,
    pub username: String,
    pub password: String,
    pub send_test_to: String,
}

impl fmt::Debug for SmtpForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpForm")
            .field("auth_type", &self.auth_type)
            .field("cloud", &self.cloud)
            .field("email_address", &self.email_address)
            .field("name", &self.name)
            .field("tenant_id", &self.tenant_id)
            .field("smtp_user", &self.smtp_user)
            .field("smtp_password", &"[redacted]")
            .field("object_id", &self.object_id)
            .field("smtp_host", &self.smtp_host)
            .field("smtp_port", &self.smtp_port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &"[redacted]")
            .field("send_test_to", &self.send_test_to)
            .finish()
    }
}

/// Which secrets the server holds, as far as the browser knows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StoredSecrets {
    pub client_secret: bool,
    pub password: bool,
}

/// Settings that passed every rule; the server only ever acts on these.
#[derive(Clone, Debug)]
pub enum SendSettings {
    MicrosoftOAuth2(MicrosoftOAuthSettings),
    Password(PasswordSettings),
}

/// What every test message needs, whatever the authentication.
#[derive(Clone, Debug)]
pub struct Sender {
    pub mailbox: MailboxAddress,
    pub display_name: DisplayName,
    pub recipient: MailboxAddress,
}

#[derive(Clone, Debug)]
pub struct MicrosoftOAuthSettings {
    pub sender: Sender,
    pub cloud: Cloud,
    pub tenant: TenantId,
    pub client_id: ClientId,
    pub client_secret: ClientSecret,
}

#[derive(Clone, Debug)]
pub struct PasswordSettings {
    pub sender: Sender,
    pub host: SmtpHost,
    pub port: SmtpPort,
    pub security: Security,
    pub username: SmtpUsername,
    pub password: SmtpPassword,
}

impl SendSettings {
    pub fn sender(&self) -> &Sender {
        match self {
            SendSettings::MicrosoftOAuth2(s) => &s.sender,
            SendSettings::Password(s) => &s.sender,
        }
    }
}

/// One message per invalid field, in form order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldErrors(Vec<(Field, String)>);

impl FieldErrors {
    pub fn get(&self, field: Field) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, message)| message.as_str())
    }

    /// The first invalid field in form order: where focus goes after a refused submit.
    pub fn first(&self) -> Option<Field> {
        self.0.iter().map(|(field, _)| *field).min()
    }

    /// Adds a message for `field` unless it already has one.
    pub fn add_once(&mut self, field: Field, message: String) {
        if self.get(field).is_none() {
            self.0.push((field, message));
            self.0.sort_by_key(|(f, _)| *f);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The labels of the invalid fields, for a log line or the checklist.
    pub fn labels(&self) -> Vec<&'static str> {
        self.0.iter().map(|(field, _)| field.label()).collect()
    }

    pub fn iter(&self) -> impl Iterator<Item = (Field, &str)> {
        self.0
            .iter()
            .map(|(field, message)| (*field, message.as_str()))
    }

    fn check<T, E: fmt::Display>(&mut self, field: Field, result: Result<T, E>) -> Option<T> {
        result
            .map_err(|error| self.0.push((field, error.to_string())))
            .ok()
    }
}

impl Field {
    /// The message for one field's raw value, or `None` when it is valid: what the
    /// browser shows while the administrator types. It calls the same `parse` as
    /// [`MicrosoftOAuthForm::parse`], so browser and server always agree.
    pub fn message(self, value: &str) -> Option<String> {
        let mut errors = FieldErrors::default();
        match self {
            Field::EmailAddress => drop(errors.check(self, MailboxAddress::parse(value))),
            Field::Name => drop(errors.check(self, DisplayName::parse(value))),
            Field::TenantId => drop(errors.check(self, TenantId::parse(value))),
            Field::SmtpUser => drop(errors.check(self, ClientId::parse(value))),
            Field::SmtpPassword => drop(errors.check(self, ClientSecret::parse(value))),
            Field::ObjectId => drop(errors.check(self, ObjectId::parse_optional(value))),
            Field::SmtpHost => drop(errors.check(self, SmtpHost::parse(value))),
            Field::SmtpPort => drop(errors.check(self, SmtpPort::parse(value))),
            Field::Username => drop(errors.check(self, SmtpUsername::parse(value))),
            Field::Password => drop(errors.check(self, SmtpPassword::parse(value))),
            Field::SendTestTo => drop(parse_recipient(&mut errors, value)),
        }
        errors.get(self).map(str::to_owned)
    }
}

/// "Send test to" is optional: empty means "send to the Email address".
fn parse_recipient(errors: &mut FieldErrors, value: &str) -> Option<Option<MailboxAddress>> {
    if value.trim().is_empty() {
        Some(None)
    } else {
        errors
            .check(Field::SendTestTo, MailboxAddress::parse(value))
            .map(Some)
    }
}

impl SmtpForm {
    pub fn value(&self, field: Field) -> &str {
        match field {
            Field::EmailAddress => &self.email_address,
            Field::Name => &self.name,
            Field::TenantId => &self.tenant_id,
            Field::SmtpUser => &self.smtp_user,
            Field::SmtpPassword => &self.smtp_password,
            Field::ObjectId => &self.object_id,
            Field::SmtpHost => &self.smtp_host,
            Field::SmtpPort => &self.smtp_port,
            Field::Username => &self.username,
            Field::Password => &self.password,
            Field::SendTestTo => &self.send_test_to,
        }
    }

    /// The browser's check before a test or a save: [`Self::parse`], except that an
    /// empty secret field whose secret is stored counts as filled, since the server fills
    /// it in from the store. The stand-in value never leaves this function.
    pub fn check(&self, stored: StoredSecrets) -> Result<(), FieldErrors> {
        const STAND_IN: &str = "stored~value";
        let mut form = self.clone();
        if stored.client_secret && form.smtp_password.is_empty() {
            form.smtp_password = STAND_IN.to_owned();
        }
        if stored.password && form.password.is_empty() {
            form.password = STAND_IN.to_owned();
        }
        form.parse().map(|_| ())
    }

    /// Every field of the chosen type through its `parse`; every message at once.
    pub fn parse(&self) -> Result<SendSettings, FieldErrors> {
        let mut errors = FieldErrors::default();
        let mailbox = errors.check(
            Field::EmailAddress,
            MailboxAddress::parse(&self.email_address),
        );
        let display_name = errors.check(Field::Name, DisplayName::parse(&self.name));
        let parsed = match self.auth_type {
            AuthType::MicrosoftOAuth2 => self.parse_microsoft(&mut errors).map(Kind::Microsoft),
            AuthType::Password => self.parse_password(&mut errors).map(Kind::Password),
        };
        let recipient = parse_recipient(&mut errors, &self.send_test_to);
        let (Some(mailbox), Some(display_name), Some(parsed), Some(recipient)) =
            (mailbox, display_name, parsed, recipient)
        else {
            return Err(errors);
        };
        let sender = Sender {
            recipient: recipient.unwrap_or_else(|| mailbox.clone()),
            mailbox,
            display_name,
        };
        Ok(match parsed {
            Kind::Microsoft((tenant, client_id, client_secret)) => {
                SendSettings::MicrosoftOAuth2(MicrosoftOAuthSettings {
                    sender,
                    cloud: self.cloud,
                    tenant,
                    client_id,
                    client_secret,
                })
            }
            Kind::Password((host, port, username, password)) => {
                SendSettings::Password(PasswordSettings {
                    sender,
                    host,
                    port,
                    security: self.security,
                    username,
                    password,
                })
            }
        })
    }

    fn parse_microsoft(
        &self,
        errors: &mut FieldErrors,
    ) -> Option<(TenantId, ClientId, ClientSecret)> {
        let tenant = errors.check(Field::TenantId, TenantId::parse(&self.tenant_id));
        let client_id = errors.check(Field::SmtpUser, ClientId::parse(&self.smtp_user));
        let client_secret = errors.check(
            Field::SmtpPassword,
            ClientSecret::parse(&self.smtp_password),
        );
        // Not used to send, but an invalid value is still pointed out.
        let object_id = errors.check(Field::ObjectId, ObjectId::parse_optional(&self.object_id));
        object_id?;
        Some((tenant?, client_id?, client_secret?))
    }

    fn parse_password(
        &self,
        errors: &mut FieldErrors,
    ) -> Option<(SmtpHost, SmtpPort, SmtpUsername, SmtpPassword)> {
        let host = errors.check(Field::SmtpHost, SmtpHost::parse(&self.smtp_host));
        let port = errors.check(Field::SmtpPort, SmtpPort::parse(&self.smtp_port));
        let username = errors.check(Field::Username, SmtpUsername::parse(&self.username));
        let password = errors.check(Field::Password, SmtpPassword::parse(&self.password));
        Some((host?, port?, username?, password?))
    }
}

/// The type-specific half of a parsed form.
enum Kind {
    Microsoft((TenantId, ClientId, ClientSecret)),
    Password((SmtpHost, SmtpPort, SmtpUsername, SmtpPassword)),
}

#[cfg(test)]
mod tests {
    use super::{AuthType, Field, SendSettings, SmtpForm};

    fn valid() -> SmtpForm {
        SmtpForm {
            email_address: "noreply@contoso.com".into(),
            name: "Contoso".into(),
            tenant_id: "72F988BF-86F1-41AF-91AB-2D7CD011DB47".into(),
            smtp_user: "a1b2c3d4-e5f6-4789-abcd-0123456789ab".into(),
            smtp_password: "abC8Q~secret-value".into(),
            ..SmtpForm::default()
        }
    }

    #[test]
    fn a_valid_form_parses_and_the_recipient_defaults_to_the_mailbox() {
        let SendSettings::MicrosoftOAuth2(settings) = valid().parse().expect("valid") else {
            panic!("the default type is Microsoft OAuth2");
        };
        assert_eq!(settings.sender.recipient.as_str(), "noreply@contoso.com");
        assert_eq!(
            settings.tenant.as_str(),
            "72f988bf-86f1-41af-91ab-2d7cd011db47"
        );
    }

    #[test]
    fn the_password_type_needs_only_its_own_fields() {
        let form = SmtpForm {
            auth_type: AuthType::Password,
            email_address: "noreply@contoso.com".into(),
            smtp_host: "smtp.contoso.com".into(),
            smtp_port: "465".into(),
            username: "relay".into(),
            password: "pw".into(),
            ..SmtpForm::default()
        };
        let SendSettings::Password(settings) = form.parse().expect("valid") else {
            panic!("password type");
        };
        assert_eq!(settings.port.get(), 465);
        // A bad Microsoft field does not matter to the password type, and vice versa.
        let other = SmtpForm {
            tenant_id: "common".into(),
            ..form.clone()
        };
        assert!(other.parse().is_ok());
        let errors = SmtpForm {
            smtp_port: "x".into(),
            password: String::new(),
            ..form
        }
        .parse()
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
            smtp_user: "app".into(),
            smtp_password: "8c5b1e3a-2f4d-4c6b-9a7e-1d2c3b4a5f60".into(),
            object_id: "not a guid".into(),
            send_test_to: "also nope".into(),
            ..SmtpForm::default()
        };
        let errors = form.parse().unwrap_err();
        let fields: Vec<Field> = errors.iter().map(|(f, _)| f).collect();
        assert_eq!(fields, AuthType::MicrosoftOAuth2.fields().to_vec());
        assert_eq!(errors.first(), Some(Field::EmailAddress));
    }

    #[test]
    fn field_messages_match_the_form_parse() {
        let form = SmtpForm {
            smtp_password: "8c5b1e3a-2f4d-4c6b-9a7e-1d2c3b4a5f60".into(),
            ..valid()
        };
        let errors = form.parse().unwrap_err();
        assert_eq!(
            errors.get(Field::SmtpPassword).map(str::to_owned),
            Field::SmtpPassword.message(&form.smtp_password)
        );
        assert_eq!(Field::SendTestTo.message(""), None);
        assert!(Field::SendTestTo.message("x").is_some());
    }

    #[test]
    fn a_stored_secret_stands_in_for_an_empty_field_only_in_the_check() {
        let form = SmtpForm {
            smtp_password: String::new(),
            ..valid()
        };
        assert!(form.check(super::StoredSecrets::default()).is_err());
        let stored = super::StoredSecrets {
            client_secret: true,
            password: false,
        };
        assert!(form.check(stored).is_ok());
        // A typed value is still checked.
        let typed = SmtpForm {
            smtp_password: "8c5b1e3a-2f4d-4c6b-9a7e-1d2c3b4a5f60".into(),
            ..valid()
        };
        assert!(typed.check(stored).is_err());
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let form = SmtpForm {
            password: "hunter2-password".into(),
            ..valid()
        };
        assert!(!format!("{form:?}").contains("secret-value"));
        assert!(!format!("{form:?}").contains("hunter2"));
        let settings = form.parse().unwrap();
        assert!(!format!("{settings:?}").contains("secret-value"));
    }
}
