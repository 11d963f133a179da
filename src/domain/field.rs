use serde::{Deserialize, Serialize};

/// The form's fields, in the order they appear. Labels are the ones used by the help
/// article administrators follow, so they must not be renamed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Field {
    EmailAddress,
    Name,
    TenantId,
    /// Labelled "SMTP User", as in the help article: the Application (client) ID.
    ClientId,
    /// Labelled "SMTP Password", as in the help article: the client secret's Value.
    ClientSecret,
    /// Optional; feeds only the setup guide.
    ObjectId,
    // "Username and password" sending.
    SmtpHost,
    SmtpPort,
    Username,
    Password,
    SendTestTo,
}

impl Field {
    pub const ALL: [Field; 11] = [
        Field::EmailAddress,
        Field::Name,
        Field::TenantId,
        Field::ClientId,
        Field::ClientSecret,
        Field::ObjectId,
        Field::SmtpHost,
        Field::SmtpPort,
        Field::Username,
        Field::Password,
        Field::SendTestTo,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Field::EmailAddress => "Email address",
            Field::Name => "Name",
            Field::TenantId => "TenantId",
            Field::ClientId => "SMTP User",
            Field::ClientSecret => "SMTP Password",
            Field::ObjectId => "ObjectId",
            Field::SmtpHost => "SMTP server",
            Field::SmtpPort => "Port",
            Field::Username => "Username",
            Field::Password => "Password",
            Field::SendTestTo => "Send test to",
        }
    }

    /// The `id` of the field's input element (also used for focus and test selectors).
    pub fn input_id(self) -> &'static str {
        match self {
            Field::EmailAddress => "email-address",
            Field::Name => "display-name",
            Field::TenantId => "tenant-id",
            Field::ClientId => "smtp-user",
            Field::ClientSecret => "smtp-password",
            Field::ObjectId => "object-id",
            Field::SmtpHost => "smtp-host",
            Field::SmtpPort => "smtp-port",
            Field::Username => "username",
            Field::Password => "password",
            Field::SendTestTo => "send-test-to",
        }
    }

    /// Where to find the value, in the words of the Entra and Microsoft 365 admin centers.
    pub fn hint(self) -> &'static str {
        match self {
            Field::EmailAddress => {
                "The Exchange Online mailbox that sends the mail; it is also the SMTP login."
            }
            Field::Name => "Shown to recipients as the sender's name. Optional.",
            Field::TenantId => {
                "Entra admin center → Overview → Tenant ID (or your domain, e.g. contoso.onmicrosoft.com)."
            }
            Field::ClientId => {
                "Entra admin center → App registrations → your app → Application (client) ID."
            }
            Field::ClientSecret => {
                "App registrations → your app → Certificates & secrets → the secret's Value column (not its Secret ID)."
            }
            Field::ObjectId => {
                "Optional, for the setup guide: Enterprise applications → your app → Object ID. \
                 Not the Object ID on the App registration page: that one belongs to the \
                 registration, and New-ServicePrincipal with it leads to 535 5.7.3."
            }
            Field::SmtpHost => "The SMTP server's host name, e.g. smtp.office365.com.",
            Field::SmtpPort => "587 for STARTTLS, 465 for TLS from the start.",
            Field::Username => "The SMTP login, often the mailbox's address.",
            Field::Password => "The SMTP login's password.",
            Field::SendTestTo => "Who receives the test email. Empty: the Email address itself.",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Field;

    #[test]
    fn all_lists_every_field_at_its_own_index() {
        for (index, field) in Field::ALL.into_iter().enumerate() {
            assert_eq!(field as usize, index, "{field:?}");
        }
    }
}
