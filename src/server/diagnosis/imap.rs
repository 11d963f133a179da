//! The mailbox check: Exchange's refusals over IMAP, kept in its own words, with the
//! admin task at fault and the PowerShell that fixes it, filled in from the form.

use super::connection::{self, Peer};
use crate::api::report::{Failure, Step};
use crate::domain::{Field, MicrosoftOAuthConfig};
use crate::guide::{self, GuideInput};
use crate::server::check::StepFailed;
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
        "The mailbox check is for the Microsoft (OAuth2) authentication type.",
    )
    .detail("Authentication type: Username and password")
    .fix("Choose Microsoft (OAuth2) to check that the application can read the mailbox.")
}

pub fn failure(failed: &StepFailed<ImapError>, context: &Context<'_>) -> Failure {
    let StepFailed { step, error } = failed;
    let step = *step;
    let peer = Peer {
        kind: "IMAP server",
        server: context.server,
        connect_step: Step::ImapConnect,
        in_flight: None,
        port_note: "port 993 is sometimes blocked by firewalls",
    };
    let at = |summary: &str| Failure::at(step, summary).detail(error.to_string());
    let commands = commands(context.config);
    let unexpected = || {
        at("The IMAP server answered something unexpected.")
            .fix("Try again; if it persists, the server is not a standard IMAP server.")
    };
    match error {
        ImapError::Timeout(limit) => connection::timeout(step, *limit, &peer),
        ImapError::Wire(wire) => connection::wire(step, wire, &peer).unwrap_or_else(unexpected),
        // Exchange: the token is valid and carries the role, but no service principal
        // in Exchange belongs to it.
        ImapError::Refused {
            status: Status::No, ..
        } if step == Step::ImapAuthenticate => at(
            "Exchange refused the token: the app's service principal is not registered in \
             Exchange, or was registered with the App registration's Object ID.",
        )
        .code(error_code(error))
        .field(Field::ObjectId)
        .fix(format!(
            "Register the service principal with the Enterprise application's Object ID \
             (setup guide, step 4; Enterprise applications → your app → Object ID, not the \
             App registration's): {}",
            commands.register
        )),
        // Exchange: signed in, but the mailbox cannot be opened for this app.
        ImapError::Refused { text, .. } | ImapError::Bye(text)
            if step >= Step::ImapAuthenticate && not_connected(text) =>
        {
            at(
                "Exchange accepted the token but will not open the mailbox: the service \
                 principal has no FullAccess on it, or IMAP is off for it.",
            )
            .code(error_code(error))
            .field(Field::EmailAddress)
            .fix(format!(
                "Give the service principal the mailbox and allow IMAP for it: {} ; {}. \
                 New permissions can take up to 30 minutes to apply.",
                commands.grant, commands.enable_imap
            ))
        }
        ImapError::AuthNotOffered { .. } => {
            at("The IMAP server does not offer AUTH=XOAUTH2.").fix(format!(
                "Mailbox access with an app-only token needs Exchange Online's IMAP endpoint \
                 ({}:993, or your cloud's).",
                context.config.cloud.imap_host()
            ))
        }
        ImapError::Bye(_) => at("The IMAP server ended the session.")
            .code(error_code(error))
            .fix("Read the server's words below; the transcript shows what came before."),
        ImapError::Refused { .. } => at("The IMAP server refused the command.")
            .code(error_code(error))
            .fix("Read the server's words below; the transcript shows the command."),
        ImapError::Unexpected(_) => unexpected(),
    }
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
struct Commands {
    register: String,
    grant: String,
    enable_imap: String,
}

fn commands(config: &MicrosoftOAuthConfig) -> Commands {
    let input = GuideInput {
        cloud: config.cloud,
        tenant_id: config.tenant.as_str(),
        client_id: config.client_id.as_str(),
        object_id: config.object_id.as_ref().map_or("", |o| o.as_str()),
        email_address: config.sender.mailbox.as_str(),
    };
    Commands {
        register: guide::register_command(&input),
        grant: guide::grant_command(&input),
        enable_imap: guide::enable_imap_command(&input),
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
    fn authenticate_failed_asks_for_the_service_principal() {
        let failure = refused(
            Step::ImapAuthenticate,
            Status::No,
            "AUTHENTICATE failed.",
            "0F8FAD5B-D9CB-469F-A165-70867728950E",
        );
        assert_eq!(failure.detail, "NO AUTHENTICATE failed.");
        assert_eq!(failure.code.as_deref(), Some("NO"));
        assert!(failure.fix.contains(
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
            without.fix.contains("-ObjectId <ObjectId>"),
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
        assert!(failure.fix.contains(
            "Add-MailboxPermission -Identity 'o''brien@contoso.com' -User '0f8fad5b-d9cb-469f-a165-70867728950e' -AccessRights FullAccess"
        ), "{}", failure.fix);
        assert!(failure
            .fix
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
        assert!(bye.summary.contains("FullAccess"), "{}", bye.summary);
    }
}
