//! Property tests of every domain `parse`. Inputs come from each value's valid grammar
//! (every one must be accepted, normalized, and survive display → parse unchanged), from
//! the same values with one forbidden character put inside (every one must be refused),
//! and from hostile strings (never a panic; whatever is accepted keeps its invariants).
//! Each property prints how many of its cases were accepted and fails when too few were:
//! a property whose assertions are never reached cannot pass unnoticed.

use std::cell::Cell;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use smtp_setup::domain::{
    ClientId, ClientSecret, DisplayName, MailboxAddress, ObjectId, SmtpHost, SmtpPassword,
    SmtpPort, SmtpUsername, TenantId,
};
use smtp_setup::guide::ps_quote;

const CASES: u32 = 512;

/// Runs `check` on `CASES` inputs of `strategy`; `check` says whether the input was
/// accepted. Fails unless the accepted share is within `accepted` (in per cent).
fn property<S: Strategy>(
    name: &str,
    strategy: S,
    accepted: std::ops::RangeInclusive<u32>,
    check: impl Fn(S::Value) -> Result<bool, TestCaseError>,
) {
    let mut runner = TestRunner::new(Config {
        failure_persistence: None,
        ..Config::with_cases(CASES)
    });
    let count = Cell::new(0u32);
    let ran = Cell::new(0u32);
    let result = runner.run(&strategy, |value| {
        ran.set(ran.get() + 1);
        if check(value)? {
            count.set(count.get() + 1);
        }
        Ok(())
    });
    if let Err(error) = result {
        panic!("{name}: {error}");
    }
    let share = count.get() * 100 / ran.get().max(1);
    println!("{name}: {} of {} cases accepted", count.get(), ran.get());
    assert!(
        accepted.contains(&share),
        "{name}: {share} % of the cases were accepted, expected {accepted:?} %"
    );
}

/// Every input of `strategy` must be refused by `accepts`.
fn always_refused<S: Strategy<Value = String>>(
    name: &str,
    strategy: S,
    accepts: impl Fn(&str) -> bool,
) {
    property(name, strategy, 0..=0, |input| {
        prop_assert!(!accepts(&input), "{:?} accepted", input);
        Ok(false)
    });
}

fn is_line_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{0085}' | '\u{2028}' | '\u{2029}')
}

/// Any string, weighted towards the characters that matter: controls, line separators,
/// path and query characters, quotes, non-ASCII.
fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        prop::collection::vec(hostile_char(), 0..80).prop_map(|chars| chars.into_iter().collect()),
    ]
}

fn hostile_char() -> impl Strategy<Value = char> {
    prop_oneof![
        forbidden_char(),
        Just('@'),
        Just('.'),
        Just('-'),
        Just('~'),
        Just('\''),
        Just('"'),
        Just('\u{2019}'),
        prop::char::range('a', 'z'),
        prop::char::range('0', '9'),
    ]
}

/// Characters no domain name may hold: controls, line breaks, spaces, path and query
/// characters, angle brackets.
const NOT_IN_A_DOMAIN: [char; 16] = [
    '\r', '\n', '\u{0085}', '\u{2028}', '\u{2029}', '\0', '\t', ' ', '/', '?', '#', '%', '\\', '<',
    '>', '\u{7f}',
];

/// Characters no tenant or host may hold inside: those, and anything not ASCII (a
/// mailbox's domain may be internationalized; a tenant or an SMTP host may not).
fn forbidden_char() -> impl Strategy<Value = char> {
    let mut chars = NOT_IN_A_DOMAIN.to_vec();
    chars.push('é');
    prop::sample::select(chars)
}

/// `text` with `c` put at a position strictly inside it (so that trimming cannot take
/// it away).
fn insert_inside(text: &str, at: prop::sample::Index, c: char) -> String {
    let positions: Vec<usize> = text.char_indices().map(|(i, _)| i).skip(1).collect();
    let mut out = text.to_owned();
    if let Some(position) = positions.get(at.index(positions.len().max(1))) {
        out.insert(*position, c);
    }
    out
}

/// A GUID as people paste it: hyphenated, braced, 32 digits or `urn:uuid:`, either case.
fn guid() -> impl Strategy<Value = String> {
    (any::<[u8; 16]>(), 0..4usize, any::<bool>()).prop_map(|(bytes, form, upper)| {
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let hex = if upper { hex.to_uppercase() } else { hex };
        let hyphenated = format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        );
        match form {
            0 => hyphenated,
            1 => format!("{{{hyphenated}}}"),
            2 => hex,
            _ => format!("urn:uuid:{hyphenated}"),
        }
    })
}

