//! What became of each message after Exchange took it: the delivery reports that come
//! back to the sending mailbox, read over IMAP with the same token as the mailbox check.

pub mod report;
pub mod watcher;
