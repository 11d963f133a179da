use serde::{Deserialize, Serialize};

use super::text::{is_forbidden_control, is_line_break};

pub const MAX_LEN: usize = 100;

/// The sender's display name in the From header. Optional: empty means no display name.
/// No control character can get in, so it can never break out of its header.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DisplayName(String);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DisplayNameError {
    TooLong(usize),
    LineBreak,
    ControlCharacter(char),
}

impl DisplayName {
    pub fn parse(input: &str) -> Result<Self, DisplayNameError> {
        // Checked before trimming: trimming would silently remove a trailing CR/LF
        // injection attempt instead of refusing it.
        if input.chars().any(is_line_break) {
            return Err(DisplayNameError::LineBreak);
        }
        if let Some(c) = input.chars().find(|&c| is_forbidden_control(c)) {
            return Err(DisplayNameError::ControlCharacter(c));
        }
        let value = input.trim();
        let length = value.chars().count();
        if length > MAX_LEN {
            return Err(DisplayNameError::TooLong(length));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

super::string_newtype!(DisplayName, DisplayNameError);

#[cfg(test)]
mod tests {
    use super::{DisplayName, DisplayNameError};

    #[test]
    fn optional_and_trimmed() {
        assert!(DisplayName::parse("").expect("empty is fine").is_empty());
        assert_eq!(
            DisplayName::parse("  Contoso Sales ").unwrap().as_str(),
            "Contoso Sales"
        );
    }

    #[test]
    fn accepts_unicode_and_punctuation() {
        assert!(DisplayName::parse("Müller, \"Accounts\" & Co.").is_ok());
    }

    #[test]
    fn refuses_cr_lf_anywhere() {
        for input in [
            "Sales\r\nBcc: victim@example.com",
            "Sales\n",
            "\rSales",
            "A\u{2028}B",
            "A\u{85}B",
        ] {
            assert_eq!(
                DisplayName::parse(input),
                Err(DisplayNameError::LineBreak),
                "{input:?}"
            );
        }
    }

    #[test]
    fn refuses_other_control_characters() {
        assert!(matches!(
            DisplayName::parse("Sales\u{7}"),
            Err(DisplayNameError::ControlCharacter(_))
        ));
        assert!(matches!(
            DisplayName::parse("a\tb"),
            Err(DisplayNameError::ControlCharacter(_))
        ));
    }

    #[test]
    fn at_most_100_characters() {
        assert!(DisplayName::parse(&"é".repeat(100)).is_ok());
        assert_eq!(
            DisplayName::parse(&"a".repeat(101)),
            Err(DisplayNameError::TooLong(101))
        );
    }

    #[test]
    fn line_break_message_names_the_risk() {
        let message = DisplayName::parse("a\nb").unwrap_err().to_string();
        assert!(message.contains("line breaks"), "{message}");
    }
}
