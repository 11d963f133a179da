//! The mailbox check: Exchange's refusals over IMAP, kept in its own words, with the
//! admin task at fault and the PowerShell that fixes it, filled in from the form.

use crate::api::report::{Failure, Step, Words};
use crate::domain::{Field, MicrosoftOAuthConfig};
use crate::guide::{self, GuideInput};
use crate::server::diagnosis::connection;
use crate::server::diagnosis::peer::{Peer, ServerKind};
use crate::server::diagnosis::words;
use crate::server::diagnosis::StepFailed;
use crate::server::imap::{ImapError, Status};

/// What the words of a fix need to know about the check.
pub struct Context<'a> {
    /// `host:port`.
    pub server: &'a str,
    pub config: &'a MicrosoftOAuthConfig,
}

/// The check reads a mailbox with an app-only token: the password type has none.
pub fn needs_microsoft() -> Failure {
    Failure::at(
        Step::Inputs,
        words(
            "The mailbox check is for the Microsoft (OAuth2) authentication type.",
            "A verificação da caixa de correio é para o tipo de autenticação Microsoft (OAuth2).",
        ),
    )
    .fix(words(
        "Choose Microsoft (OAuth2) to check that the application can read the mailbox.",
        "Escolha Microsoft (OAuth2) para verificar se o aplicativo consegue ler a caixa de \
         correio.",
    ))
}

/// The server's words follow: they are Exchange's own, in English.
fn read_below(what: (&str, &str)) -> Words {
    words(
        format!(
            "Read the server's words below; the transcript shows {}.",
            what.0
        ),
        format!(
            "Leia as palavras do servidor abaixo (em inglês, como ele as enviou); a transcrição \
             mostra {}.",
            what.1
        ),
    )
}

pub fn failure(failed: &StepFailed<ImapError>, context: &Context<'_>) -> Failure {
    let StepFailed { step, error } = failed;
    let step = *step;
    let peer = Peer {
        kind: ServerKind::Imap,
        server: context.server,
        connect_step: Step::ImapConnect,
        in_flight: None,
    };
    let at = |summary: Words| Failure::at(step, summary).detail(error.to_string());
    let commands = commands(context.config);
    let unexpected = || {
        at(words(
            "The IMAP server answered something unexpected.",
            "O servidor IMAP respondeu algo inesperado.",
        ))
        .fix(words(
            "Try again; if it persists, the server is not a standard IMAP server.",
            "Tente de novo; se persistir, o servidor não é um servidor IMAP padrão.",
        ))
    };
    match error {
        ImapError::Timeout(limit) => connection::timeout(step, *limit, &peer),
        ImapError::Wire(wire) => connection::wire(step, wire, &peer).unwrap_or_else(unexpected),
        ImapError::Refused { .. } | ImapError::Bye(_) if known(step, error).is_some() => {
            let rule = known(step, error).expect("matched above");
            at(words(rule.summary.0, rule.summary.1))
                .code(error_code(error))
                .field(rule.field)
                .fix((rule.fix)(&commands))
                .entry(rule.id)
        }
        ImapError::AuthNotOffered { .. } => {
            let host = context.config.cloud.imap_host();
            at(words(
                "The IMAP server does not offer AUTH=XOAUTH2.",
                "O servidor IMAP não oferece AUTH=XOAUTH2.",
            ))
            .fix(words(
                format!(
                    "Mailbox access with an app-only token needs Exchange Online's IMAP endpoint \
                     ({host}:993, or your cloud's)."
                ),
                format!(
                    "O acesso à caixa de correio com um token somente de aplicativo precisa do \
                     endpoint IMAP do Exchange Online ({host}:993, ou o da sua nuvem)."
                ),
            ))
        }
        ImapError::Bye(_) => at(words(
            "The IMAP server ended the session.",
            "O servidor IMAP encerrou a sessão.",
        ))
        .code(error_code(error))
        .fix(read_below(("what came before", "o que veio antes"))),
        ImapError::Refused { .. } => at(words(
            "The IMAP server refused the command.",
            "O servidor IMAP recusou o comando.",
        ))
        .code(error_code(error))
        .fix(read_below(("the command", "o comando"))),
        ImapError::Unexpected(_) => unexpected(),
    }
}

/// English and Brazilian Portuguese.
type Text = (&'static str, &'static str);

/// A response as Exchange sends it: the step, `NO`, `BAD` or (`None`) `BYE`, and its text.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    pub step: Step,
    pub status: Option<Status>,
    pub text: &'static str,
}

