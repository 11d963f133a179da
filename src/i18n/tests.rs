//! Both languages say everything, and Portuguese never falls back to English words.

use super::Lang;
use crate::api::report::{Step, StepStatus, TestKind};
use crate::domain::{AuthType, Cloud, Field, Security};

#[test]
fn a_browser_header_picks_the_language_it_prefers() {
    let cases = [
        ("pt-BR,pt;q=0.9,en-US;q=0.8,en;q=0.7", Some(Lang::PtBr)),
        ("en-US,en;q=0.9,pt-BR;q=0.8", Some(Lang::En)),
        ("de-DE, pt;q=0.5, en;q=0.4", Some(Lang::PtBr)),
        ("en;q=0.2, pt-PT;q=0.9", Some(Lang::PtBr)),
        ("pt-BR;q=0, en;q=0.1", Some(Lang::En)),
        ("de, fr", None),
        ("", None),
        ("*", None),
    ];
    for (header, expected) in cases {
        assert_eq!(Lang::from_accept_language(header), expected, "{header}");
    }
}

#[test]
fn every_tag_parses_back_to_its_language() {
    for lang in Lang::ALL {
        assert_eq!(Lang::parse_tag(lang.tag()), Some(lang));
    }
    assert_eq!(Lang::parse_tag("PT_br"), Some(Lang::PtBr));
    assert_eq!(Lang::parse_tag("es"), None);
}

#[test]
fn learn_links_follow_the_language() {
    assert_eq!(
        Lang::PtBr.learn("entra/x"),
        "https://learn.microsoft.com/pt-br/entra/x"
    );
    assert_eq!(
        Lang::En.learn("entra/x"),
        "https://learn.microsoft.com/en-us/entra/x"
    );
}

/// Words that are the same in both languages on purpose: Microsoft's and the help
/// article's names, protocol terms.
const SAME_IN_BOTH: &[&str] = &[
    "TenantId",
    "ObjectId",
    "Microsoft (OAuth2)",
    "MAIL FROM / RCPT TO",
];

/// Each label, in each language, for the comparison below.
fn labels(lang: Lang) -> Vec<String> {
    let t = lang.texts();
    let mut all: Vec<String> = Vec::new();
    all.extend(Field::ALL.map(|f| (t.field_label)(f).to_owned()));
    all.extend(Field::ALL.map(|f| (t.field_hint)(f).to_owned()));
    all.extend(Step::ALL.map(|s| (t.step_label)(s).to_owned()));
    all.extend(TestKind::ALL.map(|k| (t.test_kind)(k).to_owned()));
    all.extend(AuthType::ALL.map(|a| (t.auth_type_name)(a).to_owned()));
    all.extend(Cloud::ALL.map(|c| (t.cloud_name)(c).to_owned()));
    all.extend(Security::ALL.map(|s| (t.security_name)(s).to_owned()));
    all.extend(
        [StepStatus::Passed, StepStatus::Failed, StepStatus::Skipped]
            .map(|s| (t.step_status)(s).to_owned()),
    );
    all.extend(
        [
            t.page_title,
            t.lead,
            t.send_test,
            t.save,
            t.dismiss,
            t.relay,
            t.outbox,
            t.guide_summary,
            t.guide_permissions,
            t.sign_in,
        ]
        .map(str::to_owned),
    );
    all.push((t.test_sent)("a@contoso.com"));
    all.push((t.too_many_tests)("30"));
    all
}

#[test]
fn portuguese_says_each_word_in_portuguese() {
    let english = labels(Lang::En);
    let portuguese = labels(Lang::PtBr);
    assert_eq!(english.len(), portuguese.len());
    for (en, pt) in english.iter().zip(&portuguese) {
        assert!(!en.is_empty() && !pt.is_empty());
        if !SAME_IN_BOTH.contains(&en.as_str()) {
            assert_ne!(en, pt, "not translated");
        }
    }
}

#[test]
fn a_character_is_named_the_same_way_in_both_languages() {
    use crate::domain::{FieldError, MailboxError};
    let named = |c, lang: Lang| FieldError::Mailbox(MailboxError::ForbiddenCharacter(c)).text(lang);
    assert!(named('\u{2028}', Lang::En).contains("U+2028"));
    assert!(named('\u{2028}', Lang::PtBr).contains("U+2028"));
    assert!(named(' ', Lang::PtBr).contains("um espaço"));
    assert!(named('/', Lang::En).contains("'/'"));
}
