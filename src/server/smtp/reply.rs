//! SMTP replies (RFC 5321 section 4.2): parsing one line at a time, so that a reply
//! split across TCP packets or spread over many lines is read the same way, and a
//! hostile server cannot make us buffer without bound.

use crate::server::net::sasl::Mechanism;

/// A complete reply: its code and the text of each of its lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    pub lines: Vec<String>,
}

impl Reply {
    /// The text of every line, joined by spaces: what an administrator searches for.
    pub fn text(&self) -> String {
        self.lines.join(" ")
    }

    /// `2xx` or `3xx`.
    pub fn is_positive(&self) -> bool {
        (200..400).contains(&self.code)
    }

    /// The enhanced status code (RFC 3463, `class.subject.detail`) at the start of the
    /// text, e.g. `5.7.3`: what tells Exchange's many 535s apart.
    pub fn enhanced_status(&self) -> Option<&str> {
        let first = self
            .lines
            .iter()
            .flat_map(|l| l.split_whitespace())
            .next()?;
        let mut parts = first.split('.');
        let class = parts.next()?;
        let valid = matches!(class, "2" | "4" | "5")
            && parts.clone().count() == 2
            && parts.all(|p| (1..=3).contains(&p.len()) && p.chars().all(|c| c.is_ascii_digit()));
        valid.then_some(first)
    }
}

impl std::fmt::Display for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.code, self.text())
    }
}

/// One reply line: `ddd-text` (more lines follow), `ddd text` or `ddd` (last line).
#[derive(Debug, PartialEq, Eq)]
pub struct ReplyLine<'a> {
    pub code: u16,
    pub last: bool,
    pub text: &'a str,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    #[error("the server's reply does not start with a three-digit code: {0:?}")]
    NoCode(String),
    #[error("the server's multi-line reply changed its code from {first} to {then}")]
    MixedCodes { first: u16, then: u16 },
    #[error("the server's reply has more than {MAX_LINES} lines")]
    TooManyLines,
}

/// More than any real server sends (an EHLO reply has a dozen); the bound keeps a
/// hostile server from growing a reply forever.
pub const MAX_LINES: usize = 100;

/// Parses one line, CRLF already removed.
pub fn parse_line(line: &str) -> Result<ReplyLine<'_>, ReplyError> {
    let no_code = || ReplyError::NoCode(shorten(line));
    let digits = line.get(..3).ok_or_else(no_code)?;
    let bytes = digits.as_bytes();
    let valid =
        matches!(bytes[0], b'2'..=b'5') && bytes[1].is_ascii_digit() && bytes[2].is_ascii_digit();
    if !valid {
        return Err(no_code());
    }
    let code = digits.parse().map_err(|_| no_code())?;
    let rest = &line[3..];
    match rest.as_bytes().first() {
        None => Ok(ReplyLine {
            code,
            last: true,
            text: "",
        }),
        Some(b' ') => Ok(ReplyLine {
            code,
            last: true,
            text: &rest[1..],
        }),
        Some(b'-') => Ok(ReplyLine {
            code,
            last: false,
            text: &rest[1..],
        }),
        Some(_) => Err(no_code()),
    }
}

/// Gathers the lines of one reply.
#[derive(Default)]
pub struct ReplyBuilder {
    code: Option<u16>,
    lines: Vec<String>,
}

impl ReplyBuilder {
    /// Adds a line; returns the reply once its last line is in.
    pub fn push(&mut self, line: &str) -> Result<Option<Reply>, ReplyError> {
        let parsed = parse_line(line)?;
        let first = *self.code.get_or_insert(parsed.code);
        if first != parsed.code {
            return Err(ReplyError::MixedCodes {
                first,
                then: parsed.code,
            });
        }
        if self.lines.len() == MAX_LINES {
            return Err(ReplyError::TooManyLines);
        }
        self.lines.push(parsed.text.to_owned());
        Ok(parsed.last.then(|| Reply {
            code: first,
            lines: std::mem::take(&mut self.lines),
        }))
    }
}

fn shorten(line: &str) -> String {
    line.chars().take(80).collect()
}

/// What the server offers in its EHLO reply.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// The server's name, from the reply's first line.
    pub server: String,
    pub starttls: bool,
    pub smtputf8: bool,
    /// The SASL mechanisms, upper-cased.
    pub auth: Vec<String>,
}

