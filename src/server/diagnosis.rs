//! Known failures → the step, the field (or admin task) at fault, and the fix. Each rule
//! is matched against the real text Entra ID or Exchange Online sends; anything unknown
//! still shows that text unchanged.

use super::entra::{EntraError, TokenError};
use super::smtp::tls::CertificateProblem;
use super::smtp::{SmtpFailure, SmtpFailureKind};
use super::token_inspection::InspectionProblem;
use crate::domain::{AuthType, Field};
use crate::report::{Failure, Step};

struct Advice {
    field: Option<Field>,
    summary: &'static str,
    fix: String,
}

fn advice(field: Option<Field>, summary: &'static str, fix: impl Into<String>) -> Advice {
    Advice {
        field,
        summary,
        fix: fix.into(),
    }
}

pub fn token_failure(error: &TokenError, authority: &str) -> Failure {
    match error {
        TokenError::Rejected(entra) => entra_failure(entra),
        TokenError::Timeout(limit) => Failure {
            step: Step::TokenRequest,
            field: None,
            summary: format!("{authority} did not answer within {} s.", limit.as_secs()),
            detail: error.to_string(),
            code: None,
            fix: "Check that this server can reach the Entra ID sign-in endpoint over HTTPS \
                  (proxy, firewall, DNS), then try again."
                .to_owned(),
            references: Vec::new(),
        },
        TokenError::Unreachable(detail) => Failure {
            step: Step::TokenRequest,
            field: None,
            summary: format!("Could not reach {authority}."),
            detail: detail.clone(),
            code: None,
            fix: "Check this server's outbound HTTPS access, DNS and proxy settings.".to_owned(),
            references: Vec::new(),
        },
        TokenError::UnexpectedResponse { status, detail } => Failure {
            step: Step::TokenRequest,
            field: None,
            summary: format!("The token endpoint gave an unexpected answer (HTTP {status})."),
            detail: detail.clone(),
            code: Some(format!("HTTP {status}")),
            fix: "This is usually a temporary problem at Microsoft or a proxy in between: try \
                  again in a few minutes."
                .to_owned(),
            references: Vec::new(),
        },
    }
}

fn entra_failure(entra: &EntraError) -> Failure {
    let code = entra.aadsts();
    let advice = match code {
        Some(7000215) => advice(
            Some(Field::SmtpPassword),
            "Entra ID refused the client secret.",
            "Paste the secret's Value, not its Secret ID (App registrations → your app → \
             Certificates & secrets). The Value is shown only right after the secret is \
             created: if you no longer have it, create a new client secret and paste its Value.",
        ),
        Some(7000222) => advice(
            Some(Field::SmtpPassword),
            "The client secret has expired.",
            "Create a new client secret (Certificates & secrets → New client secret) and paste \
             its Value into SMTP Password.",
        ),
        Some(700016) => advice(
            Some(Field::SmtpUser),
            "No application with this Application (client) ID exists in this tenant.",
            "Check SMTP User against the app registration's Overview page (Application (client) \
             ID), and that TenantId is the tenant where the app is registered.",
        ),
        Some(90002) | Some(900023) => advice(
            Some(Field::TenantId),
            "Entra ID does not know this tenant.",
            "Copy the Tenant ID from the Entra admin center (Overview → Tenant ID), or use the \
             tenant's onmicrosoft.com domain. A tenant in a national cloud needs that cloud's \
             sign-in endpoint.",
        ),
        Some(900382) => advice(
            Some(Field::TenantId),
            "The app is registered in a different Microsoft cloud than the one asked.",
            "Pick the cloud where the tenant lives (Global, US Government, China), or register \
             the app in this cloud.",
        ),
        Some(53003) | Some(53000) | Some(53001) => advice(
            None,
            "A Conditional Access policy blocked the token request.",
            "Ask the Entra administrator to exclude this app (service principal) from the \
             policy, or to allow sign-ins from this server's network location; the sign-in logs \
             show which policy applied.",
        ),
        Some(1002012) | Some(70011) => advice(
            None,
            "Entra ID refused the requested scope.",
            "The scope is the Exchange Online resource of the chosen cloud followed by \
             /.default (https://outlook.office365.com/.default in the global cloud). Check that \
             Cloud is the one the tenant lives in.",
        ),
        Some(7000218) | Some(700027) => advice(
            Some(Field::SmtpPassword),
            "Entra ID wants a client credential that was not accepted.",
            "Create a client secret for the app registration and paste its Value into SMTP Password.",
        ),
        _ => advice(
            None,
            "Entra ID refused the token request.",
            "Read Entra's message below; searching its AADSTS code in Microsoft's documentation \
             explains it.",
        ),
    };
    let references = [
        ("Trace ID", &entra.trace_id),
        ("Correlation ID", &entra.correlation_id),
    ]
    .into_iter()
    .filter_map(|(name, value)| value.clone().map(|v| (name.to_owned(), v)))
    .collect();
    let detail = if entra.error_description.is_empty() {
        entra.error.clone()
    } else {
        entra.error_description.clone()
    };
    Failure {
        step: Step::TokenRequest,
        field: advice.field,
        summary: advice.summary.to_owned(),
        detail,
        code: code
            .map(|c| format!("AADSTS{c}"))
            .or_else(|| (!entra.error.is_empty()).then(|| entra.error.clone())),
        fix: advice.fix,
        references,
    }
}

