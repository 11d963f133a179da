//! The SMTP dialogue: the connection and TLS, what the server offers, and its replies,
//! read by their enhanced status code (RFC 3463) and the words Exchange Online uses.

use crate::api::report::{Failure, Step, Words};
use crate::domain::{AuthType, Field};
use crate::server::diagnosis::connection;
use crate::server::diagnosis::peer::{Peer, ServerKind};
use crate::server::diagnosis::words;
use crate::server::diagnosis::StepFailed;
use crate::server::net::sasl::Mechanism;
use crate::server::smtp::reply::Reply;
use crate::server::smtp::SmtpError;

/// What the words of a fix need to know about the test.
pub struct Context<'a> {
    /// `host:port`, as the administrator would check it.
    pub server: &'a str,
    pub mailbox: &'a str,
    pub auth: AuthType,
}

fn unexpected() -> (Words, Words) {
    (
        words(
            "The SMTP server answered something unexpected.",
            "O servidor SMTP respondeu algo inesperado.",
        ),
        words(
            "Try again; if it persists, the server is not a standard SMTP server.",
            "Tente de novo; se persistir, o servidor não é um servidor SMTP padrão.",
        ),
    )
}

pub fn failure(failed: &StepFailed<SmtpError>, context: &Context<'_>) -> Failure {
    let StepFailed { step, error } = failed;
    let step = *step;
    let at = |summary: Words| Failure::at(step, summary).detail(error.to_string());
    let unexpected = || {
        let (summary, fix) = unexpected();
        at(summary).fix(fix)
    };
    let peer = Peer {
        kind: ServerKind::Smtp,
        server: context.server,
        connect_step: Step::Connect,
        in_flight: Some(Step::Data),
    };
    match error {
        SmtpError::Refused(reply) => refused(step, reply, context)
            .detail(reply.to_string())
            .code(match reply.enhanced_status() {
                Some(enhanced) => format!("{} {enhanced}", reply.code),
                None => reply.code.to_string(),
            }),
        SmtpError::Timeout(limit) => connection::timeout(step, *limit, &peer),
        SmtpError::Wire(wire) => connection::wire(step, wire, &peer).unwrap_or_else(unexpected),
        SmtpError::StartTlsNotOffered => Failure::at(
            step,
            words(
                "The SMTP server does not offer STARTTLS, so nothing was sent.",
                "O servidor SMTP não oferece STARTTLS, então nada foi enviado.",
            ),
        )
        .fix(words(
            "smtp-setup never sends credentials over an unencrypted connection. Use a server \
             that supports STARTTLS on this port (smtp.office365.com:587).",
            "O smtp-setup nunca envia credenciais por uma conexão sem criptografia. Use um \
             servidor que aceite STARTTLS nesta porta (smtp.office365.com:587).",
        )),
        SmtpError::AuthNotOffered {
            wanted: Mechanism::XOAuth2,
            ..
        } => at(words(
            "The SMTP server does not offer AUTH XOAUTH2.",
            "O servidor SMTP não oferece AUTH XOAUTH2.",
        ))
        .fix(words(
            "OAuth2 sending needs Exchange Online's SMTP endpoint (smtp.office365.com:587, or \
             your cloud's equivalent).",
            "O envio com OAuth2 precisa do endpoint SMTP do Exchange Online \
             (smtp.office365.com:587, ou o equivalente da sua nuvem).",
        )),
        SmtpError::AuthNotOffered { .. } => at(words(
            "The SMTP server offers no password authentication (AUTH PLAIN or LOGIN).",
            "O servidor SMTP não oferece autenticação por senha (AUTH PLAIN ou LOGIN).",
        ))
        .fix(words(
            "Check the host and port: password authentication is usually offered only on the \
             submission port (587 with STARTTLS, or 465 with TLS).",
            "Verifique o host e a porta: a autenticação por senha normalmente só é oferecida na \
             porta de envio (587 com STARTTLS, ou 465 com TLS).",
        )),
        SmtpError::Unexpected(_) | SmtpError::Malformed(_) => unexpected(),
    }
}

