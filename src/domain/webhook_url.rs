//! A webhook endpoint's address: `https://` and a host, as an application serves it.
//! Checked while typing in the browser and again by the server (and the command line).

use serde::{Deserialize, Serialize};

/// The longest address kept.
pub const MAX_URL: usize = 2048;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct WebhookUrl(String);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WebhookUrlError {
    Empty,
    /// Not `https://…`: events name recipients, and go encrypted only.
    NotHttps,
    NoHost,
    TooLong(usize),
    ForbiddenCharacter(char),
}

impl WebhookUrl {
    pub fn parse(text: &str) -> Result<Self, WebhookUrlError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(WebhookUrlError::Empty);
        }
        if text.len() > MAX_URL {
            return Err(WebhookUrlError::TooLong(text.len()));
        }
        if let Some(c) = text.chars().find(|c| c.is_whitespace() || c.is_control()) {
            return Err(WebhookUrlError::ForbiddenCharacter(c));
        }
        let rest = text
            .get(..8)
            .filter(|scheme| scheme.eq_ignore_ascii_case("https://"))
            .map(|_| &text[8..])
            .ok_or(WebhookUrlError::NotHttps)?;
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let host = authority.rsplit('@').next().unwrap_or_default();
        let host = match host.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or_default(),
            None => host.split(':').next().unwrap_or_default(),
        };
        if host.is_empty() {
            return Err(WebhookUrlError::NoHost);
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

super::string_newtype!(WebhookUrl, WebhookUrlError);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_with_a_host() {
        for good in [
            "https://erp.contoso.com/hooks/mail",
            "https://127.0.0.1:8443/ok",
            "HTTPS://[2001:db8::1]:443/x?y=1",
        ] {
            assert!(WebhookUrl::parse(good).is_ok(), "{good}");
        }
        assert_eq!(WebhookUrl::parse(" "), Err(WebhookUrlError::Empty));
        assert_eq!(
            WebhookUrl::parse("http://erp.contoso.com/"),
            Err(WebhookUrlError::NotHttps)
        );
        assert_eq!(
            WebhookUrl::parse("erp.contoso.com"),
            Err(WebhookUrlError::NotHttps)
        );
        assert_eq!(
            WebhookUrl::parse("https:///hooks"),
            Err(WebhookUrlError::NoHost)
        );
        assert_eq!(
            WebhookUrl::parse("https://:443/"),
            Err(WebhookUrlError::NoHost)
        );
        assert_eq!(
            WebhookUrl::parse("https://erp.contoso.com/a b"),
            Err(WebhookUrlError::ForbiddenCharacter(' '))
        );
        let long = format!("https://x.com/{}", "a".repeat(MAX_URL));
        assert_eq!(
            WebhookUrl::parse(&long),
            Err(WebhookUrlError::TooLong(long.len()))
        );
    }
}
