//! The relay's HTTP API, for applications that would rather not speak SMTP:
//! `POST /api/v1/messages` (JSON, or a whole `message/rfc822`) and
//! `GET /api/v1/messages/{id}`, with a relay credential in HTTP Basic. No session cookie
//! or same-origin rule applies here, and no admin route takes Basic credentials.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine as _;
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::Message;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::json;

use crate::api::relay::{utc, DeliveryReport, OutboxEntry};
use crate::server::relay::credentials::Verdict;
use crate::server::relay::incoming::{Incoming, Recipients, Submission};
use crate::server::relay::submitter::Submitter;
use crate::server::relay::{Refusal, Relay};
use crate::server::store::Enqueued;

/// The OpenAPI 3.1 document of these routes, written by hand and held to what they
/// answer by `tests/api/openapi.rs`.
pub const OPENAPI: &str = include_str!("openapi.json");

/// `GET /api/v1/openapi.json`: no credential needed.
pub async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

/// The JSON form of a message; the sender is always the configured mailbox.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewMessageJson {
    pub to: Vec<String>,
    #[serde(default)]
    pub cc: Vec<String>,
    #[serde(default)]
    pub bcc: Vec<String>,
    pub subject: String,
    pub text: Option<String>,
    pub html: Option<String>,
    pub reply_to: Option<String>,
}

/// An answer the application can act on: its status, and JSON saying why.
pub enum ApiRefusal {
    Unauthorized,
    TooManyAttempts,
    Invalid {
        field: &'static str,
        error: String,
    },
    Refused(Refusal),
    /// The right password, from an address outside the credential's list.
    NotFromHere {
        credential: String,
        client: std::net::IpAddr,
    },
    NotFound,
    Unavailable(String),
}

impl IntoResponse for ApiRefusal {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            ApiRefusal::Unauthorized => {
                let body = json!({"error": "a relay credential is needed: HTTP Basic with its name and password"});
                return (
                    StatusCode::UNAUTHORIZED,
                    [(header::WWW_AUTHENTICATE, "Basic realm=\"smtp-setup relay\"")],
                    Json(body),
                )
                    .into_response();
            }
            ApiRefusal::TooManyAttempts => (
                StatusCode::TOO_MANY_REQUESTS,
                json!({"error": "too many wrong passwords from your address; try again in a minute", "field": null}),
            ),
            ApiRefusal::Invalid { field, error } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"error": error, "field": field}),
            ),
            ApiRefusal::Refused(refusal) => {
                let (status, field) = match &refusal {
                    Refusal::Store(error) if error.is_out_of_space() => {
                        (StatusCode::INSUFFICIENT_STORAGE, None)
                    }
                    Refusal::NoConfiguration | Refusal::Store(_) => {
                        (StatusCode::SERVICE_UNAVAILABLE, None)
                    }
                    Refusal::ForeignSender { .. } | Refusal::NoFromHeader => {
                        (StatusCode::UNPROCESSABLE_ENTITY, Some("from"))
                    }
                    Refusal::ForeignSenderHeader { .. } => {
                        (StatusCode::UNPROCESSABLE_ENTITY, Some("sender"))
                    }
                    Refusal::SenderOutsideCredential { .. } => {
                        (StatusCode::FORBIDDEN, Some("from"))
                    }
                    Refusal::QuotaReached { .. } => (StatusCode::TOO_MANY_REQUESTS, None),
                    Refusal::TooLarge { .. } | Refusal::HeadTooLarge { .. } => {
                        (StatusCode::PAYLOAD_TOO_LARGE, None)
                    }
                    Refusal::NoRecipients | Refusal::TooManyRecipients { .. } => {
                        (StatusCode::UNPROCESSABLE_ENTITY, Some("to"))
                    }
                };
                (status, json!({"error": refusal.words(), "field": field}))
            }
            ApiRefusal::NotFromHere { credential, client } => (
                StatusCode::FORBIDDEN,
                json!({
                    "error": format!("credential {credential} may not be used from {client}: add the address to its list on the page"),
                    "field": null,
                }),
            ),
            ApiRefusal::NotFound => (
                StatusCode::NOT_FOUND,
                json!({"error": "no message with that id was sent with this credential"}),
            ),
            ApiRefusal::Unavailable(error) => {
                tracing::error!(%error, "the relay API could not answer");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    json!({"error": "the relay cannot answer now; try again later", "field": null}),
                )
            }
        };
        let mut response = (status, Json(body)).into_response();
        if matches!(
            status,
            StatusCode::SERVICE_UNAVAILABLE
                | StatusCode::INSUFFICIENT_STORAGE
                | StatusCode::TOO_MANY_REQUESTS
        ) {
            // Each is a state that passes (a configuration saved, space freed, the
            // database back, a limit's minute or hour sliding on): the application may
            // try again in a minute.
            response.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from_static(RETRY_AFTER_SECONDS),
            );
        }
        response
    }
}

