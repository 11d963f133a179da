//! One IMAP session, a method per step of the check. Each returns what it saw, as
//! protocol facts, or why it failed; the words, the bounds and the recording are the
//! caller's.

use std::sync::Arc;

use secrecy::ExposeSecret as _;

use crate::server::config::Endpoint;
use crate::server::imap::response::{self, Line};
use crate::server::imap::{ImapError, Status};
use crate::server::net::sasl;
use crate::server::net::wire::{Transcript, Wire};

/// What the transcript shows for a line carrying credentials.
const REDACTED: &str = "[redacted]";

/// More untagged lines than any answer to these commands holds; the bound keeps a
/// hostile server from talking forever within a step's time.
const MAX_UNTAGGED: usize = 1000;

/// A TCP connection to `endpoint`, open.
pub struct Connected {
    pub endpoint: Endpoint,
}

/// What TLS agreed, the host the certificate was valid for, and the server's greeting.
pub struct Secured {
    pub agreed: String,
    pub host: String,
    pub greeting: String,
}

/// `AUTH=XOAUTH2` is offered; with SASL-IR the token goes on the command line.
pub struct XOAuth2Offered {
    pub sasl_ir: bool,
}

/// The server's words accepting `AUTHENTICATE`.
pub struct Authenticated {
    pub done: String,
}

/// `LOGOUT` answered.
pub struct LoggedOut;

/// INBOX, opened read-only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Examined {
    pub messages: u32,
    pub uid_validity: Option<u32>,
    /// The UID the next message will have (`[UIDNEXT n]`).
    pub uid_next: Option<u32>,
}

pub struct Session {
    pub(super) wire: Wire,
    endpoint: Endpoint,
    tls: Arc<rustls::ClientConfig>,
    next_tag: u32,
    capabilities: Vec<String>,
}

impl Session {
    pub fn new(endpoint: Endpoint, tls: Arc<rustls::ClientConfig>) -> Self {
        Self {
            wire: Wire::default(),
            endpoint,
            tls,
            next_tag: 1,
            capabilities: Vec::new(),
        }
    }

    pub fn into_transcript(self) -> Transcript {
        self.wire.into_transcript()
    }

    pub async fn connect(&mut self) -> Result<Connected, ImapError> {
        let endpoint = self.endpoint.clone();
        self.wire.connect(&endpoint.host, endpoint.port).await?;
        Ok(Connected { endpoint })
    }

    /// TLS at once (port 993), then the server's greeting.
    pub async fn secure(&mut self) -> Result<Secured, ImapError> {
        let host = self.endpoint.host.clone();
        let agreed = self.wire.upgrade(self.tls.clone(), &host).await?;
        let greeting = self.wire.read_line().await?;
        let Some(Line::Untagged(text)) = response::parse(&greeting) else {
            return Err(ImapError::Unexpected(greeting));
        };
        if let Some(words) = strip_word(text, "BYE") {
            return Err(ImapError::Bye(words.to_owned()));
        }
        let Some(words) = strip_word(text, "OK") else {
            return Err(ImapError::Unexpected(greeting.clone()));
        };
        self.note_capabilities(words);
        let greeting = response::without_code(words).to_owned();
        Ok(Secured {
            agreed,
            host,
            greeting,
        })
    }

    /// `CAPABILITY`: the server must offer `AUTH=XOAUTH2`.
    pub async fn capabilities(&mut self) -> Result<XOAuth2Offered, ImapError> {
        let tag = self.send("CAPABILITY", None).await?;
        let mut listed = Vec::new();
        self.until_done(&tag, |untagged| {
            if let Some(list) = strip_word(untagged, "CAPABILITY") {
                listed.extend(list.split_whitespace().map(str::to_ascii_uppercase));
            }
        })
        .await?;
        if !listed.is_empty() {
            self.capabilities = listed;
        }
        let offers = |name: &str| self.capabilities.iter().any(|c| c == name);
        if !offers("AUTH=XOAUTH2") {
            return Err(ImapError::AuthNotOffered {
                offered: self
                    .capabilities
                    .iter()
                    .filter(|c| c.starts_with("AUTH="))
                    .cloned()
                    .collect(),
            });
        }
        Ok(XOAuth2Offered {
            sasl_ir: offers("SASL-IR"),
        })
    }

    /// `AUTHENTICATE XOAUTH2` as `user` with an access token. An error challenge (`+`
    /// with base64 JSON) is answered with an empty line, which yields the real refusal.
    pub async fn authenticate(
        &mut self,
        user: &str,
        token: &str,
    ) -> Result<Authenticated, ImapError> {
        let initial = sasl::xoauth2_initial_response(user, token);
        let initial = initial.expose_secret();
        let sasl_ir = self.capabilities.iter().any(|c| c == "SASL-IR");
        let tag = if sasl_ir {
            self.send(
                &format!("AUTHENTICATE XOAUTH2 {initial}"),
                Some(&format!("AUTHENTICATE XOAUTH2 {REDACTED}")),
            )
            .await?
        } else {
            let tag = self.send("AUTHENTICATE XOAUTH2", None).await?;
            match response::parse(&self.wire.read_line().await?) {
                Some(Line::Continuation(_)) => self.wire.write_line(initial, REDACTED).await?,
                Some(Line::Tagged { status, text, .. }) => return Err(refused(status, text)),
                _ => return Err(ImapError::Unexpected("no + for the token".to_owned())),
            }
            tag
        };
        let done = self.until_done_answering(&tag).await?;
        Ok(Authenticated {
            done: response::without_code(&done).to_owned(),
        })
    }

