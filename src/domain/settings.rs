use std::fmt;

use serde::{Deserialize, Serialize};

use super::{ClientId, ClientSecret, DisplayName, Field, MailboxAddress, TenantId};

/// How the application authenticates to the SMTP server. One variant today; the
/// "Username and password" type slots in here and in the form's dropdown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuthType {
    #[default]
    MicrosoftOAuth2,
}

impl AuthType {
    pub const ALL: [AuthType; 1] = [AuthType::MicrosoftOAuth2];

    pub fn label(self) -> &'static str {
        match self {
            AuthType::MicrosoftOAuth2 => "Microsoft (OAuth2)",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            AuthType::MicrosoftOAuth2 => "microsoft_oauth2",
        }
    }
}

/// The form exactly as typed: raw strings, untrusted, sent from the browser to the
/// server function. Its only way to become usable settings is [`Self::parse`].
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MicrosoftOAuthForm {
    pub email_address: String,
    pub name: String,
    pub tenant_id: String,
    pub smtp_user: String,
    pub smtp_password: String,
    pub send_test_to: String,
}

impl fmt::Debug for MicrosoftOAuthForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MicrosoftOAuthForm")
            .field("email_address", &self.email_address)
            .field("name", &self.name)
            .field("tenant_id", &self.tenant_id)
            .field("smtp_user", &self.smtp_user)
            .field("smtp_password", &"[redacted]")
            .field("send_test_to", &self.send_test_to)
            .finish()
    }
}

/// Settings that passed every rule; the server only ever acts on these.
#[derive(Clone, Debug)]
pub struct MicrosoftOAuthSettings {
    pub mailbox: MailboxAddress,
    pub display_name: DisplayName,
    pub tenant: TenantId,
    pub client_id: ClientId,
    pub client_secret: ClientSecret,
    pub recipient: MailboxAddress,
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

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
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

impl MicrosoftOAuthForm {
    pub fn value(&self, field: Field) -> &str {
        match field {
            Field::EmailAddress => &self.email_address,
            Field::Name => &self.name,
            Field::TenantId => &self.tenant_id,
            Field::SmtpUser => &self.smtp_user,
            Field::SmtpPassword => &self.smtp_password,
            Field::SendTestTo => &self.send_test_to,
        }
    }

    pub fn parse(&self) -> Result<MicrosoftOAuthSettings, FieldErrors> {
        let mut errors = FieldErrors::default();
        let mailbox = errors.check(
            Field::EmailAddress,
            MailboxAddress::parse(&self.email_address),
        );
        let display_name = errors.check(Field::Name, DisplayName::parse(&self.name));
        let tenant = errors.check(Field::TenantId, TenantId::parse(&self.tenant_id));
        let client_id = errors.check(Field::SmtpUser, ClientId::parse(&self.smtp_user));
        let client_secret = errors.check(
            Field::SmtpPassword,
            ClientSecret::parse(&self.smtp_password),
        );
        let recipient = parse_recipient(&mut errors, &self.send_test_to);
        match (
            mailbox,
            display_name,
            tenant,
            client_id,
            client_secret,
            recipient,
        ) {
            (
                Some(mailbox),
                Some(display_name),
                Some(tenant),
                Some(client_id),
                Some(client_secret),
                Some(recipient),
            ) => Ok(MicrosoftOAuthSettings {
                recipient: recipient.unwrap_or_else(|| mailbox.clone()),
                mailbox,
                display_name,
                tenant,
                client_id,
                client_secret,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Field, MicrosoftOAuthForm};

    fn valid() -> MicrosoftOAuthForm {
        MicrosoftOAuthForm {
            email_address: "noreply@contoso.com".into(),
            name: "Contoso".into(),
            tenant_id: "72F988BF-86F1-41AF-91AB-2D7CD011DB47".into(),
            smtp_user: "a1b2c3d4-e5f6-4789-abcd-0123456789ab".into(),
            smtp_password: "abC8Q~secret-value".into(),
            send_test_to: String::new(),
        }
    }

    #[test]
    fn a_valid_form_parses_and_the_recipient_defaults_to_the_mailbox() {
        let settings = valid().parse().expect("valid");
        assert_eq!(settings.recipient.as_str(), "noreply@contoso.com");
        assert_eq!(
            settings.tenant.as_str(),
            "72f988bf-86f1-41af-91ab-2d7cd011db47"
        );
    }

    #[test]
    fn every_invalid_field_is_reported_in_form_order() {
        let form = MicrosoftOAuthForm {
            email_address: "nope".into(),
            name: "A\r\nBcc: x@y.z".into(),
            tenant_id: "common".into(),
            smtp_user: "app".into(),
            smtp_password: "8c5b1e3a-2f4d-4c6b-9a7e-1d2c3b4a5f60".into(),
            send_test_to: "also nope".into(),
        };
        let errors = form.parse().unwrap_err();
        let fields: Vec<Field> = errors.iter().map(|(f, _)| f).collect();
        assert_eq!(fields, Field::ALL.to_vec());
        assert_eq!(errors.first(), Some(Field::EmailAddress));
    }

    #[test]
    fn field_messages_match_the_form_parse() {
        let form = MicrosoftOAuthForm {
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
    fn debug_never_shows_the_secret() {
        let form = valid();
        assert!(!format!("{form:?}").contains("secret-value"));
        let settings = form.parse().unwrap();
        assert!(!format!("{settings:?}").contains("secret-value"));
    }
}
