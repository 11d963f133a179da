//! An address, or a CIDR range of them (`192.168.10.0/24`, `2001:db8::/32`): the relay's
//! addresses that may send without AUTH, and those a credential may be used from.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

/// At most this many ranges in a list: each is checked on every sign-in.
pub const MAX_RANGES: usize = 100;

/// An address, or a CIDR range of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpRange {
    network: IpAddr,
    prefix: u8,
}

impl IpRange {
    pub fn parse(text: &str) -> Option<Self> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network: IpAddr = address.trim().parse().ok()?;
        let bits = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => bits,
            Some(p) => p.trim().parse::<u8>().ok().filter(|p| *p <= bits)?,
        };
        Some(Self { network, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        // An IPv4 client on a dual-stack socket arrives as ::ffff:a.b.c.d.
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.network, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                prefix_matches(&net.octets(), &ip.octets(), self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                prefix_matches(&net.octets(), &ip.octets(), self.prefix)
            }
            _ => false,
        }
    }
}

fn prefix_matches(network: &[u8], ip: &[u8], prefix: u8) -> bool {
    let full = usize::from(prefix / 8);
    let rest = prefix % 8;
    if network[..full] != ip[..full] {
        return false;
    }
    rest == 0 || {
        let mask = 0xffu8 << (8 - rest);
        network[full] & mask == ip[full] & mask
    }
}

impl std::fmt::Display for IpRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let bits = if self.network.is_ipv4() { 32 } else { 128 };
        if self.prefix == bits {
            write!(f, "{}", self.network)
        } else {
            write!(f, "{}/{}", self.network, self.prefix)
        }
    }
}

/// Ranges, separated by commas, spaces or lines.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpRangeList(Vec<IpRange>);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum IpRangeListError {
    /// Not an address or a range: the text as given.
    Range(String),
    TooMany(usize),
}

impl IpRangeList {
    pub fn parse(input: &str) -> Result<Self, IpRangeListError> {
        let mut ranges: Vec<IpRange> = Vec::new();
        for part in input.split([',', ';', ' ', '\n', '\t']).map(str::trim) {
            if part.is_empty() {
                continue;
            }
            let range =
                IpRange::parse(part).ok_or_else(|| IpRangeListError::Range(part.to_owned()))?;
            if !ranges.contains(&range) {
                ranges.push(range);
            }
        }
        if ranges.len() > MAX_RANGES {
            return Err(IpRangeListError::TooMany(ranges.len()));
        }
        Ok(Self(ranges))
    }

    pub fn ranges(&self) -> &[IpRange] {
        &self.0
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|range| range.contains(ip))
    }

    /// One range per line, as the page shows the list.
    pub fn to_text(&self) -> String {
        self.0
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_addresses_or_cidr() {
        let list = IpRangeList::parse("192.168.10.0/24, 10.1.2.3\n2001:db8::/32").unwrap();
        assert_eq!(list.to_text(), "192.168.10.0/24\n10.1.2.3\n2001:db8::/32");
        assert!(list.contains("192.168.10.77".parse().unwrap()));
        assert!(
            list.contains("::ffff:192.168.10.1".parse().unwrap()),
            "IPv4 on a dual-stack socket"
        );
        assert!(!list.contains("192.168.11.1".parse().unwrap()));
        assert!(list.contains("2001:db8:1::9".parse().unwrap()));
        assert_eq!(
            IpRangeList::parse("10.0.0.0/33"),
            Err(IpRangeListError::Range("10.0.0.0/33".into()))
        );
        assert_eq!(
            IpRangeList::parse("printer"),
            Err(IpRangeListError::Range("printer".into()))
        );
        assert_eq!(IpRangeList::parse(" ").unwrap(), IpRangeList::default());
    }
}
