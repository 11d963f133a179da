//! Each well-known failure, produced by a peer scripted to answer as Microsoft does, ends
//! at the right step with the code, the field at fault and the fix the catalogue gives.

use smtp_setup::api::report::{Step, TestOutcome};
use smtp_setup::domain::Field;

use crate::helpers::{spawn_peers_with, NOTHING_STORED};

struct Case {
    peer: &'static [(&'static str, &'static str)],
    step: Step,
    code: Option<&'static str>,
    field: Option<Field>,
    /// A phrase the summary or the fix must contain.
    says: &'static str,
}

const CASES: &[Case] = &[
    Case {
        peer: &[("PEER_TOKEN_AUDIENCE", "https://graph.microsoft.com")],
        step: Step::TokenInspection,
        code: None,
        field: None,
        says: "Microsoft Graph",
    },
    Case {
        peer: &[("PEER_TOKEN_EXPIRED", "1")],
        step: Step::TokenInspection,
        code: None,
        field: None,
        says: "expired",
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
        // A failure before DATA completes never delivers.
        assert!(peers.messages().await.is_empty(), "{context}");
    }
}
