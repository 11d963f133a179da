//! What the relay reads in, and adds to, a submitted message: the header From and
//! Sender (which must be allowed senders, as the envelope's), the recipients of a whole
//! message, the Subject for the Outbox, the Message-ID that bounce reports will name;
//! and a `Message-ID` and `Date` when the application left them out. The rest is kept
//! byte for byte.

use std::time::SystemTime;

use mail_parser::{Address, HeaderName, HeaderValue, MessageParser};

use crate::server::store::sealing::random_bytes;

/// The header section: up to the first empty line (or the whole message).
fn header_section(message: &[u8]) -> &[u8] {
    match HeadEnd::default().find(message) {
        // The empty line is a CRLF when a CR stands before its LF.
        Some(end) if end >= 2 && message[end - 2] == b'\r' => &message[..end - 2],
        Some(end) => &message[..end - 1],
        None => message,
    }
}

/// Where the header section ends in a message that arrives in pieces: just past its
/// empty line (`CRLF` or a bare `LF`). [`header_section`] reads a whole message with it.
#[derive(Debug, Default)]
pub struct HeadEnd {
    /// 0: at the start of a line; 1: a CR began the line; 2: within a line.
    state: u8,
}

impl HeadEnd {
    /// The offset in `piece` just past the empty line, if the header section ends there.
    pub fn find(&mut self, piece: &[u8]) -> Option<usize> {
        for (i, &byte) in piece.iter().enumerate() {
            self.state = match (self.state, byte) {
                (0 | 1, b'\n') => return Some(i + 1),
                (0, b'\r') => 1,
                (_, b'\n') => 0,
                _ => 2,
            };
        }
        None
    }
}

/// What the relay reads in a header section, parsed once (by mail-parser: RFC 5322,
/// MIME and RFC 2047's encoded words) and never written back: the bytes go out as the
/// application sent them.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Headers {
    /// The addresses of every From header (an entry that names no address is kept as
    /// written, so that it is refused rather than passed over).
    pub from: Vec<String>,
    /// The addresses of every Sender header (send-on-behalf, which Exchange checks).
    pub sender: Vec<String>,
    /// To, Cc and Bcc together, groups opened (`undisclosed-recipients:;` names none).
    pub recipients: Vec<String>,
    /// Decoded (`=?UTF-8?Q?Relat=C3=B3rio?=` reads `Relatório`), cut for the Outbox.
    pub subject: String,
    /// The application's own Message-ID, without its angle brackets.
    pub message_id: Option<String>,
    /// Whether a Message-ID header is there at all (readable or not).
    identified: bool,
    dated: bool,
}

/// The longest subject the Outbox keeps, in characters.
const SUBJECT_CHARS: usize = 200;

impl Headers {
    /// Reads the header section of `message` (the body, if there, is not looked at).
    pub fn read(message: &[u8]) -> Self {
        let Some(parsed) = MessageParser::new().parse_headers(header_section(message)) else {
            return Self::default();
        };
        let addresses = |name: HeaderName<'static>| -> Vec<String> {
            parsed
                .header_values(name)
                .filter_map(HeaderValue::as_address)
                .flat_map(Address::iter)
                .filter_map(|entry| match (entry.address(), entry.name()) {
                    (Some(address), _) => Some(address.trim().to_owned()),
                    (None, Some(name)) => Some(name.trim().to_owned()),
                    (None, None) => None,
                })
                .collect()
        };
        Self {
            from: addresses(HeaderName::From),
            sender: addresses(HeaderName::Sender),
            recipients: [HeaderName::To, HeaderName::Cc, HeaderName::Bcc]
                .into_iter()
                .flat_map(addresses)
                .collect(),
            subject: parsed
                .subject()
                .map(|s| s.chars().take(SUBJECT_CHARS).collect())
                .unwrap_or_default(),
            message_id: parsed
                .message_id()
                .map(str::to_owned)
                .filter(|id| !id.is_empty()),
            identified: parsed.header(HeaderName::MessageId).is_some(),
            dated: parsed.header(HeaderName::Date).is_some(),
        }
    }
}

