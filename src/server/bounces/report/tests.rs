use super::*;

/// A report from `tests/fixtures/reports/`, filled in.
pub fn fixture(name: &str, original_id: &str, recipient: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/reports/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .replace("{{ORIGINAL_ID}}", original_id)
        .replace("{{RECIPIENT}}", recipient)
        .replace("{{MAILBOX}}", "notifications@contoso-test.com")
        .into_bytes()
}

#[test]
fn exchange_onlines_report_is_read_whatever_its_language() {
    let message = fixture(
        "exchange-online.eml",
        "abc.1@relay.contoso-test.com",
        "jose@fabrikam-test.com",
    );
    assert!(looks_like_report(&message));
    let report = Report::read(&message).expect("a report");
    assert_eq!(report.original_ids, ["abc.1@relay.contoso-test.com"]);
    assert_eq!(
        report.reporting_mta.as_deref(),
        Some("BN8PR12MB3348.namprd12.prod.outlook.com")
    );
    assert_eq!(
        report.recipients,
        [RecipientReport {
            recipient: "jose@fabrikam-test.com".into(),
            action: Action::Failed,
            status: "5.1.10".into(),
            diagnostic: Some(
                "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup"
                    .into()
            ),
        }]
    );
}

#[test]
fn another_mtas_report_names_the_original_in_its_attached_headers() {
    let message = fixture(
        "postfix-delayed.eml",
        "inv-42@erp.contoso-test.com",
        "ana@fabrikam-test.com",
    );
    let report = Report::read(&message).expect("a report");
    // No In-Reply-To: only the attached headers name it.
    assert_eq!(report.original_ids, ["inv-42@erp.contoso-test.com"]);
    assert_eq!(
        report.reporting_mta.as_deref(),
        Some("mx.fabrikam-test.com")
    );
    assert_eq!(report.recipients.len(), 1);
    let delayed = &report.recipients[0];
    assert_eq!(delayed.recipient, "ana@fabrikam-test.com");
    assert_eq!(delayed.action, Action::Delayed);
    assert_eq!(delayed.status, "4.2.2");
    assert_eq!(
        delayed.diagnostic.as_deref(),
        Some("452 4.2.2 Mailbox full")
    );
}

#[test]
fn a_report_cut_short_after_its_status_is_still_read() {
    let message = fixture("exchange-online.eml", "cut@x", "jose@fabrikam-test.com");
    let text = String::from_utf8(message).expect("text");
    let cut = text
        .find("Content-Type: message/rfc822")
        .expect("the original");
    let report = Report::read(&text.as_bytes()[..cut]).expect("a report");
    assert_eq!(report.recipients.len(), 1);
    assert_eq!(report.original_ids, ["cut@x"], "from In-Reply-To");
}

#[test]
fn ordinary_mail_is_no_report_whatever_its_subject() {
    let message = b"From: a@fabrikam-test.com\r\nSubject: Undeliverable: Invoice 42\r\n\
        In-Reply-To: <abc@x>\r\nContent-Type: text/plain\r\n\r\nDelivery has failed.\r\n";
    assert!(!looks_like_report(message));
    assert_eq!(Report::read(message), None);
    // A read receipt is a report, but not of delivery.
    let receipt = b"From: a@x\r\nContent-Type: multipart/report; \
        report-type=disposition-notification; boundary=b\r\n\r\n--b--\r\n";
    assert!(!looks_like_report(receipt));
    // Exchange's mark alone is enough, whatever the structure.
    let marked = b"From: postmaster@x\r\nX-MS-Exchange-Message-Is-Ndr:\r\n\r\nbody\r\n";
    assert!(looks_like_report(marked));
}

#[test]
fn typed_values_lose_their_type_only() {
    assert_eq!(typed("rfc822; a@b"), "a@b");
    assert_eq!(typed("smtp;550 5.1.1 no; really"), "550 5.1.1 no; really");
    assert_eq!(typed("550 no such user; sorry"), "550 no such user; sorry");
    assert_eq!(Action::from_key(" Failed "), Some(Action::Failed));
    assert_eq!(Action::from_key("gone"), None);
}
