//! The setup guide's PowerShell, filled in from the form. Shared by the page (it changes
//! as the administrator types) and the tests. A value goes into a command only after its
//! domain `parse` accepted it, and always single-quoted; a missing or invalid value
//! stays a `<Placeholder>`, which PowerShell refuses to run, so nothing half-filled can
//! do anything.

use crate::domain::{ClientId, Cloud, MailboxAddress, ObjectId, TenantId};

/// The form values the guide uses, as typed.
#[derive(Clone, Copy, Debug)]
pub struct GuideInput<'a> {
    pub cloud: Cloud,
    pub tenant_id: &'a str,
    pub client_id: &'a str,
    pub object_id: &'a str,
    pub email_address: &'a str,
}

/// A PowerShell single-quoted string. Inside one, only a quote is special, and it is
/// escaped by doubling; PowerShell also takes the typographic quotes U+2018..U+201B for
/// quotes, so those are doubled too.
pub fn ps_quote(value: &str) -> String {
    let mut quoted = String::with_capacity(value.len() + 2);
    quoted.push('\'');
    for c in value.chars() {
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}') {
            quoted.push(c);
        }
        quoted.push(c);
    }
    quoted.push('\'');
    quoted
}

/// The values, each quoted when valid or a placeholder otherwise.
struct Values {
    tenant: String,
    app_id: String,
    object_id: String,
    mailbox: String,
    environment: String,
}

fn values(input: &GuideInput<'_>) -> Values {
    fn or_placeholder<T>(parsed: Option<T>, show: impl Fn(&T) -> String, name: &str) -> String {
        parsed
            .map(|v| ps_quote(&show(&v)))
            .unwrap_or_else(|| format!("<{name}>"))
    }
    let environment = match input.cloud {
        Cloud::Global => String::new(),
        other => format!(" -ExchangeEnvironmentName {}", other.exchange_environment()),
    };
    Values {
        tenant: or_placeholder(
            TenantId::parse(input.tenant_id).ok(),
            |t| t.as_str().to_owned(),
            "TenantId",
        ),
        app_id: or_placeholder(
            ClientId::parse(input.client_id).ok(),
            |c| c.as_str().to_owned(),
            "SMTP User",
        ),
        object_id: or_placeholder(
            ObjectId::parse(input.object_id).ok(),
            |o| o.as_str().to_owned(),
            "ObjectId",
        ),
        mailbox: or_placeholder(
            MailboxAddress::parse(input.email_address).ok(),
            |m| m.as_str().to_owned(),
            "Email address",
        ),
        environment,
    }
}

/// Creates the service principal, gives it the mailbox, and allows SMTP AUTH for it.
pub fn setup_script(input: &GuideInput<'_>) -> String {
    let v = values(input);
    [
        "Install-Module -Name ExchangeOnlineManagement -Scope CurrentUser".to_owned(),
        format!(
            "Connect-ExchangeOnline -Organization {}{}",
            v.tenant, v.environment
        ),
        register(&v),
        "Get-ServicePrincipal | Format-List DisplayName,AppId,ObjectId,Identity".to_owned(),
        grant(&v),
        format!(
            "Set-CASMailbox -Identity {} -SmtpClientAuthenticationDisabled $false",
            v.mailbox
        ),
    ]
    .join("\n")
}

fn register(v: &Values) -> String {
    format!(
        "New-ServicePrincipal -AppId {} -ObjectId {}",
        v.app_id, v.object_id
    )
}

fn grant(v: &Values) -> String {
    format!(
        "Add-MailboxPermission -Identity {} -User {} -AccessRights FullAccess",
        v.mailbox, v.object_id
    )
}

/// Registers the app's service principal in Exchange (a step of [`setup_script`]).
pub fn register_command(input: &GuideInput<'_>) -> String {
    register(&values(input))
}

/// Gives the service principal the mailbox (a step of [`setup_script`]).
pub fn grant_command(input: &GuideInput<'_>) -> String {
    grant(&values(input))
}

