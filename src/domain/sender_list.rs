//! The relay's "Also allowed senders": addresses, besides the configured mailbox, that
//! the service principal may send as (shared mailboxes, aliases with SendAs). One per
//! line or separated by commas; each must pass [`MailboxAddress::parse`].

use serde::{Deserialize, Serialize};

use super::mailbox::{MailboxAddress, MailboxError};

/// At most this many: each is checked on every message.
pub const MAX_SENDERS: usize = 100;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SenderList(Vec<MailboxAddress>);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SenderListError {
    Address {
        address: String,
        error: MailboxError,
    },
    TooMany(usize),
}

impl SenderList {
    /// Empty entries are skipped; an address given twice (in any case) counts once.
    pub fn parse(input: &str) -> Result<Self, SenderListError> {
        let mut addresses: Vec<MailboxAddress> = Vec::new();
        for part in input.split([',', '\n', ';']).map(str::trim) {
            if part.is_empty() {
                continue;
            }
            let address =
                MailboxAddress::parse(part).map_err(|error| SenderListError::Address {
                    address: part.to_owned(),
                    error,
                })?;
            if !addresses
                .iter()
                .any(|a| a.as_str().eq_ignore_ascii_case(address.as_str()))
            {
                addresses.push(address);
            }
        }
        if addresses.len() > MAX_SENDERS {
            return Err(SenderListError::TooMany(addresses.len()));
        }
        Ok(Self(addresses))
    }

    pub fn addresses(&self) -> &[MailboxAddress] {
        &self.0
    }

    pub fn contains(&self, address: &str) -> bool {
        self.0
            .iter()
            .any(|a| a.as_str().eq_ignore_ascii_case(address))
    }

    /// One address per line, as the page shows the list.
    pub fn to_text(&self) -> String {
        self.0
            .iter()
            .map(MailboxAddress::as_str)
            .collect::<Vec<_>>()
            .join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_read_one_address_at_a_time() {
        let list = SenderList::parse(
            " billing@contoso.com,\nnoreply@contoso.com;\n\nBILLING@contoso.com ",
        )
        .unwrap();
        assert_eq!(list.to_text(), "billing@contoso.com\nnoreply@contoso.com");
        assert!(list.contains("Billing@Contoso.com"));
        assert!(!list.contains("ceo@contoso.com"));
        assert_eq!(SenderList::parse("").unwrap(), SenderList::default());
        let error = SenderList::parse("a@contoso.com, Sales <s@contoso.com>").unwrap_err();
        assert!(
            error.to_string().starts_with("\"Sales <s@contoso.com>\": "),
            "{error}"
        );
        let many: String = (0..101).map(|i| format!("u{i}@contoso.com\n")).collect();
        assert_eq!(SenderList::parse(&many), Err(SenderListError::TooMany(101)));
    }
}
