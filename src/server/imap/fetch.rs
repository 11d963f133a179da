//! Reading messages, for the bounce watcher: `UID SEARCH` and `UID FETCH` of `BODY.PEEK`
//! items only, under `EXAMINE`, so that nothing in the mailbox changes (no flag is set,
//! nothing is moved). A fetched item comes as a literal (`{n}` then n octets), bounded.

use super::response::{self, Line};
use super::session::{refused, strip_word};
use super::{ImapError, Session};

/// The largest literal read: more than any item the watcher asks for (a header section,
/// or the first 256 KiB of a message), so a larger one is a server not doing as asked.
pub const MAX_LITERAL: usize = 512 * 1024;

/// At most this many response lines to one command (each fetched message takes two).
const MAX_LINES: usize = 5000;

/// One message's fetched item.
#[derive(Debug, PartialEq, Eq)]
pub struct Fetched {
    pub uid: u32,
    pub bytes: Vec<u8>,
}

impl Session {
    /// `UID SEARCH SINCE <date>` (an IMAP date, `26-Nov-2026`): the UIDs of the messages
    /// that arrived on or after it.
    pub async fn uid_search_since(&mut self, date: &str) -> Result<Vec<u32>, ImapError> {
        let tag = self.send(&format!("UID SEARCH SINCE {date}"), None).await?;
        let mut uids = Vec::new();
        self.until_done(&tag, |untagged| {
            if let Some(list) = strip_word(untagged, "SEARCH") {
                uids.extend(
                    list.split_whitespace()
                        .filter_map(|n| n.parse::<u32>().ok()),
                );
            }
        })
        .await?;
        Ok(uids)
    }

    /// `UID FETCH <set> (UID <item>)`, `item` a `BODY.PEEK[…]`: each message's UID and the
    /// item's octets, in the server's order.
    pub async fn uid_fetch(&mut self, set: &str, item: &str) -> Result<Vec<Fetched>, ImapError> {
        let tag = self
            .send(&format!("UID FETCH {set} (UID {item})"), None)
            .await?;
        let mut fetched = Vec::new();
        // A FETCH response being read: its text outside the literal, and the literal.
        let mut open: Option<(String, Vec<u8>)> = None;
        for _ in 0..MAX_LINES {
            let line = self.wire.read_line().await?;
            if let Some((text, _)) = open.as_mut() {
                text.push(' ');
                text.push_str(&line);
                if let Some(length) = response::literal_length(&line) {
                    let bytes = self.literal(length).await?;
                    open = open.map(|(text, _)| (text, bytes));
                    continue;
                }
                if let Some((text, bytes)) = open.take() {
                    fetched.extend(uid_of(&text).map(|uid| Fetched { uid, bytes }));
                }
                continue;
            }
            match response::parse(&line) {
                Some(Line::Tagged {
                    tag: t,
                    status,
                    text,
                }) if t == tag => {
                    return if status.eq_ignore_ascii_case("OK") {
                        Ok(fetched)
                    } else {
                        Err(refused(status, text))
                    };
                }
                Some(Line::Untagged(text)) => {
                    if let Some(words) = strip_word(text, "BYE") {
                        return Err(ImapError::Bye(words.to_owned()));
                    }
                    if let Some(length) = response::literal_length(text) {
                        let text = text.to_owned();
                        open = Some((text, self.literal(length).await?));
                    }
                    // Else a FETCH without the item (a message gone meanwhile), EXISTS…
                }
                _ => return Err(ImapError::Unexpected(line)),
            }
        }
        Err(ImapError::Unexpected(format!(
            "more than {MAX_LINES} lines before the answer"
        )))
    }

    async fn literal(&mut self, length: u64) -> Result<Vec<u8>, ImapError> {
        match usize::try_from(length) {
            Ok(length) if length <= MAX_LITERAL => Ok(self.wire.read_bytes(length).await?),
            _ => Err(ImapError::Unexpected(format!(
                "a literal of {length} octets, more than the {MAX_LITERAL} asked for"
            ))),
        }
    }
}

/// The UID in a FETCH response's text: `3 FETCH (UID 5 BODY[…] {120}` → 5.
fn uid_of(text: &str) -> Option<u32> {
    let mut words = text.split(|c: char| c == '(' || c == ')' || c.is_whitespace());
    while let Some(word) = words.next() {
        if word.eq_ignore_ascii_case("UID") {
            return words.find(|w| !w.is_empty())?.parse().ok();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_uid_is_found_wherever_the_server_puts_it() {
        assert_eq!(uid_of("3 FETCH (UID 5 BODY[] {12}"), Some(5));
        assert_eq!(
            uid_of("3 FETCH (BODY[HEADER.FIELDS (CONTENT-TYPE)] {12} UID 77)"),
            Some(77)
        );
        assert_eq!(uid_of("3 FETCH (FLAGS (\\Seen))"), None);
    }
}