pub fn inspection_failure(problem: &InspectionProblem) -> Failure {
    let (field, summary, fix) = match problem {
        InspectionProblem::MissingRole { .. } => (
            None,
            "The token lacks the SMTP.SendAsApp permission: admin consent not granted, or the \
             permission was added under the wrong API.",
            "App registrations → your app → API permissions → Add a permission → APIs my \
             organization uses → Office 365 Exchange Online → Application permissions → \
             SMTP.SendAsApp; then Grant admin consent. (Not under Microsoft Graph, and not as a \
             delegated permission.)"
                .to_owned(),
        ),
        InspectionProblem::WrongAudience { found, expected } => (
            None,
            "The token is not for Exchange Online.",
            if found.contains("graph.microsoft") {
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
            },
        ),
        InspectionProblem::WrongTenant { .. } => (
            Some(Field::TenantId),
            "The token comes from another tenant than the TenantId entered.",
            "Check TenantId: it must be the tenant that holds the mailbox and the app.".to_owned(),
        ),
        InspectionProblem::WrongApp { .. } => (
            Some(Field::SmtpUser),
            "The token was issued to another application than the SMTP User entered.",
            "Check SMTP User: the Application (client) ID of the app registration.".to_owned(),
        ),
        InspectionProblem::Expired => (
            None,
            "The token has already expired.",
            "Check this server's clock (it must be correct to within minutes), then try again."
                .to_owned(),
        ),
        InspectionProblem::NotAJwt(_) => (
            None,
            "The token server returned a token Exchange Online would not accept.",
            "Check SMTP_SETUP_AUTHORITY_URL: it must be the Entra ID sign-in endpoint.".to_owned(),
        ),
    };
    Failure {
        step: Step::TokenInspection,
        field,
        summary: summary.to_owned(),
        detail: problem.to_string(),
        code: None,
        fix,
        references: Vec::new(),
    }
}

