use serde::{Deserialize, Serialize};

use super::guid;

pub const MAX_DOMAIN_LEN: usize = 253;
pub const MAX_LABEL_LEN: usize = 63;

/// The Entra tenant, as a GUID (normalized to lowercase hyphenated form) or a verified
/// domain such as `contoso.onmicrosoft.com`. It becomes a path segment of the token URL,
/// so only letters, digits, dots and hyphens can ever pass.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TenantId(String);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TenantIdError {
    Empty,
    Url,
    MultiTenantAlias(String),
    MalformedGuid,
    ForbiddenCharacter(char),
    NotADomain,
    EmptyLabel,
    InvalidLabel,
    TooLong,
}

impl TenantId {
    pub fn parse(input: &str) -> Result<Self, TenantIdError> {
        let value = input.trim();
        if value.is_empty() {
            return Err(TenantIdError::Empty);
        }
        if let Some(id) = guid::normalize(value) {
            return Ok(Self(id));
        }
        if value.contains("://") {
            return Err(TenantIdError::Url);
        }
        if looks_like_guid_attempt(value) {
            return Err(TenantIdError::MalformedGuid);
        }
        if let Some(c) = value
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '.' || *c == '-'))
        {
            return Err(TenantIdError::ForbiddenCharacter(c));
        }
        let domain = value.to_ascii_lowercase();
        if matches!(domain.as_str(), "common" | "organizations" | "consumers") {
            return Err(TenantIdError::MultiTenantAlias(domain));
        }
        if domain.len() > MAX_DOMAIN_LEN {
            return Err(TenantIdError::TooLong);
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.iter().any(|label| label.is_empty()) {
            return Err(TenantIdError::EmptyLabel);
        }
        if labels.len() < 2 {
            return Err(TenantIdError::NotADomain);
        }
        if labels.iter().any(|label| {
            label.len() > MAX_LABEL_LEN || label.starts_with('-') || label.ends_with('-')
        }) {
            return Err(TenantIdError::InvalidLabel);
        }
        // A top-level domain starts with a letter; this also keeps IPv4 literals out.
        let top = labels.last().copied().unwrap_or_default();
        if !top.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return Err(TenantIdError::NotADomain);
        }
        Ok(Self(domain))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when the tenant is given by its GUID (tokens carry it as `tid`).
    pub fn is_guid(&self) -> bool {
        guid::normalize(&self.0).is_some()
    }
}

/// Hex digits and hyphens only, about GUID-long: someone copied part of a GUID.
fn looks_like_guid_attempt(value: &str) -> bool {
    value.len() >= 20
        && value.contains('-')
        && value
            .chars()
            .all(|c| c.is_ascii_hexdigit() || c == '-' || c == '{' || c == '}')
}

super::string_newtype!(TenantId, TenantIdError);

#[cfg(test)]
mod tests {
    use super::{TenantId, TenantIdError};

    #[test]
    fn normalizes_guids() {
        let tenant = TenantId::parse(" 72F988BF-86F1-41AF-91AB-2D7CD011DB47 ").unwrap();
        assert_eq!(tenant.as_str(), "72f988bf-86f1-41af-91ab-2d7cd011db47");
        assert!(tenant.is_guid());
    }

    #[test]
    fn accepts_and_lowercases_domains() {
        let tenant = TenantId::parse("Contoso.OnMicrosoft.com").unwrap();
        assert_eq!(tenant.as_str(), "contoso.onmicrosoft.com");
        assert!(!tenant.is_guid());
        assert!(TenantId::parse("fabrikam-eu.com").is_ok());
    }

    #[test]
    fn refuses_multi_tenant_aliases_with_the_reason() {
        for alias in ["common", "Organizations", "consumers"] {
            let error = TenantId::parse(alias).unwrap_err();
            assert!(
                matches!(error, TenantIdError::MultiTenantAlias(_)),
                "{alias}"
            );
            assert!(error.to_string().contains("app-only"), "{error}");
        }
    }

    #[test]
    fn nothing_that_changes_the_url_path_or_query_passes() {
        for input in [
            "contoso.com/oauth2",
            "contoso.com?x=1",
            "contoso.com#frag",
            "contoso%2ecom",
            "contoso\\com",
            "contoso,com",
            "conto so.com",
            "../common",
            "contoso.com\r\nHost: evil",
            "contoso.com\u{0}",
        ] {
            assert!(TenantId::parse(input).is_err(), "{input:?} must be refused");
        }
        assert_eq!(
            TenantId::parse("contoso..com"),
            Err(TenantIdError::EmptyLabel)
        );
        assert_eq!(TenantId::parse(".."), Err(TenantIdError::EmptyLabel));
    }

    #[test]
    fn explains_urls_and_partial_guids() {
        assert_eq!(
            TenantId::parse("https://login.microsoftonline.com/contoso.com"),
            Err(TenantIdError::Url)
        );
        assert_eq!(
            TenantId::parse("72f988bf-86f1-41af-91ab-2d7cd011db4"),
            Err(TenantIdError::MalformedGuid)
        );
    }

    #[test]
    fn refuses_bad_labels() {
        assert_eq!(TenantId::parse("contoso"), Err(TenantIdError::NotADomain));
        assert_eq!(TenantId::parse("10.0.0.1"), Err(TenantIdError::NotADomain));
        assert_eq!(
            TenantId::parse("-contoso.com"),
            Err(TenantIdError::InvalidLabel)
        );
        let long_label = format!("{}.com", "a".repeat(64));
        assert_eq!(
            TenantId::parse(&long_label),
            Err(TenantIdError::InvalidLabel)
        );
        let long = format!("{}.com", vec!["a".repeat(60); 5].join("."));
        assert_eq!(TenantId::parse(&long), Err(TenantIdError::TooLong));
    }

    #[test]
    fn empty_is_refused() {
        assert_eq!(TenantId::parse("  "), Err(TenantIdError::Empty));
    }
}