/// A negative reply, by its step, code, enhanced code and words.
fn refused(step: Step, reply: &Reply, context: &Context<'_>) -> Failure {
    let text = reply.text().to_ascii_lowercase();
    let mailbox = context.mailbox;
    let at = |en: &str, pt: &str| Failure::at(step, words(en, pt));
    let grant_mailbox = format!(
        "Add-MailboxPermission -Identity \"{mailbox}\" -User <service principal ID> \
         -AccessRights FullAccess"
    );
    match (step, reply.code, reply.enhanced_status()) {
        (_, _, Some("5.7.139")) if text.contains("security defaults") => at(
            "Security defaults block SMTP AUTH for this tenant.",
            "Os padrões de segurança bloqueiam o SMTP AUTH neste locatário.",
        )
        .fix(words(
            "Security defaults block legacy SMTP AUTH sign-ins: turn them off in the Entra admin \
             center (Overview → Properties → Manage security defaults) and protect sign-ins \
             with Conditional Access instead.",
            "Os padrões de segurança bloqueiam entradas legadas de SMTP AUTH: desative-os no \
             Centro de administração do Microsoft Entra (Visão geral → Propriedades → \
             Gerenciar padrões de segurança) e proteja as entradas com Acesso Condicional.",
        )),
        (_, _, Some("5.7.139")) if text.contains("did not meet the criteria") => at(
            "A Conditional Access policy blocked the SMTP sign-in.",
            "Uma política de Acesso Condicional bloqueou a entrada SMTP.",
        )
        .fix(words(
            "Exclude this app (service principal) from the Conditional Access policy that \
             applied; the Entra sign-in logs name it.",
            "Exclua este aplicativo (entidade de serviço) da política de Acesso Condicional que \
             se aplicou; os logs de entrada do Entra dizem qual foi.",
        )),
        (_, _, Some("5.7.139")) if text.contains("basic authentication is disabled") => at(
            "Basic authentication (username and password) is disabled for SMTP.",
            "A autenticação básica (usuário e senha) está desativada para SMTP.",
        )
        .fix(words(
            "Use the Microsoft (OAuth2) authentication type: Exchange Online no longer accepts \
             passwords for SMTP AUTH.",
            "Use o tipo de autenticação Microsoft (OAuth2): o Exchange Online não aceita mais \
             senhas no SMTP AUTH.",
        )),
        (_, _, Some("5.7.139")) => at(
            "SMTP AUTH is disabled for the tenant or the mailbox.",
            "O SMTP AUTH está desativado no locatário ou na caixa de correio.",
        )
        .fix(words(
            format!(
                "In Exchange Online PowerShell: Set-CASMailbox -Identity \"{mailbox}\" \
                 -SmtpClientAuthenticationDisabled $false (or, tenant-wide, Set-TransportConfig \
                 -SmtpClientAuthenticationDisabled $false)."
            ),
            format!(
                "No PowerShell do Exchange Online: Set-CASMailbox -Identity \"{mailbox}\" \
                 -SmtpClientAuthenticationDisabled $false (ou, para todo o locatário, \
                 Set-TransportConfig -SmtpClientAuthenticationDisabled $false)."
            ),
        )),
        (Step::Authenticate, 535, _) if context.auth == AuthType::Password => at(
            "The server refused the username or password.",
            "O servidor recusou o usuário ou a senha.",
        )
        .field(Field::Password)
        .fix(words(
            "Check Username and Password (copy them again: passwords are case-sensitive). For \
             Microsoft 365, passwords for SMTP AUTH are being retired: use the Microsoft \
             (OAuth2) authentication type.",
            "Confira Usuário e Senha (copie-os de novo: senhas diferenciam maiúsculas de \
             minúsculas). No Microsoft 365, as senhas no SMTP AUTH estão sendo desativadas: use \
             o tipo de autenticação Microsoft (OAuth2).",
        )),
        (Step::Authenticate, 535, _) => at(
            "Exchange Online refused the token for this mailbox.",
            "O Exchange Online recusou o token para esta caixa de correio.",
        )
        .fix(words(
            format!(
                "Check, in Exchange Online PowerShell: the app's service principal exists \
                 (New-ServicePrincipal -AppId <SMTP User> -ObjectId <the Enterprise \
                 application's Object ID>); it has FullAccess to the mailbox ({grant_mailbox}); \
                 the app has the SMTP.SendAsApp permission with admin consent. New permissions \
                 can take up to 30 minutes to apply."
            ),
            format!(
                "Verifique, no PowerShell do Exchange Online: a entidade de serviço do \
                 aplicativo existe (New-ServicePrincipal -AppId <Usuário SMTP> -ObjectId <o ID \
                 do objeto do aplicativo empresarial>); ela tem FullAccess na caixa de correio \
                 ({grant_mailbox}); o aplicativo tem a permissão SMTP.SendAsApp com \
                 consentimento do administrador. Permissões novas podem levar até 30 minutos \
                 para valer."
            ),
        )),
        (_, _, Some("5.2.252")) => at(
            "The mailbox may not send as this From address (SendAsDenied).",
            "A caixa de correio não pode enviar como este endereço From (SendAsDenied).",
        )
        .field(Field::EmailAddress)
        .fix(words(
            "The From address must be the authenticated mailbox (Email address), or grant it \
             Send As permission on the address.",
            "O endereço From precisa ser a caixa de correio autenticada (Endereço de e-mail), ou \
             conceda a ela a permissão Enviar como no endereço.",
        )),
        (Step::Envelope, _, Some(enhanced))
            if enhanced.starts_with("5.1.") && text.contains("recipient") =>
        {
            at(
                "The server refused the recipient.",
                "O servidor recusou o destinatário.",
            )
            .field(Field::SendTestTo)
            .fix(words(
                "Check the Send test to address.",
                "Confira o endereço em Enviar teste para.",
            ))
        }
        // Exchange's "mailbox logon failure": 430 4.2.0 (or 4.2.0 under another code).
        (_, 430, _) => mailbox_logon_failure(step, &grant_mailbox),
        (_, _, Some("4.2.0")) if text.contains("logon failure") => {
            mailbox_logon_failure(step, &grant_mailbox)
        }
        (_, _, Some("5.7.60")) => at(
            "The mailbox may not send as this address (5.7.60).",
            "A caixa de correio não pode enviar como este endereço (5.7.60).",
        )
        .field(Field::EmailAddress)
        .fix(words(
            "Send from the authenticated mailbox itself (Email address), or grant it Send As \
             permission on the From address.",
            "Envie da própria caixa de correio autenticada (Endereço de e-mail), ou conceda a \
             ela a permissão Enviar como no endereço From.",
        )),
        (_, 530, _) | (_, _, Some("5.7.57")) => at(
            "The server wants authentication before sending (5.7.57).",
            "O servidor exige autenticação antes do envio (5.7.57).",
        )
        .fix(words(
            "The message was sent before authentication completed: check that the SMTP server \
             is smtp.office365.com:587 and that the mailbox has SMTP AUTH enabled.",
            "A mensagem foi enviada antes de a autenticação terminar: verifique se o servidor \
             SMTP é smtp.office365.com:587 e se a caixa de correio tem o SMTP AUTH ativado.",
        )),
        (_, 421, _) | (_, 450..=499, _) => at(
            "The SMTP server is temporarily unavailable or throttling.",
            "O servidor SMTP está temporariamente indisponível ou limitando o envio.",
        )
        .fix(words(
            "Try again in a few minutes.",
            "Tente de novo em alguns minutos.",
        )),
        _ => at(
            "The SMTP server refused the request.",
            "O servidor SMTP recusou a solicitação.",
        )
        .fix(words(
            "Read the server's reply below; its code says what was refused.",
            "Leia a resposta do servidor abaixo (em inglês, como ele a enviou); o código diz o \
             que foi recusado.",
        )),
    }
}