/// `message` without any `name` header (folded lines included); the rest untouched.
pub fn without_header(message: &[u8], name: &str) -> Vec<u8> {
    let headers = header_section(message);
    let mut out = Vec::with_capacity(message.len());
    let mut dropping = false;
    for line in headers.split_inclusive(|&b| b == b'\n') {
        let continued = line.first().is_some_and(|b| *b == b' ' || *b == b'\t');
        if !continued {
            dropping = line
                .iter()
                .position(|&b| b == b':')
                .is_some_and(|i| line[..i].trim_ascii().eq_ignore_ascii_case(name.as_bytes()));
        }
        if !dropping {
            out.extend_from_slice(line);
        }
    }
    out.extend_from_slice(&message[headers.len()..]);
    out
}

/// A message as it goes out: completed, and the Message-ID it goes out with.
pub struct Completed {
    pub message: Vec<u8>,
    /// Without angle brackets; `None` only for an application's Message-ID header that
    /// names nothing readable (kept as written: it is the application's).
    pub message_id: Option<String>,
}

impl Headers {
    /// `message` with a `Message-ID` (at `domain`) and a `Date` in front when it has none.
    pub fn complete(&self, message: Vec<u8>, domain: &str, now: SystemTime) -> Completed {
        let mut added = String::new();
        let message_id = if self.identified {
            self.message_id.clone()
        } else {
            let id = format!("{}@{domain}", unique_part(now));
            added.push_str(&format!("Message-ID: <{id}>\r\n"));
            Some(id)
        };
        if !self.dated {
            // RFC 5322's date; httpdate's "GMT" is its obsolete zone, so the offset instead.
            let date = httpdate::fmt_http_date(now).replace(" GMT", " +0000");
            added.push_str(&format!("Date: {date}\r\n"));
        }
        let message = if added.is_empty() {
            message
        } else {
            let mut out = added.into_bytes();
            out.extend_from_slice(&message);
            out
        };
        Completed {
            message,
            message_id,
        }
    }
}

