//! Where "Username and password" sending goes: a host, a port and how the connection is
//! encrypted. Microsoft OAuth2 sending takes these from the chosen cloud instead.

use serde::{Deserialize, Serialize};

/// A host name or IP address, without scheme or port.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SmtpHost(String);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SmtpHostError {
    Empty,
    HasScheme(String),
    HasPort,
    ForbiddenCharacter(char),
    BadLength,
}

impl SmtpHost {
    pub fn parse(input: &str) -> Result<Self, SmtpHostError> {
        let value = input.trim().trim_end_matches('.');
        if value.is_empty() {
            return Err(SmtpHostError::Empty);
        }
        if let Some((scheme, _)) = value.split_once("://") {
            return Err(SmtpHostError::HasScheme(format!("{scheme}://")));
        }
        if value.parse::<std::net::Ipv6Addr>().is_ok() {
            return Ok(Self(value.to_owned()));
        }
        if value.contains(':') {
            return Err(SmtpHostError::HasPort);
        }
        if let Some(c) = value
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '.'))
        {
            return Err(SmtpHostError::ForbiddenCharacter(c));
        }
        let labels_ok = value.split('.').all(|l| (1..=63).contains(&l.len()));
        if value.len() > 253 || !labels_ok {
            return Err(SmtpHostError::BadLength);
        }
        Ok(Self(value.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

super::string_newtype!(SmtpHost, SmtpHostError);

/// A TCP port, 1 to 65535.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmtpPort(u16);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SmtpPortError {
    Empty,
    NotAPort,
}

impl SmtpPort {
    pub fn parse(input: &str) -> Result<Self, SmtpPortError> {
        let value = input.trim();
        if value.is_empty() {
            return Err(SmtpPortError::Empty);
        }
        match value.parse::<u16>() {
            Ok(port) if port > 0 => Ok(Self(port)),
            _ => Err(SmtpPortError::NotAPort),
        }
    }

    pub fn get(self) -> u16 {
        self.0
    }
}

/// How the connection is encrypted. Credentials never cross an unencrypted connection,
/// so there is no "none".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Security {
    /// Plain TCP upgraded with STARTTLS (port 587).
    #[default]
    StartTls,
    /// TLS from the first byte (port 465).
    ImplicitTls,
}

impl Security {
    pub const ALL: [Security; 2] = [Security::StartTls, Security::ImplicitTls];

    pub fn key(self) -> &'static str {
        match self {
            Security::StartTls => "starttls",
            Security::ImplicitTls => "tls",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        assert_eq!(
            SmtpHost::parse(" SMTP.Office365.com. ").unwrap().as_str(),
            "smtp.office365.com"
        );
        assert_eq!(SmtpHost::parse("192.0.2.1").unwrap().as_str(), "192.0.2.1");
        assert_eq!(SmtpHost::parse("::1").unwrap().as_str(), "::1");
        assert_eq!(SmtpHost::parse(""), Err(SmtpHostError::Empty));
        assert_eq!(
            SmtpHost::parse("smtp://mail.example"),
            Err(SmtpHostError::HasScheme("smtp://".into()))
        );
        assert_eq!(
            SmtpHost::parse("mail.example:587"),
            Err(SmtpHostError::HasPort)
        );
        assert!(matches!(
            SmtpHost::parse("mail example"),
            Err(SmtpHostError::ForbiddenCharacter(_))
        ));
        assert!(matches!(
            SmtpHost::parse("mail\r\n.example"),
            Err(SmtpHostError::ForbiddenCharacter(_))
        ));
        assert_eq!(SmtpHost::parse("a..b"), Err(SmtpHostError::BadLength));
        assert_eq!(
            SmtpHost::parse(&"a".repeat(64)),
            Err(SmtpHostError::BadLength)
        );
    }

    #[test]
    fn ports() {
        assert_eq!(SmtpPort::parse(" 587 ").unwrap().get(), 587);
        assert_eq!(SmtpPort::parse(""), Err(SmtpPortError::Empty));
        assert_eq!(SmtpPort::parse("0"), Err(SmtpPortError::NotAPort));
        assert_eq!(SmtpPort::parse("65536"), Err(SmtpPortError::NotAPort));
        assert_eq!(SmtpPort::parse("smtp"), Err(SmtpPortError::NotAPort));
    }

    #[test]
    fn security_keys_round_trip() {
        for s in Security::ALL {
            assert_eq!(Security::from_key(s.key()), Some(s));
        }
    }
}