impl Sample {
    pub fn error(&self) -> ImapError {
        match self.status {
            Some(status) => ImapError::Refused {
                status,
                text: self.text.to_owned(),
            },
            None => ImapError::Bye(self.text.to_owned()),
        }
    }
}

/// A response the diagnosis knows: the error catalogue's entry `id`, the response it was
/// learnt from, how it is recognised, the field at fault, what happened and the fix
/// (with the setup guide's PowerShell).
pub struct KnownResponse {
    pub id: &'static str,
    pub sample: Sample,
    matches: fn(Step, &ImapError) -> bool,
    pub field: Option<Field>,
    pub summary: Text,
    pub fix: fn(&Commands) -> Words,
}

pub const RESPONSES: &[KnownResponse] = &[
    // Exchange: the token is valid and carries the role, but no service principal in
    // Exchange belongs to it.
    KnownResponse {
        id: "imap-no-authenticate-failed",
        sample: Sample {
            step: Step::ImapAuthenticate,
            status: Some(Status::No),
            text: "AUTHENTICATE failed.",
        },
        matches: |step, error| {
            step == Step::ImapAuthenticate
                && matches!(
                    error,
                    ImapError::Refused {
                        status: Status::No,
                        ..
                    }
                )
        },
        field: Some(Field::ObjectId),
        summary: (
            "Exchange refused the token: the app's service principal is not registered in \
             Exchange, or was registered with the App registration's Object ID.",
            "O Exchange recusou o token: a entidade de serviço do aplicativo não está \
             registrada no Exchange, ou foi registrada com o ID do objeto do Registro de \
             aplicativo.",
        ),
        fix: |commands| {
            words(
                format!(
                    "Register the service principal with the Enterprise application's Object ID \
                     (setup guide, step 4; Enterprise applications → your app → Object ID, not \
                     the App registration's): {}",
                    commands.register
                ),
                format!(
                    "Registre a entidade de serviço com o ID do objeto do aplicativo empresarial \
                     (guia de configuração, passo 4; Aplicativos empresariais → seu aplicativo → \
                     ID do objeto, não o do Registro de aplicativo): {}",
                    commands.register
                ),
            )
        },
    },
    // Exchange: signed in, but the mailbox cannot be opened for this app.
    KnownResponse {
        id: "imap-authenticated-but-not-connected",
        sample: Sample {
            step: Step::Examine,
            status: Some(Status::Bad),
            text: "User is authenticated but not connected.",
        },
        matches: |step, error| match error {
            ImapError::Refused { text, .. } | ImapError::Bye(text) => {
                step >= Step::ImapAuthenticate && not_connected(text)
            }
            _ => false,
        },
        field: Some(Field::EmailAddress),
        summary: (
            "Exchange accepted the token but will not open the mailbox: the service principal \
             has no FullAccess on it, or IMAP is off for it.",
            "O Exchange aceitou o token mas não abre a caixa de correio: a entidade de serviço \
             não tem FullAccess nela, ou o IMAP está desligado para ela.",
        ),
        fix: |commands| {
            words(
                format!(
                    "Give the service principal the mailbox and allow IMAP for it: {} ; {}. New \
                     permissions can take up to 30 minutes to apply.",
                    commands.grant, commands.enable_imap
                ),
                format!(
                    "Dê a caixa de correio à entidade de serviço e permita o IMAP nela: {} ; {}. \
                     Permissões novas podem levar até 30 minutos para valer.",
                    commands.grant, commands.enable_imap
                ),
            )
        },
    },
];

/// The rule a refusal or BYE at `step` matches, if any.
pub fn known(step: Step, error: &ImapError) -> Option<&'static KnownResponse> {
    RESPONSES.iter().find(|rule| (rule.matches)(step, error))
}

/// "User is authenticated but not connected.": Exchange's words when it cannot open
/// the mailbox for an app that did sign in.
fn not_connected(text: &str) -> bool {
    text.to_ascii_lowercase()
        .contains("authenticated but not connected")
}

fn error_code(error: &ImapError) -> String {
    match error {
        ImapError::Refused { status, .. } => status.to_string(),
        ImapError::Bye(_) => "BYE".to_owned(),
        _ => String::new(),
    }
}

/// The PowerShell of the setup guide, filled in from the form (single-quoted, or a
/// `<Placeholder>` for what the form does not give).
pub struct Commands {
    register: String,
    grant: String,
    enable_imap: String,
}

fn commands(config: &MicrosoftOAuthConfig) -> Commands {
    Commands::of(&GuideInput {
        cloud: config.cloud,
        tenant_id: config.tenant.as_str(),
        client_id: config.client_id.as_str(),
        object_id: config.object_id.as_ref().map_or("", |o| o.as_str()),
        email_address: config.sender.mailbox.as_str(),
    })
}

