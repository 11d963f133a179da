//! The token client: OAuth2 client-credentials grant against Microsoft Entra ID.

use std::time::{Duration, SystemTime};

use reqwest::{Client, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::domain::{ClientId, ClientSecret, TenantId};
use crate::server::certificate_credential::{assertion, Signer};
use crate::server::net::tls::TlsSetupError;
use crate::server::time::{Deadline, TimedOut};

/// Token responses are a few KB; error pages can be anything. Reading more than this
/// into memory would let a misbehaving peer exhaust the server.
const MAX_BODY_BYTES: usize = 64 * 1024;

pub struct TokenClient {
    http: Client,
}

/// Where a token is requested and for what: the cloud's (or the operator's) authority,
/// the tenant, and the Exchange resource's `.default` scope.
pub struct TokenRequest<'a> {
    pub authority: &'a Url,
    pub tenant: &'a TenantId,
    pub client_id: &'a ClientId,
    pub proof: Proof<'a>,
    pub scope: &'a str,
}

/// How the application proves who it is: a client secret, or an assertion signed with
/// a certificate's key (made again for each attempt: each has its own `jti`).
#[derive(Clone, Copy)]
pub enum Proof<'a> {
    Secret(&'a ClientSecret),
    Certificate(&'a Signer),
}

/// How many times a token request is tried when Entra answers 429 or 5xx.
const MAX_ATTEMPTS: u32 = 3;

/// An access token. Like the client secret it is never displayed or logged.
#[derive(Debug)]
pub struct AccessToken {
    secret: SecretString,
    /// `expires_in` of the token response, when Entra gave one.
    pub lifetime: Option<Duration>,
}

impl AccessToken {
    pub fn new(token: String, lifetime: Option<Duration>) -> Self {
        Self {
            secret: token.into(),
            lifetime,
        }
    }

    pub fn expose(&self) -> &str {
        self.secret.expose_secret()
    }
}

/// Entra's error body (`error`, `error_description`, `error_codes`, ids for support).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct EntraError {
    #[serde(skip)]
    pub status: u16,
    #[serde(default)]
    pub error: String,
    #[serde(default)]
    pub error_description: String,
    #[serde(default)]
    pub error_codes: Vec<u64>,
    #[serde(default)]
    pub trace_id: Option<String>,
    #[serde(default)]
    pub correlation_id: Option<String>,
}

