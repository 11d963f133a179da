//! Microsoft Graph, read for one thing: when the app's client secret ends. With
//! `Application.Read.All` granted to the app, `GET /applications(appId='…')` lists its
//! password credentials; the saved secret is recognised by its `hint` (its first three
//! characters, as the portal shows them) and its `endDateTime` read.

use std::time::Duration;

use reqwest::Url;
use serde::Deserialize;

use crate::api::report::Words;
use crate::domain::Cloud;
use crate::server::microsoft::entra::{error_chain, AccessToken};

/// A Graph answer for one application is a few KB.
const MAX_BODY_BYTES: usize = 256 * 1024;

/// Graph's host in each cloud (the token's resource, and the scope's prefix).
pub fn endpoint(cloud: Cloud) -> &'static str {
    match cloud {
        Cloud::Global => "https://graph.microsoft.com",
        Cloud::UsGovGccHigh => "https://graph.microsoft.us",
        Cloud::UsGovDod => "https://dod-graph.microsoft.us",
        Cloud::China => "https://microsoftgraph.chinacloudapi.cn",
    }
}

#[derive(Deserialize)]
struct Application {
    #[serde(default, rename = "passwordCredentials")]
    password_credentials: Vec<PasswordCredential>,
}

#[derive(Deserialize)]
struct PasswordCredential {
    hint: Option<String>,
    #[serde(rename = "endDateTime")]
    end: Option<String>,
}

#[derive(Deserialize)]
struct GraphErrorBody {
    error: GraphErrorDetail,
}

#[derive(Deserialize)]
struct GraphErrorDetail {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("could not reach Microsoft Graph: {}", error_chain(.0))]
    Unreachable(#[source] reqwest::Error),
    #[error("Graph refused the request (HTTP {status}): {code}: {message}")]
    Refused {
        status: u16,
        code: String,
        message: String,
    },
    #[error("unexpected answer (HTTP {status}): {detail}")]
    Unexpected { status: u16, detail: String },
    /// No password credential of the app has the secret's first characters.
    #[error(
        "none of the app's {count} client secrets starts with the saved secret's first characters"
    )]
    NoMatch { count: usize },
}

/// The saved secret's end, `YYYY-MM-DD` (UTC), from the app's password credentials.
/// Several credentials with the same hint: the earliest end (the one to renew first).
pub async fn secret_end(
    http: &reqwest::Client,
    base: &Url,
    client_id: &str,
    secret: &str,
    token: &AccessToken,
    timeout: Duration,
) -> Result<String, GraphError> {
    let mut url = base.clone();
    url.set_path(&format!(
        "{}/v1.0/applications(appId='{client_id}')",
        base.path().trim_end_matches('/')
    ));
    url.set_query(Some("$select=passwordCredentials"));
    let exchange = async {
        let response = http
            .get(url)
            .bearer_auth(token.expose())
            .send()
            .await
            .map_err(GraphError::Unreachable)?;
        let status = response.status().as_u16();
        let mut response = response;
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(GraphError::Unreachable)? {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(GraphError::Unexpected {
                    status,
                    detail: "the answer is too large".to_owned(),
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok((status, body))
    };
    let (status, body) = tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| GraphError::Timeout(timeout))??;
    let hint: String = secret.chars().take(3).collect();
    read(status, &body, &hint)
}

/// Interprets Graph's answer: the end of the credential whose hint is `hint`.
fn read(status: u16, body: &[u8], hint: &str) -> Result<String, GraphError> {
    if !(200..300).contains(&status) {
        return Err(match serde_json::from_slice::<GraphErrorBody>(body) {
            Ok(GraphErrorBody { error }) => GraphError::Refused {
                status,
                code: error.code,
                message: error.message,
            },
            Err(_) => GraphError::Unexpected {
                status,
                detail: String::from_utf8_lossy(body).chars().take(200).collect(),
            },
        });
    }
    let application: Application =
        serde_json::from_slice(body).map_err(|e| GraphError::Unexpected {
            status,
            detail: e.to_string(),
        })?;
    let count = application.password_credentials.len();
    application
        .password_credentials
        .into_iter()
        .filter(|credential| credential.hint.as_deref() == Some(hint))
        .filter_map(|credential| credential.end)
        .filter_map(|end| end.get(..10).map(str::to_owned))
        .min()
        .ok_or(GraphError::NoMatch { count })
}

/// What the administrator reads when Graph could not say.
pub fn words(error: &GraphError) -> (Words, Words) {
    match error {
        GraphError::Refused { status: 403, .. } => (
            Words::new(
                "Microsoft Graph refused to list the app's secrets: the app lacks the \
                 Application.Read.All permission.",
                "O Microsoft Graph recusou listar os segredos do aplicativo: falta ao \
                 aplicativo a permissão Application.Read.All.",
            ),
            Words::new(
                "Either add Microsoft Graph → Application permissions → Application.Read.All \
                 to the app registration and grant admin consent, or type the date from \
                 Certificates & secrets (the Expires column) yourself.",
                "Adicione Microsoft Graph → Permissões de aplicativo → Application.Read.All \
                 ao registro do aplicativo e conceda o consentimento do administrador, ou \
                 digite você mesmo a data de Certificados e segredos (a coluna Expira).",
            ),
        ),
        GraphError::NoMatch { count } => (
            Words::new(
                format!(
                    "None of the app's {count} client secrets starts with this secret's first \
                     characters."
                ),
                format!(
                    "Nenhum dos {count} segredos do cliente do aplicativo começa com os \
                     primeiros caracteres deste segredo."
                ),
            ),
            Words::new(
                "Check that SMTP Password is a secret of this app registration (SMTP User).",
                "Confira se a Senha SMTP é um segredo deste registro de aplicativo (Usuário SMTP).",
            ),
        ),
        _ => (
            Words::new(
                "Microsoft Graph could not be read.",
                "Não foi possível ler o Microsoft Graph.",
            ),
            Words::new(
                "Try again later, or type the date from Certificates & secrets (the Expires \
                 column) yourself.",
                "Tente de novo mais tarde, ou digite você mesmo a data de Certificados e \
                 segredos (a coluna Expira).",
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_is_found_by_its_hint_and_the_earliest_end_wins() {
        let body = br#"{"passwordCredentials":[
            {"hint":"abC","endDateTime":"2027-05-31T10:00:00Z","displayName":"smtp"},
            {"hint":"xyZ","endDateTime":"2026-12-01T00:00:00Z"},
            {"hint":"abC","endDateTime":"2027-02-01T00:00:00Z"}]}"#;
        assert_eq!(read(200, body, "abC").unwrap(), "2027-02-01");
        assert!(matches!(
            read(200, body, "qqq"),
            Err(GraphError::NoMatch { count: 3 })
        ));
    }

    #[test]
    fn graphs_refusal_is_kept_with_its_code() {
        let body = br#"{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation."}}"#;
        let error = read(403, body, "abC").unwrap_err();
        assert!(
            matches!(&error, GraphError::Refused { status: 403, code, .. } if code == "Authorization_RequestDenied")
        );
        assert!(words(&error).0.en.contains("Application.Read.All"));
        assert!(matches!(
            read(502, b"<html>", "abC"),
            Err(GraphError::Unexpected { status: 502, .. })
        ));
    }
}