impl Commands {
    /// With nothing filled in: every value a `<Placeholder>` (the catalogue's).
    pub fn placeholders() -> Self {
        Self::of(&GuideInput {
            cloud: crate::domain::Cloud::Global,
            tenant_id: "",
            client_id: "",
            object_id: "",
            email_address: "",
        })
    }

    fn of(input: &GuideInput<'_>) -> Self {
        Commands {
            register: guide::register_command(input),
            grant: guide::grant_command(input),
            enable_imap: guide::enable_imap_command(input),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{SecretInput, SendConfig, SmtpForm, StoredSecrets};

    fn config(object_id: &str) -> MicrosoftOAuthConfig {
        let form = SmtpForm {
            email_address: "o'brien@contoso.com".into(),
            tenant_id: "contoso.onmicrosoft.com".into(),
            client_id: "a1b2c3d4-e5f6-4789-abcd-0123456789ab".into(),
            client_secret: SecretInput::from("abC8Q~secret"),
            object_id: object_id.into(),
            ..SmtpForm::default()
        };
        match form.parse(&StoredSecrets::default()) {
            Ok(SendConfig::MicrosoftOAuth2(config)) => config,
            other => panic!("{other:?}"),
        }
    }

    fn refused(step: Step, status: Status, text: &str, object_id: &str) -> Failure {
        let config = config(object_id);
        failure(
            &StepFailed {
                step,
                error: ImapError::Refused {
                    status,
                    text: text.into(),
                },
            },
            &Context {
                server: "outlook.office365.com:993",
                config: &config,
            },
        )
    }

    #[test]
    fn every_known_response_is_recognised_from_its_sample() {
        let config = config("");
        for rule in RESPONSES {
            let failure = super::failure(
                &StepFailed {
                    step: rule.sample.step,
                    error: rule.sample.error(),
                },
                &Context {
                    server: "outlook.office365.com:993",
                    config: &config,
                },
            );
            assert_eq!(failure.entry.as_deref(), Some(rule.id));
            assert_eq!(failure.field, rule.field);
        }
        let other = refused(
            Step::Examine,
            Status::No,
            "Mailbox doesn't exist: INBOX",
            "",
        );
        assert_eq!(other.entry, None);
    }

    #[test]
    fn authenticate_failed_asks_for_the_service_principal() {
        let failure = refused(
            Step::ImapAuthenticate,
            Status::No,
            "AUTHENTICATE failed.",
            "0F8FAD5B-D9CB-469F-A165-70867728950E",
        );
        assert_eq!(failure.detail, "NO AUTHENTICATE failed.");
        assert_eq!(failure.code.as_deref(), Some("NO"));
        assert!(failure.fix.en.contains(
            "New-ServicePrincipal -AppId 'a1b2c3d4-e5f6-4789-abcd-0123456789ab' -ObjectId '0f8fad5b-d9cb-469f-a165-70867728950e'"
        ), "{}", failure.fix);
        // Without an ObjectId in the form, a placeholder PowerShell refuses to run.
        let without = refused(
            Step::ImapAuthenticate,
            Status::No,
            "AUTHENTICATE failed.",
            "",
        );
        assert!(
            without.fix.en.contains("-ObjectId <ObjectId>"),
            "{}",
            without.fix
        );
    }

    #[test]
    fn not_connected_asks_for_full_access_and_imap() {
        let failure = refused(
            Step::Examine,
            Status::Bad,
            "User is authenticated but not connected.",
            "0f8fad5b-d9cb-469f-a165-70867728950e",
        );
        assert_eq!(failure.field, Some(Field::EmailAddress));
        assert!(failure.fix.en.contains(
            "Add-MailboxPermission -Identity 'o''brien@contoso.com' -User '0f8fad5b-d9cb-469f-a165-70867728950e' -AccessRights FullAccess"
        ), "{}", failure.fix);
        assert!(failure
            .fix
            .en
            .contains("Set-CASMailbox -Identity 'o''brien@contoso.com' -ImapEnabled $true"));
        // The same words in a BYE after signing in.
        let config = config("");
        let bye = super::failure(
            &StepFailed {
                step: Step::Examine,
                error: ImapError::Bye("User is authenticated but not connected.".into()),
            },
            &Context {
                server: "outlook.office365.com:993",
                config: &config,
            },
        );
        assert!(bye.summary.en.contains("FullAccess"), "{}", bye.summary);
    }
}
