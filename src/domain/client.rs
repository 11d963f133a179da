use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::guid;

pub const MAX_SECRET_LEN: usize = 1024;

/// The Application (client) ID of the app registration ("SMTP User" in the form).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ClientId(String);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClientIdError {
    Empty,
    NotAGuid,
}

impl ClientId {
    pub fn parse(input: &str) -> Result<Self, ClientIdError> {
        if input.trim().is_empty() {
            return Err(ClientIdError::Empty);
        }
        guid::normalize(input)
            .map(Self)
            .ok_or(ClientIdError::NotAGuid)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

super::string_newtype!(ClientId, ClientIdError);

/// The client secret's *value* ("SMTP Password"). Held in a `SecretString`: it has no
/// `Display`, its `Debug` is redacted, and it is not `Serialize`, so it cannot reach a
/// log line or a response by accident.
#[derive(Clone, Debug)]
pub struct ClientSecret(SecretString);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClientSecretError {
    Empty,
    TooLong,
    LooksLikeSecretId,
    ForbiddenCharacter(char),
}

impl ClientSecret {
    pub fn parse(input: &str) -> Result<Self, ClientSecretError> {
        // Entra secret values never contain whitespace; surrounding spaces come from
        // copying and would make the token request fail with a misleading error.
        let value = input.trim();
        if value.is_empty() {
            return Err(ClientSecretError::Empty);
        }
        if value.chars().count() > MAX_SECRET_LEN {
            return Err(ClientSecretError::TooLong);
        }
        if guid::normalize(value).is_some() {
            return Err(ClientSecretError::LooksLikeSecretId);
        }
        if let Some(c) = value
            .chars()
            .find(|c: &char| c.is_control() || c.is_whitespace())
        {
            return Err(ClientSecretError::ForbiddenCharacter(c));
        }
        Ok(Self(SecretString::from(value.to_owned())))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

#[cfg(test)]
mod tests {
    use super::{ClientId, ClientIdError, ClientSecret, ClientSecretError};

    #[test]
    fn client_id_is_a_normalized_guid() {
        let id = ClientId::parse("{A1B2C3D4-E5F6-4789-ABCD-0123456789AB}").unwrap();
        assert_eq!(id.as_str(), "a1b2c3d4-e5f6-4789-abcd-0123456789ab");
    }

    #[test]
    fn client_id_refuses_non_guids() {
        assert_eq!(ClientId::parse(""), Err(ClientIdError::Empty));
        assert_eq!(ClientId::parse("my-app"), Err(ClientIdError::NotAGuid));
        assert_eq!(
            ClientId::parse("a1b2c3d4-e5f6-4789-abcd-0123456789a"),
            Err(ClientIdError::NotAGuid)
        );
    }

    #[test]
    fn secret_accepts_an_entra_shaped_value() {
        let secret = ClientSecret::parse(" abC8Q~x.y_z-1234567890abcdefghijklmnopqr ").unwrap();
        assert_eq!(secret.expose(), "abC8Q~x.y_z-1234567890abcdefghijklmnopqr");
    }

    #[test]
    fn secret_shaped_like_a_guid_is_the_secret_id() {
        let error = ClientSecret::parse("8c5b1e3a-2f4d-4c6b-9a7e-1d2c3b4a5f60").unwrap_err();
        assert_eq!(error, ClientSecretError::LooksLikeSecretId);
        let message = error.to_string();
        assert!(
            message.contains("secret's ID") && message.contains("Value"),
            "{message}"
        );
    }

    #[test]
    fn secret_is_required_and_bounded() {
        assert_eq!(
            ClientSecret::parse("   ").unwrap_err(),
            ClientSecretError::Empty
        );
        assert_eq!(
            ClientSecret::parse(&"x".repeat(1025)).unwrap_err(),
            ClientSecretError::TooLong
        );
        assert!(ClientSecret::parse(&"x".repeat(1024)).is_ok());
    }

    #[test]
    fn secret_refuses_inner_whitespace_and_controls() {
        assert!(matches!(
            ClientSecret::parse("abc def"),
            Err(ClientSecretError::ForbiddenCharacter(_))
        ));
        assert!(matches!(
            ClientSecret::parse("abc\u{1}def"),
            Err(ClientSecretError::ForbiddenCharacter(_))
        ));
    }

    #[test]
    fn secret_debug_is_redacted() {
        let secret = ClientSecret::parse("super-secret-value").unwrap();
        assert!(!format!("{secret:?}").contains("super-secret-value"));
    }
}
