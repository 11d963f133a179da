//! Typed server settings, read once at start from the environment. Never from the
//! browser: where the token request and the mail go is the operator's decision.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use reqwest::Url;
use secrecy::SecretString;

pub use crate::api::relay::Retention;
use crate::domain::Cloud;
pub mod reference;
pub mod relay;

use self::relay::{RelaySettings, RelaySettingsError};
pub use crate::server::net::Endpoint;

/// Where the server keeps what it writes unless `SMTP_SETUP_DATA_DIR` says.
pub const DEFAULT_DATA_DIR: &str = "data";
/// The store's file in the data folder when `DATABASE_URL` says nothing.
pub const DATABASE_FILE: &str = "smtp-setup.db";
/// Where the page is served unless `SMTP_SETUP_LISTEN` (or `LEPTOS_SITE_ADDR`) says.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:3000";
pub const DEFAULT_TEST_SENDS_PER_MINUTE: usize = 10;
/// How often the saved credential is checked unless `SMTP_SETUP_CHECK_INTERVAL` says.
pub const DEFAULT_CHECK_INTERVAL: Duration = Duration::from_secs(6 * 60 * 60);
/// How often the sending mailbox is read for delivery reports unless
/// `SMTP_SETUP_BOUNCE_INTERVAL` says.
pub const DEFAULT_BOUNCE_INTERVAL: Duration = Duration::from_secs(5 * 60);
/// Standard Webhooks' first retry.
pub const DEFAULT_WEBHOOK_FIRST_RETRY: Duration = Duration::from_secs(5);
/// The longest either retention may be (ten years).
pub const MAX_RETENTION_DAYS: u32 = 3650;
/// A fixed sign-in token shorter than this is refused: it guards a mailbox's credentials.
pub const MIN_ADMIN_TOKEN_LEN: usize = 16;

#[derive(Clone, Debug)]
pub struct ServerSettings {
    /// Replaces the chosen cloud's Entra authority (tests, proxies). `None`: the cloud's.
    pub authority_override: Option<Url>,
    /// Replaces the chosen cloud's SMTP host for OAuth2 sending. `None`: the cloud's.
    pub smtp_override: Option<Endpoint>,
    /// Replaces the chosen cloud's IMAP host (implicit TLS) of the mailbox check.
    pub imap_override: Option<Endpoint>,
    /// `SMTP_SETUP_GRAPH_URL`: replaces the chosen cloud's Microsoft Graph (tests).
    pub graph_override: Option<Url>,
    /// Extra PEM trust roots (a test server's self-signed certificate), added to the
    /// built-in web PKI roots for both the token request and STARTTLS.
    pub extra_roots_pem: Option<Vec<u8>>,
    pub timeouts: Timeouts,
    /// `SMTP_SETUP_DATA_DIR`: everything the server writes (the SQLite database and its
    /// key file, the relay's generated certificate).
    pub data_dir: PathBuf,
    /// `DATABASE_URL`: the store; SQLite in the data folder unless it says otherwise.
    pub database_url: String,
    /// `SMTP_SETUP_KEY`: the sealing key (base64). `None`: a key file beside the database.
    pub sealing_key: Option<SecretString>,
    /// `SMTP_SETUP_ADMIN_TOKEN`: a fixed sign-in token. `None`: one-time tokens, printed.
    pub admin_token: Option<SecretString>,
    /// `SMTP_SETUP_PUBLIC_URL`: how administrators reach the server (behind a proxy), for
    /// the printed link and the cookie's `Secure`. `None`: the address the server binds.
    pub public_url: Option<String>,
    /// `SMTP_SETUP_TEST_SENDS_PER_MINUTE`: per session.
    pub test_sends_per_minute: usize,
    /// The relay's listener, certificate, allowed addresses and limits.
    pub relay: RelaySettings,
    /// `SMTP_SETUP_CHECK_INTERVAL`: how often the saved credential gets a token and is
    /// inspected. `None` (`0`): never.
    pub check_interval: Option<Duration>,
    /// `SMTP_SETUP_BOUNCE_INTERVAL`: how often the sending mailbox is read for delivery
    /// reports. `None` (`0`): never.
    pub bounce_interval: Option<Duration>,
    /// `SMTP_SETUP_BOUNCE_FOLDER`: where reports are moved once recorded; `None`: the
    /// mailbox is only read.
    pub bounce_folder: Option<String>,
    /// `SMTP_SETUP_WEBHOOK_FIRST_RETRY_MS`: the wait before a webhook's first retry; the
    /// later ones are its multiples (5 s: 5 min, 30 min, 2 h, 5 h, 10 h, 10 h).
    pub webhook_first_retry: Duration,
    /// How long what the relay and the checks wrote is kept.
    pub retention: Retention,
    /// `SMTP_SETUP_METRICS=off` turns `/metrics` off.
    pub metrics: bool,
}