/// What `Retry-After` says with a 503 or a 507.
pub const RETRY_AFTER_SECONDS: &str = "60";

/// The credential in `Authorization: Basic`, checked like an SMTP sign-in.
async fn credential(
    relay: &Relay,
    client: SocketAddr,
    headers: &HeaderMap,
) -> Result<Submitter, ApiRefusal> {
    let encoded = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .ok_or(ApiRefusal::Unauthorized)?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| ApiRefusal::Unauthorized)?;
    let decoded = String::from_utf8(decoded).map_err(|_| ApiRefusal::Unauthorized)?;
    let (name, password) = decoded.split_once(':').ok_or(ApiRefusal::Unauthorized)?;
    let password = SecretString::from(password.to_owned());
    match relay.auth.check(client.ip(), name, &password).await {
        Ok(Verdict::Accepted(name, scope)) => Ok(Submitter::credential(name, scope)),
        Ok(Verdict::NotFromHere(name)) => Err(ApiRefusal::NotFromHere {
            credential: name.as_str().to_owned(),
            client: client.ip(),
        }),
        Ok(Verdict::Refused) => Err(ApiRefusal::Unauthorized),
        Ok(Verdict::TooMany) => Err(ApiRefusal::TooManyAttempts),
        Err(error) => Err(ApiRefusal::Unavailable(error.to_string())),
    }
}

pub async fn submit(
    State(relay): State<Arc<Relay>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiRefusal> {
    let submitter = credential(&relay, client, &headers).await?;
    let now = crate::server::time::unix_millis(std::time::SystemTime::now());
    submitter
        .check_quota(&relay.store, now)
        .await
        .map_err(ApiRefusal::Refused)?;
    let idempotency_key = headers
        .get("idempotency-key")
        .map(|v| {
            v.to_str()
                .ok()
                .filter(|k| !k.is_empty() && k.len() <= 255)
                .map(str::to_owned)
                .ok_or(ApiRefusal::Invalid {
                    field: "Idempotency-Key",
                    error: "1 to 255 visible ASCII characters".to_owned(),
                })
        })
        .transpose()?;
    let senders = relay.allowed_senders().await.map_err(ApiRefusal::Refused)?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let submitted_by = submitter.submitted_by().to_owned();
    let mail_from = senders.mailbox().as_str().to_owned();
    // A new message is queued; a repeated Idempotency-Key answers with the first
    // message's status as it is now.
    let enqueued = if content_type.starts_with("message/rfc822") {
        let incoming = relay.receive(Submission {
            submitter,
            mail_from,
            mail_from_chosen: false,
            recipients: Recipients::FromHeaders,
            idempotency_key,
        });
        streamed(incoming, body, relay.settings.max_bytes).await?
    } else if content_type.starts_with("application/json") {
        let body = whole(body, relay.settings.max_bytes).await?;
        let request: NewMessageJson =
            serde_json::from_slice(&body).map_err(|e| ApiRefusal::Invalid {
                field: "body",
                error: e.to_string(),
            })?;
        let (recipients, message) = compose(&request, senders.mailbox(), senders.display_name())?;
        let mut incoming = relay.receive(Submission {
            submitter,
            mail_from,
            mail_from_chosen: false,
            recipients: Recipients::Given(recipients),
            idempotency_key,
        });
        incoming.push(&message).await;
        incoming.finish().await.map_err(ApiRefusal::Refused)?
    } else {
        return Err(ApiRefusal::Invalid {
            field: "Content-Type",
            error: "send application/json or message/rfc822".to_owned(),
        });
    };
    let (id, status) = match enqueued {
        Enqueued::Queued { id } => (id, "queued"),
        Enqueued::AlreadyQueued { id } => {
            let entry = relay
                .store
                .outbox_entry(&id, &submitted_by)
                .await
                .map_err(|e| ApiRefusal::Unavailable(e.to_string()))?;
            let status = entry.map_or("queued", |e| e.status.key());
            (id, status)
        }
    };
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"id": id, "status": status})),
    )
        .into_response())
}

