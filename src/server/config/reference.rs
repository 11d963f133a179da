//! Every environment variable the server reads, once: its default, its meaning and an
//! example. `smtp-setup config --list` prints this table, the documentation's
//! configuration page holds it as printed, and the tests below hold it to the settings
//! code: a variable read but not listed, or listed but not read, fails them.

/// One environment variable, as the documentation shows it (Markdown in the cells).
#[derive(Clone, Copy, Debug)]
pub struct Variable {
    pub name: &'static str,
    pub default: &'static str,
    pub meaning: &'static str,
    pub example: &'static str,
}

const fn var(
    name: &'static str,
    default: &'static str,
    meaning: &'static str,
    example: &'static str,
) -> Variable {
    Variable {
        name,
        default,
        meaning,
        example,
    }
}

/// In the order the documentation shows them: where it listens and writes, signing in,
/// the relay, watching the credential, Microsoft's endpoints, logs.
pub const VARIABLES: &[Variable] = &[
    var(
        "SMTP_SETUP_LISTEN",
        "`127.0.0.1:3000`",
        "the page's address (`0.0.0.0:3000` for every interface); cargo-leptos' \
         `LEPTOS_SITE_ADDR` is read when it is unset",
        "0.0.0.0:3000",
    ),
    var(
        "LEPTOS_SITE_ADDR",
        "none",
        "the page's address when `SMTP_SETUP_LISTEN` is unset (cargo-leptos sets it)",
        "127.0.0.1:3000",
    ),
    var(
        "SMTP_SETUP_DATA_DIR",
        "`data` (under the working directory)",
        "everything the server writes: the SQLite database and its key file, the relay's \
         generated certificate (on PostgreSQL too). The systemd unit sets \
         `/var/lib/smtp-setup`, the image `/data`",
        "/var/lib/smtp-setup",
    ),
    var(
        "DATABASE_URL",
        "`sqlite://<data dir>/smtp-setup.db`",
        "the store: `sqlite://PATH` (created with its folder on first start) for one \
         instance, `postgres://USER:PASSWORD@HOST:PORT/DATABASE` for several; logged \
         without its password",
        "postgres://smtp:…@db.contoso.com:5432/smtp_setup",
    ),
    var(
        "SMTP_SETUP_KEY",
        "a key file beside the database (SQLite only)",
        "base64 of 32 bytes (`openssl rand -base64 32`): the key that seals the secrets at \
         rest. Unset on SQLite: `<database>.key` is made on first start, mode 0600. \
         Required on PostgreSQL, the same on every instance",
        "q1Zk…(44 characters)…=",
    ),
    var(
        "SMTP_SETUP_PUBLIC_URL",
        "`http://<listen address>`",
        "how administrators reach the page (behind a proxy): the base of the printed \
         sign-in link; `https://…` also makes the session cookie `Secure`",
        "https://mail-setup.contoso.com",
    ),
    var(
        "SMTP_SETUP_ADMIN_TOKEN",
        "a random one-time token, printed",
        "a fixed sign-in token (16 characters or more) for scripted deployments; the \
         printed link then names the variable instead of its value",
        "a-long-random-phrase-2026",
    ),
    var(
        "SMTP_SETUP_TEST_SENDS_PER_MINUTE",
        "`10`",
        "test sends allowed per session and minute",
        "5",
    ),
    var(
        "SMTP_SETUP_RELAY_ADDR",
        "`127.0.0.1:2525`",
        "the relay's SMTP listener (STARTTLS offered); empty or `off` turns it off",
        "0.0.0.0:587",
    ),
    var(
        "SMTP_SETUP_RELAY_TLS_ADDR",
        "off",
        "the relay's implicit-TLS listener (RFC 8314, \"SSL/TLS\" on port 465) for devices \
         that offer only that: the same certificate, AUTH, limits and sender rule. TLS 1.2 \
         and 1.3 only",
        "0.0.0.0:465",
    ),
    var(
        "SMTP_SETUP_RELAY_TLS_CERT",
        "a self-signed certificate in the data folder",
        "the relay's certificate chain (PEM); with `SMTP_SETUP_RELAY_TLS_KEY`, both or \
         neither",
        "/etc/smtp-setup/relay.crt",
    ),
    var(
        "SMTP_SETUP_RELAY_TLS_KEY",
        "the self-signed certificate's key",
        "the private key (PEM) of `SMTP_SETUP_RELAY_TLS_CERT`",
        "/etc/smtp-setup/relay.key",
    ),
    var(
        "SMTP_SETUP_RELAY_ALLOW_IPS",
        "none",
        "addresses or CIDR ranges that may send without AUTH: printers and scanners",
        "192.168.10.0/24, 10.1.2.3",
    ),
    var(
        "SMTP_SETUP_RELAY_MAX_BYTES",
        "`36700160` (35 MB, Exchange Online's limit)",
        "the largest message the relay accepts, in bytes",
        "26214400",
    ),
    var(
        "SMTP_SETUP_RELAY_SENDS_PER_MINUTE",
        "`30` (Exchange Online's limit per mailbox)",
        "messages delivered a minute at most, by all instances together; `0`: no limit",
        "20",
    ),
    var(
        "SMTP_SETUP_RELAY_LEASE_SECONDS",
        "`60`",
        "how long an instance holds a message it is delivering (renewed every third of it); \
         a message whose instance died is taken over by another once it runs out. At least 3",
        "120",
    ),
    var(
        "SMTP_SETUP_RELAY_FIRST_RETRY_SECONDS",
        "`60`",
        "the wait before a message's first retry; each later one waits twice as long, at \
         most an hour. At least 1",
        "300",
    ),
    var(
        "SMTP_SETUP_RELAY_CONNECTIONS",
        "`3` (Exchange Online's limit per mailbox)",
        "connections to Exchange Online open at once, by all instances together: an \
         instance delivers only while it holds one of these slots in the store (a lease, \
         renewed like a message's). From 1 to 100",
        "2",
    ),
    var(
        "SMTP_SETUP_CHECK_INTERVAL",
        "`6h`",
        "how often the saved credential gets a token and is inspected (`90s`, `30m`, `6h`, \
         `1d`; at most a week); `0`: never",
        "1d",
    ),
    var(
        "SMTP_SETUP_BOUNCE_INTERVAL",
        "`5m`",
        "how often the sending mailbox's INBOX is read (read-only, over IMAP with the \
         saved credential, which needs `IMAP.AccessAsApp`) for delivery reports, which mark \
         messages Bounced or Delayed (`90s`, `5m`, `1h`); `0`: never",
        "10m",
    ),
    var(
        "SMTP_SETUP_BOUNCE_FOLDER",
        "none: only read",
        "a folder of the mailbox (made when missing) where delivery reports are moved once \
         recorded (`SELECT`, `UID MOVE`); without it the mailbox is only read and nothing in \
         it changes",
        "Processed reports",
    ),
    var(
        "SMTP_SETUP_RETENTION_DAYS",
        "`30`",
        "days a delivered message's body (its headers and content) is kept after it was \
         delivered; its row (envelope, subject, attempts, reports) stays. Dropped hourly, in \
         small batches; `0`: kept for ever",
        "14",
    ),
    var(
        "SMTP_SETUP_RECORD_RETENTION_DAYS",
        "`90`",
        "days a finished message's row (delivered or failed, with its delivery reports), a \
         test of the history and a finished webhook delivery are kept; messages still \
         waiting are never dropped; `0`: kept for ever",
        "365",
    ),
    var(
        "SMTP_SETUP_WEBHOOK_FIRST_RETRY_MS",
        "`5000`",
        "milliseconds before a webhook delivery that got no 2xx is tried again; the later \
         retries are its multiples (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: a day), then it \
         is given up",
        "5000",
    ),
    var(
        "SMTP_SETUP_METRICS",
        "`on`",
        "`/metrics` in the Prometheus text format; `off` answers it with 404",
        "off",
    ),
    var(
        "SMTP_SETUP_AUTHORITY_URL",
        "the chosen cloud's (`https://login.microsoftonline.com`…)",
        "replaces the Entra ID authority (a proxy, a test); the token URL is \
         `{authority}/{tenant}/oauth2/v2.0/token`",
        "http://127.0.0.1:8080",
    ),
    var(
        "SMTP_SETUP_SMTP_ADDR",
        "the chosen cloud's (`smtp.office365.com:587`…)",
        "replaces the SMTP server of OAuth2 sending (STARTTLS required)",
        "127.0.0.1:2587",
    ),
    var(
        "SMTP_SETUP_IMAP_ADDR",
        "the chosen cloud's (`outlook.office365.com:993`…)",
        "replaces the IMAP server of the mailbox check (TLS from the start)",
        "127.0.0.1:2993",
    ),
    var(
        "SMTP_SETUP_GRAPH_URL",
        "the chosen cloud's (`https://graph.microsoft.com`…)",
        "replaces Microsoft Graph (read for the client secret's end date)",
        "http://127.0.0.1:8080",
    ),
    var(
        "SMTP_SETUP_CA_FILE",
        "none",
        "extra PEM trust roots (a private CA, a test server) for HTTPS, SMTP and IMAP; a \
         mail server whose own certificate is in the file is trusted as it is, its name \
         and dates still checked",
        "/etc/smtp-setup/proxy-ca.pem",
    ),
    var(
        "RUST_LOG",
        "`info`",
        "the log filter (`tracing`'s syntax); no secret or token is ever logged",
        "info,smtp_setup=debug",
    ),
];

