//! Standard Webhooks' signature: `v1,` and the base64 of HMAC-SHA256, keyed by the
//! secret's bytes, over `{webhook-id}.{webhook-timestamp}.{body}`. A secret is
//! `whsec_` and the base64 of 24 random bytes; shown once, then kept sealed.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac as _};
use secrecy::{ExposeSecret as _, SecretString};
use sha2::Sha256;

use crate::server::store::sealing::{random_bytes, SealError};

const PREFIX: &str = "whsec_";

/// A new signing secret.
pub fn new_secret() -> Result<SecretString, SealError> {
    let bytes = random_bytes::<24>()?;
    Ok(SecretString::from(format!(
        "{PREFIX}{}",
        STANDARD.encode(bytes)
    )))
}

/// The `webhook-signature` header's value; `None` for a secret that is not one of ours.
pub fn sign(secret: &SecretString, id: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = STANDARD
        .decode(secret.expose_secret().strip_prefix(PREFIX)?)
        .ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Some(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks specification.
    #[test]
    fn the_specifications_example_is_signed_as_it_says() {
        let secret = SecretString::from("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        assert_eq!(
            sign(
                &secret,
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1_614_265_330,
                r#"{"test": 2432232314}"#
            )
            .as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
        assert_eq!(sign(&SecretString::from("not ours"), "a", 1, "b"), None);
        let fresh = new_secret().expect("random");
        assert!(fresh.expose_secret().starts_with("whsec_"));
        assert!(sign(&fresh, "a", 1, "b").is_some());
    }
}