pub async fn status(
    State(relay): State<Arc<Relay>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiRefusal> {
    let name = credential(&relay, client, &headers).await?;
    let entry = relay
        .store
        .outbox_entry(&id, name.submitted_by())
        .await
        .map_err(|e| ApiRefusal::Unavailable(e.to_string()))?
        .ok_or(ApiRefusal::NotFound)?;
    let reports = relay
        .store
        .delivery_reports(&entry.id)
        .await
        .map_err(|e| ApiRefusal::Unavailable(e.to_string()))?;
    Ok(Json(status_json(&entry, &reports)).into_response())
}

fn status_json(entry: &OutboxEntry, reports: &[DeliveryReport]) -> serde_json::Value {
    let reports: Vec<serde_json::Value> = reports
        .iter()
        .map(|line| {
            json!({
                "recipient": line.recipient,
                "action": line.action.key(),
                "status": line.status,
                "diagnostic": line.diagnostic,
                "reporting_mta": line.reporting_mta,
                "read_at": utc(line.read_at),
            })
        })
        .collect();
    json!({
        "id": entry.id,
        "internet_message_id": entry.internet_message_id,
        "status": entry.status.key(),
        "attempts": entry.attempts,
        "next_attempt_at": entry.next_attempt_at.map(utc),
        "last_error": entry.last_error.as_ref().map(|words| &words.en),
        "reports": reports,
    })
}

/// A `message/rfc822` body into the outbox frame by frame, as it arrives: a refusal is
/// answered at once, without reading the rest.
async fn streamed(
    mut incoming: Incoming<'_>,
    mut body: Body,
    max_bytes: usize,
) -> Result<Enqueued, ApiRefusal> {
    use http_body_util::BodyExt as _;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| unreadable(&e, max_bytes))?;
        if let Some(bytes) = frame.data_ref() {
            incoming.push(bytes).await;
            if incoming.refused() {
                break;
            }
        }
    }
    incoming.finish().await.map_err(ApiRefusal::Refused)
}

/// A JSON body, whole (it is parsed whole); the request limit bounds it.
async fn whole(body: Body, max_bytes: usize) -> Result<axum::body::Bytes, ApiRefusal> {
    use http_body_util::BodyExt as _;
    Ok(body
        .collect()
        .await
        .map_err(|e| unreadable(&e, max_bytes))?
        .to_bytes())
}

/// A body that could not be read: longer than the request limit, or cut off.
fn unreadable(error: &axum::Error, max_bytes: usize) -> ApiRefusal {
    let too_long = std::iter::successors(Some(error as &(dyn std::error::Error + 'static)), |e| {
        e.source()
    })
    .any(|e| e.is::<http_body_util::LengthLimitError>());
    if too_long {
        ApiRefusal::Refused(Refusal::TooLarge { limit: max_bytes })
    } else {
        ApiRefusal::Invalid {
            field: "body",
            error: format!("the request body could not be read: {error}"),
        }
    }
}

fn compose(
    request: &NewMessageJson,
    mailbox: &crate::domain::MailboxAddress,
    display_name: &str,
) -> Result<(Vec<String>, Vec<u8>), ApiRefusal> {
    let parse = |field: &'static str, text: &str| {
        text.parse::<Mailbox>().map_err(|e| ApiRefusal::Invalid {
            field,
            error: format!("{text:?}: {e}"),
        })
    };
    if request.to.is_empty() && request.cc.is_empty() && request.bcc.is_empty() {
        return Err(ApiRefusal::Invalid {
            field: "to",
            error: "at least one recipient in to, cc or bcc".to_owned(),
        });
    }
    let from = parse("from", mailbox.as_str())?;
    let from = Mailbox::new(
        Some(display_name.to_owned()).filter(|n| !n.is_empty()),
        from.email,
    );
    let mut builder = Message::builder().from(from).subject(&request.subject);
    let mut recipients = Vec::new();
    for (field, list) in [
        ("to", &request.to),
        ("cc", &request.cc),
        ("bcc", &request.bcc),
    ] {
        for text in list {
            let address = parse(field, text)?;
            recipients.push(address.email.to_string());
            builder = match field {
                "to" => builder.to(address),
                "cc" => builder.cc(address),
                _ => builder.bcc(address),
            };
        }
    }
    if let Some(reply_to) = &request.reply_to {
        builder = builder.reply_to(parse("reply_to", reply_to)?);
    }
    let built = match (&request.text, &request.html) {
        (Some(text), Some(html)) => builder.multipart(MultiPart::alternative_plain_html(
            text.clone(),
            html.clone(),
        )),
        (Some(text), None) => builder.singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .body(text.clone()),
        ),
        (None, Some(html)) => builder.singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_HTML)
                .body(html.clone()),
        ),
        (None, None) => {
            return Err(ApiRefusal::Invalid {
                field: "text",
                error: "a text or an html body".to_owned(),
            })
        }
    };
    let message = built.map_err(|e| ApiRefusal::Invalid {
        field: "body",
        error: e.to_string(),
    })?;
    Ok((recipients, message.formatted()))
}