/// Every network step has a bound, and so does the whole test send: an administrator
/// waiting on the page gets an answer even when a peer hangs.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    /// The whole test send, token request included.
    pub total: Duration,
    /// One token request (connect, send, read the whole body).
    pub token: Duration,
    /// One protocol step: SMTP connect + banner + EHLO, STARTTLS, AUTH or the send; an
    /// IMAP connect, TLS + greeting, CAPABILITY, AUTHENTICATE, EXAMINE or LOGOUT.
    pub step: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            // Under the page's 30 s promise, leaving room for the HTTP round trip.
            total: Duration::from_secs(25),
            token: Duration::from_secs(10),
            step: Duration::from_secs(10),
        }
    }
}

/// An environment variable that is set to something: blank counts as unset.
pub fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error(
        "SMTP_SETUP_AUTHORITY_URL must be an http(s) URL such as {}, got {:?}",
        Cloud::Global.authority(),
        .0
    )]
    Authority(String),
    #[error(
        "SMTP_SETUP_SMTP_ADDR must be host:port such as {}:587, got {:?}",
        Cloud::Global.smtp_host(),
        .0
    )]
    SmtpAddr(String),
    #[error(
        "SMTP_SETUP_IMAP_ADDR must be host:port such as {}:993, got {:?}",
        Cloud::Global.imap_host(),
        .0
    )]
    ImapAddr(String),
    #[error("SMTP_SETUP_CA_FILE {path}: {source}")]
    CaFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("SMTP_SETUP_CA_FILE {0}: no PEM certificate in the file")]
    NoCertificate(PathBuf),
    #[error("SMTP_SETUP_ADMIN_TOKEN must be at least {MIN_ADMIN_TOKEN_LEN} characters")]
    AdminTokenTooShort,
    #[error("SMTP_SETUP_PUBLIC_URL must be an http(s) URL such as https://mail-setup.contoso.com, got {0:?}")]
    PublicUrl(String),
    #[error("SMTP_SETUP_GRAPH_URL must be an http(s) URL such as https://graph.microsoft.com, got {0:?}")]
    Graph(String),
    #[error("SMTP_SETUP_CHECK_INTERVAL must be a duration such as 6h, 30m or 90s (0 turns the checks off), got {0:?}")]
    CheckInterval(String),
    #[error("SMTP_SETUP_BOUNCE_INTERVAL must be a duration such as 5m or 90s (0 turns the reading off), got {0:?}")]
    BounceInterval(String),
    #[error("SMTP_SETUP_BOUNCE_FOLDER must be a folder name of 1 to 100 letters, digits, spaces, dots, dashes, underscores or slashes, got {0:?}")]
    BounceFolder(String),
    #[error("SMTP_SETUP_WEBHOOK_FIRST_RETRY_MS must be milliseconds from 1 to 3600000, got {0:?}")]
    WebhookFirstRetry(String),
    #[error("{name} must be a number of days from 0 (kept for ever) to {MAX_RETENTION_DAYS}, got {value:?}")]
    RetentionDays { name: &'static str, value: String },
    #[error("SMTP_SETUP_METRICS must be on or off, got {0:?}")]
    Metrics(String),
    #[error("SMTP_SETUP_TEST_SENDS_PER_MINUTE must be a positive number, got {0:?}")]
    TestSendsPerMinute(String),
    #[error(
        "SMTP_SETUP_LISTEN (or LEPTOS_SITE_ADDR) must be ip:port such as 0.0.0.0:3000, got {0:?}"
    )]
    Listen(String),
    #[error(transparent)]
    Relay(#[from] RelaySettingsError),
}

/// Where the page listens: `SMTP_SETUP_LISTEN`, else cargo-leptos' `LEPTOS_SITE_ADDR`,
/// else [`DEFAULT_LISTEN`].
pub fn listen_address() -> Result<SocketAddr, SettingsError> {
    listen_address_from(env_var)
}

