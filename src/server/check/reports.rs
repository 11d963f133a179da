//! The bounce watcher's visit to the sending mailbox: INBOX opened as the mailbox check
//! opens it (the same token, the same steps, the same words when it fails), then the
//! messages that arrived since the last visit looked at, a header section at a time, and
//! the delivery reports among them read. Nothing in the mailbox changes: `EXAMINE`, and
//! `BODY.PEEK` only (no `SELECT`, `STORE`, `COPY` or `EXPUNGE`).

use std::time::{Duration, SystemTime};

use crate::api::report::{Step, TestOutcome, TestReport};
use crate::domain::{SmtpForm, StoredSecrets};
use crate::server::bounces::report::{looks_like_report, Report};
use crate::server::check::mailbox_access::InMailbox;
use crate::server::check::{failed, Checks, Observed, Recorder, StepFailed};
use crate::server::diagnosis::seen;
use crate::server::imap::{self, Examined, ImapError};
use crate::server::store::reports::Position;

/// At most this many messages are looked at per visit; the rest wait for the next.
pub const BATCH: u32 = 500;
/// Reports are fetched this many at a time, each cut at [`REPORT_PREFIX`].
const REPORTS_AT_ONCE: usize = 20;
/// The first part of a report that is read: its status comes before the attached
/// original, which may be the whole message.
const REPORT_PREFIX: u32 = 256 * 1024;
/// A first visit (or one after the server renumbered INBOX) reads back this far.
const FIRST_LOOK_BACK: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// What one visit read.
#[derive(Debug)]
pub struct Visit {
    /// Where the next visit starts.
    pub position: Position,
    /// The messages looked at.
    pub looked_at: usize,
    pub reports: Vec<Report>,
    /// The UIDs of the reports read, to move once recorded (when a folder is set).
    pub report_uids: Vec<u32>,
    /// Messages past this batch are waiting.
    pub more: bool,
}

impl Observed for Visit {
    type Value = Visit;
    fn split(self) -> (Visit, crate::api::report::Words) {
        let words = seen::reports_read(self.looked_at, self.reports.len());
        (self, words)
    }
}

impl Checks {
    /// One visit to the saved configuration's mailbox, starting after `since`: the
    /// report of the visit (its steps, or its failure in words) and what it read.
    pub async fn read_reports(
        &self,
        form: &SmtpForm,
        stored: &StoredSecrets,
        since: Option<Position>,
        now: SystemTime,
    ) -> (TestReport, Option<Visit>) {
        let mut read = None;
        let report = self
            .microsoft_only(&Step::READ_REPORTS, form, stored, |mut run, config| {
                let read = &mut read;
                async move {
                    let reading = Reading {
                        since,
                        now,
                        bound: self.timeouts.total,
                    };
                    let opened = self.open_mailbox(&mut run, &config, reading).await;
                    let outcome = match opened {
                        Ok(visit) => {
                            let outcome = TestOutcome::MailboxOpened {
                                mailbox: config.sender.mailbox.to_string(),
                                messages: u32::try_from(visit.looked_at).unwrap_or(u32::MAX),
                            };
                            *read = Some(visit);
                            outcome
                        }
                        Err(failure) => failed("delivery reports", failure),
                    };
                    (run, outcome)
                }
            })
            .await;
        (report, read)
    }
}

/// The visit's step in the open mailbox.
struct Reading {
    since: Option<Position>,
    now: SystemTime,
    bound: Duration,
}

impl InMailbox for Reading {
    type Output = Visit;
    async fn read(
        &self,
        run: &mut Recorder,
        session: &mut imap::Session,
        examined: Examined,
    ) -> Result<Visit, StepFailed<ImapError>> {
        let work = visit(session, examined, self.since, self.now);
        run.step(Step::ReadReports, self.bound, work).await
    }
}

/// The move's step in the open mailbox: INBOX selected, the folder made, the reports
/// moved. Only after they are recorded, so that a move never loses one.
struct Moving {
    uids: Vec<u32>,
    folder: String,
    bound: Duration,
}

impl InMailbox for Moving {
    type Output = usize;
    async fn read(
        &self,
        run: &mut Recorder,
        session: &mut imap::Session,
        _: Examined,
    ) -> Result<usize, StepFailed<ImapError>> {
        let work = async {
            session.select_inbox().await?;
            session.create_folder(&self.folder).await?;
            let set: Vec<String> = self.uids.iter().map(u32::to_string).collect();
            session.uid_move(&set.join(","), &self.folder).await?;
            Ok::<_, ImapError>(Moved(self.uids.len()))
        };
        run.step(Step::MoveReports, self.bound, work).await
    }
}

/// How many reports were moved.
pub struct Moved(usize);

