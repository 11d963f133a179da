use serde::{Deserialize, Serialize};

use super::text::is_forbidden_control;

/// RFC 5321's practical limit for a forward path.
pub const MAX_LEN: usize = 254;

/// A mailbox address `local@domain`, as used for the sender (Email address) and the
/// recipient (Send test to). Surrounding spaces are trimmed; nothing else is rewritten.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MailboxAddress(String);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MailboxError {
    Empty,
    TooLong(usize),
    ForbiddenCharacter(char),
    DisplayForm,
    MissingAt,
    MissingLocalPart,
    MissingDomain,
    IncompleteDomain,
    DomainCharacter(char),
    LocalPartTooLong,
    DomainTooLong,
    InvalidCharacter,
    /// Any other refusal of RFC 5322's address syntax.
    Invalid,
}

impl MailboxAddress {
    pub fn parse(input: &str) -> Result<Self, MailboxError> {
        let value = input.trim();
        if value.is_empty() {
            return Err(MailboxError::Empty);
        }
        let length = value.chars().count();
        if length > MAX_LEN {
            return Err(MailboxError::TooLong(length));
        }
        if let Some(c) = value
            .chars()
            .find(|&c| is_forbidden_control(c) || c.is_whitespace())
        {
            return Err(MailboxError::ForbiddenCharacter(c));
        }
        if value.contains('<') || value.contains('>') {
            return Err(MailboxError::DisplayForm);
        }
        let options = email_address::Options {
            minimum_sub_domains: 2,
            allow_domain_literal: false,
            allow_display_text: false,
            allow_long_local_parts: false,
        };
        match email_address::EmailAddress::parse_with_options(value, options) {
            Ok(address) => {
                // The email_address crate lets any atext character through in the
                // domain; a domain name (RFC 1035, or its internationalized form) has
                // only letters, digits and hyphens between its dots.
                if let Some(c) = address
                    .domain()
                    .chars()
                    .find(|c| !(c.is_alphanumeric() || matches!(c, '-' | '.')))
                {
                    return Err(MailboxError::DomainCharacter(c));
                }
                Ok(Self(address.email().to_owned()))
            }
            Err(error) => Err(match error {
                email_address::Error::MissingSeparator => MailboxError::MissingAt,
                email_address::Error::LocalPartEmpty => MailboxError::MissingLocalPart,
                email_address::Error::DomainEmpty => MailboxError::MissingDomain,
                email_address::Error::DomainTooFew
                | email_address::Error::SubDomainEmpty
                | email_address::Error::DomainInvalidSeparator => MailboxError::IncompleteDomain,
                email_address::Error::LocalPartTooLong => MailboxError::LocalPartTooLong,
                email_address::Error::DomainTooLong | email_address::Error::SubDomainTooLong => {
                    MailboxError::DomainTooLong
                }
                email_address::Error::InvalidCharacter => MailboxError::InvalidCharacter,
                _ => MailboxError::Invalid,
            }),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

super::string_newtype!(MailboxAddress, MailboxError);

#[cfg(test)]
mod tests {
    use super::{MailboxAddress, MailboxError};

    #[test]
    fn accepts_a_plain_mailbox_and_trims() {
        let parsed = MailboxAddress::parse("  noreply@contoso.com ").expect("valid");
        assert_eq!(parsed.as_str(), "noreply@contoso.com");
    }

    #[test]
    fn accepts_plus_and_dots() {
        assert!(MailboxAddress::parse("first.last+tag@mail.contoso.co.uk").is_ok());
    }

    #[test]
    fn refuses_empty() {
        assert_eq!(MailboxAddress::parse("   "), Err(MailboxError::Empty));
    }

    #[test]
    fn refuses_missing_at_and_parts() {
        assert_eq!(
            MailboxAddress::parse("contoso.com"),
            Err(MailboxError::MissingAt)
        );
        assert_eq!(
            MailboxAddress::parse("@contoso.com"),
            Err(MailboxError::MissingLocalPart)
        );
        assert_eq!(
            MailboxAddress::parse("a@"),
            Err(MailboxError::MissingDomain)
        );
        assert_eq!(
            MailboxAddress::parse("a@localhost"),
            Err(MailboxError::IncompleteDomain)
        );
    }

    #[test]
    fn refuses_spaces_and_control_characters() {
        assert!(matches!(
            MailboxAddress::parse("no reply@contoso.com"),
            Err(MailboxError::ForbiddenCharacter(' '))
        ));
        assert!(matches!(
            MailboxAddress::parse("a@contoso.com\r\nBcc: x@evil.example"),
            Err(MailboxError::ForbiddenCharacter(_))
        ));
        assert!(matches!(
            MailboxAddress::parse("a\u{0}b@contoso.com"),
            Err(MailboxError::ForbiddenCharacter(_))
        ));
        assert!(matches!(
            MailboxAddress::parse("a\u{2028}@contoso.com"),
            Err(MailboxError::ForbiddenCharacter(_))
        ));
    }

    #[test]
    fn refuses_a_domain_with_anything_but_letters_digits_and_hyphens() {
        for bad in [
            "a@con/toso.com",
            "a@contoso?.com",
            "a@con%toso.com",
            "a@con_toso.com",
        ] {
            assert!(MailboxAddress::parse(bad).is_err(), "{bad}");
        }
        assert!(matches!(
            MailboxAddress::parse("a@con/toso.com"),
            Err(MailboxError::DomainCharacter('/'))
        ));
        // The local part may hold them (RFC 5322 atext).
        assert!(MailboxAddress::parse("a/b?c%d@contoso.com").is_ok());
    }

    #[test]
    fn refuses_display_forms() {
        assert_eq!(
            MailboxAddress::parse("Sales<sales@contoso.com>"),
            Err(MailboxError::DisplayForm)
        );
    }

    #[test]
    fn refuses_over_254_characters() {
        let long = format!("{}@{}.com", "a".repeat(64), "b".repeat(200));
        assert!(matches!(
            MailboxAddress::parse(&long),
            Err(MailboxError::TooLong(_))
        ));
        let ok = format!(
            "{}@{}.{}.com",
            "a".repeat(60),
            "b".repeat(60),
            "c".repeat(60)
        );
        assert!(MailboxAddress::parse(&ok).is_ok(), "{} chars", ok.len());
    }

    #[test]
    fn messages_are_sentences() {
        let message = MailboxAddress::parse("contoso.com")
            .unwrap_err()
            .to_string();
        assert!(message.contains("@"), "{message}");
    }
}