/// [`listen_address`] through `lookup`, so tests can supply their own environment.
pub fn listen_address_from(
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<SocketAddr, SettingsError> {
    let value = lookup("SMTP_SETUP_LISTEN")
        .or_else(|| lookup("LEPTOS_SITE_ADDR"))
        .unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
    value
        .trim()
        .parse()
        .map_err(|_| SettingsError::Listen(value))
}

impl ServerSettings {
    pub fn from_env() -> Result<Self, SettingsError> {
        // An empty SMTP_SETUP_RELAY_ADDR turns the relay off, where other empty
        // variables count as unset.
        Self::from_lookup(|name| match std::env::var(name) {
            Ok(value) if name == "SMTP_SETUP_RELAY_ADDR" && value.trim().is_empty() => {
                Some("off".to_owned())
            }
            _ => env_var(name),
        })
    }

    /// Reads the settings through `lookup`, so tests can supply their own environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let authority_override = lookup("SMTP_SETUP_AUTHORITY_URL")
            .map(|value| parse_authority(&value))
            .transpose()?;
        let smtp_override = lookup("SMTP_SETUP_SMTP_ADDR")
            .map(|value| parse_endpoint(&value).ok_or(SettingsError::SmtpAddr(value)))
            .transpose()?;
        let imap_override = lookup("SMTP_SETUP_IMAP_ADDR")
            .map(|value| parse_endpoint(&value).ok_or(SettingsError::ImapAddr(value)))
            .transpose()?;
        let extra_roots_pem = match lookup("SMTP_SETUP_CA_FILE") {
            None => None,
            Some(path) => Some(read_pem(PathBuf::from(path))?),
        };
        let admin_token = match lookup("SMTP_SETUP_ADMIN_TOKEN") {
            Some(token) if token.chars().count() < MIN_ADMIN_TOKEN_LEN => {
                return Err(SettingsError::AdminTokenTooShort)
            }
            token => token.map(SecretString::from),
        };
        let public_url = lookup("SMTP_SETUP_PUBLIC_URL")
            .map(|value| parse_public_url(&value))
            .transpose()?;
        let test_sends_per_minute = match lookup("SMTP_SETUP_TEST_SENDS_PER_MINUTE") {
            None => DEFAULT_TEST_SENDS_PER_MINUTE,
            Some(value) => value
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or(SettingsError::TestSendsPerMinute(value))?,
        };
        let relay = RelaySettings::from_lookup(&lookup)?;
        let graph_override = lookup("SMTP_SETUP_GRAPH_URL")
            .map(|value| parse_url(&value).ok_or(SettingsError::Graph(value)))
            .transpose()?;
        let check_interval = match lookup("SMTP_SETUP_CHECK_INTERVAL") {
            None => Some(DEFAULT_CHECK_INTERVAL),
            Some(value) => parse_interval(&value).ok_or(SettingsError::CheckInterval(value))?,
        };
        let bounce_interval = match lookup("SMTP_SETUP_BOUNCE_INTERVAL") {
            None => Some(DEFAULT_BOUNCE_INTERVAL),
            Some(value) => parse_interval(&value).ok_or(SettingsError::BounceInterval(value))?,
        };
        let bounce_folder = lookup("SMTP_SETUP_BOUNCE_FOLDER")
            .map(|value| {
                let name = value.trim();
                let ok = (1..=100).contains(&name.len())
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || " ._-/".contains(c));
                ok.then(|| name.to_owned())
                    .ok_or(SettingsError::BounceFolder(value.clone()))
            })
            .transpose()?;
        let webhook_first_retry = match lookup("SMTP_SETUP_WEBHOOK_FIRST_RETRY_MS") {
            None => DEFAULT_WEBHOOK_FIRST_RETRY,
            Some(value) => value
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|ms| (1..=3_600_000).contains(ms))
                .map(Duration::from_millis)
                .ok_or(SettingsError::WebhookFirstRetry(value))?,
        };
        let days = |name: &'static str, default: u32| match lookup(name) {
            None => Ok(Some(default)),
            Some(value) => match value.trim().parse::<u32>() {
                Ok(0) => Ok(None),
                Ok(days) if days <= MAX_RETENTION_DAYS => Ok(Some(days)),
                _ => Err(SettingsError::RetentionDays { name, value }),
            },
        };
        let retention = Retention {
            body_days: days("SMTP_SETUP_RETENTION_DAYS", Retention::DEFAULT_BODY_DAYS)?,
            record_days: days(
                "SMTP_SETUP_RECORD_RETENTION_DAYS",
                Retention::DEFAULT_RECORD_DAYS,
            )?,
        };
        let metrics = match lookup("SMTP_SETUP_METRICS").as_deref().map(str::trim) {
            None | Some("on") => true,
            Some("off") => false,
            Some(other) => return Err(SettingsError::Metrics(other.to_owned())),
        };
        let data_dir = PathBuf::from(
            lookup("SMTP_SETUP_DATA_DIR").unwrap_or_else(|| DEFAULT_DATA_DIR.to_owned()),
        );
        let database_url = lookup("DATABASE_URL")
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join(DATABASE_FILE).display()));
        Ok(Self {
            relay,
            graph_override,
            check_interval,
            bounce_interval,
            bounce_folder,
            webhook_first_retry,
            retention,
            metrics,
            authority_override,
            smtp_override,
            imap_override,
            extra_roots_pem,
            timeouts: Timeouts::default(),
            data_dir,
            database_url,
            sealing_key: lookup("SMTP_SETUP_KEY").map(SecretString::from),
            admin_token,
            public_url,
            test_sends_per_minute,
        })
    }
}