/// The left of a new Message-ID: 16 random bytes in hex (the time, should the system
/// give no randomness).
fn unique_part(now: SystemTime) -> String {
    random_bytes::<16>()
        .unwrap_or_else(|_| {
            let nanos = now
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            nanos.to_le_bytes()
        })
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(message: &str) -> Headers {
        Headers::read(message.as_bytes())
    }

    #[test]
    fn addresses_are_read_as_written() {
        let head = read(
            "From: \"Doe, Jane <x@y>\" <jane@contoso.com>, b@contoso.com (Bob, sales)\r\n\
             Sender: Sales <sales@contoso.com>\r\n\
             To: undisclosed-recipients:;\r\n\
             Cc: Team: ann@fabrikam.com, \"Silva, José\" <jose@fabrikam.com>;, c@fabrikam.com\r\n\
             Bcc: =?UTF-8?Q?Jo=C3=A3o?= <joao@fabrikam.com>\r\n\r\n",
        );
        assert_eq!(head.from, ["jane@contoso.com", "b@contoso.com"]);
        assert_eq!(head.sender, ["sales@contoso.com"]);
        assert_eq!(
            head.recipients,
            [
                "ann@fabrikam.com",
                "jose@fabrikam.com",
                "c@fabrikam.com",
                "joao@fabrikam.com"
            ]
        );
        assert_eq!(
            read("To: undisclosed-recipients:;\r\n\r\n").recipients,
            Vec::<String>::new()
        );
        // An entry that names no address is kept, to be refused rather than passed over.
        assert_eq!(read("From: sales\r\n\r\n").from, ["sales"]);
        assert_eq!(read("Subject: s\r\n\r\n").from, Vec::<String>::new());
    }

    #[test]
    fn headers_unfold_decode_and_stop_at_the_body() {
        let head = read(
            "From: Sales\r\n <sales@contoso.com>\r\n\
             Subject: =?UTF-8?Q?Relat=C3=B3rio_mensal?= de\r\n =?ISO-8859-1?Q?mar=E7o?=\r\n\
             Message-ID: <abc.123@app.contoso.com>\r\n\r\n\
             From: body@x.com\r\nSubject: not this\r\n",
        );
        assert_eq!(head.from, ["sales@contoso.com"]);
        assert_eq!(head.subject, "Relatório mensal de março");
        assert_eq!(head.message_id.as_deref(), Some("abc.123@app.contoso.com"));
        assert_eq!(
            read("Subject: Olá\r\n\r\n").subject,
            "Olá",
            "UTF-8 as it is"
        );
        let long = format!("Subject: {}\r\n\r\n", "é".repeat(300));
        assert_eq!(read(&long).subject.chars().count(), SUBJECT_CHARS);
        assert_eq!(read("\r\nbody"), Headers::default());
    }

    /// Whole or cut anywhere, a message's header section ends just past its empty line.
    #[test]
    fn the_end_of_the_head_is_found_across_pieces() {
        let messages: [(&[u8], Option<usize>); 5] = [
            (b"From: a@b\r\nSubject: s\r\n\r\nbody\r\n\r\nmore", Some(25)),
            (b"From: a@b\nSubject: s\n\nbody", Some(22)),
            (b"\r\nbody", Some(2)),
            (b"From: a@b\r\nX: \r\r\n\r\n", Some(19)),
            (b"From: a@b\r\nno body", None),
        ];
        for (message, expected) in messages {
            for cut in 0..=message.len() {
                let mut end = HeadEnd::default();
                let found = match end.find(&message[..cut]) {
                    Some(at) => Some(at),
                    None => end.find(&message[cut..]).map(|at| cut + at),
                };
                assert_eq!(found, expected, "{message:?} cut at {cut}");
            }
        }
        assert_eq!(header_section(b"A: 1\r\n\r\nB: 2"), b"A: 1\r\n");
        assert_eq!(header_section(b"A: 1\n\nB: 2"), b"A: 1\n");
        assert_eq!(header_section(b"\nB: 2"), b"");
        assert_eq!(header_section(b"A: 1\r\n"), b"A: 1\r\n");
    }

    #[test]
    fn a_header_is_taken_out_whole() {
        let message =
            b"To: a@x.com\r\nBcc: b@x.com,\r\n c@x.com\r\nSubject: s\r\n\r\nBcc: body\r\n";
        assert_eq!(
            without_header(message, "bcc"),
            b"To: a@x.com\r\nSubject: s\r\n\r\nBcc: body\r\n"
        );
    }

    #[test]
    fn message_id_and_date_are_added_only_when_missing() {
        let now = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_795_000_000);
        let bare = b"From: a@contoso.com\r\n\r\nHi\r\n".to_vec();
        let completed = Headers::read(&bare).complete(bare.clone(), "contoso.com", now);
        assert!(
            completed.message.ends_with(&bare),
            "the original follows, untouched"
        );
        let again = Headers::read(&completed.message);
        let id = completed.message_id.expect("the Message-ID added");
        assert!(id.ends_with("@contoso.com") && id.len() > 32, "{id}");
        assert_eq!(again.message_id, Some(id));
        let date = b"\r\nDate: ";
        assert!(completed.message.windows(date.len()).any(|w| w == date));
        assert!(again.dated);
        assert!(String::from_utf8_lossy(&completed.message).contains(" +0000\r\n"));

        let whole = b"Message-ID: <x@y>\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\n\r\nHi\r\n";
        let kept = Headers::read(whole).complete(whole.to_vec(), "contoso.com", now);
        assert_eq!(kept.message, whole);
        assert_eq!(kept.message_id.as_deref(), Some("x@y"));
        // The application's own header stays the only one, readable or not.
        let odd = b"Message-ID:\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\n\r\nHi\r\n";
        assert_eq!(
            Headers::read(odd)
                .complete(odd.to_vec(), "contoso.com", now)
                .message,
            odd
        );
    }
}
