//! The relay's settings, read with the server's: where it listens, its certificate, who
//! may send without a password, how large a message may be, and how fast it goes out.

use crate::domain::IpRange;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

pub const DEFAULT_ADDR: &str = "127.0.0.1:2525";
/// Exchange Online's largest message.
pub const DEFAULT_MAX_BYTES: usize = 35 * 1024 * 1024;
/// Exchange Online's submissions per minute from one mailbox.
pub const DEFAULT_SENDS_PER_MINUTE: u32 = 30;
/// How long a worker holds a message it is delivering before another may take it over;
/// renewed every third of it while the delivery lasts.
pub const DEFAULT_LEASE: std::time::Duration = std::time::Duration::from_secs(60);
/// Exchange Online's concurrent SMTP connections for one mailbox ("up to three").
pub const DEFAULT_CONNECTIONS: u32 = 3;
/// The wait before a message's first retry; each later one waits twice as long.
pub const DEFAULT_FIRST_RETRY: std::time::Duration = std::time::Duration::from_secs(60);

#[derive(Clone, Debug)]
pub struct RelaySettings {
    /// `SMTP_SETUP_RELAY_ADDR`; `None` when set empty (or `off`): no relay listener.
    pub address: Option<SocketAddr>,
    /// `SMTP_SETUP_RELAY_TLS_ADDR`: the implicit-TLS listener (RFC 8314, port 465 style);
    /// `None` unless set.
    pub tls_address: Option<SocketAddr>,
    /// `SMTP_SETUP_RELAY_TLS_CERT` and `SMTP_SETUP_RELAY_TLS_KEY` (PEM); `None`: a
    /// self-signed certificate made at first start and kept beside the database.
    pub certificate: Option<CertificateFiles>,
    /// `SMTP_SETUP_RELAY_ALLOW_IPS`: clients that may send without AUTH.
    pub allow_ips: Vec<IpRange>,
    /// `SMTP_SETUP_RELAY_MAX_BYTES`.
    pub max_bytes: usize,
    /// `SMTP_SETUP_RELAY_SENDS_PER_MINUTE`, across all instances together; 0: no limit.
    pub sends_per_minute: u32,
    /// `SMTP_SETUP_RELAY_LEASE_SECONDS`: how soon a message whose instance died is taken
    /// over by another (with several instances on PostgreSQL).
    pub lease: std::time::Duration,
    /// `SMTP_SETUP_RELAY_FIRST_RETRY_SECONDS`: the wait before a message's first retry.
    pub first_retry: std::time::Duration,
    /// `SMTP_SETUP_RELAY_CONNECTIONS`: connections to Exchange open at once, across all
    /// instances together (each holds a slot from the store while its connection is open).
    pub connections: u32,
}

impl Default for RelaySettings {
    fn default() -> Self {
        Self {
            address: DEFAULT_ADDR.parse().ok(),
            tls_address: None,
            certificate: None,
            allow_ips: Vec::new(),
            max_bytes: DEFAULT_MAX_BYTES,
            sends_per_minute: DEFAULT_SENDS_PER_MINUTE,
            lease: DEFAULT_LEASE,
            first_retry: DEFAULT_FIRST_RETRY,
            connections: DEFAULT_CONNECTIONS,
        }
    }
}