impl EntraError {
    /// The AADSTS number: from `error_codes`, else from the description's prefix.
    pub fn aadsts(&self) -> Option<u64> {
        self.error_codes.first().copied().or_else(|| {
            let rest = self.error_description.strip_prefix("AADSTS")?;
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("could not reach the token endpoint: {}", error_chain(.0))]
    Unreachable(#[source] reqwest::Error),
    #[error("Entra ID refused the request: {}", .0.error_description)]
    Rejected(Box<EntraError>),
    #[error("unexpected answer (HTTP {status}): {detail}")]
    UnexpectedResponse { status: u16, detail: String },
    #[error(transparent)]
    Assertion(#[from] assertion::SignError),
}

impl TokenError {
    /// The metrics' name of the outcome.
    pub fn outcome(&self) -> &'static str {
        match self {
            TokenError::Timeout(_) => "timeout",
            TokenError::Unreachable(_) => "unreachable",
            TokenError::Rejected(_) => "refused",
            TokenError::UnexpectedResponse { .. } => "unexpected",
            TokenError::Assertion(_) => "unsigned",
        }
    }
}

impl From<TimedOut> for TokenError {
    fn from(TimedOut(limit): TimedOut) -> Self {
        TokenError::Timeout(limit)
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: Option<String>,
    token_type: Option<String>,
    /// Seconds; a number from Entra v2, a string from some older endpoints.
    expires_in: Option<serde_json::Value>,
}

/// Idle connections kept to the token endpoint, for the next test send.
const MAX_IDLE_CONNECTIONS: usize = 4;

impl TokenClient {
    pub fn new(extra_roots_pem: Option<&[u8]>) -> Result<Self, TlsSetupError> {
        let mut builder = Client::builder()
            .connect_timeout(Duration::from_secs(5))
            // Test sends come one at a time; a burst must not leave one idle TLS
            // connection to Entra per concurrent request open for the next 90 s.
            .pool_max_idle_per_host(MAX_IDLE_CONNECTIONS)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("smtp-setup/", env!("CARGO_PKG_VERSION")));
        if let Some(pem) = extra_roots_pem {
            let certs =
                reqwest::Certificate::from_pem_bundle(pem).map_err(TlsSetupError::HttpsRoots)?;
            builder = builder.tls_certs_merge(certs);
        }
        let http = builder.build().map_err(TlsSetupError::HttpsClient)?;
        Ok(Self { http })
    }

    /// The HTTPS client (its roots and timeouts), for Graph's one read.
    pub fn http(&self) -> &Client {
        &self.http
    }

    /// `{authority}/{tenant}/oauth2/v2.0/token`. The tenant is pushed as one path
    /// segment (escaped again by `Url`), on top of `TenantId::parse` refusing `/?#%\`.
    pub fn token_url(authority: &Url, tenant: &TenantId) -> Url {
        let mut url = authority.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments
                .pop_if_empty()
                .extend([tenant.as_str(), "oauth2", "v2.0", "token"]);
        }
        url
    }

    /// Requests a token, trying again on 429 and 5xx (honouring `Retry-After`) while the
    /// deadline leaves room for another attempt of `attempt_timeout`.
    pub async fn request_token(
        &self,
        request: &TokenRequest<'_>,
        deadline: &Deadline,
        attempt_timeout: Duration,
    ) -> Result<AccessToken, TokenError> {
        let mut attempt = 1;
        loop {
            let (status, retry_after, body) = deadline
                .run(attempt_timeout, self.exchange(request))
                .await??;
            let retryable = status == 429 || (500..600).contains(&status);
            if retryable && attempt < MAX_ATTEMPTS {
                let wait = retry_after
                    .unwrap_or(Duration::from_millis(500 << (attempt - 1)))
                    .min(Duration::from_secs(10));
                // Only wait if a whole attempt still fits in the deadline afterwards.
                let needed = wait + attempt_timeout.min(Duration::from_secs(2));
                if deadline.limit(needed) == needed {
                    tracing::info!(status, ?wait, attempt, "token endpoint busy; trying again");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                    continue;
                }
            }
            return parse_token_response(status, &body);
        }
    }

    async fn exchange(
        &self,
        request: &TokenRequest<'_>,
    ) -> Result<(u16, Option<Duration>, Vec<u8>), TokenError> {
        let url = Self::token_url(request.authority, request.tenant);
        // Declared first: the form borrows the assertion.
        let signed;
        let mut form = vec![
            ("client_id", request.client_id.as_str()),
            ("scope", request.scope),
            ("grant_type", "client_credentials"),
        ];
        match request.proof {
            Proof::Secret(secret) => form.push(("client_secret", secret.expose())),
            Proof::Certificate(signer) => {
                let now = crate::server::time::unix_seconds(SystemTime::now());
                signed = assertion::sign(signer, request.client_id, url.as_str(), now)?;
                form.push(("client_assertion_type", assertion::ASSERTION_TYPE));
                form.push(("client_assertion", signed.expose_secret()));
            }
        }
        let response = self
            .http
            .post(url)
            .form(&form)
            .send()
            .await
            .map_err(TokenError::Unreachable)?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = read_capped(response).await?;
        Ok((status, retry_after, body))
    }
}

async fn read_capped(mut response: reqwest::Response) -> Result<Vec<u8>, TokenError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(TokenError::Unreachable)? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(TokenError::UnexpectedResponse {
                status: response.status().as_u16(),
                detail: format!("the response is larger than {} KB", MAX_BODY_BYTES / 1024),
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Interprets the token endpoint's answer. Plain function: fed real Entra bodies in tests.
pub fn parse_token_response(status: u16, body: &[u8]) -> Result<AccessToken, TokenError> {
    if (200..300).contains(&status) {
        let parsed: TokenResponse =
            serde_json::from_slice(body).map_err(|e| TokenError::UnexpectedResponse {
                status,
                detail: if serde_json::from_slice::<serde_json::Value>(body).is_ok() {
                    format!("the body is JSON but not a token response ({e})")
                } else {
                    // A proxy's or captive portal's HTML page, typically.
                    format!("the body is not JSON ({e})")
                },
            })?;
        let is_bearer = parsed
            .token_type
            .as_deref()
            .is_none_or(|t| t.eq_ignore_ascii_case("bearer"));
        return match parsed.access_token {
            Some(token) if !token.is_empty() && is_bearer => {
                let seconds = match parsed.expires_in {
                    Some(serde_json::Value::Number(n)) => n.as_u64(),
                    Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
                    _ => None,
                };
                Ok(AccessToken::new(token, seconds.map(Duration::from_secs)))
            }
            _ => Err(TokenError::UnexpectedResponse {
                status,
                detail: "the response has no bearer access_token".to_owned(),
            }),
        };
    }
    match serde_json::from_slice::<EntraError>(body) {
        Ok(error) if !error.error.is_empty() || !error.error_description.is_empty() => {
            Err(TokenError::Rejected(Box::new(EntraError {
                status,
                ..error
            })))
        }
        _ => Err(TokenError::UnexpectedResponse {
            status,
            detail: snippet(body),
        }),
    }
}

/// The start of a non-JSON body, as one line of printable text.
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(300)
        .collect();
    if cleaned.trim().is_empty() {
        "empty body".to_owned()
    } else {
        cleaned.trim().to_owned()
    }
}

/// `reqwest`'s top-level message is generic ("error sending request"); the cause chain
/// holds the useful part (DNS failure, connection refused, certificate problem).
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const WRONG_SECRET: &str = r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app 'a1b2c3d4-e5f6-4789-abcd-0123456789ab'. Trace ID: 0b4f3c2a-1d2e-4f5a-9b8c-7d6e5f4a3b2c Correlation ID: 6c1b2a3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d Timestamp: 2026-11-26 10:00:00Z","error_codes":[7000215],"timestamp":"2026-11-26 10:00:00Z","trace_id":"0b4f3c2a-1d2e-4f5a-9b8c-7d6e5f4a3b2c","correlation_id":"6c1b2a3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d","error_uri":"https://login.microsoftonline.com/error?code=7000215"}"#;

    #[test]
    fn keeps_entra_error_fields() {
        let Err(TokenError::Rejected(error)) = parse_token_response(401, WRONG_SECRET.as_bytes())
        else {
            panic!("expected a rejection");
        };
        assert_eq!(error.status, 401);
        assert_eq!(error.error, "invalid_client");
        assert_eq!(error.aadsts(), Some(7000215));
        assert!(error
            .error_description
            .starts_with("AADSTS7000215: Invalid client secret"));
        assert_eq!(
            error.trace_id.as_deref(),
            Some("0b4f3c2a-1d2e-4f5a-9b8c-7d6e5f4a3b2c")
        );
        assert_eq!(
            error.correlation_id.as_deref(),
            Some("6c1b2a3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d")
        );
    }

    #[test]
    fn aadsts_from_description_when_codes_are_missing() {
        let body = br#"{"error":"invalid_request","error_description":"AADSTS90002: Tenant 'x' not found."}"#;
        let Err(TokenError::Rejected(error)) = parse_token_response(400, body) else {
            panic!("expected a rejection");
        };
        assert_eq!(error.aadsts(), Some(90002));
    }

    #[test]
    fn success_keeps_the_token_and_its_lifetime_as_a_number_or_a_string() {
        let lifetime = |body: &str| {
            let token = parse_token_response(200, body.as_bytes()).expect("a token");
            assert_eq!(token.expose(), "eyJ.t.s");
            token.lifetime
        };
        assert_eq!(
            lifetime(r#"{"access_token":"eyJ.t.s","token_type":"Bearer","expires_in":3599}"#),
            Some(Duration::from_secs(3599))
        );
        assert_eq!(
            lifetime(r#"{"access_token":"eyJ.t.s","token_type":"Bearer","expires_in":" 3600 "}"#),
            Some(Duration::from_secs(3600))
        );
        assert_eq!(
            lifetime(r#"{"access_token":"eyJ.t.s","token_type":"bearer"}"#),
            None
        );
        assert_eq!(
            lifetime(r#"{"access_token":"eyJ.t.s","expires_in":"soon"}"#),
            None
        );
    }

    #[test]
    fn success_needs_a_bearer_token() {
        assert!(matches!(
            parse_token_response(200, br#"{"access_token":"abc","token_type":"pop"}"#),
            Err(TokenError::UnexpectedResponse { .. })
        ));
        assert!(matches!(
            parse_token_response(200, br#"{"token_type":"Bearer"}"#),
            Err(TokenError::UnexpectedResponse { .. })
        ));
        assert!(matches!(
            parse_token_response(200, b"<html>"),
            Err(TokenError::UnexpectedResponse { .. })
        ));
    }

    #[test]
    fn non_json_errors_keep_a_printable_snippet() {
        let Err(TokenError::UnexpectedResponse { status, detail }) =
            parse_token_response(502, b"<html>\r\nBad gateway</html>")
        else {
            panic!("expected unexpected response");
        };
        assert_eq!(status, 502);
        assert_eq!(detail, "<html>  Bad gateway</html>");
    }

    #[test]
    fn token_url_appends_the_tenant_as_one_segment() {
        let global = Url::parse("https://login.microsoftonline.com").unwrap();
        let tenant = TenantId::parse("contoso.onmicrosoft.com").unwrap();
        assert_eq!(
            TokenClient::token_url(&global, &tenant).as_str(),
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
        );
        let prefixed = Url::parse("http://127.0.0.1:9/entra/").unwrap();
        assert_eq!(
            TokenClient::token_url(&prefixed, &tenant).as_str(),
            "http://127.0.0.1:9/entra/contoso.onmicrosoft.com/oauth2/v2.0/token"
        );
    }

    #[test]
    fn token_debug_is_redacted() {
        let token = AccessToken::new("eyJ.payload.signature".to_owned(), None);
        let shown = format!("{token:?}");
        assert!(
            !shown.contains("eyJ") && !shown.contains("payload"),
            "{shown}"
        );
    }
}
