//! The SMTP dialogue: the connection and TLS, what the server offers, and its replies,
//! read by their enhanced status code (RFC 3463) and the words Exchange Online uses.

use crate::api::report::{Failure, Step, Words};
use crate::domain::AuthType;
use crate::server::diagnosis::connection;
use crate::server::diagnosis::peer::{Peer, ServerKind};
use crate::server::diagnosis::words;
use crate::server::diagnosis::StepFailed;
use crate::server::net::sasl::Mechanism;
use crate::server::smtp::reply::Reply;
use crate::server::smtp::SmtpError;

mod replies;
pub use replies::{known, Fill, KnownReply, Sample, REPLIES};

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
        SmtpError::Unreadable(_) => at(words(
            "The message could not be read back from the relay's store, so the connection \
             was closed before its end and nothing was sent.",
            "A mensagem não pôde ser lida do armazenamento do relay, então a conexão foi \
             fechada antes do fim e nada foi enviado.",
        ))
        .fix(words(
            "It is tried again later. If this repeats, the server's log names the database \
             error: check that the database is reachable and its disk healthy.",
            "Ela será tentada de novo mais tarde. Se isso se repetir, o log do servidor \
             indica o erro do banco de dados: verifique se o banco está acessível e o disco \
             em bom estado.",
        )),
        SmtpError::Unexpected(_) | SmtpError::Malformed(_) => unexpected(),
    }
}

/// A negative reply, by its step, code, enhanced code and words.
fn refused(step: Step, reply: &Reply, context: &Context<'_>) -> Failure {
    match known(step, reply, context.auth) {
        Some(rule) => Failure::at(step, words(rule.summary.0, rule.summary.1))
            .field(rule.field)
            .fix((rule.fix)(&Fill::new(context.mailbox)))
            .entry(rule.id),
        None => Failure::at(
            step,
            words(
                "The SMTP server refused the request.",
                "O servidor SMTP recusou a solicitação.",
            ),
        )
        .fix(words(
            "Read the server's reply below; its code says what was refused.",
            "Leia a resposta do servidor abaixo (em inglês, como ele a enviou); o código diz o \
             que foi recusado.",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Field;
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

    /// Each rule is reached by the reply it was learnt from: no rule above it takes it.
    #[test]
    fn every_known_reply_is_recognised_from_its_sample_and_has_its_own_id() {
        let mut ids = std::collections::BTreeSet::new();
        for rule in REPLIES {
            assert!(ids.insert(rule.id), "{} twice", rule.id);
            let context = Context {
                auth: rule.sample.auth,
                ..CONTEXT
            };
            let failure = reply_as(
                rule.sample.step,
                rule.sample.code,
                rule.sample.text,
                &context,
            );
            assert_eq!(
                failure.entry.as_deref(),
                Some(rule.id),
                "{}",
                rule.sample.text
            );
            assert_eq!(failure.field, rule.field, "{}", rule.id);
            assert_eq!(failure.summary.en, rule.summary.0, "{}", rule.id);
        }
        let unknown = reply(Step::Envelope, 550, "5.7.1 no");
        assert_eq!(unknown.entry, None);
    }

    #[test]
    fn exchanges_limits_are_told_apart() {
        let quota = reply(Step::Data, 554, "5.2.2 mailbox full; STOREDRV.Submission.Exception:QuotaExceededException.MapiExceptionQuotaExceeded");
        assert!(quota.fix.en.contains("Sent Items"), "{}", quota.fix);
        let day = reply(
            Step::Data,
            554,
            "5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException",
        );
        assert!(day.fix.en.contains("10,000 recipients"), "{}", day.fix);
        let concurrent = reply(
            Step::Envelope,
            432,
            "4.3.2 Concurrent connections limit exceeded.",
        );
        assert!(concurrent.summary.en.contains("three SMTP connections"));
        let large = reply(Step::Data, 554, "5.2.270 message too large");
        assert!(large.fix.en.contains("MaxSendSize"));
        let attribution = reply(
            Step::Envelope,
            550,
            "5.7.64 TenantAttribution; Relay Access Denied",
        );
        assert_eq!(
            attribution.entry.as_deref(),
            Some("smtp-5-7-64-tenant-attribution")
        );
        let not_authenticated = reply(
            Step::Authenticate,
            535,
            "5.7.57 Client not authenticated to send mail.",
        );
        assert_eq!(
            not_authenticated.entry.as_deref(),
            Some("smtp-5-7-57-not-authenticated")
        );
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