#[derive(Clone, Debug)]
pub struct CertificateFiles {
    pub certificate: PathBuf,
    pub key: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum RelaySettingsError {
    #[error("SMTP_SETUP_RELAY_ADDR must be ip:port such as {DEFAULT_ADDR} (empty turns the relay off), got {0:?}")]
    Address(String),
    #[error("SMTP_SETUP_RELAY_TLS_ADDR must be ip:port such as 0.0.0.0:465 (unset or empty: off), got {0:?}")]
    TlsAddress(String),
    #[error(
        "SMTP_SETUP_RELAY_TLS_CERT and SMTP_SETUP_RELAY_TLS_KEY go together: set both or neither"
    )]
    HalfCertificate,
    #[error("SMTP_SETUP_RELAY_ALLOW_IPS must be addresses or CIDR ranges separated by commas, such as 192.168.10.0/24, got {0:?}")]
    AllowIps(String),
    #[error("SMTP_SETUP_RELAY_MAX_BYTES must be a positive number of bytes, got {0:?}")]
    MaxBytes(String),
    #[error("SMTP_SETUP_RELAY_SENDS_PER_MINUTE must be a number (0 for no limit), got {0:?}")]
    SendsPerMinute(String),
    #[error(
        "SMTP_SETUP_RELAY_LEASE_SECONDS must be a whole number of seconds, at least 3, got {0:?}"
    )]
    Lease(String),
    #[error(
        "SMTP_SETUP_RELAY_FIRST_RETRY_SECONDS must be a whole number of seconds, at least 1, got {0:?}"
    )]
    FirstRetry(String),
    #[error("SMTP_SETUP_RELAY_CONNECTIONS must be a whole number from 1 to 100 (Exchange Online allows 3), got {0:?}")]
    Connections(String),
}

