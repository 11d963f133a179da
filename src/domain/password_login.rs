//! The account of "Username and password" sending (SMTP AUTH PLAIN or LOGIN).

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::text::is_forbidden_control;

pub const MAX_LEN: usize = 256;

/// The SMTP login, often the mailbox address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SmtpUsername(String);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SmtpUsernameError {
    Empty,
    TooLong,
    ForbiddenCharacter(char),
}

impl SmtpUsername {
    pub fn parse(input: &str) -> Result<Self, SmtpUsernameError> {
        let value = input.trim();
        if value.is_empty() {
            return Err(SmtpUsernameError::Empty);
        }
        if value.chars().count() > MAX_LEN {
            return Err(SmtpUsernameError::TooLong);
        }
        if let Some(c) = value.chars().find(|c| is_forbidden_control(*c)) {
            return Err(SmtpUsernameError::ForbiddenCharacter(c));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

super::string_newtype!(SmtpUsername, SmtpUsernameError);

/// The account's password. Like the client secret: no `Display`, redacted `Debug`, not
/// `Serialize`.
#[derive(Clone, Debug)]
pub struct SmtpPassword(SecretString);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SmtpPasswordError {
    Empty,
    TooLong,
    ForbiddenCharacter(char),
}

impl SmtpPassword {
    /// Spaces are kept: unlike a client secret, a password may begin or end with one.
    pub fn parse(input: &str) -> Result<Self, SmtpPasswordError> {
        if input.is_empty() {
            return Err(SmtpPasswordError::Empty);
        }
        if input.chars().count() > MAX_LEN {
            return Err(SmtpPasswordError::TooLong);
        }
        // SASL PLAIN separates fields with NUL; line breaks would end the AUTH line.
        if let Some(c) = input.chars().find(|c| is_forbidden_control(*c)) {
            return Err(SmtpPasswordError::ForbiddenCharacter(c));
        }
        Ok(Self(SecretString::from(input.to_owned())))
    }

    pub fn secret(&self) -> &SecretString {
        &self.0
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert_eq!(
            SmtpUsername::parse(" relay@contoso.com ").unwrap().as_str(),
            "relay@contoso.com"
        );
        assert_eq!(SmtpUsername::parse(" "), Err(SmtpUsernameError::Empty));
        assert!(matches!(
            SmtpUsername::parse("a\0b"),
            Err(SmtpUsernameError::ForbiddenCharacter(_))
        ));
        assert_eq!(
            SmtpUsername::parse(&"a".repeat(257)),
            Err(SmtpUsernameError::TooLong)
        );
    }

    #[test]
    fn passwords_keep_spaces_and_refuse_controls() {
        assert_eq!(
            SmtpPassword::parse(" pass word ").unwrap().expose(),
            " pass word "
        );
        assert!(matches!(
            SmtpPassword::parse(""),
            Err(SmtpPasswordError::Empty)
        ));
        assert!(matches!(
            SmtpPassword::parse("a\r\nb"),
            Err(SmtpPasswordError::ForbiddenCharacter(_))
        ));
        assert!(!format!("{:?}", SmtpPassword::parse("hunter2").unwrap()).contains("hunter2"));
    }
}
