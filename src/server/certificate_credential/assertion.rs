//! The client assertion (RFC 7523, as Entra ID takes it): a JWT signed with the
//! certificate's key, naming the certificate by its thumbprints, for one token request.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::RSA_PSS_SHA256;
use secrecy::SecretString;
use serde_json::json;

use crate::domain::ClientId;
use crate::server::certificate_credential::{base64url, Signer};

/// How long an assertion is good for: long enough for a slow request, short enough
/// that one caught in a log could not be replayed later.
pub const LIFETIME_SECONDS: i64 = 5 * 60;

/// The form field that names the assertion's type.
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

#[derive(Debug, thiserror::Error)]
#[error("the client assertion could not be signed")]
pub struct SignError;

/// The signed assertion: `aud` is the token endpoint, `iss` = `sub` = the client ID, a
/// unique `jti`, valid from `now` for [`LIFETIME_SECONDS`]. PS256, the algorithm
/// Microsoft's documentation names, with `x5t#S256` (and `x5t`, which older tenants and
/// ADFS read) so Entra finds the registered certificate. A secret while it is valid.
pub fn sign(
    signer: &Signer,
    client_id: &ClientId,
    audience: &str,
    now: i64,
) -> Result<SecretString, SignError> {
    let header = json!({
        "alg": "PS256",
        "typ": "JWT",
        "x5t": signer.certificate.x5t(),
        "x5t#S256": signer.certificate.x5t_s256(),
    });
    let mut jti = [0u8; 16];
    getrandom::fill(&mut jti).map_err(|_| SignError)?;
    let claims = json!({
        "aud": audience,
        "iss": client_id.as_str(),
        "sub": client_id.as_str(),
        "jti": jti.iter().map(|b| format!("{b:02x}")).collect::<String>(),
        "nbf": now,
        "iat": now,
        "exp": now + LIFETIME_SECONDS,
    });
    let signing_input = format!(
        "{}.{}",
        base64url(header.to_string().as_bytes()),
        base64url(claims.to_string().as_bytes())
    );
    let mut signature = vec![0; signer.key.public_modulus_len()];
    signer
        .key
        .sign(
            &RSA_PSS_SHA256,
            &SystemRandom::new(),
            signing_input.as_bytes(),
            &mut signature,
        )
        .map_err(|_| SignError)?;
    Ok(SecretString::from(format!(
        "{signing_input}.{}",
        base64url(&signature)
    )))
}
