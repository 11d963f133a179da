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
    pub lang: crate::i18n::Lang,
}
