//! The token's claims, read before any mail server sees it: the commonest setup
//! mistakes, named precisely instead of surfacing as Exchange's generic 535 5.7.3.

use crate::api::report::{Failure, Step, Words};
use crate::domain::Field;
use crate::server::diagnosis::words;
use crate::server::microsoft::token_inspection::InspectionProblem;

pub fn failure(problem: &InspectionProblem) -> Failure {
    let at =
        |summary: Words| Failure::at(Step::TokenInspection, summary).detail(problem.to_string());
    match problem {
        InspectionProblem::MissingRole { role, .. } => at(words(
            format!(
                "{role} not granted, or no admin consent: the token lacks the {role} permission \
                 (or it was added under the wrong API)."
            ),
            format!(
                "{role} não concedida, ou sem consentimento do administrador: o token não tem a \
                 permissão {role} (ou ela foi adicionada na API errada)."
            ),
        ))
        .fix(words(
            format!(
                "App registrations → your app → API permissions → Add a permission → APIs my \
                 organization uses → Office 365 Exchange Online → Application permissions → \
                 {role}; then Grant admin consent. (Not under Microsoft Graph, and not as a \
                 delegated permission.)"
            ),
            format!(
                "Registros de aplicativo → seu aplicativo → Permissões de API → Adicionar uma \
                 permissão → APIs que minha organização usa → Office 365 Exchange Online → \
                 Permissões de aplicativo → {role}; depois, Conceder consentimento do \
                 administrador. (Não em Microsoft Graph, e não como permissão delegada.)"
            ),
        )),
        InspectionProblem::WrongAudience { found, expected } => at(words(
            "The token is not for Exchange Online.",
            "O token não é para o Exchange Online.",
        ))
        .fix(if found.contains("graph.microsoft") {
            words(
                format!(
                    "The token is for Microsoft Graph. SMTP needs a token for {expected}: the \
                     SMTP.SendAsApp permission belongs under Office 365 Exchange Online (APIs \
                     my organization uses), not under Microsoft Graph."
                ),
                format!(
                    "O token é para o Microsoft Graph. O SMTP precisa de um token para \
                     {expected}: a permissão SMTP.SendAsApp fica em Office 365 Exchange Online \
                     (APIs que minha organização usa), não em Microsoft Graph."
                ),
            )
        } else {
            words(
                format!(
                    "SMTP needs a token for {expected} (scope {expected}/.default). If the \
                     tenant is in another Microsoft cloud, choose it under Cloud."
                ),
                format!(
                    "O SMTP precisa de um token para {expected} (escopo {expected}/.default). Se \
                     o locatário está em outra nuvem da Microsoft, escolha-a em Nuvem."
                ),
            )
        }),
        InspectionProblem::WrongTenant { .. } => at(words(
            "The token comes from another tenant than the TenantId entered.",
            "O token vem de um locatário diferente do TenantId informado.",
        ))
        .field(Field::TenantId)
        .fix(words(
            "Check TenantId: it must be the tenant that holds the mailbox and the app.",
            "Confira o TenantId: ele precisa ser o locatário que tem a caixa de correio e o \
             aplicativo.",
        )),
        InspectionProblem::WrongApp { .. } => at(words(
            "The token was issued to another application than the SMTP User entered.",
            "O token foi emitido para um aplicativo diferente do Usuário SMTP informado.",
        ))
        .field(Field::ClientId)
        .fix(words(
            "Check SMTP User: the Application (client) ID of the app registration.",
            "Confira o Usuário SMTP: o ID do aplicativo (cliente) do registro de aplicativo.",
        )),
        InspectionProblem::Expired => at(words(
            "The token has already expired.",
            "O token já expirou.",
        ))
        .fix(words(
            "Check this server's clock (it must be correct to within minutes), then try again.",
            "Verifique o relógio deste servidor (ele precisa estar certo com margem de minutos) e \
             tente de novo.",
        )),
        InspectionProblem::NotAJwt(_) => at(words(
            "The token server returned a token Exchange Online would not accept.",
            "O servidor de tokens devolveu um token que o Exchange Online não aceitaria.",
        ))
        .fix(words(
            "Check SMTP_SETUP_AUTHORITY_URL: it must be the Entra ID sign-in endpoint.",
            "Verifique SMTP_SETUP_AUTHORITY_URL: ele precisa ser o endpoint de entrada do Entra ID.",
        )),
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
        assert!(failure.summary.en.contains("admin consent"));
        assert!(failure.fix.en.contains("Office 365 Exchange Online"));
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
                .en
                .starts_with("IMAP.AccessAsApp not granted, or no admin consent"),
            "{}",
            imap.summary.en
        );
        assert!(imap
            .fix
            .en
            .contains("Application permissions → IMAP.AccessAsApp"));
    }

    #[test]
    fn a_graph_token_is_told_from_another_cloud() {
        let graph = failure(&InspectionProblem::WrongAudience {
            found: "https://graph.microsoft.com".into(),
            expected: "https://outlook.office365.com".into(),
        });
        assert!(graph.fix.en.contains("Microsoft Graph"));
        let other = failure(&InspectionProblem::WrongAudience {
            found: "https://outlook.office365.us".into(),
            expected: "https://outlook.office365.com".into(),
        });
        assert!(other.fix.en.contains("choose it under Cloud"));
        let tenant = failure(&InspectionProblem::WrongTenant { found: "x".into() });
        assert_eq!(tenant.field, Some(Field::TenantId));
        let app = failure(&InspectionProblem::WrongApp { found: "x".into() });
        assert_eq!(app.field, Some(Field::ClientId));
    }
}