pub fn smtp_failure(failure: &SmtpFailure, server: &str, mailbox: &str, auth: AuthType) -> Failure {
    let step = failure.step;
    let (advice, detail, code) = match &failure.kind {
        SmtpFailureKind::Timeout(limit) => (
            match step {
                Step::Connect => advice(
                    None,
                    "The SMTP server did not answer in time.",
                    format!(
                        "Check that this server may open outbound TCP connections to {server} \
                             (port 587 is often blocked by firewalls and hosting providers)."
                    ),
                ),
                _ => advice(
                    None,
                    "The SMTP server stopped answering.",
                    "Try again; if it persists, check the network path to the SMTP server.",
                ),
            },
            format!("No answer within {} s.", limit.as_secs().max(1)),
            None,
        ),
        SmtpFailureKind::Network(text) if step == Step::Data => (
            advice(
                None,
                "The connection failed while the message was being sent.",
                "The message may not have been delivered: check the recipient's mailbox before \
                 sending again.",
            ),
            text.clone(),
            None,
        ),
        SmtpFailureKind::Network(text) if step != Step::Connect => (
            advice(
                None,
                "The connection to the SMTP server failed.",
                "Try again; if it persists, check the network path to the SMTP server.",
            ),
            text.clone(),
            None,
        ),
        SmtpFailureKind::Network(text) => (
            advice(
                None,
                "Could not connect to the SMTP server.",
                format!(
                    "Check the server name and port ({server}) and that outbound connections \
                         to it are allowed."
                ),
            ),
            text.clone(),
            None,
        ),
        SmtpFailureKind::Closed if step == Step::Data => (
            advice(
                None,
                "The SMTP server closed the connection while the message was being sent.",
                "The message may not have been delivered: check the recipient's mailbox before \
                 sending again. If it keeps happening, check the network path and the server's \
                 message size limit.",
            ),
            "The connection closed before the server accepted the message.".to_owned(),
            None,
        ),
        SmtpFailureKind::Closed => (
            advice(
                None,
                "The SMTP server closed the connection.",
                format!(
                    "Check that {server} is an SMTP submission server and that this host's \
                     address is not blocked by it; the transcript shows the last reply."
                ),
            ),
            "The server closed the connection without a reply.".to_owned(),
            None,
        ),
        SmtpFailureKind::Certificate(problem) => (
            advice(
                None,
                "The SMTP server's certificate was refused, so nothing was sent.",
                certificate_fix(problem),
            ),
            problem.to_string(),
            None,
        ),
        SmtpFailureKind::Tls(text) => (
            advice(
                None,
                "The encrypted connection could not be set up.",
                "Check that the server supports TLS 1.2 or later on this port, and that no \
                 proxy or firewall interferes with TLS.",
            ),
            text.clone(),
            None,
        ),
        SmtpFailureKind::StartTlsNotOffered => (
            advice(
                None,
                "The SMTP server does not offer STARTTLS, so nothing was sent.",
                "smtp-setup never sends credentials over an unencrypted connection. Use a server \
                 that supports STARTTLS on this port (smtp.office365.com:587).",
            ),
            "STARTTLS is not in the server's EHLO reply.".to_owned(),
            None,
        ),
        SmtpFailureKind::AuthNotOffered { wanted, .. } => (
            advice(
                None,
                if *wanted == "XOAUTH2" {
                    "The SMTP server does not offer AUTH XOAUTH2."
                } else {
                    "The SMTP server offers no password authentication (AUTH PLAIN or LOGIN)."
                },
                if *wanted == "XOAUTH2" {
                    "OAuth2 sending needs Exchange Online's SMTP endpoint (smtp.office365.com:587, \
                     or your cloud's equivalent)."
                } else {
                    "Check the host and port: password authentication is usually offered only on \
                     the submission port (587 with STARTTLS, or 465 with TLS)."
                },
            ),
            failure.kind.to_string(),
            None,
        ),
        SmtpFailureKind::Protocol(text) => (
            advice(
                None,
                "The SMTP server answered something unexpected.",
                "Try again; if it persists, the server is not a standard SMTP server.",
            ),
            text.clone(),
            None,
        ),
        SmtpFailureKind::Reply { code, text } => {
            let enhanced = enhanced_status(text);
            let shown = match enhanced {
                Some(e) => format!("{code} {e}"),
                None => code.to_string(),
            };
            (
                reply_advice(step, *code, enhanced, text, mailbox, auth),
                format!("{code} {text}"),
                Some(shown),
            )
        }
    };
    Failure {
        step,
        field: advice.field,
        summary: advice.summary.to_owned(),
        detail,
        code,
        fix: advice.fix,
        references: Vec::new(),
    }
}

fn certificate_fix(problem: &CertificateProblem) -> String {
    match problem {
        CertificateProblem::NameMismatch { .. } => {
            "The certificate is for a different host name: check the SMTP server name (for \
             Microsoft 365, smtp.office365.com or your cloud's host), not an IP address or alias."
                .to_owned()
        }
        CertificateProblem::Expired | CertificateProblem::NotYetValid => {
            "The server's certificate is outside its validity dates: the server's operator must \
             renew it (or this machine's clock is wrong)."
                .to_owned()
        }
        CertificateProblem::Untrusted => {
            "The certificate is not signed by a trusted authority. A firewall that inspects TLS \
             presents its own certificate: exempt the SMTP host from inspection. For a private \
             CA, give its certificate to smtp-setup with SMTP_SETUP_CA_FILE."
                .to_owned()
        }
        CertificateProblem::Revoked => {
            "The certificate has been revoked: the server's operator must replace it.".to_owned()
        }
        CertificateProblem::Other(_) => {
            "The server's certificate is not acceptable; the detail says why.".to_owned()
        }
    }
}

