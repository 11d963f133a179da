//! What a test send returns to the page. Shared by server and browser: the server fills
//! it in, the page renders it. It holds no secret and no token by construction: every
//! text in it comes from a peer's error reply or from our own catalogue.

use serde::{Deserialize, Serialize};

use crate::domain::Lang;
use crate::domain::{AuthType, Field, FieldErrors};

/// Which check a report is of.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum TestKind {
    /// A test email over SMTP.
    #[default]
    SendTest,
    /// Reading the mailbox over IMAP (the help article's `IMAP.AccessAsApp` half).
    MailboxAccess,
    /// The server's own check of the saved credential: a token, inspected; no mail.
    ScheduledCheck,
    /// The server's own daily test email to the monitoring address.
    ScheduledSend,
}

impl TestKind {
    pub const ALL: [TestKind; 4] = [
        TestKind::SendTest,
        TestKind::MailboxAccess,
        TestKind::ScheduledCheck,
        TestKind::ScheduledSend,
    ];

    /// The stable name of the kind, as the store keeps it.
    pub fn key(self) -> &'static str {
        match self {
            TestKind::SendTest => "send_test",
            TestKind::MailboxAccess => "mailbox_access",
            TestKind::ScheduledCheck => "scheduled_check",
            TestKind::ScheduledSend => "scheduled_send",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.key() == key)
    }
}

/// The stages of a check, in order. A failure names exactly one of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Step {
    Inputs,
    TokenRequest,
    TokenInspection,
    Connect,
    StartTls,
    Capabilities,
    Authenticate,
    Envelope,
    Data,
    // The mailbox check (IMAP, TLS from the start).
    ImapConnect,
    ImapTls,
    ImapCapabilities,
    ImapAuthenticate,
    Examine,
    /// The bounce watcher: the delivery reports that arrived since its last visit.
    ReadReports,
    /// Only when asked for: the reports recorded moved to a folder.
    MoveReports,
    Logout,
}

impl Step {
    pub const ALL: [Step; 17] = [
        Step::Inputs,
        Step::TokenRequest,
        Step::TokenInspection,
        Step::Connect,
        Step::StartTls,
        Step::Capabilities,
        Step::Authenticate,
        Step::Envelope,
        Step::Data,
        Step::ImapConnect,
        Step::ImapTls,
        Step::ImapCapabilities,
        Step::ImapAuthenticate,
        Step::Examine,
        Step::ReadReports,
        Step::MoveReports,
        Step::Logout,
    ];

    /// The scheduled check: the credential still gets a token with the role.
    pub const CREDENTIAL_CHECK: [Step; 3] =
        [Step::Inputs, Step::TokenRequest, Step::TokenInspection];

    /// The steps of the mailbox check.
    pub const MAILBOX_ACCESS: [Step; 9] = [
        Step::Inputs,
        Step::TokenRequest,
        Step::TokenInspection,
        Step::ImapConnect,
        Step::ImapTls,
        Step::ImapCapabilities,
        Step::ImapAuthenticate,
        Step::Examine,
        Step::Logout,
    ];

    /// The steps of the bounce watcher's visit to the mailbox.
    pub const READ_REPORTS: [Step; 10] = [
        Step::Inputs,
        Step::TokenRequest,
        Step::TokenInspection,
        Step::ImapConnect,
        Step::ImapTls,
        Step::ImapCapabilities,
        Step::ImapAuthenticate,
        Step::Examine,
        Step::ReadReports,
        Step::Logout,
    ];

    /// The steps of the visit that moves recorded reports to a folder.
    pub const MOVE_REPORTS: [Step; 10] = [
        Step::Inputs,
        Step::TokenRequest,
        Step::TokenInspection,
        Step::ImapConnect,
        Step::ImapTls,
        Step::ImapCapabilities,
        Step::ImapAuthenticate,
        Step::Examine,
        Step::MoveReports,
        Step::Logout,
    ];

    /// The steps a test email with this authentication type goes through.
    pub fn plan(auth_type: AuthType) -> &'static [Step] {
        match auth_type {
            AuthType::MicrosoftOAuth2 => &[
                Step::Inputs,
                Step::TokenRequest,
                Step::TokenInspection,
                Step::Connect,
                Step::StartTls,
                Step::Capabilities,
                Step::Authenticate,
                Step::Envelope,
                Step::Data,
            ],
            AuthType::Password => &[
                Step::Inputs,
                Step::Connect,
                Step::StartTls,
                Step::Capabilities,
                Step::Authenticate,
                Step::Envelope,
                Step::Data,
            ],
        }
    }

    /// The stable name of the step, as the store keeps it.
    pub fn key(self) -> &'static str {
        match self {
            Step::Inputs => "inputs",
            Step::TokenRequest => "token_request",
            Step::TokenInspection => "token_inspection",
            Step::Connect => "connect",
            Step::StartTls => "start_tls",
            Step::Capabilities => "capabilities",
            Step::Authenticate => "authenticate",
            Step::Envelope => "envelope",
            Step::Data => "data",
            Step::ImapConnect => "imap_connect",
            Step::ImapTls => "imap_tls",
            Step::ImapCapabilities => "imap_capabilities",
            Step::ImapAuthenticate => "imap_authenticate",
            Step::Examine => "examine",
            Step::ReadReports => "read_reports",
            Step::MoveReports => "move_reports",
            Step::Logout => "logout",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|step| step.key() == key)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StepStatus {
    Passed,
    Failed,
    Skipped,
}

