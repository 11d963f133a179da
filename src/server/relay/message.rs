//! What the relay reads in, and adds to, a submitted message: the header From (which
//! must be an allowed sender, as the envelope's), the Subject for the Outbox, and a
//! `Message-ID` and `Date` when the application left them out. The rest is kept byte
//! for byte.

use std::time::SystemTime;

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

/// Every value of the header `name`, unfolded (RFC 5322 section 2.2.3).
pub fn header_values(message: &[u8], name: &str) -> Vec<String> {
    let text = String::from_utf8_lossy(header_section(message));
    let mut values: Vec<String> = Vec::new();
    let mut current: Option<String> = None;
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.starts_with([' ', '\t']) {
            if let Some(value) = current.as_mut() {
                value.push_str(line);
            }
            continue;
        }
        values.extend(current.take());
        if let Some((field, value)) = line.split_once(':') {
            if field.trim().eq_ignore_ascii_case(name) {
                current = Some(value.trim().to_owned());
            }
        }
    }
    values.extend(current);
    values
}

/// The addresses of an address-list header value: `a@b`, `Name <a@b>`, `"Doe, J" <a@b>`,
/// `a@b (comment)`, separated by commas.
pub fn addresses(value: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut bare = String::new();
    let mut angle: Option<String> = None;
    let (mut quoted, mut escaped, mut comment) = (false, false, 0u32);
    let mut finish = |bare: &mut String, angle: &mut Option<String>| {
        let address = angle.take().unwrap_or_else(|| bare.clone());
        let address = address.trim();
        if !address.is_empty() {
            found.push(address.to_owned());
        }
        bare.clear();
    };
    for c in value.chars() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' if quoted || comment > 0 => escaped = true,
            '"' if comment == 0 => quoted = !quoted,
            _ if quoted => {}
            '(' => comment += 1,
            ')' if comment > 0 => comment -= 1,
            _ if comment > 0 => {}
            '<' => angle = Some(String::new()),
            '>' => {}
            ',' => finish(&mut bare, &mut angle),
            _ => match angle.as_mut() {
                Some(inside) => inside.push(c),
                None if !c.is_whitespace() => bare.push(c),
                None => {}
            },
        }
    }
    finish(&mut bare, &mut angle);
    found
}

/// The addresses of every From header.
pub fn from_addresses(message: &[u8]) -> Vec<String> {
    header_values(message, "From")
        .iter()
        .flat_map(|value| addresses(value))
        .collect()
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

/// The Subject as written (encoded words left as they are), cut for the Outbox.
pub fn subject(message: &[u8]) -> String {
    header_values(message, "Subject")
        .into_iter()
        .next()
        .map(|s| s.chars().take(200).collect())
        .unwrap_or_default()
}

/// `message` with a `Message-ID` (at `domain`) and a `Date` in front when it has none.
pub fn complete(message: Vec<u8>, domain: &str, now: SystemTime) -> Vec<u8> {
    let mut added = String::new();
    if header_values(&message, "Message-ID").is_empty() {
        let id: String = random_bytes::<16>()
            .unwrap_or_else(|_| {
                let nanos = now
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos());
                nanos.to_le_bytes()
            })
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        added.push_str(&format!("Message-ID: <{id}@{domain}>\r\n"));
    }
    if header_values(&message, "Date").is_empty() {
        // RFC 5322's date; httpdate's "GMT" is its obsolete zone, so the offset instead.
        let date = httpdate::fmt_http_date(now).replace(" GMT", " +0000");
        added.push_str(&format!("Date: {date}\r\n"));
    }
    if added.is_empty() {
        return message;
    }
    let mut out = added.into_bytes();
    out.extend_from_slice(&message);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_lists_are_read_as_written() {
        assert_eq!(addresses("a@contoso.com"), ["a@contoso.com"]);
        assert_eq!(
            addresses("\"Doe, Jane <x@y>\" <jane@contoso.com>, b@contoso.com (Bob, sales)"),
            ["jane@contoso.com", "b@contoso.com"]
        );
        assert_eq!(
            addresses("Sales <sales@contoso.com>"),
            ["sales@contoso.com"]
        );
        assert!(addresses("").is_empty());
    }

    #[test]
    fn headers_unfold_and_stop_at_the_body() {
        let message =
            b"From: Sales\r\n <sales@contoso.com>\r\nSubject: Hello\r\n\r\nFrom: body@x.com\r\n";
        assert_eq!(from_addresses(message), ["sales@contoso.com"]);
        assert_eq!(subject(message), "Hello");
        assert_eq!(header_values(message, "to"), Vec::<String>::new());
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
        let completed = complete(bare.clone(), "contoso.com", now);
        assert!(
            completed.ends_with(&bare),
            "the original follows, untouched"
        );
        let ids = header_values(&completed, "Message-ID");
        assert_eq!(ids.len(), 1);
        assert!(ids[0].starts_with('<') && ids[0].ends_with("@contoso.com>"));
        let dates = header_values(&completed, "Date");
        assert_eq!(dates.len(), 1);
        assert!(dates[0].ends_with(" +0000"), "{}", dates[0]);
        let whole = b"Message-ID: <x@y>\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\n\r\nHi\r\n";
        assert_eq!(complete(whole.to_vec(), "contoso.com", now), whole);
    }
}
