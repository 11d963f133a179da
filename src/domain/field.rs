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
    /// Optional: the day the client secret expires, as the portal shows it.
    SecretExpires,
    /// The certificate credential (PEM), instead of a client secret.
    Certificate,
    /// The certificate's private key (PEM): write-only, like the client secret.
    PrivateKey,
    /// Optional; feeds only the setup guide.
    ObjectId,
    // "Username and password" sending.
    SmtpHost,
    SmtpPort,
    Username,
    Password,
    SendTestTo,
    /// Optional: where the scheduled check sends a real test email, at most daily.
    MonitorTo,
}

impl Field {
    pub const ALL: [Field; 15] = [
        Field::EmailAddress,
        Field::Name,
        Field::TenantId,
        Field::ClientId,
        Field::ClientSecret,
        Field::SecretExpires,
        Field::Certificate,
        Field::PrivateKey,
        Field::ObjectId,
        Field::SmtpHost,
        Field::SmtpPort,
        Field::Username,
        Field::Password,
        Field::SendTestTo,
        Field::MonitorTo,
    ];

    /// The `id` of the field's input element (also used for focus and test selectors).
    pub fn input_id(self) -> &'static str {
        match self {
            Field::EmailAddress => "email-address",
            Field::Name => "display-name",
            Field::TenantId => "tenant-id",
            Field::ClientId => "smtp-user",
            Field::ClientSecret => "smtp-password",
            Field::SecretExpires => "secret-expires",
            Field::Certificate => "certificate",
            Field::PrivateKey => "private-key",
            Field::ObjectId => "object-id",
            Field::SmtpHost => "smtp-host",
            Field::SmtpPort => "smtp-port",
            Field::Username => "username",
            Field::Password => "password",
            Field::SendTestTo => "send-test-to",
            Field::MonitorTo => "monitor-to",
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
