//! The test message: who sent it, through what, and when. Never any secret.

use std::time::SystemTime;

use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::{Address, Message};

use crate::domain::{SendSettings, Sender};

pub const SUBJECT: &str = "smtp-setup test email: your SMTP configuration works";

/// What the message says about the configuration that sent it.
pub struct Context<'a> {
    pub settings: &'a SendSettings,
    pub smtp_server: String,
    pub sent_at: SystemTime,
}

/// The configuration in the form's own words, never a secret.
fn facts(context: &Context<'_>) -> Vec<(&'static str, String)> {
    let sender: &Sender = context.settings.sender();
    let mut facts = vec![
        ("Mailbox (Email address)", sender.mailbox.to_string()),
        ("Sender name (Name)", sender.display_name.to_string()),
    ];
    match context.settings {
        SendSettings::MicrosoftOAuth2(settings) => facts.extend([
            ("Cloud", settings.cloud.label().to_owned()),
            ("TenantId", settings.tenant.to_string()),
            (
                "Application (client) ID (SMTP User)",
                settings.client_id.to_string(),
            ),
            (
                "Authentication",
                "Microsoft OAuth2, client credentials, SMTP AUTH XOAUTH2".to_owned(),
            ),
        ]),
        SendSettings::Password(settings) => facts.extend([
            ("Username", settings.username.to_string()),
            (
                "Authentication",
                format!("username and password, {}", settings.security.label()),
            ),
        ]),
    }
    facts.push(("SMTP server", context.smtp_server.clone()));
    facts.push(("Sent at", httpdate::fmt_http_date(context.sent_at)));
    facts
}

#[derive(Debug, thiserror::Error)]
#[error("could not build the test message: {0}")]
pub struct BuildError(String);

pub fn build(context: &Context<'_>) -> Result<Message, BuildError> {
    let settings = context.settings.sender();
    let from_address: Address = settings
        .mailbox
        .as_str()
        .parse()
        .map_err(|e| BuildError(format!("Email address: {e}")))?;
    let to_address: Address = settings
        .recipient
        .as_str()
        .parse()
        .map_err(|e| BuildError(format!("Send test to: {e}")))?;
    let display_name =
        (!settings.display_name.is_empty()).then(|| settings.display_name.to_string());

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
        .map_err(|e| BuildError(e.to_string()))
}

fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::SmtpForm;

    fn settings(name: &str) -> SendSettings {
        SmtpForm {
            email_address: "sender@contoso.com".into(),
            name: name.into(),
            tenant_id: "contoso.onmicrosoft.com".into(),
            smtp_user: "a1b2c3d4-e5f6-4789-abcd-0123456789ab".into(),
            smtp_password: "the-secret-value".into(),
            send_test_to: "admin@contoso.com".into(),
            ..SmtpForm::default()
        }
        .parse()
        .unwrap()
    }

    fn formatted(name: &str) -> String {
        let settings = settings(name);
        let context = Context {
            settings: &settings,
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
