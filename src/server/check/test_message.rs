//! The test message: who sent it, through what, and when. Never any secret.

use std::time::SystemTime;

use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::{Address, Message};

use crate::domain::{Field, SendConfig, Sender};
use crate::i18n::Lang;
use crate::server::html::escape as escape_html;

pub const SUBJECT: &str = "smtp-setup test email: your SMTP configuration works";

/// What the message says about the configuration that sent it.
pub struct Context<'a> {
    pub config: &'a SendConfig,
    pub smtp_server: String,
    pub sent_at: SystemTime,
}

/// The configuration in the form's own words, never a secret.
fn facts(context: &Context<'_>) -> Vec<(&'static str, String)> {
    let sender: &Sender = context.config.sender();
    let mut facts = vec![
        ("Mailbox (Email address)", sender.mailbox.to_string()),
        ("Sender name (Name)", sender.display_name.to_string()),
    ];
    match context.config {
        SendConfig::MicrosoftOAuth2(config) => facts.extend([
            (
                "Cloud",
                (Lang::En.texts().cloud_name)(config.cloud).to_owned(),
            ),
            ("TenantId", config.tenant.to_string()),
            (
                "Application (client) ID (SMTP User)",
                config.client_id.to_string(),
            ),
            (
                "Authentication",
                "Microsoft OAuth2, client credentials, SMTP AUTH XOAUTH2".to_owned(),
            ),
        ]),
        SendConfig::Password(config) => facts.extend([
            ("Username", config.username.to_string()),
            (
                "Authentication",
                format!(
                    "username and password, {}",
                    (Lang::En.texts().security_name)(config.security)
                ),
            ),
        ]),
    }
    facts.push(("SMTP server", context.smtp_server.clone()));
    facts.push(("Sent at", httpdate::fmt_http_date(context.sent_at)));
    facts
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("could not build the test message: {field:?} {source}")]
    Address {
        field: Field,
        #[source]
        source: lettre::address::AddressError,
    },
    #[error("could not build the test message: {0}")]
    Message(#[source] lettre::error::Error),
}

pub fn build(context: &Context<'_>) -> Result<Message, BuildError> {
    let sender = context.config.sender();
    let from_address: Address =
        sender
            .mailbox
            .as_str()
            .parse()
            .map_err(|source| BuildError::Address {
                field: Field::EmailAddress,
                source,
            })?;
    let to_address: Address =
        sender
            .recipient
            .as_str()
            .parse()
            .map_err(|source| BuildError::Address {
                field: Field::SendTestTo,
                source,
            })?;
    let display_name = (!sender.display_name.is_empty()).then(|| sender.display_name.to_string());

    let facts = facts(context);
    let intro =
        "This test email was sent by smtp-setup to prove that this SMTP configuration works. \
                 If you can read it, the application can send email this way.";
    let text = std::iter::once(format!("{intro}\n"))
        .chain(facts.iter().map(|(k, v)| format!("{k}: {v}")))
        .collect::<Vec<_>>()
        .join("\n");
    let rows: String = facts
        .iter()
        .map(|(k, v)| {
            format!(
                "<tr><th align=\"left\">{}</th><td>{}</td></tr>",
                escape_html(k),
                escape_html(v)
            )
        })
        .collect();
    let html = format!(
        "<!doctype html><html><body><p>{}</p><table>{rows}</table></body></html>",
        escape_html(intro)
    );

    Message::builder()
        .from(Mailbox::new(display_name, from_address))
        .to(Mailbox::new(None, to_address))
        .subject(SUBJECT)
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(text),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(html),
                ),
        )
        .map_err(BuildError::Message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{SecretInput, SmtpForm, StoredSecrets};

    fn config(name: &str) -> SendConfig {
        SmtpForm {
            email_address: "sender@contoso.com".into(),
            name: name.into(),
            tenant_id: "contoso.onmicrosoft.com".into(),
            client_id: "a1b2c3d4-e5f6-4789-abcd-0123456789ab".into(),
            client_secret: SecretInput::from_typed("the-secret-value".into()),
            send_test_to: "admin@contoso.com".into(),
            ..SmtpForm::default()
        }
        .parse(&StoredSecrets::default())
        .unwrap()
    }

    fn formatted(name: &str) -> String {
        let config = config(name);
        let context = Context {
            config: &config,
            smtp_server: "smtp.office365.com:587".into(),
            sent_at: SystemTime::UNIX_EPOCH,
        };
        String::from_utf8(build(&context).unwrap().formatted()).unwrap()
    }

    #[test]
    fn headers_and_body_describe_the_configuration() {
        let message = formatted("Contoso Sales");
        assert!(
            message.contains("From: \"Contoso Sales\" <sender@contoso.com>"),
            "{message}"
        );
        assert!(message.contains("To: admin@contoso.com"));
        assert!(message.contains(&format!("Subject: {SUBJECT}")));
        assert!(message.contains("a1b2c3d4-e5f6-4789-abcd-0123456789ab"));
        assert!(message.contains("text/html"));
        assert!(!message.contains("the-secret-value"));
    }

    #[test]
    fn display_name_markup_is_escaped_in_html() {
        let message = formatted("<b>Sales</b>");
        assert!(message.contains("&lt;b&gt;Sales&lt;/b&gt;"));
    }
}