fn reply_advice(
    step: Step,
    code: u16,
    enhanced: Option<&str>,
    text: &str,
    mailbox: &str,
    auth: AuthType,
) -> Advice {
    let lower = text.to_ascii_lowercase();
    match (step, code, enhanced) {
        (_, _, Some("5.7.139")) if lower.contains("security defaults") => advice(
            None,
            "Security defaults block SMTP AUTH for this tenant.",
            "Security defaults block legacy SMTP AUTH sign-ins: turn them off in the Entra admin \
             center (Overview → Properties → Manage security defaults) and protect sign-ins with \
             Conditional Access instead.",
        ),
        (_, _, Some("5.7.139")) if lower.contains("did not meet the criteria") => advice(
            None,
            "A Conditional Access policy blocked the SMTP sign-in.",
            "Exclude this app (service principal) from the Conditional Access policy that \
             applied; the Entra sign-in logs name it.",
        ),
        (_, _, Some("5.7.139")) if lower.contains("basic authentication is disabled") => advice(
            None,
            "Basic authentication (username and password) is disabled for SMTP.",
            "Use the Microsoft (OAuth2) authentication type: Exchange Online no longer accepts \
             passwords for SMTP AUTH.",
        ),
        (_, _, Some("5.7.139")) => advice(
            None,
            "SMTP AUTH is disabled for the tenant or the mailbox.",
            format!(
                "In Exchange Online PowerShell: Set-CASMailbox -Identity \"{mailbox}\" \
                     -SmtpClientAuthenticationDisabled $false (or, tenant-wide, \
                     Set-TransportConfig -SmtpClientAuthenticationDisabled $false)."
            ),
        ),
        (Step::Authenticate, 535, _) if auth == AuthType::Password => advice(
            Some(Field::Password),
            "The server refused the username or password.",
            "Check Username and Password (copy them again: passwords are case-sensitive). For \
             Microsoft 365, passwords for SMTP AUTH are being retired: use the Microsoft \
             (OAuth2) authentication type.",
        ),
        (Step::Authenticate, 535, _) => advice(
            None,
            "Exchange Online refused the token for this mailbox.",
            format!(
                "Check, in Exchange Online PowerShell: the app's service principal exists \
                     (New-ServicePrincipal -AppId <SMTP User> -ObjectId <the Enterprise \
                     application's Object ID>); it has FullAccess to the mailbox \
                     (Add-MailboxPermission -Identity \"{mailbox}\" -User <service principal ID> \
                     -AccessRights FullAccess); the app has the SMTP.SendAsApp permission with \
                     admin consent. New permissions can take up to 30 minutes to apply."
            ),
        ),
        (_, _, Some("5.2.252")) => advice(
            Some(Field::EmailAddress),
            "The mailbox may not send as this From address (SendAsDenied).",
            "The From address must be the authenticated mailbox (Email address), or grant it \
             Send As permission on the address.",
        ),
        (Step::Envelope, _, Some(e)) if e.starts_with("5.1.") && lower.contains("recipient") => {
            advice(
                Some(Field::SendTestTo),
                "The server refused the recipient.",
                "Check the Send test to address.",
            )
        }
        (_, 430, _) | (_, _, Some("4.2.0")) if lower.contains("logon failure") || code == 430 => {
            advice(
                Some(Field::EmailAddress),
                "Exchange could not open the mailbox for this app (mailbox logon failure).",
                format!(
                    "Grant the app's service principal access to the mailbox: \
                     Add-MailboxPermission -Identity \"{mailbox}\" -User <service principal ID> \
                     -AccessRights FullAccess. New permissions can take up to 30 minutes to apply."
                ),
            )
        }
        (_, _, Some("5.7.60")) => advice(
            Some(Field::EmailAddress),
            "The mailbox may not send as this address (5.7.60).",
            "Send from the authenticated mailbox itself (Email address), or grant it Send As \
             permission on the From address.",
        ),
        (_, 530, _) | (_, _, Some("5.7.57")) => advice(
            None,
            "The server wants authentication before sending (5.7.57).",
            "The message was sent before authentication completed: check that the SMTP server \
             is smtp.office365.com:587 and that the mailbox has SMTP AUTH enabled.",
        ),
        (_, 421, _) | (_, 450..=499, _) => advice(
            None,
            "The SMTP server is temporarily unavailable or throttling.",
            "Try again in a few minutes.",
        ),
        _ => advice(
            None,
            "The SMTP server refused the request.",
            "Read the server's reply below; its code says what was refused.",
        ),
    }
}

