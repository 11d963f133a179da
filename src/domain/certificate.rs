//! The certificate credential, as the form holds it: which credential the app
//! registration uses, the certificate (public, PEM), its private key (write-only, PEM),
//! and the client secret's expiry date. Only the text's shape is checked here, in the
//! browser as on the server; the server alone reads the X.509 and the key inside
//! (`server::certificate_credential`), and words what it finds there with the same error values.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// A PEM certificate or key is a few KB; this bounds what a paste may hold.
pub const MAX_PEM_LEN: usize = 16 * 1024;

/// Which credential proves the application's identity to Entra ID.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CredentialKind {
    #[default]
    ClientSecret,
    Certificate,
}

impl CredentialKind {
    pub const ALL: [CredentialKind; 2] =
        [CredentialKind::ClientSecret, CredentialKind::Certificate];

    /// The stable name: in the page's `<select>` and in the store.
    pub fn key(self) -> &'static str {
        match self {
            CredentialKind::ClientSecret => "client_secret",
            CredentialKind::Certificate => "certificate",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.key() == key)
    }
}

/// An X.509 certificate in PEM, as the Entra portal takes it (`.cer`, `.pem`, `.crt`).
/// Public: it is shown, saved in clear and sent back to the page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificatePem(String);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CertificateError {
    Empty,
    TooLong,
    /// A private key pasted where the certificate goes.
    IsPrivateKey,
    NotPem,
    /// Found by the server: the PEM holds no readable X.509 certificate.
    Unreadable,
    /// Found by the server: Entra ID signs client assertions with RSA keys only.
    NotRsa,
    /// Found by the server: a wrong password, or not a PKCS#12 file.
    Pkcs12Unreadable,
    /// Found by the server: the PKCS#12 file holds no private key with its certificate.
    Pkcs12WithoutKey,
}

