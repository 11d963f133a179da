//! Reads the access token's claims before SMTP is tried, so that the commonest setup
//! mistakes (no admin consent, permission under the wrong API, token for another app or
//! tenant) are named precisely instead of surfacing as Exchange's generic 535 5.7.3.
//! No signature check: we are the client; Exchange verifies the signature.

use crate::api::report::Words;
use base64::Engine as _;
use serde::Deserialize;

use crate::domain::{ClientId, TenantId};

/// Exchange Online's well-known application ID, the same in every cloud: a token's
/// audience may name it instead of the resource URL.
pub const EXCHANGE_APP_ID: &str = "00000002-0000-0ff1-ce00-000000000000";

/// Whether `audience` is the chosen cloud's Exchange resource (URL, with or without a
/// trailing slash, or Exchange's app ID).
fn is_exchange(audience: &str, resource: &str) -> bool {
    audience.trim_end_matches('/') == resource || audience == EXCHANGE_APP_ID
}

/// The application permission SMTP AUTH with app-only tokens needs.
pub const SMTP_ROLE: &str = "SMTP.SendAsApp";
/// The application permission IMAP with app-only tokens needs.
pub const IMAP_ROLE: &str = "IMAP.AccessAsApp";

#[derive(Debug, Deserialize)]
struct Claims {
    #[serde(default)]
    aud: Option<serde_json::Value>,
    #[serde(default)]
    tid: Option<String>,
    /// v1 tokens name the client `appid`, v2 tokens `azp`.
    #[serde(default)]
    appid: Option<String>,
    #[serde(default)]
    azp: Option<String>,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    exp: Option<i64>,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum InspectionProblem {
    #[error("the access token is not a readable JWT ({0})")]
    NotAJwt(String),
    #[error("the token is for {found:?}, not for Exchange Online ({expected})")]
    WrongAudience { found: String, expected: String },
    #[error("the token was issued by tenant {found}, not by the TenantId entered")]
    WrongTenant { found: String },
    #[error("the token was issued to app {found}, not to the SMTP User entered")]
    WrongApp { found: String },
    #[error("the token has no {role} role (roles: {})", if .roles.is_empty() { "none".to_owned() } else { .roles.join(", ") })]
    MissingRole {
        role: &'static str,
        roles: Vec<String>,
    },
    #[error("the token has already expired")]
    Expired,
}

/// Checks the token against what the form says; on success, a one-line summary.
pub fn inspect(
    token: &str,
    exchange_resource: &str,
    tenant: &TenantId,
    client_id: &ClientId,
    role: &'static str,
    now_unix: i64,
) -> Result<Words, InspectionProblem> {
    let claims = decode(token)?;
    let audience = match &claims.aud {
        Some(serde_json::Value::String(aud)) => aud.clone(),
        Some(serde_json::Value::Array(list)) => list
            .iter()
            .filter_map(|v| v.as_str())
            .find(|a| is_exchange(a, exchange_resource))
            .or_else(|| list.first().and_then(|v| v.as_str()))
            .unwrap_or_default()
            .to_owned(),
        _ => String::new(),
    };
    if !is_exchange(&audience, exchange_resource) {
        return Err(InspectionProblem::WrongAudience {
            found: audience,
            expected: exchange_resource.to_owned(),
        });
    }
    if let Some(tid) = &claims.tid {
        if tenant.is_guid() && !tid.eq_ignore_ascii_case(tenant.as_str()) {
            return Err(InspectionProblem::WrongTenant { found: tid.clone() });
        }
    }
    if let Some(app) = claims.appid.as_ref().or(claims.azp.as_ref()) {
        if !app.eq_ignore_ascii_case(client_id.as_str()) {
            return Err(InspectionProblem::WrongApp { found: app.clone() });
        }
    }
    if !claims.roles.iter().any(|r| r == role) {
        return Err(InspectionProblem::MissingRole {
            role,
            roles: claims.roles,
        });
    }
    if claims.exp.is_some_and(|exp| exp <= now_unix) {
        return Err(InspectionProblem::Expired);
    }
    let minutes = claims.exp.map(|exp| (exp - now_unix) / 60);
    let (valid_en, valid_pt) = minutes
        .map(|m| {
            (
                format!(", valid for {m} more minutes"),
                format!(", válido por mais {m} minutos"),
            )
        })
        .unwrap_or_default();
    Ok(Words::new(
        format!("audience {audience}, role {role}{valid_en}"),
        format!("público {audience}, função {role}{valid_pt}"),
    ))
}

fn decode(token: &str) -> Result<Claims, InspectionProblem> {
    let mut parts = token.split('.');
    let (Some(_header), Some(payload), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(InspectionProblem::NotAJwt(
            "not three dot-separated parts".into(),
        ));
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|e| InspectionProblem::NotAJwt(format!("payload is not base64url: {e}")))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| InspectionProblem::NotAJwt(format!("payload is not JSON claims: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    const APP: &str = "a1b2c3d4-e5f6-4789-abcd-0123456789ab";
    const NOW: i64 = 1_800_000_000;

    fn token(claims: serde_json::Value) -> String {
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!(
            "{}.{}.c2ln",
            engine.encode(br#"{"alg":"RS256","typ":"JWT"}"#),
            engine.encode(claims.to_string())
        )
    }

    fn good() -> serde_json::Value {
        serde_json::json!({
            "aud": "https://outlook.office365.com",
            "tid": TENANT,
            "appid": APP,
            "roles": ["SMTP.SendAsApp", "IMAP.AccessAsApp"],
            "exp": NOW + 3600,
        })
    }

    fn check(claims: serde_json::Value) -> Result<Words, InspectionProblem> {
        check_with(claims, TENANT)
    }

    const GLOBAL: &str = "https://outlook.office365.com";

    #[test]
    fn the_audience_is_the_chosen_clouds() {
        let us = inspect(
            &token(with("aud", "https://outlook.office365.us/".into())),
            "https://outlook.office365.us",
            &TenantId::parse(TENANT).unwrap(),
            &ClientId::parse(APP).unwrap(),
            SMTP_ROLE,
            NOW,
        );
        assert!(us.is_ok(), "{us:?}");
        // A global token is refused when the tenant is in GCC High, and says so.
        let global = inspect(
            &token(good()),
            "https://outlook.office365.us",
            &TenantId::parse(TENANT).unwrap(),
            &ClientId::parse(APP).unwrap(),
            SMTP_ROLE,
            NOW,
        );
        assert!(
            matches!(global, Err(InspectionProblem::WrongAudience { ref expected, .. }) if expected == "https://outlook.office365.us")
        );
    }

    fn check_with(claims: serde_json::Value, tenant: &str) -> Result<Words, InspectionProblem> {
        inspect(
            &token(claims),
            GLOBAL,
            &TenantId::parse(tenant).unwrap(),
            &ClientId::parse(APP).unwrap(),
            SMTP_ROLE,
            NOW,
        )
    }

    fn with(key: &str, value: serde_json::Value) -> serde_json::Value {
        let mut claims = good();
        claims[key] = value;
        claims
    }

    #[test]
    fn an_exchange_token_with_the_role_passes() {
        let summary = check(good()).unwrap();
        assert!(
            summary.en.contains("valid for 60 more minutes"),
            "{summary}"
        );
        assert!(check(with("aud", "00000002-0000-0ff1-ce00-000000000000".into())).is_ok());
    }

    #[test]
    fn missing_role_is_found_before_smtp() {
        assert_eq!(
            check(with("roles", serde_json::json!([]))),
            Err(InspectionProblem::MissingRole {
                role: SMTP_ROLE,
                roles: vec![]
            })
        );
        // The mailbox check asks for its own role: an SMTP-only token lacks it.
        let smtp_only = inspect(
            &token(with("roles", serde_json::json!(["SMTP.SendAsApp"]))),
            GLOBAL,
            &TenantId::parse(TENANT).unwrap(),
            &ClientId::parse(APP).unwrap(),
            IMAP_ROLE,
            NOW,
        );
        assert!(
            matches!(
                smtp_only,
                Err(InspectionProblem::MissingRole { role: IMAP_ROLE, ref roles }) if roles == &["SMTP.SendAsApp"]
            ),
            "{smtp_only:?}"
        );
        let mut claims = good();
        claims.as_object_mut().unwrap().remove("roles");
        assert!(matches!(
            check(claims),
            Err(InspectionProblem::MissingRole { .. })
        ));
    }

    #[test]
    fn other_audience_tenant_app_and_expiry() {
        assert!(matches!(
            check(with("aud", "https://graph.microsoft.com".into())),
            Err(InspectionProblem::WrongAudience { .. })
        ));
        assert!(matches!(
            check(with("tid", "00000000-0000-4000-8000-000000000000".into())),
            Err(InspectionProblem::WrongTenant { .. })
        ));
        assert!(matches!(
            check(with("appid", "00000000-0000-4000-8000-000000000000".into())),
            Err(InspectionProblem::WrongApp { .. })
        ));
        assert_eq!(
            check(with("exp", (NOW - 1).into())),
            Err(InspectionProblem::Expired)
        );
    }

    #[test]
    fn a_tenant_domain_skips_the_tid_comparison() {
        let claims = with("tid", "00000000-0000-4000-8000-000000000000".into());
        assert!(check_with(claims, "contoso.onmicrosoft.com").is_ok());
    }

    #[test]
    fn v2_tokens_name_the_app_azp() {
        let mut claims = good();
        claims.as_object_mut().unwrap().remove("appid");
        claims["azp"] = APP.into();
        assert!(check(claims).is_ok());
    }

    #[test]
    fn opaque_tokens_are_reported() {
        let tenant = TenantId::parse(TENANT).unwrap();
        let app = ClientId::parse(APP).unwrap();
        assert!(matches!(
            inspect("opaque", GLOBAL, &tenant, &app, SMTP_ROLE, NOW),
            Err(InspectionProblem::NotAJwt(_))
        ));
        assert!(matches!(
            inspect("a.!!!.c", GLOBAL, &tenant, &app, SMTP_ROLE, NOW),
            Err(InspectionProblem::NotAJwt(_))
        ));
        assert!(matches!(
            inspect("a.bm90IGpzb24.c", GLOBAL, &tenant, &app, SMTP_ROLE, NOW),
            Err(InspectionProblem::NotAJwt(_))
        ));
    }
}