/// `6h`, `30m`, `90s`, `1d` or a number of seconds; `0` (in any unit) is `Some(None)`:
/// off. At least a second, at most a week.
pub fn parse_interval(value: &str) -> Option<Option<Duration>> {
    let value = value.trim();
    let (number, unit) = match value.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => value.split_at(at),
        None => (value, "s"),
    };
    let seconds_per = match unit.trim() {
        "s" => 1,
        "m" => 60,
        "h" => 60 * 60,
        "d" => 24 * 60 * 60,
        _ => return None,
    };
    let seconds = number.parse::<u64>().ok()?.checked_mul(seconds_per)?;
    match seconds {
        0 => Some(None),
        1..=604_800 => Some(Some(Duration::from_secs(seconds))),
        _ => None,
    }
}

/// Kept as written (without a trailing slash) so the printed link is what the
/// administrator configured.
pub fn parse_public_url(value: &str) -> Result<String, SettingsError> {
    let value = value.trim().trim_end_matches('/');
    match Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => {
            Ok(value.to_owned())
        }
        _ => Err(SettingsError::PublicUrl(value.to_owned())),
    }
}

pub fn parse_authority(value: &str) -> Result<Url, SettingsError> {
    parse_url(value).ok_or_else(|| SettingsError::Authority(value.to_owned()))
}

/// A plain http(s) URL: a host, no query, no fragment.
fn parse_url(value: &str) -> Option<Url> {
    let url = Url::parse(value.trim()).ok()?;
    let plain = url.query().is_none() && url.fragment().is_none() && url.has_host();
    (matches!(url.scheme(), "http" | "https") && plain).then_some(url)
}

/// `host:port` (`[::1]:993` for IPv6), or `None` when it is not one.
pub fn parse_endpoint(value: &str) -> Option<Endpoint> {
    let (host, port) = value.trim().rsplit_once(':')?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port: u16 = port.parse().ok()?;
    (!host.is_empty() && port != 0).then(|| Endpoint {
        host: host.to_owned(),
        port,
    })
}

