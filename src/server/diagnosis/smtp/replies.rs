//! The SMTP replies the diagnosis knows, one rule each, in the order they are tried:
//! Exchange Online's words for each refusal, the field at fault and the fix. The error
//! catalogue is made from this table.

use crate::api::report::{Step, Words};
use crate::domain::{AuthType, Field};
use crate::server::diagnosis::words;
use crate::server::smtp::reply::Reply;

/// English and Brazilian Portuguese.
type Text = (&'static str, &'static str);

/// A reply as a server sends it: the step it answers, its code, and its text (the
/// enhanced status code first, as Exchange Online writes it).
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    pub step: Step,
    pub code: u16,
    pub text: &'static str,
    pub auth: AuthType,
}

/// What a rule reads of a reply.
pub struct Seen<'a> {
    step: Step,
    code: u16,
    enhanced: Option<&'a str>,
    /// Lower-cased.
    text: &'a str,
    auth: AuthType,
}

/// What a fix is filled in with: the mailbox of the form (or the catalogue's
/// placeholder), and the PowerShell that grants the app access to it.
pub struct Fill<'a> {
    pub mailbox: &'a str,
    grant_mailbox: String,
}

impl<'a> Fill<'a> {
    pub fn new(mailbox: &'a str) -> Self {
        Fill {
            mailbox,
            grant_mailbox: format!(
                "Add-MailboxPermission -Identity \"{mailbox}\" -User <service principal ID> \
                 -AccessRights FullAccess"
            ),
        }
    }
}

