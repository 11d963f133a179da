//! The saved configuration as the page sees it: every value except the secrets, which
//! the server never sends back. Shared by the server (which fills it in) and the page.

use serde::{Deserialize, Serialize};

use super::report::{Step, TestKind};
use crate::domain::{AuthType, FieldErrors, SmtpForm};

/// That a secret is stored, and enough to recognise it, never the secret itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretFingerprint {
    /// The first three characters, as the Entra admin center shows a client secret
    /// (`abC***`). `None` for passwords: nothing of a password is ever shown.
    pub hint: Option<String>,
    pub length: u32,
    /// RFC 3339, UTC.
    pub saved_at: String,
}

/// The configuration as stored, secrets left out.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedConfig {
    /// 0 until the first save; each save adds one. A save names the version it started
    /// from, and is refused if another save came in between.
    pub version: i64,
    /// The form's values; its two secrets are always `KeepStored` here.
    pub form: SmtpForm,
    pub client_secret: Option<SecretFingerprint>,
    pub password: Option<SecretFingerprint>,
    /// The saved certificate's private key: when it was saved (no hint, no length).
    pub private_key: Option<SecretFingerprint>,
    /// The saved certificate, read by the server.
    pub certificate: Option<CertificateSummary>,
    /// When the chosen credential expires, when known.
    pub expiry: Option<ExpiryNotice>,
    pub saved_at: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SaveOutcome {
    Saved(Box<SavedConfig>),
    Invalid(FieldErrors),
    /// Someone saved since this form was loaded: nothing was written.
    Conflict {
        current_version: i64,
    },
}

/// One past check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// RFC 3339, UTC.
    pub at: String,
    pub kind: TestKind,
    pub auth_type: AuthType,
    /// Who the test email was for; the mailbox, for the mailbox check.
    pub recipient: String,
    /// The email was accepted, or the mailbox opened.
    pub passed: bool,
    pub step: Option<Step>,
    pub code: Option<String>,
    /// What happened, in our words (the summary of the failure).
    pub summary: Option<super::report::Words>,
}

/// What the page starts from: the saved configuration and the recent tests. Rendered
/// into the page by the server and read back by the browser when it hydrates.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InitialData {
    pub saved: SavedConfig,
    pub history: Vec<HistoryEntry>,
    pub relay: crate::api::relay::RelayOverview,
    /// The page's language, chosen by the server for this request.
    pub lang: crate::domain::Lang,
}

/// A certificate credential as the page shows it: all public.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateSummary {
    /// The certificate in PEM, for the field and the download.
    pub pem: String,
    /// Upper-case hex, as the Entra admin center shows a certificate's thumbprint.
    pub sha1: String,
    pub sha256: String,
    pub subject: String,
    /// RFC 3339, UTC.
    pub not_before: String,
    pub not_after: String,
}

/// A credential's end, from `days_left` days before: computed by the server, which
/// knows the time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpiryNotice {
    /// `YYYY-MM-DD`, UTC.
    pub date: String,
    /// Seconds since the epoch.
    pub ends_at: i64,
    pub days_left: i64,
    pub source: ExpirySource,
}

/// Where an expiry date was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExpirySource {
    /// The certificate's own "not after".
    Certificate,
    /// The date the administrator typed for the client secret.
    Administrator,
    /// The client secret's `endDateTime`, read from Microsoft Graph.
    Graph,
}

impl ExpiryNotice {
    /// How loud the page is about it: nothing before 30 days, a warning from 30, an
    /// alarm from 7 (and once expired).
    pub fn level(&self) -> ExpiryLevel {
        match self.days_left {
            i64::MIN..=7 => ExpiryLevel::Alarm,
            8..=30 => ExpiryLevel::Warning,
            _ => ExpiryLevel::Quiet,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpiryLevel {
    Quiet,
    Warning,
    Alarm,
}

/// A test's report, and the recent tests when this one joined them: one round trip.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestAnswer {
    pub report: crate::api::report::TestReport,
    /// `None` when the history did not change (nothing was sent) or cannot be read.
    pub history: Option<Vec<HistoryEntry>>,
}