/// The enhanced status code (RFC 3463, `x.y.z`) at the start of a reply text.
pub fn enhanced_status(text: &str) -> Option<&str> {
    let first = text.split_whitespace().next()?;
    let mut parts = first.split('.');
    let class = parts.next()?;
    let ok = matches!(class, "2" | "4" | "5")
        && parts.clone().count() == 2
        && parts.all(|p| (1..=3).contains(&p.len()) && p.chars().all(|c| c.is_ascii_digit()));
    ok.then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::entra::parse_token_response;

    fn entra(body: &str) -> Failure {
        match parse_token_response(400, body.as_bytes()) {
            Err(error) => token_failure(&error, "https://login.microsoftonline.com"),
            Ok(_) => panic!("expected an error"),
        }
    }

    #[test]
    fn wrong_secret_points_at_smtp_password() {
        let failure = entra(
            r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app 'x'.","error_codes":[7000215],"trace_id":"t-1","correlation_id":"c-1"}"#,
        );
        assert_eq!(failure.step, Step::TokenRequest);
        assert_eq!(failure.field, Some(Field::SmtpPassword));
        assert_eq!(failure.code.as_deref(), Some("AADSTS7000215"));
        assert!(failure
            .detail
            .starts_with("AADSTS7000215: Invalid client secret provided."));
        assert!(failure.fix.contains("Value"));
        assert_eq!(
            failure.references,
            vec![
                ("Trace ID".into(), "t-1".into()),
                ("Correlation ID".into(), "c-1".into())
            ]
        );
    }

    #[test]
    fn unknown_app_and_tenant() {
        let app = entra(
            r#"{"error":"unauthorized_client","error_description":"AADSTS700016: Application with identifier 'x' was not found in the directory 'Contoso'.","error_codes":[700016]}"#,
        );
        assert_eq!(app.field, Some(Field::SmtpUser));
        let tenant = entra(
            r#"{"error":"invalid_request","error_description":"AADSTS90002: Tenant 'nope.onmicrosoft.com' not found.","error_codes":[90002]}"#,
        );
        assert_eq!(tenant.field, Some(Field::TenantId));
        let expired = entra(
            r#"{"error":"invalid_client","error_description":"AADSTS7000222: The provided client secret keys for app 'x' are expired.","error_codes":[7000222]}"#,
        );
        assert_eq!(expired.field, Some(Field::SmtpPassword));
        assert!(expired.fix.contains("new client secret"));
    }

    #[test]
    fn unknown_entra_errors_keep_the_raw_text() {
        let failure = entra(
            r#"{"error":"temporarily_unavailable","error_description":"AADSTS50196: The server terminated an operation because it encountered a client request loop."}"#,
        );
        assert_eq!(failure.field, None);
        assert_eq!(failure.code.as_deref(), Some("AADSTS50196"));
        assert!(failure.detail.contains("client request loop"));
    }

    pub(super) fn reply(step: Step, code: u16, text: &str) -> Failure {
        smtp_failure(
            &SmtpFailure {
                step,
                kind: SmtpFailureKind::Reply {
                    code,
                    text: text.into(),
                },
            },
            "smtp.office365.com:587",
            "sender@contoso.com",
            AuthType::MicrosoftOAuth2,
        )
    }

    #[test]
    fn authentication_unsuccessful_explains_the_exchange_side() {
        let failure = reply(
            Step::Authenticate,
            535,
            "5.7.3 Authentication unsuccessful [SN4PR0601CA0004.namprd06.prod.outlook.com]",
        );
        assert_eq!(failure.code.as_deref(), Some("535 5.7.3"));
        assert!(failure
            .detail
            .starts_with("535 5.7.3 Authentication unsuccessful"));
        assert!(failure.fix.contains("New-ServicePrincipal"));
        assert!(failure
            .fix
            .contains("Add-MailboxPermission -Identity \"sender@contoso.com\""));
    }

    #[test]
    fn smtp_auth_disabled_gives_the_command() {
        let failure = reply(Step::Authenticate, 535, "5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.");
        assert!(failure.fix.contains("Set-CASMailbox -Identity \"sender@contoso.com\" -SmtpClientAuthenticationDisabled $false"));
    }

    #[test]
    fn send_as_denied_points_at_the_email_address() {
        let failure = reply(
            Step::Data,
            554,
            "5.2.252 SendAsDenied; sender@contoso.com not allowed to send as other@contoso.com",
        );
        assert_eq!(failure.field, Some(Field::EmailAddress));
    }

    #[test]
    fn enhanced_status_parsing() {
        assert_eq!(
            enhanced_status("5.7.3 Authentication unsuccessful"),
            Some("5.7.3")
        );
        assert_eq!(enhanced_status("4.2.0 busy"), Some("4.2.0"));
        assert_eq!(enhanced_status("Authentication unsuccessful"), None);
        assert_eq!(enhanced_status("5.7 x"), None);
        assert_eq!(enhanced_status(""), None);
    }

    #[test]
    fn certificate_problems_are_told_apart() {
        assert!(certificate_fix(&CertificateProblem::Untrusted).contains("SMTP_SETUP_CA_FILE"));
        let name = CertificateProblem::NameMismatch {
            presented: vec!["other.example".into()],
        };
        assert!(certificate_fix(&name).contains("host name"));
        assert!(certificate_fix(&CertificateProblem::Expired).contains("renew"));
    }

    #[test]
    fn a_connection_lost_during_data_may_not_have_delivered() {
        let lost = smtp_failure(
            &SmtpFailure {
                step: Step::Data,
                kind: SmtpFailureKind::Closed,
            },
            "smtp.example:587",
            "a@contoso.com",
            AuthType::MicrosoftOAuth2,
        );
        assert!(lost.fix.contains("may not have been delivered"));
    }
}

