//! The token's claims, read before any mail server sees it: the commonest setup
//! mistakes, named precisely instead of surfacing as Exchange's generic 535 5.7.3.

use crate::api::report::{Failure, Step};
use crate::domain::Field;
use crate::server::token_inspection::InspectionProblem;

pub fn failure(problem: &InspectionProblem) -> Failure {
    let at =
        |summary: &str| Failure::at(Step::TokenInspection, summary).detail(problem.to_string());
    match problem {
        InspectionProblem::MissingRole { role, .. } => at(&format!(
            "{role} not granted, or no admin consent: the token lacks the {role} permission \
             (or it was added under the wrong API)."
        ))
        .fix(format!(
            "App registrations → your app → API permissions → Add a permission → APIs my \
             organization uses → Office 365 Exchange Online → Application permissions → \
             {role}; then Grant admin consent. (Not under Microsoft Graph, and not as a \
             delegated permission.)"
        )),
        InspectionProblem::WrongAudience { found, expected } => {
            at("The token is not for Exchange Online.").fix(if found.contains("graph.microsoft") {
                format!(
                    "The token is for Microsoft Graph. SMTP needs a token for {expected}: the \
                     SMTP.SendAsApp permission belongs under Office 365 Exchange Online \
                     (APIs my organization uses), not under Microsoft Graph."
                )
            } else {
                format!(
                    "SMTP needs a token for {expected} (scope {expected}/.default). If the \
                     tenant is in another Microsoft cloud, choose it under Cloud."
                )
            })
        }
        InspectionProblem::WrongTenant { .. } => {
            at("The token comes from another tenant than the TenantId entered.")
                .field(Field::TenantId)
                .fix("Check TenantId: it must be the tenant that holds the mailbox and the app.")
        }
        InspectionProblem::WrongApp { .. } => {
            at("The token was issued to another application than the SMTP User entered.")
                .field(Field::ClientId)
                .fix("Check SMTP User: the Application (client) ID of the app registration.")
        }
        InspectionProblem::Expired => at("The token has already expired.").fix(
            "Check this server's clock (it must be correct to within minutes), then try again.",
        ),
        InspectionProblem::NotAJwt(_) => {
            at("The token server returned a token Exchange Online would not accept.")
                .fix("Check SMTP_SETUP_AUTHORITY_URL: it must be the Entra ID sign-in endpoint.")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_role_is_named_as_consent() {
        let failure = failure(&InspectionProblem::MissingRole {
            role: "SMTP.SendAsApp",
            roles: vec![],
        });
        assert_eq!(failure.step, Step::TokenInspection);
        assert!(failure.summary.contains("admin consent"));
        assert!(failure.fix.contains("Office 365 Exchange Online"));
        assert_eq!(
            failure.detail,
            "the token has no SMTP.SendAsApp role (roles: none)"
        );
        let imap = super::failure(&InspectionProblem::MissingRole {
            role: "IMAP.AccessAsApp",
            roles: vec!["SMTP.SendAsApp".into()],
        });
        assert!(
            imap.summary
                .starts_with("IMAP.AccessAsApp not granted, or no admin consent"),
            "{}",
            imap.summary
        );
        assert!(imap
            .fix
            .contains("Application permissions → IMAP.AccessAsApp"));
    }

    #[test]
    fn a_graph_token_is_told_from_another_cloud() {
        let graph = failure(&InspectionProblem::WrongAudience {
            found: "https://graph.microsoft.com".into(),
            expected: "https://outlook.office365.com".into(),
        });
        assert!(graph.fix.contains("Microsoft Graph"));
        let other = failure(&InspectionProblem::WrongAudience {
            found: "https://outlook.office365.us".into(),
            expected: "https://outlook.office365.com".into(),
        });
        assert!(other.fix.contains("choose it under Cloud"));
        let tenant = failure(&InspectionProblem::WrongTenant { found: "x".into() });
        assert_eq!(tenant.field, Some(Field::TenantId));
        let app = failure(&InspectionProblem::WrongApp { found: "x".into() });
        assert_eq!(app.field, Some(Field::ClientId));
    }
}
