//! The Microsoft clouds a tenant can live in. Each has its own sign-in authority,
//! Exchange Online resource and SMTP host, and an app registered in one cloud does not
//! exist in another (AADSTS900382), so the three always change together.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Cloud {
    #[default]
    Global,
    UsGovGccHigh,
    UsGovDod,
    China,
}

impl Cloud {
    pub const ALL: [Cloud; 4] = [
        Cloud::Global,
        Cloud::UsGovGccHigh,
        Cloud::UsGovDod,
        Cloud::China,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Cloud::Global => "global",
            Cloud::UsGovGccHigh => "us-gov-gcc-high",
            Cloud::UsGovDod => "us-gov-dod",
            Cloud::China => "china",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.key() == key)
    }

    /// The Microsoft Entra authority host (Entra national cloud endpoints).
    pub fn authority(self) -> &'static str {
        match self {
            Cloud::Global => "https://login.microsoftonline.com",
            Cloud::UsGovGccHigh | Cloud::UsGovDod => "https://login.microsoftonline.us",
            Cloud::China => "https://login.chinacloudapi.cn",
        }
    }

    /// The Exchange Online resource: the token's audience and the scope's prefix.
    pub fn exchange_resource(self) -> &'static str {
        match self {
            Cloud::Global => "https://outlook.office365.com",
            Cloud::UsGovGccHigh => "https://outlook.office365.us",
            Cloud::UsGovDod => "https://outlook-dod.office365.us",
            Cloud::China => "https://partner.outlook.cn",
        }
    }

    /// The client-credentials scope: the Exchange resource's `.default`.
    pub fn scope(self) -> String {
        format!("{}/.default", self.exchange_resource())
    }

    /// The SMTP AUTH submission host (port 587, STARTTLS).
    pub fn smtp_host(self) -> &'static str {
        match self {
            Cloud::Global => "smtp.office365.com",
            Cloud::UsGovGccHigh => "smtp.office365.us",
            Cloud::UsGovDod => "outlook-dod.office365.us",
            Cloud::China => "smtp.partner.outlook.cn",
        }
    }

    /// The IMAP host (port 993, TLS from the start): Exchange's own.
    pub fn imap_host(self) -> &'static str {
        match self {
            Cloud::Global => "outlook.office365.com",
            Cloud::UsGovGccHigh => "outlook.office365.us",
            Cloud::UsGovDod => "outlook-dod.office365.us",
            Cloud::China => "partner.outlook.cn",
        }
    }

    /// `Connect-ExchangeOnline -ExchangeEnvironmentName` for this cloud.
    pub fn exchange_environment(self) -> &'static str {
        match self {
            Cloud::Global => "O365Default",
            Cloud::UsGovGccHigh => "O365USGovGCCHigh",
            Cloud::UsGovDod => "O365USGovDoD",
            Cloud::China => "O365China",
        }
    }

    /// Where the app registration lives.
    pub fn entra_admin_center(self) -> &'static str {
        match self {
            Cloud::Global => "https://entra.microsoft.com",
            Cloud::UsGovGccHigh | Cloud::UsGovDod => "https://entra.microsoft.us",
            Cloud::China => "https://portal.azure.cn",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cloud_names_its_authority_scope_and_mail_hosts() {
        let endpoints: Vec<_> = Cloud::ALL
            .into_iter()
            .map(|c| {
                (
                    c.authority(),
                    c.scope(),
                    c.smtp_host(),
                    c.imap_host(),
                    c.exchange_environment(),
                )
            })
            .collect();
        assert_eq!(
            endpoints,
            [
                (
                    "https://login.microsoftonline.com",
                    "https://outlook.office365.com/.default".to_owned(),
                    "smtp.office365.com",
                    "outlook.office365.com",
                    "O365Default"
                ),
                (
                    "https://login.microsoftonline.us",
                    "https://outlook.office365.us/.default".to_owned(),
                    "smtp.office365.us",
                    "outlook.office365.us",
                    "O365USGovGCCHigh"
                ),
                (
                    "https://login.microsoftonline.us",
                    "https://outlook-dod.office365.us/.default".to_owned(),
                    "outlook-dod.office365.us",
                    "outlook-dod.office365.us",
                    "O365USGovDoD"
                ),
                (
                    "https://login.chinacloudapi.cn",
                    "https://partner.outlook.cn/.default".to_owned(),
                    "smtp.partner.outlook.cn",
                    "partner.outlook.cn",
                    "O365China"
                ),
            ]
        );
    }

    #[test]
    fn each_cloud_has_its_own_endpoints() {
        assert_eq!(Cloud::default(), Cloud::Global);
        assert_eq!(
            Cloud::Global.scope(),
            "https://outlook.office365.com/.default"
        );
        assert_eq!(
            Cloud::UsGovGccHigh.scope(),
            "https://outlook.office365.us/.default"
        );
        for cloud in Cloud::ALL {
            assert_eq!(Cloud::from_key(cloud.key()), Some(cloud));
            assert!(cloud.authority().starts_with("https://login."));
            assert!(!cloud.smtp_host().contains('/'));
        }
        // Every cloud but the two US government ones has its own authority.
        let authorities: std::collections::HashSet<_> =
            Cloud::ALL.iter().map(|c| c.authority()).collect();
        assert_eq!(authorities.len(), 3);
        assert_eq!(Cloud::from_key("mars"), None);
    }
}