#[cfg(test)]
mod catalogue_tests {
    use super::tests::reply;
    use super::*;

    #[test]
    fn variants_of_5_7_139_are_told_apart() {
        let defaults = reply(Step::Authenticate, 535, "5.7.139 Authentication unsuccessful, user is locked by your organization's security defaults policy. Contact your administrator.");
        assert!(defaults.summary.contains("Security defaults"));
        let conditional = reply(Step::Authenticate, 535, "5.7.139 Authentication unsuccessful, the request did not meet the criteria to be authenticated successfully. Contact your administrator.");
        assert!(conditional.summary.contains("Conditional Access"));
        let basic = reply(
            Step::Authenticate,
            535,
            "5.7.139 Authentication unsuccessful, basic authentication is disabled.",
        );
        assert!(basic.fix.contains("Microsoft (OAuth2)"));
    }

    #[test]
    fn mailbox_logon_failure_asks_for_the_mailbox_permission() {
        let failure = reply(
            Step::Data,
            430,
            "4.2.0 STOREDRV; mailbox logon failure; Cannot open mailbox.",
        );
        assert_eq!(failure.field, Some(Field::EmailAddress));
        assert!(failure
            .fix
            .contains("Add-MailboxPermission -Identity \"sender@contoso.com\""));
    }

    #[test]
    fn send_as_and_authentication_required() {
        let send_as = reply(
            Step::Data,
            550,
            "5.7.60 SMTP; Client does not have permissions to send as this sender",
        );
        assert_eq!(send_as.field, Some(Field::EmailAddress));
        let required = reply(
            Step::Envelope,
            530,
            "5.7.57 Client not authenticated to send mail.",
        );
        assert!(required.summary.contains("5.7.57"));
    }

    #[test]
    fn cross_cloud_and_conditional_access_at_the_token_step() {
        let body = r#"{"error":"invalid_request","error_description":"AADSTS900382: Confidential Client is not supported in Cross Cloud request.","error_codes":[900382]}"#;
        let Err(error) = crate::server::entra::parse_token_response(400, body.as_bytes()) else {
            panic!("an error body");
        };
        let failure = token_failure(&error, "https://login.microsoftonline.com");
        assert_eq!(failure.field, Some(Field::TenantId));
        assert!(failure.fix.contains("cloud"));
    }

    #[test]
    fn missing_role_is_named_as_consent() {
        let failure = inspection_failure(&InspectionProblem::MissingRole { roles: vec![] });
        assert_eq!(failure.step, Step::TokenInspection);
        assert!(failure.summary.contains("admin consent"));
        assert!(failure.fix.contains("Office 365 Exchange Online"));
    }
}

#[cfg(test)]
mod password_tests {
    use super::*;

    #[test]
    fn a_refused_password_points_at_the_password_field() {
        let failure = smtp_failure(
            &SmtpFailure {
                step: Step::Authenticate,
                kind: SmtpFailureKind::Reply {
                    code: 535,
                    text: "5.7.8 Authentication credentials invalid".into(),
                },
            },
            "smtp.example:587",
            "a@contoso.com",
            AuthType::Password,
        );
        assert_eq!(failure.field, Some(Field::Password));
        assert_eq!(failure.code.as_deref(), Some("535 5.7.8"));
    }
}