/// Allows IMAP for the mailbox (what the mailbox check needs beyond the setup script).
pub fn enable_imap_command(input: &GuideInput<'_>) -> String {
    format!(
        "Set-CASMailbox -Identity {} -ImapEnabled $true",
        values(input).mailbox
    )
}

/// Reads, changes nothing: what an administrator runs to see where the setup stands.
pub fn check_script(input: &GuideInput<'_>) -> String {
    let v = values(input);
    [
        format!(
            "Connect-ExchangeOnline -Organization {}{}",
            v.tenant, v.environment
        ),
        format!(
            "Get-ServicePrincipal -Identity {} | Format-List DisplayName,AppId,ObjectId",
            v.object_id
        ),
        format!(
            "Get-MailboxPermission -Identity {} -User {}",
            v.mailbox, v.object_id
        ),
        format!(
            "Get-CASMailbox -Identity {} | Format-List SmtpClientAuthenticationDisabled,ImapEnabled",
            v.mailbox
        ),
        "Get-TransportConfig | Format-List SmtpClientAuthenticationDisabled".to_owned(),
    ]
    .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(email: &'a str, object_id: &'a str) -> GuideInput<'a> {
        GuideInput {
            cloud: Cloud::Global,
            tenant_id: "72F988BF-86F1-41AF-91AB-2D7CD011DB47",
            client_id: "a1b2c3d4-e5f6-4789-abcd-0123456789ab",
            object_id,
            email_address: email,
        }
    }

    #[test]
    fn quoting_doubles_every_kind_of_single_quote() {
        assert_eq!(ps_quote("plain"), "'plain'");
        assert_eq!(ps_quote("o'brien"), "'o''brien'");
        assert_eq!(ps_quote("o\u{2019}brien"), "'o\u{2019}\u{2019}brien'");
        // `$` and backticks are inert in single quotes.
        assert_eq!(ps_quote("$(Remove-Item x)`"), "'$(Remove-Item x)`'");
    }

    #[test]
    fn the_setup_script_carries_the_typed_values() {
        let script = setup_script(&input(
            "o'brien@contoso.com",
            "0F8FAD5B-D9CB-469F-A165-70867728950E",
        ));
        assert!(script.contains(
            "Connect-ExchangeOnline -Organization '72f988bf-86f1-41af-91ab-2d7cd011db47'\n"
        ));
        assert!(script.contains("New-ServicePrincipal -AppId 'a1b2c3d4-e5f6-4789-abcd-0123456789ab' -ObjectId '0f8fad5b-d9cb-469f-a165-70867728950e'"));
        assert!(script.contains("Add-MailboxPermission -Identity 'o''brien@contoso.com' -User '0f8fad5b-d9cb-469f-a165-70867728950e' -AccessRights FullAccess"));
    }

    #[test]
    fn missing_or_invalid_values_stay_placeholders() {
        let script = setup_script(&input("not an address'; Remove-Mailbox x", ""));
        assert!(script.contains("-ObjectId <ObjectId>"));
        assert!(script.contains("-Identity <Email address>"));
        assert!(!script.contains("Remove-Mailbox"));
    }

    #[test]
    fn national_clouds_connect_to_their_environment() {
        let gcc = GuideInput {
            cloud: Cloud::UsGovGccHigh,
            ..input("a@contoso.com", "")
        };
        assert!(check_script(&gcc).contains("-ExchangeEnvironmentName O365USGovGCCHigh"));
        assert!(!check_script(&input("a@contoso.com", "")).contains("ExchangeEnvironmentName"));
        assert!(check_script(&gcc).contains("Get-TransportConfig"));
    }

    #[test]
    fn the_check_script_covers_the_imap_side() {
        let check = check_script(&input(
            "a@contoso.com",
            "0F8FAD5B-D9CB-469F-A165-70867728950E",
        ));
        assert!(check.contains(
            "Get-MailboxPermission -Identity 'a@contoso.com' -User '0f8fad5b-d9cb-469f-a165-70867728950e'"
        ));
        assert!(check.contains("Format-List SmtpClientAuthenticationDisabled,ImapEnabled"));
    }
}
