//! Property tests of every domain `parse`: hostile strings never panic, accepted values
//! survive display → parse unchanged, and what must never get through does not.

use proptest::prelude::*;
use smtp_setup::domain::{
    ClientId, ClientSecret, DisplayName, MailboxAddress, ObjectId, SmtpHost, SmtpPassword,
    SmtpPort, SmtpUsername, TenantId,
};
use smtp_setup::guide::ps_quote;

/// Any string, weighted towards the characters that matter: controls, line separators,
/// path and query characters, quotes, non-ASCII.
fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        prop::collection::vec(
            prop_oneof![
                Just('\r'),
                Just('\n'),
                Just('\u{0085}'),
                Just('\u{2028}'),
                Just('\u{2029}'),
                Just('\0'),
                Just('/'),
                Just('?'),
                Just('#'),
                Just('%'),
                Just('\\'),
                Just('@'),
                Just('.'),
                Just('-'),
                Just('~'),
                Just(' '),
                Just('\''),
                Just('"'),
                Just('é'),
                Just('\u{2019}'),
                prop::char::range('a', 'z'),
                prop::char::range('0', '9'),
            ],
            0..80,
        )
        .prop_map(|chars| chars.into_iter().collect()),
    ]
}

fn is_line_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{0085}' | '\u{2028}' | '\u{2029}')
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn mailbox_addresses(input in hostile()) {
        if let Ok(mailbox) = MailboxAddress::parse(&input) {
            prop_assert!(!mailbox.as_str().chars().any(|c| c.is_control() || is_line_break(c)));
            prop_assert_eq!(MailboxAddress::parse(&mailbox.to_string()).ok(), Some(mailbox));
        }
    }

    #[test]
    fn display_names(input in hostile()) {
        if let Ok(name) = DisplayName::parse(&input) {
            prop_assert!(!name.to_string().chars().any(is_line_break));
            prop_assert_eq!(DisplayName::parse(&name.to_string()).ok(), Some(name));
        }
    }

    #[test]
    fn tenant_ids(input in hostile()) {
        if let Ok(tenant) = TenantId::parse(&input) {
            let text = tenant.as_str();
            prop_assert!(!text.chars().any(|c| c.is_control() || c.is_whitespace()
                || matches!(c, '/' | '?' | '#' | '%' | '\\')), "{:?}", text);
            prop_assert_eq!(TenantId::parse(text).ok(), Some(tenant.clone()));
        }
    }

    #[test]
    fn client_ids_and_object_ids(input in hostile()) {
        if let Ok(id) = ClientId::parse(&input) {
            prop_assert_eq!(ClientId::parse(id.as_str()).ok(), Some(id.clone()));
        }
        if let Ok(Some(id)) = ObjectId::parse_optional(&input) {
            prop_assert_eq!(ObjectId::parse(id.as_str()).ok(), Some(id.clone()));
        }
    }

    #[test]
    fn secrets_and_passwords(input in hostile()) {
        if let Ok(secret) = ClientSecret::parse(&input) {
            prop_assert!(!secret.expose().chars().any(|c| c.is_control() || c.is_whitespace()));
            prop_assert_eq!(ClientSecret::parse(secret.expose()).ok().map(|s| s.expose().to_owned()),
                Some(secret.expose().to_owned()));
        }
        if let Ok(password) = SmtpPassword::parse(&input) {
            prop_assert!(!password.expose().chars().any(|c| c.is_control() || is_line_break(c)));
            prop_assert_eq!(password.expose(), input.as_str());
        }
        if let Ok(username) = SmtpUsername::parse(&input) {
            prop_assert!(!username.as_str().chars().any(|c| c.is_control() || is_line_break(c)));
            prop_assert_eq!(SmtpUsername::parse(username.as_str()).ok(), Some(username.clone()));
        }
    }

    #[test]
    fn hosts_and_ports(input in hostile()) {
        if let Ok(host) = SmtpHost::parse(&input) {
            prop_assert!(host.as_str().chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':')));
            prop_assert_eq!(SmtpHost::parse(host.as_str()).ok(), Some(host.clone()));
        }
        if let Ok(port) = SmtpPort::parse(&input) {
            prop_assert!(port.get() > 0);
            prop_assert_eq!(SmtpPort::parse(&port.get().to_string()).ok(), Some(port));
        }
    }

    #[test]
    fn powershell_quoting_is_reversible(input in hostile()) {
        let quoted = ps_quote(&input);
        prop_assert!(quoted.starts_with('\'') && quoted.ends_with('\''));
        // Undo the doubling: every quote-like character inside came in pairs.
        let inner: Vec<char> = quoted[1..quoted.len() - 1].chars().collect();
        let mut unquoted = String::new();
        let mut i = 0;
        while i < inner.len() {
            let c = inner[i];
            unquoted.push(c);
            if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}') {
                prop_assert_eq!(inner.get(i + 1), Some(&c));
                i += 1;
            }
            i += 1;
        }
        prop_assert_eq!(unquoted, input);
    }
}