impl CertificatePem {
    pub fn parse(input: &str) -> Result<Self, CertificateError> {
        let text = normalize(input);
        if text.is_empty() {
            return Err(CertificateError::Empty);
        }
        if text.len() > MAX_PEM_LEN {
            return Err(CertificateError::TooLong);
        }
        if text.contains("PRIVATE KEY-----") {
            return Err(CertificateError::IsPrivateKey);
        }
        if !has_block(&text, "CERTIFICATE") {
            return Err(CertificateError::NotPem);
        }
        Ok(Self(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The certificate's private key in PEM (PKCS#8 `PRIVATE KEY` or PKCS#1 `RSA PRIVATE
/// KEY`), unencrypted: the server seals it at rest itself. Write-only, like a secret.
#[derive(Clone, Debug)]
pub struct PrivateKeyPem(SecretString);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PrivateKeyError {
    Empty,
    TooLong,
    /// A passphrase-protected key: the server could not use it unattended.
    Encrypted,
    /// The certificate pasted where the key goes.
    IsCertificate,
    NotPem,
    /// Found by the server: the PEM holds no readable key.
    Unreadable,
    /// Found by the server: not an RSA key.
    NotRsa,
    /// Found by the server: the key is not the certificate's.
    DoesNotMatch,
}

impl PrivateKeyPem {
    pub fn parse(input: &str) -> Result<Self, PrivateKeyError> {
        let text = normalize(input);
        if text.is_empty() {
            return Err(PrivateKeyError::Empty);
        }
        if text.len() > MAX_PEM_LEN {
            return Err(PrivateKeyError::TooLong);
        }
        if text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")
            || text.contains("Proc-Type: 4,ENCRYPTED")
        {
            return Err(PrivateKeyError::Encrypted);
        }
        if has_block(&text, "EC PRIVATE KEY") {
            return Err(PrivateKeyError::NotRsa);
        }
        if !has_block(&text, "PRIVATE KEY") && !has_block(&text, "RSA PRIVATE KEY") {
            return Err(if text.contains("CERTIFICATE-----") {
                PrivateKeyError::IsCertificate
            } else {
                PrivateKeyError::NotPem
            });
        }
        Ok(Self(SecretString::from(text)))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

/// The day a client secret expires, as the portal shows it (`YYYY-MM-DD`, the value of
/// an `<input type="date">`). Optional in the form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ExpiryDate {
    year: u16,
    month: u8,
    day: u8,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExpiryDateError {
    NotADate,
}

impl ExpiryDate {
    /// Empty is no date.
    pub fn parse_optional(input: &str) -> Result<Option<Self>, ExpiryDateError> {
        let text = input.trim();
        if text.is_empty() {
            return Ok(None);
        }
        let mut parts = text.split('-');
        let (Some(y), Some(m), Some(d), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(ExpiryDateError::NotADate);
        };
        let number = |s: &str, len: usize| {
            (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse::<u16>().ok())
                .flatten()
                .ok_or(ExpiryDateError::NotADate)
        };
        let (year, month, day) = (number(y, 4)?, number(m, 2)?, number(d, 2)?);
        let days_in_month = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
            2 => 28,
            _ => return Err(ExpiryDateError::NotADate),
        };
        if !(2000..=2999).contains(&year) || day == 0 || day > days_in_month {
            return Err(ExpiryDateError::NotADate);
        }
        Ok(Some(Self {
            year,
            month: month as u8,
            day: day as u8,
        }))
    }

    /// Days since 1970-01-01 of this date (its start, UTC).
    pub fn days_since_epoch(self) -> i64 {
        // Howard Hinnant's days_from_civil.
        let (y, m, d) = (
            i64::from(self.year),
            i64::from(self.month),
            i64::from(self.day),
        );
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }
}

impl std::fmt::Display for ExpiryDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// The first `label` block of a PEM file (`-----BEGIN {label}-----` … `-----END …`),
/// for a file that holds a certificate and its key together.
pub fn pem_block(text: &str, label: &str) -> Option<String> {
    let text = normalize(text);
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin)?;
    let stop = text[start..].find(&end)? + start + end.len();
    Some(text[start..stop].to_owned())
}

/// Line endings made `\n`, the surrounding blank space gone.
fn normalize(input: &str) -> String {
    input.replace("\r\n", "\n").trim().to_owned()
}

fn has_block(text: &str, label: &str) -> bool {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    matches!((text.find(&begin), text.find(&end)), (Some(b), Some(e)) if b < e)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CERT: &str = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";
    const KEY: &str = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----";

    #[test]
    fn a_certificate_is_a_pem_certificate_block() {
        assert_eq!(
            CertificatePem::parse(&format!("  {CERT}\r\n"))
                .unwrap()
                .as_str(),
            CERT
        );
        assert_eq!(CertificatePem::parse(" "), Err(CertificateError::Empty));
        assert_eq!(CertificatePem::parse("MIIB"), Err(CertificateError::NotPem));
        assert_eq!(
            CertificatePem::parse(KEY),
            Err(CertificateError::IsPrivateKey)
        );
        assert_eq!(
            CertificatePem::parse(&"x".repeat(MAX_PEM_LEN + 1)),
            Err(CertificateError::TooLong)
        );
    }

    #[test]
    fn a_private_key_is_an_unencrypted_pem_key() {
        assert!(PrivateKeyPem::parse(KEY).is_ok());
        assert!(PrivateKeyPem::parse(&KEY.replace("PRIVATE KEY", "RSA PRIVATE KEY")).is_ok());
        assert!(matches!(
            PrivateKeyPem::parse(&KEY.replace("PRIVATE KEY", "ENCRYPTED PRIVATE KEY")),
            Err(PrivateKeyError::Encrypted)
        ));
        assert!(matches!(
            PrivateKeyPem::parse(CERT),
            Err(PrivateKeyError::IsCertificate)
        ));
        assert!(matches!(
            PrivateKeyPem::parse("secret"),
            Err(PrivateKeyError::NotPem)
        ));
        assert!(matches!(
            PrivateKeyPem::parse(""),
            Err(PrivateKeyError::Empty)
        ));
        assert!(!format!("{:?}", PrivateKeyPem::parse(KEY).unwrap()).contains("MIIE"));
    }

    #[test]
    fn a_combined_pem_file_gives_each_block() {
        let file = format!("Bag Attributes\r\n{KEY}\r\nsubject=CN=x\r\n{CERT}\r\n");
        assert_eq!(pem_block(&file, "CERTIFICATE").as_deref(), Some(CERT));
        assert_eq!(pem_block(&file, "PRIVATE KEY").as_deref(), Some(KEY));
        assert_eq!(pem_block(&file, "RSA PRIVATE KEY"), None);
    }

    #[test]
    fn an_expiry_date_is_a_calendar_day() {
        assert_eq!(ExpiryDate::parse_optional(""), Ok(None));
        let date = ExpiryDate::parse_optional("2028-02-29").unwrap().unwrap();
        assert_eq!(date.to_string(), "2028-02-29");
        assert_eq!(
            ExpiryDate::parse_optional("1970-01-02").map(|d| d.map(ExpiryDate::days_since_epoch)),
            Err(ExpiryDateError::NotADate),
            "before 2000 is a typing mistake"
        );
        assert_eq!(
            ExpiryDate::parse_optional("2027-02-29"),
            Err(ExpiryDateError::NotADate)
        );
        assert_eq!(
            ExpiryDate::parse_optional("2027-13-01"),
            Err(ExpiryDateError::NotADate)
        );
        assert_eq!(
            ExpiryDate::parse_optional("27-01-01"),
            Err(ExpiryDateError::NotADate)
        );
        assert_eq!(
            ExpiryDate::parse_optional("2027-1-01"),
            Err(ExpiryDateError::NotADate)
        );
        // 2026-11-28 is day 20_785 since the epoch.
        let day = ExpiryDate::parse_optional("2026-11-28").unwrap().unwrap();
        assert_eq!(day.days_since_epoch(), 20_785);
        let leap = ExpiryDate::parse_optional("2000-03-01").unwrap().unwrap();
        assert_eq!(leap.days_since_epoch(), 11_017);
    }
}