impl Observed for Moved {
    type Value = usize;
    fn split(self) -> (usize, crate::api::report::Words) {
        (self.0, seen::reports_moved(self.0))
    }
}

impl Checks {
    /// Moves the reports `uids` (recorded already) of the saved configuration's INBOX to
    /// `folder`: the report of that visit.
    pub async fn move_reports(
        &self,
        form: &SmtpForm,
        stored: &StoredSecrets,
        uids: Vec<u32>,
        folder: &str,
    ) -> TestReport {
        self.microsoft_only(
            &Step::MOVE_REPORTS,
            form,
            stored,
            |mut run, config| async move {
                let moving = Moving {
                    uids,
                    folder: folder.to_owned(),
                    bound: self.timeouts.total,
                };
                let outcome = match self.open_mailbox(&mut run, &config, moving).await {
                    Ok(moved) => TestOutcome::MailboxOpened {
                        mailbox: config.sender.mailbox.to_string(),
                        messages: u32::try_from(moved).unwrap_or(u32::MAX),
                    },
                    Err(failure) => failed("moving delivery reports", failure),
                };
                (run, outcome)
            },
        )
        .await
    }
}

/// Looks at the messages after `since` (at most [`BATCH`]) and reads the reports.
async fn visit(
    session: &mut imap::Session,
    examined: Examined,
    since: Option<Position>,
    now: SystemTime,
) -> Result<Visit, ImapError> {
    let uid_validity = examined.uid_validity.unwrap_or_default();
    let after = match since {
        Some(position) if position.uid_validity == uid_validity => position.last_uid,
        _ => {
            let back = imap_date(now.checked_sub(FIRST_LOOK_BACK).unwrap_or(now));
            let uids = session.uid_search_since(&back).await?;
            match uids.iter().min() {
                Some(first) => first.saturating_sub(1),
                None => examined.uid_next.unwrap_or(1).saturating_sub(1),
            }
        }
    };
    let newest = examined.uid_next.map(|next| next.saturating_sub(1));
    let mut last = after.saturating_add(BATCH);
    if let Some(newest) = newest {
        last = last.min(newest);
    }
    let mut position = Position {
        uid_validity,
        last_uid: after,
    };
    if examined.messages == 0 || last <= after {
        return Ok(Visit {
            position,
            looked_at: 0,
            reports: Vec::new(),
            report_uids: Vec::new(),
            more: false,
        });
    }
    let heads = session
        .uid_fetch(
            &format!("{}:{last}", after + 1),
            "BODY.PEEK[HEADER.FIELDS (CONTENT-TYPE X-MS-EXCHANGE-MESSAGE-IS-NDR)]",
        )
        .await?;
    // `n:m` names the newest message even when it is older than n: only those in range.
    let heads: Vec<_> = heads
        .into_iter()
        .filter(|head| head.uid > after && head.uid <= last)
        .collect();
    position.last_uid = match newest {
        Some(_) => last,
        None => heads.iter().map(|head| head.uid).max().unwrap_or(after),
    };
    let candidates: Vec<u32> = heads
        .iter()
        .filter(|head| looks_like_report(&head.bytes))
        .map(|head| head.uid)
        .collect();
    let (mut reports, mut report_uids) = (Vec::new(), Vec::new());
    for chunk in candidates.chunks(REPORTS_AT_ONCE) {
        let set: Vec<String> = chunk.iter().map(u32::to_string).collect();
        let fetched = session
            .uid_fetch(&set.join(","), &format!("BODY.PEEK[]<0.{REPORT_PREFIX}>"))
            .await?;
        for message in fetched {
            if let Some(report) = Report::read(&message.bytes) {
                reports.push(report);
                report_uids.push(message.uid);
            }
        }
    }
    Ok(Visit {
        position,
        looked_at: heads.len(),
        reports,
        report_uids,
        more: newest.is_some_and(|newest| newest > last),
    })
}

/// An IMAP date (RFC 3501's `date`): `26-Nov-2026`, in UTC.
fn imap_date(at: SystemTime) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let seconds = at
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let date = time::OffsetDateTime::from_unix_timestamp(i64::try_from(seconds).unwrap_or(0))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let month = MONTHS[usize::from(u8::from(date.month())) - 1];
    format!("{}-{month}-{}", date.day(), date.year())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imap_dates_are_rfc_3501s() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_798_243_200);
        assert_eq!(imap_date(at), "26-Dec-2026");
        let day_before = at - Duration::from_secs(1);
        assert_eq!(imap_date(day_before), "25-Dec-2026");
        assert_eq!(imap_date(SystemTime::UNIX_EPOCH), "1-Jan-1970");
    }
}