fn mailbox_logon_failure(step: Step, grant_mailbox: &str) -> Failure {
    Failure::at(
        step,
        words(
            "Exchange could not open the mailbox for this app (mailbox logon failure).",
            "O Exchange não conseguiu abrir a caixa de correio para este aplicativo (mailbox \
             logon failure).",
        ),
    )
    .field(Field::EmailAddress)
    .fix(words(
        format!(
            "Grant the app's service principal access to the mailbox: {grant_mailbox}. New \
             permissions can take up to 30 minutes to apply."
        ),
        format!(
            "Conceda à entidade de serviço do aplicativo acesso à caixa de correio: \
             {grant_mailbox}. Permissões novas podem levar até 30 minutos para valer."
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::net::wire::WireError;

    const CONTEXT: Context<'static> = Context {
        server: "smtp.office365.com:587",
        mailbox: "sender@contoso.com",
        auth: AuthType::MicrosoftOAuth2,
    };

    fn failed(step: Step, error: SmtpError) -> StepFailed<SmtpError> {
        StepFailed { step, error }
    }

    fn reply(step: Step, code: u16, text: &str) -> Failure {
        reply_as(step, code, text, &CONTEXT)
    }

    fn reply_as(step: Step, code: u16, text: &str, context: &Context<'_>) -> Failure {
        let refused = SmtpError::Refused(Reply {
            code,
            lines: vec![text.to_owned()],
        });
        failure(&failed(step, refused), context)
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
        assert!(failure.fix.en.contains("New-ServicePrincipal"));
        assert!(failure
            .fix
            .en
            .contains("Add-MailboxPermission -Identity \"sender@contoso.com\""));
    }

    #[test]
    fn a_refused_password_points_at_the_password_field() {
        let context = Context {
            auth: AuthType::Password,
            ..CONTEXT
        };
        let failure = reply_as(
            Step::Authenticate,
            535,
            "5.7.8 Authentication credentials invalid",
            &context,
        );
        assert_eq!(failure.field, Some(Field::Password));
        assert_eq!(failure.code.as_deref(), Some("535 5.7.8"));
    }

    #[test]
    fn variants_of_5_7_139_are_told_apart() {
        let disabled = reply(Step::Authenticate, 535, "5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.");
        assert!(disabled.fix.en.contains("Set-CASMailbox -Identity \"sender@contoso.com\" -SmtpClientAuthenticationDisabled $false"));
        let defaults = reply(Step::Authenticate, 535, "5.7.139 Authentication unsuccessful, user is locked by your organization's security defaults policy. Contact your administrator.");
        assert!(defaults.summary.en.contains("Security defaults"));
        let conditional = reply(Step::Authenticate, 535, "5.7.139 Authentication unsuccessful, the request did not meet the criteria to be authenticated successfully. Contact your administrator.");
        assert!(conditional.summary.en.contains("Conditional Access"));
        let basic = reply(
            Step::Authenticate,
            535,
            "5.7.139 Authentication unsuccessful, basic authentication is disabled.",
        );
        assert!(basic.fix.en.contains("Microsoft (OAuth2)"));
    }

    #[test]
    fn sender_recipient_and_mailbox_refusals_point_at_their_fields() {
        let send_as = reply(
            Step::Data,
            554,
            "5.2.252 SendAsDenied; sender@contoso.com not allowed to send as other@contoso.com",
        );
        assert_eq!(send_as.field, Some(Field::EmailAddress));
        let send_as_60 = reply(
            Step::Data,
            550,
            "5.7.60 SMTP; Client does not have permissions to send as this sender",
        );
        assert_eq!(send_as_60.field, Some(Field::EmailAddress));
        let recipient = reply(
            Step::Envelope,
            550,
            "5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
        );
        assert_eq!(recipient.field, Some(Field::SendTestTo));
        let logon = reply(
            Step::Data,
            430,
            "4.2.0 STOREDRV; mailbox logon failure; Cannot open mailbox.",
        );
        assert_eq!(logon.field, Some(Field::EmailAddress));
        assert!(logon
            .fix
            .en
            .contains("Add-MailboxPermission -Identity \"sender@contoso.com\""));
        let logon_451 = reply(Step::Data, 451, "4.2.0 STOREDRV; mailbox logon failure");
        assert_eq!(logon_451.field, Some(Field::EmailAddress));
        let required = reply(
            Step::Envelope,
            530,
            "5.7.57 Client not authenticated to send mail.",
        );
        assert!(required.summary.en.contains("5.7.57"));
    }

    #[test]
    fn temporary_refusals_say_to_try_again() {
        for (code, text) in [(421, "4.3.2 Service not available"), (451, "4.4.0 busy")] {
            let failure = reply(Step::Envelope, code, text);
            assert!(failure.summary.en.contains("temporarily"), "{code}");
            assert_eq!(failure.fix.en, "Try again in a few minutes.");
        }
        let other = reply(Step::Envelope, 550, "5.7.1 no");
        assert_eq!(other.summary.en, "The SMTP server refused the request.");
    }

    #[test]
    fn a_connection_lost_during_data_may_not_have_delivered() {
        let lost = failure(&failed(Step::Data, WireError::Closed.into()), &CONTEXT);
        assert!(lost.fix.en.contains("may not have been delivered"));
        let reset = std::io::Error::from(std::io::ErrorKind::TimedOut);
        let broken = failure(&failed(Step::Data, WireError::Io(reset).into()), &CONTEXT);
        assert!(broken.fix.en.contains("may not have been delivered"));
    }
}
