//! The token request: Entra ID's refusals (by their AADSTS code) and an endpoint that
//! cannot be reached or answers nonsense.

use crate::api::report::{Failure, Step};
use crate::domain::Field;
use crate::server::entra::{error_chain, EntraError, TokenError};

/// Known AADSTS codes: the codes, the field at fault, what happened, and the fix.
type Known = (&'static [u64], Option<Field>, &'static str, &'static str);

const AADSTS: &[Known] = &[
    (
        &[7000215],
        Some(Field::ClientSecret),
        "Entra ID refused the client secret.",
        "Paste the secret's Value, not its Secret ID (App registrations → your app → \
         Certificates & secrets). The Value is shown only right after the secret is \
         created: if you no longer have it, create a new client secret and paste its Value.",
    ),
    (
        &[7000222],
        Some(Field::ClientSecret),
        "The client secret has expired.",
        "Create a new client secret (Certificates & secrets → New client secret) and paste \
         its Value into SMTP Password.",
    ),
    (
        &[700016],
        Some(Field::ClientId),
        "No application with this Application (client) ID exists in this tenant.",
        "Check SMTP User against the app registration's Overview page (Application (client) \
         ID), and that TenantId is the tenant where the app is registered.",
    ),
    (
        &[90002, 900023],
        Some(Field::TenantId),
        "Entra ID does not know this tenant.",
        "Copy the Tenant ID from the Entra admin center (Overview → Tenant ID), or use the \
         tenant's onmicrosoft.com domain. A tenant in a national cloud needs that cloud's \
         sign-in endpoint.",
    ),
    (
        &[900382],
        Some(Field::TenantId),
        "The app is registered in a different Microsoft cloud than the one asked.",
        "Pick the cloud where the tenant lives (Global, US Government, China), or register \
         the app in this cloud.",
    ),
    (
        &[53003, 53000, 53001],
        None,
        "A Conditional Access policy blocked the token request.",
        "Ask the Entra administrator to exclude this app (service principal) from the \
         policy, or to allow sign-ins from this server's network location; the sign-in logs \
         show which policy applied.",
    ),
    (
        &[1002012, 70011],
        None,
        "Entra ID refused the requested scope.",
        "The scope is the Exchange Online resource of the chosen cloud followed by \
         /.default (https://outlook.office365.com/.default in the global cloud). Check that \
         Cloud is the one the tenant lives in.",
    ),
    (
        &[7000218, 700027],
        Some(Field::ClientSecret),
        "Entra ID wants a client credential that was not accepted.",
        "Create a client secret for the app registration and paste its Value into SMTP Password.",
    ),
];

const UNKNOWN: Known = (
    &[],
    None,
    "Entra ID refused the token request.",
    "Read Entra's message below; searching its AADSTS code in Microsoft's documentation \
     explains it.",
);

pub fn token_failure(error: &TokenError, authority: &str) -> Failure {
    let at = |summary: String| Failure::at(Step::TokenRequest, summary);
    match error {
        TokenError::Rejected(entra) => rejected(entra),
        TokenError::Timeout(limit) => at(format!(
            "{authority} did not answer within {} s.",
            limit.as_secs()
        ))
        .detail(error.to_string())
        .fix(
            "Check that this server can reach the Entra ID sign-in endpoint over HTTPS \
             (proxy, firewall, DNS), then try again.",
        ),
        TokenError::Unreachable(source) => at(format!("Could not reach {authority}."))
            .detail(error_chain(source))
            .fix("Check this server's outbound HTTPS access, DNS and proxy settings."),
        TokenError::UnexpectedResponse { status, detail } => at(format!(
            "The token endpoint gave an unexpected answer (HTTP {status})."
        ))
        .detail(detail.clone())
        .code(format!("HTTP {status}"))
        .fix(
            "This is usually a temporary problem at Microsoft or a proxy in between: try \
             again in a few minutes.",
        ),
    }
}

fn rejected(entra: &EntraError) -> Failure {
    let code = entra.aadsts();
    let (_, field, summary, fix) = AADSTS
        .iter()
        .find(|(codes, ..)| code.is_some_and(|c| codes.contains(&c)))
        .unwrap_or(&UNKNOWN);
    let references = [
        ("Trace ID", &entra.trace_id),
        ("Correlation ID", &entra.correlation_id),
    ]
    .into_iter()
    .filter_map(|(name, value)| value.clone().map(|v| (name.to_owned(), v)))
    .collect();
    let detail = if entra.error_description.is_empty() {
        &entra.error
    } else {
        &entra.error_description
    };
    Failure::at(Step::TokenRequest, *summary)
        .field(*field)
        .detail(detail.clone())
        .code(
            code.map(|c| format!("AADSTS{c}"))
                .or_else(|| (!entra.error.is_empty()).then(|| entra.error.clone())),
        )
        .fix(*fix)
        .references(references)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::entra::parse_token_response;

    fn entra(body: &str) -> Failure {
        match parse_token_response(400, body.as_bytes()) {
            Err(error) => token_failure(&error, "https://login.microsoftonline.com"),
            Ok(_) => panic!("expected an error"),
        }
    }

    fn with_code(code: u64) -> Failure {
        entra(&format!(
            r#"{{"error":"invalid_request","error_description":"AADSTS{code}: words","error_codes":[{code}]}}"#
        ))
    }

    #[test]
    fn wrong_secret_points_at_the_client_secret() {
        let failure = entra(
            r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app 'x'.","error_codes":[7000215],"trace_id":"t-1","correlation_id":"c-1"}"#,
        );
        assert_eq!(failure.step, Step::TokenRequest);
        assert_eq!(failure.field, Some(Field::ClientSecret));
        assert_eq!(failure.code.as_deref(), Some("AADSTS7000215"));
        assert!(failure
            .detail
            .starts_with("AADSTS7000215: Invalid client secret provided."));
        assert!(failure.fix.contains("Value"));
        assert_eq!(
            failure.references,
            vec![
                ("Trace ID".into(), "t-1".into()),
                ("Correlation ID".into(), "c-1".into())
            ]
        );
    }

    #[test]
    fn every_known_code_gets_its_own_field_and_fix() {
        for (codes, field, summary, fix) in AADSTS {
            for &code in *codes {
                let failure = with_code(code);
                assert_eq!(failure.field, *field, "AADSTS{code}");
                assert_eq!(failure.summary, *summary, "AADSTS{code}");
                assert_eq!(failure.fix, *fix, "AADSTS{code}");
                assert_eq!(failure.code, Some(format!("AADSTS{code}")));
            }
        }
        // Spot checks of the words, so that a row cannot be emptied unnoticed.
        assert!(with_code(53003).summary.contains("Conditional Access"));
        assert!(with_code(70011).fix.contains("/.default"));
        assert!(with_code(700027).fix.contains("client secret"));
        assert!(with_code(900382).fix.contains("cloud"));
        assert_eq!(with_code(700016).field, Some(Field::ClientId));
        assert_eq!(with_code(90002).field, Some(Field::TenantId));
        assert!(with_code(7000222).fix.contains("new client secret"));
    }

    #[test]
    fn unknown_entra_errors_keep_the_raw_text() {
        let failure = entra(
            r#"{"error":"temporarily_unavailable","error_description":"AADSTS50196: The server terminated an operation because it encountered a client request loop."}"#,
        );
        assert_eq!(failure.field, None);
        assert_eq!(failure.summary, UNKNOWN.2);
        assert_eq!(failure.code.as_deref(), Some("AADSTS50196"));
        assert!(failure.detail.contains("client request loop"));
        let bare = entra(r#"{"error":"invalid_grant"}"#);
        assert_eq!(bare.code.as_deref(), Some("invalid_grant"));
        assert_eq!(bare.detail, "invalid_grant");
    }
}
