//! What the certificate credential's calls answer (`serverfns::certificate`): the
//! certificate whose key the server now holds, and a secret's end read from Graph.

use serde::{Deserialize, Serialize};

use super::saved::CertificateSummary;
use crate::domain::FieldError;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CertificateOutcome {
    /// The certificate, whose key the server now holds.
    Ready(CertificateSummary),
    /// What was wrong with the file or its password.
    Refused(FieldError),
}

/// What Microsoft Graph said about the client secret's end.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExpiryLookup {
    /// `YYYY-MM-DD`, UTC.
    Found {
        date: String,
    },
    Invalid(crate::domain::FieldErrors),
    Failed {
        summary: crate::api::report::Words,
        fix: crate::api::report::Words,
        /// Graph's or Entra's own words.
        detail: String,
    },
}