fn read_pem(path: PathBuf) -> Result<Vec<u8>, SettingsError> {
    let bytes = std::fs::read(&path).map_err(|source| SettingsError::CaFile {
        path: path.clone(),
        source,
    })?;
    if !bytes
        .windows(27)
        .any(|w| w == b"-----BEGIN CERTIFICATE-----")
    {
        return Err(SettingsError::NoCertificate(path));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The settings an environment of `pairs` gives.
    fn settings(pairs: &[(&str, &str)]) -> Result<ServerSettings, SettingsError> {
        ServerSettings::from_lookup(|name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        })
    }

    #[test]
    fn by_default_the_cloud_decides() {
        let settings = ServerSettings::from_lookup(|_| None).unwrap();
        assert!(settings.authority_override.is_none());
        assert!(settings.smtp_override.is_none());
        assert!(settings.imap_override.is_none());
        assert!(settings.extra_roots_pem.is_none());
        let overridden = ServerSettings::from_lookup(|name| match name {
            "SMTP_SETUP_AUTHORITY_URL" => Some("http://127.0.0.1:8080".into()),
            "SMTP_SETUP_SMTP_ADDR" => Some("127.0.0.1:2525".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(
            overridden.smtp_override,
            Some(Endpoint {
                host: "127.0.0.1".into(),
                port: 2525
            })
        );
        assert_eq!(
            overridden.authority_override.map(String::from),
            Some("http://127.0.0.1:8080/".to_owned())
        );
    }

    #[test]
    fn endpoint_forms() {
        assert_eq!(parse_endpoint("127.0.0.1:2525").unwrap().port, 2525);
        assert_eq!(parse_endpoint("[::1]:25").unwrap().host, "::1");
        assert_eq!(parse_endpoint("[::1]:25").unwrap().to_string(), "[::1]:25");
        assert!(parse_endpoint("smtp.office365.com").is_none());
        assert!(parse_endpoint(":587").is_none());
        assert!(parse_endpoint("host:0").is_none());
        let imap = ServerSettings::from_lookup(|name| {
            (name == "SMTP_SETUP_IMAP_ADDR").then(|| "127.0.0.1:9993".to_owned())
        })
        .unwrap();
        assert_eq!(imap.imap_override.map(|e| e.port), Some(9993));
        assert!(matches!(
            ServerSettings::from_lookup(|name| {
                (name == "SMTP_SETUP_IMAP_ADDR").then(|| "outlook.office365.com".to_owned())
            }),
            Err(SettingsError::ImapAddr(_))
        ));
    }

    #[test]
    fn authority_must_be_a_plain_http_url() {
        assert!(parse_authority("http://127.0.0.1:8080").is_ok());
        assert!(parse_authority("ftp://x").is_err());
        assert!(parse_authority("https://login.microsoftonline.com?x=1").is_err());
        assert!(parse_authority("login.microsoftonline.com").is_err());
    }

    #[test]
    fn server_defaults_and_their_refusals() {
        use secrecy::ExposeSecret as _;
        let defaults = ServerSettings::from_lookup(|_| None).unwrap();
        // The defaults docs/src/generated/configuration.md lists, spelled out: changing one must change this test too.
        assert_eq!(defaults.database_url, "sqlite://data/smtp-setup.db");
        assert_eq!(defaults.data_dir, PathBuf::from("data"));
        let elsewhere = ServerSettings::from_lookup(|name| {
            (name == "SMTP_SETUP_DATA_DIR").then(|| "/var/lib/smtp-setup".to_owned())
        })
        .unwrap();
        assert_eq!(
            elsewhere.database_url,
            "sqlite:///var/lib/smtp-setup/smtp-setup.db"
        );
        assert!(defaults.sealing_key.is_none() && defaults.admin_token.is_none());
        assert!(defaults.public_url.is_none());
        assert_eq!(defaults.test_sends_per_minute, 10);
        let Timeouts { total, token, step } = defaults.timeouts;
        assert_eq!(
            (total, token, step),
            (
                Duration::from_secs(25),
                Duration::from_secs(10),
                Duration::from_secs(10)
            )
        );

        let set = settings(&[
            ("SMTP_SETUP_ADMIN_TOKEN", "sixteen-chars-ok"),
            ("SMTP_SETUP_PUBLIC_URL", "https://mail-setup.contoso.com/"),
            ("SMTP_SETUP_TEST_SENDS_PER_MINUTE", "3"),
        ])
        .unwrap();
        assert_eq!(set.admin_token.unwrap().expose_secret(), "sixteen-chars-ok");
        assert_eq!(
            set.public_url.as_deref(),
            Some("https://mail-setup.contoso.com")
        );
        assert_eq!(set.test_sends_per_minute, 3);

        assert!(matches!(
            settings(&[("SMTP_SETUP_ADMIN_TOKEN", "fifteen-chars-x")]),
            Err(SettingsError::AdminTokenTooShort)
        ));
        for bad in ["0", "-1", "ten"] {
            let refused = settings(&[("SMTP_SETUP_TEST_SENDS_PER_MINUTE", bad)]);
            assert!(
                matches!(refused, Err(SettingsError::TestSendsPerMinute(_))),
                "{bad}"
            );
        }
        for bad in ["mail-setup.contoso.com", "ftp://contoso.com"] {
            assert!(
                matches!(parse_public_url(bad), Err(SettingsError::PublicUrl(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn retention_is_in_days_and_zero_keeps_for_ever() {
        let defaults = settings(&[]).expect("defaults");
        assert_eq!(defaults.retention, Retention::default());
        assert_eq!(defaults.retention.body_days, Some(30));
        assert_eq!(defaults.retention.record_days, Some(90));
        let set = settings(&[
            ("SMTP_SETUP_RETENTION_DAYS", " 7 "),
            ("SMTP_SETUP_RECORD_RETENTION_DAYS", "0"),
        ])
        .expect("7 and 0");
        assert_eq!(
            set.retention,
            Retention {
                body_days: Some(7),
                record_days: None
            }
        );
        for bad in ["-1", "7d", "3651", "ten"] {
            let refused = settings(&[("SMTP_SETUP_RECORD_RETENTION_DAYS", bad)]);
            assert!(
                matches!(
                    refused,
                    Err(SettingsError::RetentionDays {
                        name: "SMTP_SETUP_RECORD_RETENTION_DAYS",
                        ..
                    })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_check_interval_has_a_unit_and_zero_turns_it_off() {
        assert_eq!(
            parse_interval("6h"),
            Some(Some(Duration::from_secs(21_600)))
        );
        assert_eq!(
            parse_interval(" 30m "),
            Some(Some(Duration::from_secs(1800)))
        );
        assert_eq!(parse_interval("90"), Some(Some(Duration::from_secs(90))));
        assert_eq!(
            parse_interval("1d"),
            Some(Some(Duration::from_secs(86_400)))
        );
        assert_eq!(parse_interval("0"), Some(None));
        assert_eq!(parse_interval("0h"), Some(None));
        for bad in ["", "h", "6 hours", "-1h", "8d", "1.5h"] {
            assert_eq!(parse_interval(bad), None, "{bad:?}");
        }
        let defaults = settings(&[]).unwrap();
        assert_eq!(defaults.check_interval, Some(DEFAULT_CHECK_INTERVAL));
        assert!(defaults.metrics);
        let off = settings(&[
            ("SMTP_SETUP_CHECK_INTERVAL", "0"),
            ("SMTP_SETUP_METRICS", "off"),
        ])
        .unwrap();
        assert_eq!(off.check_interval, None);
        assert_eq!(defaults.bounce_interval, Some(DEFAULT_BOUNCE_INTERVAL));
        let reading = settings(&[("SMTP_SETUP_BOUNCE_INTERVAL", "90s")]).expect("90s");
        assert_eq!(reading.bounce_interval, Some(Duration::from_secs(90)));
        let unread = settings(&[("SMTP_SETUP_BOUNCE_INTERVAL", "0")]).expect("0");
        assert_eq!(unread.bounce_interval, None);
        assert!(settings(&[("SMTP_SETUP_BOUNCE_INTERVAL", "soon")]).is_err());
        assert_eq!(defaults.bounce_folder, None, "only read, by default");
        let moving =
            settings(&[("SMTP_SETUP_BOUNCE_FOLDER", " Processed reports ")]).expect("a name");
        assert_eq!(moving.bounce_folder.as_deref(), Some("Processed reports"));
        assert!(settings(&[("SMTP_SETUP_BOUNCE_FOLDER", "a\"b")]).is_err());
        assert!(!off.metrics);
        assert!(matches!(
            settings(&[("SMTP_SETUP_CHECK_INTERVAL", "often")]),
            Err(SettingsError::CheckInterval(_))
        ));
        assert!(matches!(
            settings(&[("SMTP_SETUP_METRICS", "yes")]),
            Err(SettingsError::Metrics(_))
        ));
    }

    #[test]
    fn settings_debug_shows_no_secret() {
        let settings = ServerSettings::from_lookup(|name| match name {
            "SMTP_SETUP_ADMIN_TOKEN" => Some("admin-token-never-printed".into()),
            "SMTP_SETUP_KEY" => Some("c2VhbGluZy1rZXktbmV2ZXItcHJpbnRlZA==".into()),
            _ => None,
        })
        .unwrap();
        let printed = format!("{settings:?}");
        assert!(!printed.contains("admin-token-never-printed"), "{printed}");
        assert!(
            !printed.contains("c2VhbGluZy1rZXktbmV2ZXItcHJpbnRlZA=="),
            "{printed}"
        );
    }

    #[test]
    fn unreadable_or_empty_ca_file_is_a_clear_error() {
        let missing = ServerSettings::from_lookup(|name| {
            (name == "SMTP_SETUP_CA_FILE").then(|| "/nonexistent/ca.pem".to_owned())
        });
        assert!(matches!(missing, Err(SettingsError::CaFile { .. })));
        let empty =
            std::env::temp_dir().join(format!("smtp-setup-empty-ca-{}", std::process::id()));
        std::fs::write(&empty, "").unwrap();
        let empty_file = ServerSettings::from_lookup(|name| {
            (name == "SMTP_SETUP_CA_FILE").then(|| empty.to_string_lossy().into_owned())
        });
        assert!(matches!(empty_file, Err(SettingsError::NoCertificate(_))));
        let _ = std::fs::remove_file(&empty);
    }
}