    /// `EXAMINE INBOX`: read-only, so nothing in the mailbox changes.
    pub async fn examine(&mut self) -> Result<Examined, ImapError> {
        let tag = self.send("EXAMINE INBOX", None).await?;
        let mut messages = None;
        let mut uid_validity = None;
        let mut uid_next = None;
        self.until_done(&tag, |untagged| {
            if let Some(n) = untagged
                .strip_suffix(" EXISTS")
                .and_then(|n| n.parse().ok())
            {
                messages = Some(n);
            }
            if let Some(code) = strip_word(untagged, "OK") {
                uid_validity = uid_validity.or(response::code_number(code, "UIDVALIDITY"));
                uid_next = uid_next.or(response::code_number(code, "UIDNEXT"));
            }
        })
        .await?;
        Ok(Examined {
            messages: messages.unwrap_or(0),
            uid_validity,
            uid_next,
        })
    }

    /// `LOGOUT`: the server says `* BYE`, then OK.
    pub async fn logout(&mut self) -> Result<LoggedOut, ImapError> {
        let tag = self.send("LOGOUT", None).await?;
        match self.until_done(&tag, |_| {}).await {
            Ok(_) | Err(ImapError::Bye(_)) => Ok(LoggedOut),
            Err(other) => Err(other),
        }
    }

    /// Sends `<tag> <command>`; the transcript shows `shown` (tag added) instead when
    /// the command carries credentials. Returns the tag.
    pub(super) async fn send(
        &mut self,
        command: &str,
        shown: Option<&str>,
    ) -> Result<String, ImapError> {
        let tag = format!("a{}", self.next_tag);
        self.next_tag += 1;
        let line = format!("{tag} {command}");
        let shown = shown.map_or_else(|| line.clone(), |s| format!("{tag} {s}"));
        self.wire.write_line(&line, &shown).await?;
        Ok(tag)
    }

    /// Reads up to the tagged answer to `tag`: its words when OK, the refusal otherwise.
    /// Untagged lines go to `seen`; a `* BYE` ends the session before any answer.
    pub(super) async fn until_done(
        &mut self,
        tag: &str,
        mut seen: impl FnMut(&str),
    ) -> Result<String, ImapError> {
        let mut bye = None;
        for _ in 0..MAX_UNTAGGED {
            let line = self
                .wire
                .read_line()
                .await
                .map_err(|error| match (&bye, error) {
                    // A BYE, then the server closed: the BYE says why.
                    (Some(words), crate::server::net::wire::WireError::Closed) => {
                        ImapError::Bye(String::clone(words))
                    }
                    (_, error) => ImapError::Wire(error),
                })?;
            if response::announces_literal(&line) {
                return Err(ImapError::Unexpected(line));
            }
            match response::parse(&line) {
                Some(Line::Tagged {
                    tag: t,
                    status,
                    text,
                }) if t == tag => {
                    return if status.eq_ignore_ascii_case("OK") {
                        Ok(text.to_owned())
                    } else {
                        Err(refused(status, text))
                    };
                }
                Some(Line::Untagged(text)) => {
                    if let Some(words) = strip_word(text, "BYE") {
                        bye = Some(words.to_owned());
                    }
                    seen(text);
                }
                _ => return Err(ImapError::Unexpected(line)),
            }
        }
        Err(ImapError::Unexpected(format!(
            "more than {MAX_UNTAGGED} lines before the answer"
        )))
    }

    /// Like [`Self::until_done`], answering an error challenge (`+` …) with an empty line.
    async fn until_done_answering(&mut self, tag: &str) -> Result<String, ImapError> {
        loop {
            let line = self.wire.read_line().await?;
            match response::parse(&line) {
                Some(Line::Continuation(_)) => self.wire.write_line("", "").await?,
                Some(Line::Tagged {
                    tag: t,
                    status,
                    text,
                }) if t == tag => {
                    return if status.eq_ignore_ascii_case("OK") {
                        Ok(text.to_owned())
                    } else {
                        Err(refused(status, text))
                    };
                }
                Some(Line::Untagged(text)) => {
                    if let Some(words) = strip_word(text, "BYE") {
                        return Err(ImapError::Bye(words.to_owned()));
                    }
                    if let Some(list) = strip_word(text, "CAPABILITY") {
                        self.note_capabilities(&format!("[CAPABILITY {list}]"));
                    }
                }
                _ => return Err(ImapError::Unexpected(line)),
            }
        }
    }

    /// Whether the server offers `capability` (as it said after AUTHENTICATE, or before).
    pub fn offers(&self, capability: &str) -> bool {
        self.capabilities
            .iter()
            .any(|c| c.eq_ignore_ascii_case(capability))
    }

    /// `[CAPABILITY …]` in a greeting or an answer saves asking.
    fn note_capabilities(&mut self, words: &str) {
        if let Some(list) = words
            .strip_prefix('[')
            .and_then(|w| w.split_once(']'))
            .and_then(|(code, _)| strip_word(code, "CAPABILITY"))
        {
            self.capabilities = list
                .split_whitespace()
                .map(str::to_ascii_uppercase)
                .collect();
        }
    }
}

pub(super) fn refused(status: &str, text: &str) -> ImapError {
    if status.eq_ignore_ascii_case("NO") || status.eq_ignore_ascii_case("BAD") {
        ImapError::Refused {
            status: if status.eq_ignore_ascii_case("NO") {
                Status::No
            } else {
                Status::Bad
            },
            text: text.to_owned(),
        }
    } else {
        ImapError::Unexpected(format!("{status} {text}"))
    }
}

/// `text` after its first word when that is `word` (any case).
pub(super) fn strip_word<'a>(text: &'a str, word: &str) -> Option<&'a str> {
    let (first, rest) = text.split_once(' ').unwrap_or((text, ""));
    first.eq_ignore_ascii_case(word).then_some(rest)
}