/// The canonical form Entra uses: lowercase and hyphenated.
fn canonical_guid(text: &str) -> String {
    let hex: String = text
        .trim_start_matches("urn:uuid:")
        .chars()
        .filter(char::is_ascii_hexdigit)
        .collect::<String>()
        .to_ascii_lowercase();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// A domain name: two to four labels of letters, digits and inner hyphens, either case.
fn domain() -> impl Strategy<Value = String> {
    (
        prop::collection::vec("[a-z][a-z0-9]{0,8}(-[a-z0-9]{1,6})?", 2..5),
        any::<bool>(),
    )
        .prop_map(|(labels, upper)| {
            let domain = labels.join(".");
            if upper {
                domain.to_uppercase()
            } else {
                domain
            }
        })
}

/// Spaces or tabs around a value, as a copy and paste leaves them.
fn padded(value: impl Strategy<Value = String>) -> impl Strategy<Value = String> {
    (value, "[ \t]{0,2}", "[ \t]{0,2}")
        .prop_map(|(value, lead, trail)| format!("{lead}{value}{trail}"))
}

fn mailbox() -> impl Strategy<Value = String> {
    ("[a-z0-9]{1,10}([._+-][a-z0-9]{1,6}){0,2}", domain())
        .prop_map(|(local, domain)| format!("{local}@{domain}"))
}

/// A valid value with one forbidden character put inside.
fn with_forbidden(valid: impl Strategy<Value = String>) -> impl Strategy<Value = String> {
    with_one_of(valid, forbidden_char())
}

fn with_one_of(
    valid: impl Strategy<Value = String>,
    chars: impl Strategy<Value = char>,
) -> impl Strategy<Value = String> {
    (valid, any::<prop::sample::Index>(), chars)
        .prop_map(|(valid, at, c)| insert_inside(&valid, at, c))
}

#[test]
fn every_valid_tenant_is_accepted_normalized_and_round_trips() {
    property(
        "valid tenants",
        padded(prop_oneof![guid(), domain()]),
        100..=100,
        |input| {
            let tenant = TenantId::parse(&input)
                .map_err(|e| TestCaseError::fail(format!("{input:?} refused: {e}")))?;
            let trimmed = input.trim();
            let expected = if tenant.is_guid() {
                canonical_guid(trimmed)
            } else {
                trimmed.to_ascii_lowercase()
            };
            prop_assert_eq!(tenant.as_str(), expected.as_str());
            prop_assert_eq!(TenantId::parse(&tenant.to_string()).ok(), Some(tenant));
            Ok(true)
        },
    );
}

#[test]
fn no_tenant_with_a_control_path_or_query_character_gets_through() {
    always_refused(
        "tenants with a forbidden character",
        with_forbidden(prop_oneof![guid(), domain()]),
        |input| TenantId::parse(input).is_ok(),
    );
}

#[test]
fn mutated_tenants_never_carry_a_forbidden_character() {
    let mutated = with_one_of(prop_oneof![guid(), domain()], hostile_char());
    property("mutated tenants", mutated, 10..=90, |input| {
        let Ok(tenant) = TenantId::parse(&input) else {
            return Ok(false);
        };
        let text = tenant.as_str();
        prop_assert!(
            !text.chars().any(|c| c.is_control()
                || c.is_whitespace()
                || matches!(c, '/' | '?' | '#' | '%' | '\\')),
            "{:?}",
            text
        );
        prop_assert_eq!(TenantId::parse(text).ok(), Some(tenant.clone()));
        Ok(true)
    });
}

#[test]
fn every_valid_mailbox_is_accepted_and_round_trips() {
    property("valid mailboxes", padded(mailbox()), 100..=100, |input| {
        let mailbox = MailboxAddress::parse(&input)
            .map_err(|e| TestCaseError::fail(format!("{input:?} refused: {e}")))?;
        prop_assert_eq!(mailbox.as_str(), input.trim());
        prop_assert_eq!(
            MailboxAddress::parse(&mailbox.to_string()).ok(),
            Some(mailbox)
        );
        Ok(true)
    });
}

#[test]
fn no_mailbox_with_a_control_space_or_angle_bracket_gets_through() {
    // Anywhere in the address; in the domain, nothing but letters, digits and hyphens.
    let anywhere = with_one_of(
        mailbox(),
        prop::sample::select(vec![
            '\r', '\n', '\u{0085}', '\u{2028}', '\u{2029}', '\0', '\t', ' ', '<', '>', '\u{7f}',
        ]),
    );
    let in_domain = (
        "[a-z0-9]{1,10}",
        with_one_of(domain(), prop::sample::select(NOT_IN_A_DOMAIN.to_vec())),
    )
        .prop_map(|(local, domain)| format!("{local}@{domain}"));
    always_refused(
        "mailboxes with a forbidden character",
        prop_oneof![anywhere, in_domain],
        |input| MailboxAddress::parse(input).is_ok(),
    );
}

#[test]
fn mutated_mailboxes_never_carry_a_control_or_line_break() {
    let mutated = with_one_of(mailbox(), hostile_char());
    property("mutated mailboxes", mutated, 10..=90, |input| {
        let Ok(mailbox) = MailboxAddress::parse(&input) else {
            return Ok(false);
        };
        prop_assert!(!mailbox
            .as_str()
            .chars()
            .any(|c| c.is_control() || is_line_break(c)));
        prop_assert_eq!(
            MailboxAddress::parse(&mailbox.to_string()).ok(),
            Some(mailbox)
        );
        Ok(true)
    });
}

#[test]
fn every_guid_is_a_client_id_and_an_object_id_in_canonical_form() {
    property(
        "valid client and object IDs",
        padded(guid()),
        100..=100,
        |input| {
            let canonical = canonical_guid(input.trim());
            let client = ClientId::parse(&input)
                .map_err(|e| TestCaseError::fail(format!("{input:?} refused: {e}")))?;
            prop_assert_eq!(client.as_str(), canonical.as_str());
            prop_assert_eq!(ClientId::parse(client.as_str()).ok(), Some(client.clone()));
            let object = ObjectId::parse_optional(&input)
                .map_err(|e| TestCaseError::fail(format!("{input:?} refused: {e}")))?;
            prop_assert_eq!(
                object.as_ref().map(ObjectId::as_str),
                Some(canonical.as_str())
            );
            Ok(true)
        },
    );
}

#[test]
fn a_guid_missing_a_digit_is_no_client_or_object_id() {
    let truncated = (guid(), any::<prop::sample::Index>()).prop_map(|(guid, at)| {
        let digits: Vec<usize> = guid
            .char_indices()
            .filter(|(_, c)| c.is_ascii_hexdigit())
            .map(|(i, _)| i)
            .collect();
        let mut out = guid;
        // Never a digit of the "urn:uuid:" prefix ('d' is a hex digit).
        let from = usize::from(out.starts_with("urn:")) * 2;
        let position = digits[from + at.index(digits.len() - from)];
        out.remove(position);
        out
    });
    always_refused("GUIDs missing a digit", truncated, |input| {
        ClientId::parse(input).is_ok() || ObjectId::parse_optional(input).is_ok()
    });
}

#[test]
fn every_domain_is_an_smtp_host_and_a_forbidden_character_is_refused() {
    property("valid hosts", padded(domain()), 100..=100, |input| {
        let host = SmtpHost::parse(&input)
            .map_err(|e| TestCaseError::fail(format!("{input:?} refused: {e}")))?;
        prop_assert_eq!(host.as_str(), input.trim().to_ascii_lowercase());
        prop_assert_eq!(SmtpHost::parse(host.as_str()).ok(), Some(host.clone()));
        Ok(true)
    });
    always_refused(
        "hosts with a forbidden character",
        with_forbidden(domain()),
        |input| SmtpHost::parse(input).is_ok(),
    );
}

#[test]
fn every_port_number_is_a_port_and_nothing_else_is() {
    property(
        "valid ports",
        padded((1u16..=u16::MAX).prop_map(|p| p.to_string())),
        100..=100,
        |input| {
            let port = SmtpPort::parse(&input)
                .map_err(|e| TestCaseError::fail(format!("{input:?} refused: {e}")))?;
            prop_assert_eq!(port.get().to_string(), input.trim());
            Ok(true)
        },
    );
    let not_a_port = prop_oneof![
        Just("0".to_owned()),
        (65_536u32..10_000_000).prop_map(|n| n.to_string()),
        with_forbidden((1u16..=u16::MAX).prop_map(|p| format!("{p}0"))),
        "-[0-9]{1,5}",
    ];
    always_refused("not ports", not_a_port, |input| {
        SmtpPort::parse(input).is_ok()
    });
}

#[test]
fn display_names_never_carry_a_line_break() {
    property("display names", hostile(), 20..=100, |input| {
        let Ok(name) = DisplayName::parse(&input) else {
            prop_assert!(
                input.chars().any(|c| c.is_control() || is_line_break(c))
                    || input.trim().chars().count() > 100
            );
            return Ok(false);
        };
        prop_assert!(!name.to_string().chars().any(is_line_break));
        prop_assert_eq!(DisplayName::parse(&name.to_string()).ok(), Some(name));
        Ok(true)
    });
}

#[test]
fn secrets_usernames_and_passwords_keep_their_rules() {
    property("client secrets", hostile(), 20..=100, |input| {
        let Ok(secret) = ClientSecret::parse(&input) else {
            return Ok(false);
        };
        prop_assert!(!secret
            .expose()
            .chars()
            .any(|c| c.is_control() || c.is_whitespace()));
        prop_assert_eq!(
            ClientSecret::parse(secret.expose())
                .ok()
                .map(|s| s.expose().to_owned()),
            Some(secret.expose().to_owned())
        );
        Ok(true)
    });
    property("passwords", hostile(), 20..=100, |input| {
        let Ok(password) = SmtpPassword::parse(&input) else {
            return Ok(false);
        };
        prop_assert!(!password
            .expose()
            .chars()
            .any(|c| c.is_control() || is_line_break(c)));
        prop_assert_eq!(password.expose(), input.as_str());
        Ok(true)
    });
    property("usernames", hostile(), 20..=100, |input| {
        let Ok(username) = SmtpUsername::parse(&input) else {
            return Ok(false);
        };
        prop_assert!(!username
            .as_str()
            .chars()
            .any(|c| c.is_control() || is_line_break(c)));
        prop_assert_eq!(
            SmtpUsername::parse(username.as_str()).ok(),
            Some(username.clone())
        );
        Ok(true)
    });
}

#[test]
fn powershell_quoting_is_reversible() {
    property("PowerShell quoting", hostile(), 100..=100, |input| {
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
        Ok(true)
    });
}
