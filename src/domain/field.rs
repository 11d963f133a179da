use serde::{Deserialize, Serialize};

/// The form's fields, in the order they appear. Labels are the ones used by the help
/// article administrators follow, so they must not be renamed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Field {
    EmailAddress,
    Name,
    TenantId,
    SmtpUser,
    SmtpPassword,
    SendTestTo,
}

impl Field {
    pub const ALL: [Field; 6] = [
        Field::EmailAddress,
        Field::Name,
        Field::TenantId,
        Field::SmtpUser,
        Field::SmtpPassword,
        Field::SendTestTo,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Field::EmailAddress => "Email address",
            Field::Name => "Name",
            Field::TenantId => "TenantId",
            Field::SmtpUser => "SMTP User",
            Field::SmtpPassword => "SMTP Password",
            Field::SendTestTo => "Send test to",
        }
    }

    /// The `id` of the field's input element (also used for focus and test selectors).
    pub fn input_id(self) -> &'static str {
        match self {
            Field::EmailAddress => "email-address",
            Field::Name => "display-name",
            Field::TenantId => "tenant-id",
            Field::SmtpUser => "smtp-user",
            Field::SmtpPassword => "smtp-password",
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
            Field::SmtpUser => {
                "Entra admin center → App registrations → your app → Application (client) ID."
            }
            Field::SmtpPassword => {
                "App registrations → your app → Certificates & secrets → the secret's Value column (not its Secret ID)."
            }
            Field::SendTestTo => "Who receives the test email. Empty: the Email address itself.",
        }
    }
}
