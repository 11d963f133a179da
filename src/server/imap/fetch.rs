//! Reading messages, for the bounce watcher: `UID SEARCH` and `UID FETCH` of `BODY.PEEK`
//! items only, under `EXAMINE`, so that nothing in the mailbox changes (no flag is set,
//! nothing is moved). A fetched item comes as a literal (`{n}` then n octets), bounded.
//! And, only when the admin asks for it, moving reports already recorded to a folder:
//! `SELECT`, `CREATE`, then `UID MOVE` (RFC 6851), or `UID COPY`, `UID STORE \Deleted`
//! and `UID EXPUNGE` (RFC 4315) where MOVE is not offered.

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

    /// `SELECT INBOX`: opened for writing (only to move reports out of it).
    pub async fn select_inbox(&mut self) -> Result<(), ImapError> {
        let tag = self.send("SELECT INBOX", None).await?;
        self.until_done(&tag, |_| {}).await?;
        Ok(())
    }

    /// `CREATE folder`; one that exists already is fine.
    pub async fn create_folder(&mut self, folder: &str) -> Result<(), ImapError> {
        let tag = self
            .send(&format!("CREATE {}", quoted(folder)), None)
            .await?;
        match self.until_done(&tag, |_| {}).await {
            Ok(_) => Ok(()),
            Err(ImapError::Refused { text, .. })
                if text.to_ascii_uppercase().contains("ALREADYEXISTS")
                    || text.to_ascii_lowercase().contains("exists") =>
            {
                Ok(())
            }
            Err(other) => Err(other),
        }
    }

    /// The messages `set` (UIDs) of the selected mailbox into `folder`.
    pub async fn uid_move(&mut self, set: &str, folder: &str) -> Result<(), ImapError> {
        let folder = quoted(folder);
        if self.offers("MOVE") {
            let tag = self.send(&format!("UID MOVE {set} {folder}"), None).await?;
            self.until_done(&tag, |_| {}).await?;
            return Ok(());
        }
        if !self.offers("UIDPLUS") {
            // A plain EXPUNGE would take every message marked deleted, not only these.
            return Err(ImapError::Unexpected(
                "the server offers neither MOVE nor UIDPLUS: reports cannot be moved".to_owned(),
            ));
        }
        for command in [
            format!("UID COPY {set} {folder}"),
            format!("UID STORE {set} +FLAGS.SILENT (\\Deleted)"),
            format!("UID EXPUNGE {set}"),
        ] {
            let tag = self.send(&command, None).await?;
            self.until_done(&tag, |_| {}).await?;
        }
        Ok(())
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

/// A mailbox name as an IMAP quoted string (the names the settings allow need no more).
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
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