/// Read by the logging set-up (`tracing`'s `EnvFilter`), not by the settings code.
pub const READ_BY_THE_LOGS: &str = "RUST_LOG";

/// The table `smtp-setup config --list` prints and the configuration page holds.
pub fn markdown_table() -> String {
    let mut table =
        String::from("| variable | default | meaning | example |\n| --- | --- | --- | --- |\n");
    for v in VARIABLES {
        table.push_str(&format!(
            "| `{}` | {} | {} | `{}` |\n",
            v.name, v.default, v.meaning, v.example
        ));
    }
    table
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::BTreeSet;

    use super::*;
    use crate::server::config::{listen_address_from, ServerSettings};

    /// Every name the settings code asks for, with nothing set (every default taken).
    fn names_read() -> BTreeSet<String> {
        let asked = RefCell::new(BTreeSet::new());
        let lookup = |name: &str| {
            asked.borrow_mut().insert(name.to_owned());
            None
        };
        ServerSettings::from_lookup(lookup).expect("the defaults are valid");
        listen_address_from(lookup).expect("the default address is valid");
        asked.into_inner()
    }

    fn names_listed() -> BTreeSet<String> {
        VARIABLES.iter().map(|v| v.name.to_owned()).collect()
    }

    #[test]
    fn every_variable_read_is_listed_and_every_one_listed_is_read() {
        let read = names_read();
        let listed = names_listed();
        let unlisted: Vec<_> = read.difference(&listed).collect();
        assert!(
            unlisted.is_empty(),
            "read but not in VARIABLES: {unlisted:?}"
        );
        let mut unread: Vec<_> = listed.difference(&read).collect();
        unread.retain(|name| name.as_str() != READ_BY_THE_LOGS);
        assert!(unread.is_empty(), "in VARIABLES but never read: {unread:?}");
        assert_eq!(listed.len(), VARIABLES.len(), "a variable listed twice");
    }

    /// A variable named anywhere in the source (a lookup outside the settings code, say)
    /// is in the list too. `SMTP_SETUP_COMMIT` is the build's, not the server's.
    #[test]
    fn every_variable_the_source_names_is_listed() {
        let listed = names_listed();
        let mut missing = BTreeSet::new();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        for text in rust_files(&root).iter().map(std::fs::read_to_string) {
            let text = text.expect("a source file");
            for name in names_in(&text, "SMTP_SETUP_") {
                if name != "SMTP_SETUP_COMMIT" && !listed.contains(&name) {
                    missing.insert(name);
                }
            }
        }
        assert!(
            missing.is_empty(),
            "named in src/ but not in VARIABLES: {missing:?}"
        );
    }

    #[test]
    fn the_table_has_a_row_per_variable_and_no_cell_breaks_it() {
        let table = markdown_table();
        assert_eq!(table.lines().count(), VARIABLES.len() + 2);
        for v in VARIABLES {
            for cell in [v.default, v.meaning, v.example] {
                assert!(
                    !cell.contains('|') && !cell.contains('\n'),
                    "{}: {cell}",
                    v.name
                );
            }
        }
    }

    /// `SMTP_SETUP_…` names in `text`, whole words only.
    fn names_in(text: &str, prefix: &str) -> BTreeSet<String> {
        let mut names = BTreeSet::new();
        let mut rest = text;
        while let Some(at) = rest.find(prefix) {
            let before = rest[..at].chars().next_back();
            let name: String = rest[at..]
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            rest = &rest[at + prefix.len()..];
            let name = name.trim_end_matches('_');
            let whole = !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
            if whole && name.len() > prefix.len() {
                names.insert(name.to_owned());
            }
        }
        names
    }

    fn rust_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).expect("src/").flatten() {
            let path = entry.path();
            if path.is_dir() {
                files.extend(rust_files(&path));
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
        files
    }
}
