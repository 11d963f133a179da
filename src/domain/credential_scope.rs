//! What one relay credential may do, beyond signing in: which of the allowed senders it
//! may send as, which client addresses it may connect from, and how many messages an
//! hour. Each limit is off until set: a credential may do what the relay allows.

use serde::{Deserialize, Serialize};

use super::ip_range::{IpRangeList, IpRangeListError};
use super::sender_list::{SenderList, SenderListError};

/// The most messages an hour a quota may name.
pub const MAX_PER_HOUR: u32 = 1_000_000;

/// Messages an hour, 1 to [`MAX_PER_HOUR`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HourlyQuota(u32);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum HourlyQuotaError {
    /// Not a whole number from 1 to the most: the text as given.
    NotANumber(String),
}

impl HourlyQuota {
    pub fn parse(text: &str) -> Result<Self, HourlyQuotaError> {
        text.trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_PER_HOUR).contains(n))
            .map(Self)
            .ok_or_else(|| HourlyQuotaError::NotANumber(text.trim().to_owned()))
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

/// A credential's limits; `None`: that limit is off.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialScope {
    /// The senders it may use (each must also be one the relay allows).
    pub senders: Option<SenderList>,
    /// The client addresses it may connect from.
    pub clients: Option<IpRangeList>,
    pub per_hour: Option<HourlyQuota>,
}

/// Which of the three is wrong, and how.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CredentialScopeError {
    Senders(SenderListError),
    Clients(IpRangeListError),
    PerHour(HourlyQuotaError),
}

impl CredentialScopeError {
    /// The field's refusal, for its words.
    pub fn field_error(&self) -> super::FieldError {
        match self {
            CredentialScopeError::Senders(error) => error.clone().into(),
            CredentialScopeError::Clients(error) => error.clone().into(),
            CredentialScopeError::PerHour(error) => error.clone().into(),
        }
    }
}

impl std::fmt::Display for CredentialScopeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.field_error(), f)
    }
}

impl std::error::Error for CredentialScopeError {}

impl CredentialScope {
    /// From the page's three fields (or the command line's flags, joined): an empty
    /// field leaves its limit off.
    pub fn parse(
        senders: &str,
        clients: &str,
        per_hour: &str,
    ) -> Result<Self, CredentialScopeError> {
        let senders = SenderList::parse(senders).map_err(CredentialScopeError::Senders)?;
        let clients = IpRangeList::parse(clients).map_err(CredentialScopeError::Clients)?;
        let per_hour = match per_hour.trim() {
            "" => None,
            text => Some(HourlyQuota::parse(text).map_err(CredentialScopeError::PerHour)?),
        };
        Ok(Self {
            senders: (!senders.addresses().is_empty()).then_some(senders),
            clients: (!clients.ranges().is_empty()).then_some(clients),
            per_hour,
        })
    }

    /// The three fields as the page shows them (and [`Self::parse`] reads them back).
    pub fn to_texts(&self) -> (String, String, String) {
        (
            self.senders
                .as_ref()
                .map(SenderList::to_text)
                .unwrap_or_default(),
            self.clients
                .as_ref()
                .map(IpRangeList::to_text)
                .unwrap_or_default(),
            self.per_hour
                .map(|q| q.get().to_string())
                .unwrap_or_default(),
        )
    }

    /// Whether the credential may be used from `ip`.
    pub fn allows_client(&self, ip: std::net::IpAddr) -> bool {
        self.clients.as_ref().is_none_or(|list| list.contains(ip))
    }

    /// Whether every limit is off.
    pub fn is_open(&self) -> bool {
        self == &Self::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_fields_leave_their_limits_off() {
        let open = CredentialScope::parse(" ", "", "").unwrap();
        assert!(open.is_open());
        let scoped =
            CredentialScope::parse("billing@contoso.com", "10.0.0.0/8 192.0.2.7", "120").unwrap();
        assert_eq!(
            scoped.to_texts(),
            (
                "billing@contoso.com".to_owned(),
                "10.0.0.0/8\n192.0.2.7".to_owned(),
                "120".to_owned()
            )
        );
        let (s, c, q) = scoped.to_texts();
        assert_eq!(
            CredentialScope::parse(&s, &c, &q).unwrap(),
            scoped,
            "read back"
        );
    }

    #[test]
    fn each_field_says_what_is_wrong() {
        assert!(matches!(
            CredentialScope::parse("not an address", "", ""),
            Err(CredentialScopeError::Senders(_))
        ));
        assert_eq!(
            CredentialScope::parse("", "10.0.0.300", ""),
            Err(CredentialScopeError::Clients(IpRangeListError::Range(
                "10.0.0.300".into()
            )))
        );
        for bad in ["0", "-5", "ten", "1000001"] {
            assert_eq!(
                CredentialScope::parse("", "", bad),
                Err(CredentialScopeError::PerHour(HourlyQuotaError::NotANumber(
                    bad.into()
                ))),
                "{bad}"
            );
        }
    }
}