impl RelaySettings {
    /// Reads the relay's variables through `lookup`; `off` (or an empty value, which the
    /// environment lookup passes as `off`) turns the listener off.
    pub fn from_lookup(
        lookup: &impl Fn(&str) -> Option<String>,
    ) -> Result<Self, RelaySettingsError> {
        let defaults = Self::default();
        let address = match lookup("SMTP_SETUP_RELAY_ADDR") {
            None => defaults.address,
            Some(value) if value.trim().is_empty() || value.trim() == "off" => None,
            Some(value) => Some(
                value
                    .trim()
                    .parse()
                    .map_err(|_| RelaySettingsError::Address(value))?,
            ),
        };
        let tls_address = match lookup("SMTP_SETUP_RELAY_TLS_ADDR") {
            None => None,
            Some(value) if value.trim().is_empty() || value.trim() == "off" => None,
            Some(value) => Some(
                value
                    .trim()
                    .parse()
                    .map_err(|_| RelaySettingsError::TlsAddress(value))?,
            ),
        };
        let certificate = match (
            lookup("SMTP_SETUP_RELAY_TLS_CERT"),
            lookup("SMTP_SETUP_RELAY_TLS_KEY"),
        ) {
            (None, None) => None,
            (Some(certificate), Some(key)) => Some(CertificateFiles {
                certificate: certificate.into(),
                key: key.into(),
            }),
            _ => return Err(RelaySettingsError::HalfCertificate),
        };
        let allow_ips = match lookup("SMTP_SETUP_RELAY_ALLOW_IPS") {
            None => Vec::new(),
            Some(value) => value
                .split(',')
                .map(str::trim)
                .filter(|part| !part.is_empty())
                .map(IpRange::parse)
                .collect::<Option<_>>()
                .ok_or(RelaySettingsError::AllowIps(value))?,
        };
        let max_bytes = match lookup("SMTP_SETUP_RELAY_MAX_BYTES") {
            None => defaults.max_bytes,
            Some(value) => value
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or(RelaySettingsError::MaxBytes(value))?,
        };
        let sends_per_minute = match lookup("SMTP_SETUP_RELAY_SENDS_PER_MINUTE") {
            None => defaults.sends_per_minute,
            Some(value) => value
                .trim()
                .parse()
                .map_err(|_| RelaySettingsError::SendsPerMinute(value))?,
        };
        let lease = match lookup("SMTP_SETUP_RELAY_LEASE_SECONDS") {
            None => defaults.lease,
            Some(value) => value
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|n| *n >= 3)
                .map(std::time::Duration::from_secs)
                .ok_or(RelaySettingsError::Lease(value))?,
        };
        let first_retry = match lookup("SMTP_SETUP_RELAY_FIRST_RETRY_SECONDS") {
            None => defaults.first_retry,
            Some(value) => value
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|n| *n >= 1)
                .map(std::time::Duration::from_secs)
                .ok_or(RelaySettingsError::FirstRetry(value))?,
        };
        let connections = match lookup("SMTP_SETUP_RELAY_CONNECTIONS") {
            None => defaults.connections,
            Some(value) => value
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=100).contains(n))
                .ok_or(RelaySettingsError::Connections(value))?,
        };
        Ok(Self {
            address,
            tls_address,
            certificate,
            allow_ips,
            max_bytes,
            sends_per_minute,
            lease,
            first_retry,
            connections,
        })
    }

    pub fn allows_without_auth(&self, ip: IpAddr) -> bool {
        self.allow_ips.iter().any(|range| range.contains(ip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Result<RelaySettings, RelaySettingsError> {
        RelaySettings::from_lookup(&|name: &str| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        })
    }

    #[test]
    fn defaults_listen_on_loopback_with_exchange_limits() {
        let relay = settings(&[]).unwrap();
        assert_eq!(relay.address, Some("127.0.0.1:2525".parse().unwrap()));
        assert_eq!(relay.max_bytes, 35 * 1024 * 1024);
        assert_eq!(relay.sends_per_minute, 30);
        assert!(relay.allow_ips.is_empty());
        // Literal figures, not the constants: docs/src/relay.md's "1, 2, 4… minutes".
        assert_eq!(relay.first_retry, std::time::Duration::from_secs(60));
        assert_eq!(
            settings(&[("SMTP_SETUP_RELAY_FIRST_RETRY_SECONDS", "2")])
                .unwrap()
                .first_retry,
            std::time::Duration::from_secs(2)
        );
        assert!(settings(&[("SMTP_SETUP_RELAY_FIRST_RETRY_SECONDS", "0")]).is_err());
        // Exchange Online's "up to three concurrent connections".
        assert_eq!(relay.connections, 3);
        assert_eq!(
            settings(&[("SMTP_SETUP_RELAY_CONNECTIONS", "1")])
                .unwrap()
                .connections,
            1
        );
        assert!(settings(&[("SMTP_SETUP_RELAY_CONNECTIONS", "0")]).is_err());
        assert!(settings(&[("SMTP_SETUP_RELAY_ADDR", "off")])
            .unwrap()
            .address
            .is_none());
        assert!(settings(&[("SMTP_SETUP_RELAY_ADDR", "localhost")]).is_err());
        assert_eq!(relay.tls_address, None, "implicit TLS is off unless set");
        assert_eq!(
            settings(&[("SMTP_SETUP_RELAY_TLS_ADDR", "0.0.0.0:465")])
                .unwrap()
                .tls_address,
            Some("0.0.0.0:465".parse().unwrap())
        );
        assert!(settings(&[("SMTP_SETUP_RELAY_TLS_ADDR", "465")]).is_err());
        assert!(settings(&[("SMTP_SETUP_RELAY_TLS_CERT", "/c.pem")]).is_err());
        assert!(settings(&[("SMTP_SETUP_RELAY_MAX_BYTES", "0")]).is_err());
        assert!(settings(&[("SMTP_SETUP_RELAY_ALLOW_IPS", "10.0.0.0/33")]).is_err());
    }

    #[test]
    fn allowed_ranges_match_by_prefix() {
        let relay = settings(&[(
            "SMTP_SETUP_RELAY_ALLOW_IPS",
            "192.168.10.0/23, 10.1.2.3, fd00::/8",
        )])
        .unwrap();
        let allowed = |ip: &str| relay.allows_without_auth(ip.parse().unwrap());
        assert!(allowed("192.168.10.7"));
        assert!(allowed("192.168.11.255"));
        assert!(!allowed("192.168.12.1"));
        assert!(allowed("10.1.2.3"));
        assert!(!allowed("10.1.2.4"));
        assert!(allowed("fd12::1"));
        assert!(!allowed("fe80::1"));
        assert!(allowed("::ffff:192.168.10.9"));
        assert!(!allowed("127.0.0.1"));
    }
}
