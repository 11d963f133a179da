//! Each well-known failure, produced by a peer scripted to answer as Microsoft does, ends
//! at the right step with the code, the field at fault and the fix the catalogue gives.

use smtp_setup::api::report::{Step, TestOutcome};
use smtp_setup::domain::Field;
use smtp_setup::server::diagnosis::catalogue;

use crate::helpers::{spawn_peers_with, NOTHING_STORED};

struct Case {
    peer: &'static [(&'static str, &'static str)],
    step: Step,
    code: Option<&'static str>,
    field: Option<Field>,
    /// A phrase the summary or the fix must contain.
    says: &'static str,
    /// The error catalogue's entry the failure links to.
    entry: Option<&'static str>,
}

const CASES: &[Case] = &[
    Case {
        peer: &[("PEER_TOKEN_AUDIENCE", "https://graph.microsoft.com")],
        step: Step::TokenInspection,
        code: None,
        field: None,
        says: "Microsoft Graph",
        entry: None,
    },
    Case {
        peer: &[("PEER_TOKEN_EXPIRED", "1")],
        step: Step::TokenInspection,
        code: None,
        field: None,
        says: "expired",
        entry: None,
    },
    Case {
        peer: &[(
            "PEER_SMTP_AUTH_REPLY",
            "535|5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.",
        )],
        step: Step::Authenticate,
        code: Some("535 5.7.139"),
        field: None,
        says: "Set-CASMailbox -Identity \"sender@contoso-test.com\" -SmtpClientAuthenticationDisabled $false",
        entry: Some("smtp-5-7-139-smtp-auth-disabled"),
    },
    Case {
        peer: &[(
            "PEER_SMTP_AUTH_REPLY",
            "535|5.7.139 Authentication unsuccessful, user is locked by your organization's security defaults policy. Contact your administrator.",
        )],
        step: Step::Authenticate,
        code: Some("535 5.7.139"),
        field: None,
        says: "Security defaults",
        entry: Some("smtp-5-7-139-security-defaults"),
    },
    Case {
        peer: &[(
            "PEER_SMTP_DATA_REPLY",
            "554|5.2.252 SendAsDenied; sender@contoso-test.com not allowed to send as sender@contoso-test.com; STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied",
        )],
        step: Step::Data,
        code: Some("554 5.2.252"),
        field: Some(Field::EmailAddress),
        says: "Send As",
        entry: Some("smtp-5-2-252-send-as-denied"),
    },
    Case {
        peer: &[(
            "PEER_SMTP_DATA_REPLY",
            "430|4.2.0 STOREDRV; mailbox logon failure; Cannot open mailbox.",
        )],
        step: Step::Data,
        code: Some("430 4.2.0"),
        field: Some(Field::EmailAddress),
        says: "Add-MailboxPermission -Identity \"sender@contoso-test.com\"",
        entry: Some("smtp-430-4-2-0-mailbox-logon-failure"),
    },
    Case {
        peer: &[(
            "PEER_SMTP_MAIL_REPLY",
            "550|5.7.60 SMTP; Client does not have permissions to send as this sender",
        )],
        step: Step::Envelope,
        code: Some("550 5.7.60"),
        field: Some(Field::EmailAddress),
        says: "Add-RecipientPermission",
        entry: Some("smtp-5-7-60-send-as"),
    },
    Case {
        peer: &[(
            "PEER_SMTP_MAIL_REPLY",
            "530|5.7.57 Client not authenticated to send mail. [test-peer]",
        )],
        step: Step::Envelope,
        code: Some("530 5.7.57"),
        field: None,
        says: "SMTP AUTH enabled",
        entry: Some("smtp-5-7-57-not-authenticated"),
    },
    Case {
        peer: &[(
            "PEER_SMTP_MAIL_REPLY",
            "432|4.3.2 Concurrent connections limit exceeded. Visit https://aka.ms/concurrent_sending for more information. [test-peer]",
        )],
        step: Step::Envelope,
        code: Some("432 4.3.2"),
        field: None,
        says: "three SMTP connections",
        entry: Some("smtp-432-4-3-2-concurrent-connections"),
    },
    Case {
        peer: &[(
            "PEER_SMTP_RCPT_REPLY",
            "550|5.7.64 TenantAttribution; Relay Access Denied [test-peer]",
        )],
        step: Step::Envelope,
        code: Some("550 5.7.64"),
        field: None,
        says: "inbound connector",
        entry: Some("smtp-5-7-64-tenant-attribution"),
    },
    Case {
        peer: &[(
            "PEER_SMTP_DATA_REPLY",
            "554|5.2.2 mailbox full; STOREDRV.Submission.Exception:QuotaExceededException.MapiExceptionQuotaExceeded; Failed to process message due to a permanent exception with message Cannot save changes made to an item to store.",
        )],
        step: Step::Data,
        code: Some("554 5.2.2"),
        field: Some(Field::EmailAddress),
        says: "Sent Items",
        entry: Some("smtp-5-2-2-mailbox-full"),
    },
    Case {
        peer: &[(
            "PEER_SMTP_DATA_REPLY",
            "554|5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process message due to a permanent exception with message Cannot submit message.",
        )],
        step: Step::Data,
        code: Some("554 5.2.0"),
        field: None,
        says: "10,000 recipients",
        entry: Some("smtp-5-2-0-recipient-limit"),
    },
    Case {
        peer: &[(
            "PEER_SMTP_DATA_REPLY",
            "554|5.2.270 STOREDRV.Submission.Exception:MessageTooBigException [test-peer]",
        )],
        step: Step::Data,
        code: Some("554 5.2.270"),
        field: None,
        says: "MaxSendSize",
        entry: Some("smtp-5-2-270-message-too-large"),
    },
];

#[tokio::test]
async fn each_known_failure_names_its_step_code_field_and_fix() {
    for case in CASES {
        let peers = spawn_peers_with(case.peer).await;
        let report = peers
            .checks()
            .send_test(&peers.form(), &NOTHING_STORED)
            .await;
        let TestOutcome::Failed(failure) = report.outcome else {
            panic!("{:?}: expected a failure, got {report:?}", case.peer);
        };
        let context = format!("{:?}: {failure:?}", case.peer);
        assert_eq!(failure.step, case.step, "{context}");
        assert_eq!(failure.code.as_deref(), case.code, "{context}");
        assert_eq!(failure.field, case.field, "{context}");
        let words = format!("{} {}", failure.summary, failure.fix);
        assert!(words.contains(case.says), "{context}");
        assert_eq!(failure.entry.as_deref(), case.entry, "{context}");
        // Every entry a failure links to is one the catalogue shows.
        if let Some(entry) = &failure.entry {
            assert!(
                catalogue::entries().iter().any(|e| &e.id == entry),
                "{context}"
            );
        }
        // A failure before DATA completes never delivers.
        assert!(peers.messages().await.is_empty(), "{context}");
    }
}