impl Capabilities {
    pub fn from_ehlo(reply: &Reply) -> Self {
        let mut lines = reply.lines.iter();
        let server = lines
            .next()
            .and_then(|first| first.split_whitespace().next())
            .unwrap_or_default()
            .to_owned();
        let mut capabilities = Self {
            server,
            ..Self::default()
        };
        for line in lines {
            let mut words = line.split_whitespace();
            let keyword = words.next().unwrap_or_default().to_ascii_uppercase();
            match keyword.as_str() {
                "STARTTLS" => capabilities.starttls = true,
                "SMTPUTF8" => capabilities.smtputf8 = true,
                // `AUTH=LOGIN PLAIN` is the pre-RFC form some servers still send.
                "AUTH" => capabilities
                    .auth
                    .extend(words.map(|w| w.to_ascii_uppercase())),
                k if k.starts_with("AUTH=") => capabilities.auth.extend(
                    std::iter::once(&line.trim()[5..])
                        .chain(words)
                        .map(|w| w.to_ascii_uppercase()),
                ),
                _ => {}
            }
        }
        capabilities.auth.sort();
        capabilities.auth.dedup();
        capabilities
    }

    pub fn offers(&self, mechanism: Mechanism) -> bool {
        self.auth.iter().any(|m| m == mechanism.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply_of(lines: &[&str]) -> Result<Reply, ReplyError> {
        let mut builder = ReplyBuilder::default();
        for (i, line) in lines.iter().enumerate() {
            if let Some(reply) = builder.push(line)? {
                assert_eq!(i, lines.len() - 1, "reply ended early");
                return Ok(reply);
            }
        }
        panic!("reply did not end");
    }

    #[test]
    fn single_and_multi_line_replies() {
        let banner = reply_of(&["220 smtp.example ESMTP ready"]).unwrap();
        assert_eq!(banner.code, 220);
        assert_eq!(banner.text(), "smtp.example ESMTP ready");
        let bare = reply_of(&["334"]).unwrap();
        assert_eq!((bare.code, bare.text()), (334, String::new()));
        let ehlo = reply_of(&[
            "250-smtp.example Hello",
            "250-SIZE 1000",
            "250 AUTH LOGIN XOAUTH2",
        ])
        .unwrap();
        assert_eq!(ehlo.lines.len(), 3);
        assert!(ehlo.is_positive());
    }

    #[test]
    fn malformed_replies_are_refused() {
        assert!(matches!(parse_line("hello"), Err(ReplyError::NoCode(_))));
        assert!(matches!(parse_line("25"), Err(ReplyError::NoCode(_))));
        assert!(matches!(parse_line("650 x"), Err(ReplyError::NoCode(_))));
        assert!(matches!(parse_line("250x"), Err(ReplyError::NoCode(_))));
        assert!(matches!(parse_line("2é0 x"), Err(ReplyError::NoCode(_))));
        assert_eq!(
            reply_of(&["250-a", "550 b"]),
            Err(ReplyError::MixedCodes {
                first: 250,
                then: 550
            })
        );
        let mut builder = ReplyBuilder::default();
        for _ in 0..MAX_LINES {
            assert_eq!(builder.push("250-x"), Ok(None));
        }
        assert_eq!(builder.push("250 x"), Err(ReplyError::TooManyLines));
    }

    #[test]
    fn enhanced_status_codes() {
        let status = |text: &str| {
            let reply = reply_of(&[&format!("535 {text}")]).unwrap();
            reply.enhanced_status().map(str::to_owned)
        };
        assert_eq!(
            status("5.7.3 Authentication unsuccessful").as_deref(),
            Some("5.7.3")
        );
        assert_eq!(status("4.2.0 busy").as_deref(), Some("4.2.0"));
        assert_eq!(status("Authentication unsuccessful"), None);
        assert_eq!(status("5.7 x"), None);
        assert_eq!(status("6.1.1 x"), None);
        assert_eq!(status(""), None);
    }

    #[test]
    fn capabilities_from_ehlo() {
        let ehlo = reply_of(&[
            "250-SN4PR0201CA0045.outlook.office365.com Hello [203.0.113.9]",
            "250-SIZE 157286400",
            "250-8BITMIME",
            "250-AUTH LOGIN XOAUTH2",
            "250-AUTH=LOGIN",
            "250-SMTPUTF8",
            "250 STARTTLS",
        ])
        .unwrap();
        let caps = Capabilities::from_ehlo(&ehlo);
        assert_eq!(caps.server, "SN4PR0201CA0045.outlook.office365.com");
        assert!(caps.starttls && caps.smtputf8);
        assert_eq!(caps.auth, ["LOGIN", "XOAUTH2"]);
        assert!(caps.offers(Mechanism::XOAuth2) && !caps.offers(Mechanism::Plain));
        let bare = Capabilities::from_ehlo(&reply_of(&["250 mx.example"]).unwrap());
        assert!(!bare.starttls && bare.auth.is_empty());
    }
}