/// A reply the diagnosis knows: the error catalogue's entry `id`, the reply it was
/// learnt from, how it is recognised, the field at fault, what happened and the fix.
/// The first rule that matches wins, so a narrower rule comes before a wider one.
pub struct KnownReply {
    pub id: &'static str,
    pub sample: Sample,
    matches: fn(&Seen<'_>) -> bool,
    pub field: Option<Field>,
    pub summary: Text,
    pub fix: fn(&Fill<'_>) -> Words,
}

const OAUTH: AuthType = AuthType::MicrosoftOAuth2;

fn enhanced_is(seen: &Seen<'_>, code: &str) -> bool {
    seen.enhanced == Some(code)
}

pub const REPLIES: &[KnownReply] = &[
    KnownReply {
        id: "smtp-5-7-139-security-defaults",
        sample: Sample {
            step: Step::Authenticate,
            code: 535,
            text: "5.7.139 Authentication unsuccessful, user is locked by your organization's \
                   security defaults policy. Contact your administrator.",
            auth: OAUTH,
        },
        matches: |seen| enhanced_is(seen, "5.7.139") && seen.text.contains("security defaults"),
        field: None,
        summary: (
            "Security defaults block SMTP AUTH for this tenant.",
            "Os padrões de segurança bloqueiam o SMTP AUTH neste locatário.",
        ),
        fix: |_| {
            words(
                "Security defaults block legacy SMTP AUTH sign-ins: turn them off in the Entra \
                 admin center (Overview → Properties → Manage security defaults) and protect \
                 sign-ins with Conditional Access instead.",
                "Os padrões de segurança bloqueiam entradas legadas de SMTP AUTH: desative-os no \
                 Centro de administração do Microsoft Entra (Visão geral → Propriedades → \
                 Gerenciar padrões de segurança) e proteja as entradas com Acesso Condicional.",
            )
        },
    },
    KnownReply {
        id: "smtp-5-7-139-conditional-access",
        sample: Sample {
            step: Step::Authenticate,
            code: 535,
            text: "5.7.139 Authentication unsuccessful, the request did not meet the criteria \
                   to be authenticated successfully. Contact your administrator.",
            auth: OAUTH,
        },
        matches: |seen| {
            enhanced_is(seen, "5.7.139") && seen.text.contains("did not meet the criteria")
        },
        field: None,
        summary: (
            "A Conditional Access policy blocked the SMTP sign-in.",
            "Uma política de Acesso Condicional bloqueou a entrada SMTP.",
        ),
        fix: |_| {
            words(
                "Exclude this app (service principal) from the Conditional Access policy that \
                 applied; the Entra sign-in logs name it.",
                "Exclua este aplicativo (entidade de serviço) da política de Acesso Condicional \
                 que se aplicou; os logs de entrada do Entra dizem qual foi.",
            )
        },
    },
    KnownReply {
        id: "smtp-5-7-139-basic-authentication-disabled",
        sample: Sample {
            step: Step::Authenticate,
            code: 535,
            text: "5.7.139 Authentication unsuccessful, basic authentication is disabled.",
            auth: AuthType::Password,
        },
        matches: |seen| {
            enhanced_is(seen, "5.7.139") && seen.text.contains("basic authentication is disabled")
        },
        field: None,
        summary: (
            "Basic authentication (username and password) is disabled for SMTP.",
            "A autenticação básica (usuário e senha) está desativada para SMTP.",
        ),
        fix: |_| {
            words(
                "Use the Microsoft (OAuth2) authentication type: Exchange Online no longer \
                 accepts passwords for SMTP AUTH.",
                "Use o tipo de autenticação Microsoft (OAuth2): o Exchange Online não aceita mais \
                 senhas no SMTP AUTH.",
            )
        },
    },
    KnownReply {
        id: "smtp-5-7-139-smtp-auth-disabled",
        sample: Sample {
            step: Step::Authenticate,
            code: 535,
            text: "5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for \
                   the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.",
            auth: OAUTH,
        },
        matches: |seen| enhanced_is(seen, "5.7.139"),
        field: None,
        summary: (
            "SMTP AUTH is disabled for the tenant or the mailbox.",
            "O SMTP AUTH está desativado no locatário ou na caixa de correio.",
        ),
        fix: |fill| {
            let mailbox = fill.mailbox;
            words(
                format!(
                    "In Exchange Online PowerShell: Set-CASMailbox -Identity \"{mailbox}\" \
                     -SmtpClientAuthenticationDisabled $false (or, tenant-wide, \
                     Set-TransportConfig -SmtpClientAuthenticationDisabled $false)."
                ),
                format!(
                    "No PowerShell do Exchange Online: Set-CASMailbox -Identity \"{mailbox}\" \
                     -SmtpClientAuthenticationDisabled $false (ou, para todo o locatário, \
                     Set-TransportConfig -SmtpClientAuthenticationDisabled $false)."
                ),
            )
        },
    },
    // Before the 535 rules: Exchange also says 5.7.57 with a 535.
    KnownReply {
        id: "smtp-5-7-57-not-authenticated",
        sample: Sample {
            step: Step::Envelope,
            code: 530,
            text: "5.7.57 Client not authenticated to send mail. [BN8PR12CA0011.namprd12.prod.outlook.com]",
            auth: OAUTH,
        },
        matches: |seen| seen.code == 530 || enhanced_is(seen, "5.7.57"),
        field: None,
        summary: (
            "The server wants authentication before sending (5.7.57).",
            "O servidor exige autenticação antes do envio (5.7.57).",
        ),
        fix: |_| {
            words(
                "The message was sent before authentication completed: check that the SMTP \
                 server is smtp.office365.com:587 and that the mailbox has SMTP AUTH enabled.",
                "A mensagem foi enviada antes de a autenticação terminar: verifique se o servidor \
                 SMTP é smtp.office365.com:587 e se a caixa de correio tem o SMTP AUTH ativado.",
            )
        },
    },
    KnownReply {
        id: "smtp-535-password-refused",
        sample: Sample {
            step: Step::Authenticate,
            code: 535,
            text: "5.7.8 Authentication credentials invalid",
            auth: AuthType::Password,
        },
        matches: |seen| {
            seen.step == Step::Authenticate && seen.code == 535 && seen.auth == AuthType::Password
        },
        field: Some(Field::Password),
        summary: (
            "The server refused the username or password.",
            "O servidor recusou o usuário ou a senha.",
        ),
        fix: |_| {
            words(
                "Check Username and Password (copy them again: passwords are case-sensitive). \
                 For Microsoft 365, passwords for SMTP AUTH are being retired: use the \
                 Microsoft (OAuth2) authentication type.",
                "Confira Usuário e Senha (copie-os de novo: senhas diferenciam maiúsculas de \
                 minúsculas). No Microsoft 365, as senhas no SMTP AUTH estão sendo desativadas: \
                 use o tipo de autenticação Microsoft (OAuth2).",
            )
        },
    },
    KnownReply {
        id: "smtp-535-5-7-3-token-refused",
        sample: Sample {
            step: Step::Authenticate,
            code: 535,
            text: "5.7.3 Authentication unsuccessful [SN4PR0601CA0004.namprd06.prod.outlook.com]",
            auth: OAUTH,
        },
        matches: |seen| seen.step == Step::Authenticate && seen.code == 535,
        field: None,
        summary: (
            "Exchange Online refused the token for this mailbox.",
            "O Exchange Online recusou o token para esta caixa de correio.",
        ),
        fix: |fill| {
            let grant = &fill.grant_mailbox;
            words(
                format!(
                    "Check, in Exchange Online PowerShell: the app's service principal exists \
                     (New-ServicePrincipal -AppId <SMTP User> -ObjectId <the Enterprise \
                     application's Object ID>); it has FullAccess to the mailbox ({grant}); the \
                     app has the SMTP.SendAsApp permission with admin consent. New permissions \
                     can take up to 30 minutes to apply."
                ),
                format!(
                    "Verifique, no PowerShell do Exchange Online: a entidade de serviço do \
                     aplicativo existe (New-ServicePrincipal -AppId <Usuário SMTP> -ObjectId <o \
                     ID do objeto do aplicativo empresarial>); ela tem FullAccess na caixa de \
                     correio ({grant}); o aplicativo tem a permissão SMTP.SendAsApp com \
                     consentimento do administrador. Permissões novas podem levar até 30 \
                     minutos para valer."
                ),
            )
        },
    },
    KnownReply {
        id: "smtp-5-2-252-send-as-denied",
        sample: Sample {
            step: Step::Data,
            code: 554,
            text: "5.2.252 SendAsDenied; sender@contoso.com not allowed to send as \
                   other@contoso.com; STOREDRV.Submission.Exception:SendAsDeniedException.\
                   MapiExceptionSendAsDenied",
            auth: OAUTH,
        },
        matches: |seen| enhanced_is(seen, "5.2.252"),
        field: Some(Field::EmailAddress),
        summary: (
            "The mailbox may not send as this From address (SendAsDenied).",
            "A caixa de correio não pode enviar como este endereço From (SendAsDenied).",
        ),
        fix: |_| {
            words(
                "The From address must be the authenticated mailbox (Email address), or grant it \
                 Send As permission on the address.",
                "O endereço From precisa ser a caixa de correio autenticada (Endereço de e-mail), \
                 ou conceda a ela a permissão Enviar como no endereço.",
            )
        },
    },
    KnownReply {
        id: "smtp-5-7-60-send-as",
        sample: Sample {
            step: Step::Envelope,
            code: 550,
            text: "5.7.60 SMTP; Client does not have permissions to send as this sender",
            auth: OAUTH,
        },
        matches: |seen| enhanced_is(seen, "5.7.60"),
        field: Some(Field::EmailAddress),
        summary: (
            "The mailbox may not send as this address (5.7.60).",
            "A caixa de correio não pode enviar como este endereço (5.7.60).",
        ),
        fix: |_| {
            words(
                "Send from the authenticated mailbox itself (Email address), or grant it Send As \
                 permission on the sender address (Add-RecipientPermission -Identity <the \
                 address> -Trustee <Email address> -AccessRights SendAs) and add the address to \
                 the relay's also allowed senders.",
                "Envie da própria caixa de correio autenticada (Endereço de e-mail), ou conceda a \
                 ela a permissão Enviar como no endereço remetente (Add-RecipientPermission \
                 -Identity <o endereço> -Trustee <Endereço de e-mail> -AccessRights SendAs) e \
                 acrescente o endereço aos remetentes também permitidos do relay.",
            )
        },
    },
    KnownReply {
        id: "smtp-5-7-64-tenant-attribution",
        sample: Sample {
            step: Step::Envelope,
            code: 550,
            text: "5.7.64 TenantAttribution; Relay Access Denied \
                   [DM6NAM12FT012.eop-nam12.prod.protection.outlook.com]",
            auth: OAUTH,
        },
        matches: |seen| enhanced_is(seen, "5.7.64"),
        field: None,
        summary: (
            "Exchange Online could not tell which tenant the message belongs to, so it \
             refused to relay it (TenantAttribution).",
            "O Exchange Online não conseguiu saber a qual locatário a mensagem pertence e \
             recusou retransmiti-la (TenantAttribution).",
        ),
        fix: |_| {
            words(
                "The message reached a server of Exchange Online Protection without SMTP AUTH: \
                 send to smtp.office365.com:587 (your cloud's SMTP host), where the token \
                 identifies the tenant. If a connector is meant to relay this server's mail, \
                 add this server's public IP address or certificate to the inbound connector \
                 (Exchange admin center → Mail flow → Connectors).",
                "A mensagem chegou a um servidor do Exchange Online Protection sem SMTP AUTH: \
                 envie para smtp.office365.com:587 (o host SMTP da sua nuvem), onde o token \
                 identifica o locatário. Se um conector deve retransmitir o correio deste \
                 servidor, acrescente o IP público ou o certificado deste servidor ao conector \
                 de entrada (Centro de administração do Exchange → Fluxo de emails → \
                 Conectores).",
            )
        },
    },
    KnownReply {
        id: "smtp-5-2-2-mailbox-full",
        sample: Sample {
            step: Step::Data,
            code: 554,
            text: "5.2.2 mailbox full; STOREDRV.Submission.Exception:QuotaExceededException.\
                   MapiExceptionQuotaExceeded; Failed to process message due to a permanent \
                   exception with message Cannot save changes made to an item to store.",
            auth: OAUTH,
        },
        matches: |seen| enhanced_is(seen, "5.2.2"),
        field: Some(Field::EmailAddress),
        summary: (
            "The sending mailbox is full (QuotaExceeded).",
            "A caixa de correio remetente está cheia (QuotaExceeded).",
        ),
        fix: |fill| {
            let mailbox = fill.mailbox;
            words(
                format!(
                    "Exchange keeps a copy of every message sent through SMTP AUTH in the \
                     mailbox's Sent Items, so a mailbox used only for sending fills up. Empty \
                     Sent Items, or give the mailbox a retention policy that deletes them after \
                     a few days (Microsoft Purview → Data lifecycle management), or raise its \
                     quota (Set-Mailbox -Identity \"{mailbox}\" -ProhibitSendQuota …); then send \
                     again."
                ),
                format!(
                    "O Exchange guarda uma cópia de cada mensagem enviada por SMTP AUTH nos Itens \
                     Enviados da caixa, então uma caixa usada só para enviar enche. Esvazie os \
                     Itens Enviados, ou dê à caixa uma política de retenção que os apague depois \
                     de alguns dias (Microsoft Purview → Gerenciamento do ciclo de vida dos \
                     dados), ou aumente a cota dela (Set-Mailbox -Identity \"{mailbox}\" \
                     -ProhibitSendQuota …); depois envie de novo."
                ),
            )
        },
    },
    KnownReply {
        id: "smtp-5-2-0-recipient-limit",
        sample: Sample {
            step: Step::Data,
            code: 554,
            text: "5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed \
                   to process message due to a permanent exception with message Cannot submit \
                   message.",
            auth: OAUTH,
        },
        matches: |seen| enhanced_is(seen, "5.2.0"),
        field: None,
        summary: (
            "The mailbox reached Exchange Online's limit of recipients a day.",
            "A caixa de correio atingiu o limite de destinatários por dia do Exchange Online.",
        ),
        fix: |_| {
            words(
                "Exchange Online lets a mailbox send to 10,000 recipients in any 24 hours: \
                 sending works again as the oldest recipients leave that window, so retry the \
                 failed messages later (Outbox → Retry now). For more mail, spread it over \
                 several mailboxes or use a service made for bulk mail (Azure Communication \
                 Services Email, or Exchange's High Volume Email).",
                "O Exchange Online permite que uma caixa envie para 10.000 destinatários em \
                 quaisquer 24 horas: o envio volta a funcionar conforme os destinatários mais \
                 antigos saem dessa janela, então tente as mensagens que falharam mais tarde \
                 (Caixa de saída → Tentar agora). Para mais correio, distribua-o por várias \
                 caixas ou use um serviço feito para envio em massa (Azure Communication \
                 Services Email, ou o High Volume Email do Exchange).",
            )
        },
    },
    KnownReply {
        id: "smtp-5-2-270-message-too-large",
        sample: Sample {
            step: Step::Data,
            code: 554,
            text: "5.2.270 STOREDRV.Submission.Exception:MessageTooBigException; the message \
                   exceeds the maximum message size of this mailbox",
            auth: OAUTH,
        },
        matches: |seen| {
            matches!(seen.enhanced, Some("5.2.270" | "5.2.3" | "5.3.4"))
        },
        field: None,
        summary: (
            "The message is larger than the sending mailbox's limit.",
            "A mensagem é maior do que o limite da caixa de correio remetente.",
        ),
        fix: |fill| {
            let mailbox = fill.mailbox;
            words(
                format!(
                    "Exchange Online compares the message, as encoded (attachments grow by about \
                     a third), with the mailbox's MaxSendSize (35 MB by default). Send smaller \
                     attachments, or raise the limit: Set-Mailbox -Identity \"{mailbox}\" \
                     -MaxSendSize 150MB."
                ),
                format!(
                    "O Exchange Online compara a mensagem, já codificada (anexos crescem cerca de \
                     um terço), com o MaxSendSize da caixa (35 MB por padrão). Envie anexos \
                     menores, ou aumente o limite: Set-Mailbox -Identity \"{mailbox}\" \
                     -MaxSendSize 150MB."
                ),
            )
        },
    },
    KnownReply {
        id: "smtp-5-1-x-recipient",
        sample: Sample {
            step: Step::Envelope,
            code: 550,
            text: "5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address \
                   lookup",
            auth: OAUTH,
        },
        matches: |seen| {
            seen.step == Step::Envelope
                && seen.enhanced.is_some_and(|e| e.starts_with("5.1."))
                && seen.text.contains("recipient")
        },
        field: Some(Field::SendTestTo),
        summary: (
            "The server refused the recipient.",
            "O servidor recusou o destinatário.",
        ),
        fix: |_| {
            words(
                "Check the recipient's address (Send test to, or the message's To, Cc and Bcc).",
                "Confira o endereço do destinatário (Enviar teste para, ou o To, Cc e Bcc da \
                 mensagem).",
            )
        },
    },
    // Exchange's "mailbox logon failure": 430 4.2.0 (or 4.2.0 under another code).
    KnownReply {
        id: "smtp-430-4-2-0-mailbox-logon-failure",
        sample: Sample {
            step: Step::Data,
            code: 430,
            text: "4.2.0 STOREDRV; mailbox logon failure; Cannot open mailbox.",
            auth: OAUTH,
        },
        matches: |seen| {
            seen.code == 430 || (enhanced_is(seen, "4.2.0") && seen.text.contains("logon failure"))
        },
        field: Some(Field::EmailAddress),
        summary: (
            "Exchange could not open the mailbox for this app (mailbox logon failure).",
            "O Exchange não conseguiu abrir a caixa de correio para este aplicativo (mailbox \
             logon failure).",
        ),
        fix: |fill| {
            let grant = &fill.grant_mailbox;
            words(
                format!(
                    "Grant the app's service principal access to the mailbox: {grant}. New \
                     permissions can take up to 30 minutes to apply."
                ),
                format!(
                    "Conceda à entidade de serviço do aplicativo acesso à caixa de correio: \
                     {grant}. Permissões novas podem levar até 30 minutos para valer."
                ),
            )
        },
    },
    KnownReply {
        id: "smtp-432-4-3-2-concurrent-connections",
        sample: Sample {
            step: Step::Envelope,
            code: 432,
            text: "4.3.2 Concurrent connections limit exceeded. Visit https://aka.ms/concurrent_sending for more information.",
            auth: OAUTH,
        },
        matches: |seen| seen.code == 432 || seen.text.contains("concurrent connections limit"),
        field: None,
        summary: (
            "Exchange Online allows at most three SMTP connections at a time for a mailbox, \
             and this one was a fourth.",
            "O Exchange Online permite no máximo três conexões SMTP ao mesmo tempo para uma \
             caixa de correio, e esta era a quarta.",
        ),
        fix: |_| {
            words(
                "Something else sends as this mailbox at the same time (another application, a \
                 device, another instance of smtp-setup). Send through this relay only, or give \
                 the others mailboxes of their own. The relay tries the message again later.",
                "Outra coisa envia como esta caixa de correio ao mesmo tempo (outro aplicativo, \
                 um dispositivo, outra instância do smtp-setup). Envie só por este relay, ou dê \
                 aos outros caixas próprias. O relay tenta a mensagem de novo mais tarde.",
            )
        },
    },
    KnownReply {
        id: "smtp-4xx-temporary",
        sample: Sample {
            step: Step::Envelope,
            code: 451,
            text: "4.7.500 Server busy. Please try again later from [203.0.113.7]. (S77719) \
                   [DB5EUR03FT039.eop-EUR03.prod.protection.outlook.com]",
            auth: OAUTH,
        },
        matches: |seen| seen.code == 421 || (450..=499).contains(&seen.code),
        field: None,
        summary: (
            "The SMTP server is temporarily unavailable or throttling.",
            "O servidor SMTP está temporariamente indisponível ou limitando o envio.",
        ),
        fix: |_| words("Try again in a few minutes.", "Tente de novo em alguns minutos."),
    },
];

/// The rule `reply` matches, if any.
pub fn known(step: Step, reply: &Reply, auth: AuthType) -> Option<&'static KnownReply> {
    let text = reply.text().to_ascii_lowercase();
    let seen = Seen {
        step,
        code: reply.code,
        enhanced: reply.enhanced_status(),
        text: &text,
        auth,
    };
    REPLIES.iter().find(|rule| (rule.matches)(&seen))
}