/// One line of the checklist: how a step went, how long it took, and what was seen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepResult {
    pub step: Step,
    pub status: StepStatus,
    pub millis: u64,
    pub detail: Words,
}

/// A failed test send: where it failed, the peer's own words, and what to do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub step: Step,
    /// The form field most likely at fault, if the failure points at one.
    pub field: Option<Field>,
    /// One sentence in plain words: what happened.
    pub summary: Words,
    /// The real error text: Entra's `error_description`, or the SMTP reply.
    pub detail: String,
    /// A short code an admin can search for: `AADSTS7000215`, `535 5.7.3`…
    pub code: Option<String>,
    /// What to change or do next.
    pub fix: Words,
    /// Identifiers Microsoft support asks for (Trace ID, Correlation ID).
    pub references: Vec<(String, String)>,
    /// The error catalogue's entry for a known failure (its anchor on `/errors`); `None`
    /// for one the diagnosis does not know. Absent in what older versions stored.
    #[serde(default)]
    pub entry: Option<String>,
}

/// The page where the error catalogue lives; an entry is `#` its id.
pub const CATALOGUE_PATH: &str = "/errors";

impl Failure {
    /// The link to this failure's entry in the error catalogue, when it has one.
    pub fn catalogue_href(&self) -> Option<String> {
        self.entry
            .as_ref()
            .map(|id| format!("{CATALOGUE_PATH}#{id}"))
    }
}

/// Our explanation of a failure, in every language at once: the report is made once,
/// on the server, and read on a page in either language (or again later, from the
/// Outbox). Adding a language adds a field here; the compiler then names every
/// explanation still to translate.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Words {
    pub en: String,
    pub pt_br: String,
}

impl Words {
    pub fn new(en: impl Into<String>, pt_br: impl Into<String>) -> Self {
        Words {
            en: en.into(),
            pt_br: pt_br.into(),
        }
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::PtBr => &self.pt_br,
        }
    }

    /// Text that reads the same in every language (an older record kept only one).
    pub fn same(text: impl Into<String>) -> Self {
        let text = text.into();
        Words {
            en: text.clone(),
            pt_br: text,
        }
    }

    /// These words followed by `more` (a sentence after a sentence).
    pub fn then(&self, more: &Words) -> Words {
        Words::new(
            format!("{} {}", self.en, more.en),
            format!("{} {}", self.pt_br, more.pt_br),
        )
    }
}

/// The English words: logs, and tests that read them.
impl std::fmt::Display for Words {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.en)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TestOutcome {
    /// The SMTP server accepted the message at the end of DATA.
    Sent {
        recipient: String,
    },
    /// The server refused the inputs; the messages are the browser's own.
    Invalid(FieldErrors),
    Failed(Failure),
    /// The mailbox check opened INBOX read-only: how many messages it holds.
    MailboxOpened {
        mailbox: String,
        messages: u32,
    },
    /// The scheduled check got a token for the mailbox's app and it has the role.
    TokenIssued {
        mailbox: String,
    },
    /// Too many test sends from this session in the last minute: nothing was sent.
    RateLimited {
        retry_after_secs: u64,
    },
}

/// The outcome, the checklist of every step (passed, failed, or skipped after a
/// failure), and the SMTP dialogue as it happened, credentials redacted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestReport {
    pub outcome: TestOutcome,
    pub steps: Vec<StepResult>,
    pub transcript: Vec<TranscriptLine>,
    /// Who the test email was for, once the inputs parsed.
    pub recipient: Option<String>,
}

/// Who wrote a transcript line: `C:` and `S:` as in RFC 5321's examples, `*` for what
/// smtp-setup observed (connection, TLS handshake, redactions).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Speaker {
    Client,
    Server,
    Note,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TranscriptLine {
    pub speaker: Speaker,
    pub text: String,
}

impl std::fmt::Display for TranscriptLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let prefix = match self.speaker {
            Speaker::Client => "C:",
            Speaker::Server => "S:",
            Speaker::Note => "*",
        };
        write!(f, "{prefix} {}", self.text)
    }
}

/// The transcript as the text an administrator copies into a support ticket.
pub fn transcript_text(lines: &[TranscriptLine]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

impl TestReport {
    /// Nothing was tried: the session sent too many tests in the last minute.
    pub fn rate_limited(retry_after_secs: u64) -> Self {
        TestReport {
            outcome: TestOutcome::RateLimited { retry_after_secs },
            steps: Vec::new(),
            transcript: Vec::new(),
            recipient: None,
        }
    }

    pub fn status_of(&self, step: Step) -> Option<StepStatus> {
        self.steps.iter().find(|s| s.step == step).map(|s| s.status)
    }
}
