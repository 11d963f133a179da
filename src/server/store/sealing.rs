//! Secrets at rest: XChaCha20-Poly1305 (RustCrypto) with a random 24-byte nonce per
//! sealing, so nonces never repeat in practice without any counter to keep. The name of
//! the field is the associated data: a sealed password cannot be passed off as a
//! client secret by swapping columns.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use secrecy::SecretString;

pub const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 24;

/// The 32-byte key. No `Debug` with the bytes, no `Display`.
pub struct SealingKey(XChaCha20Poly1305);

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealingKey([redacted])")
    }
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("the system's random generator failed")]
    Random,
    #[error("the sealed value is damaged or was sealed with another key")]
    Open,
}

impl SealingKey {
    pub fn from_bytes(bytes: &[u8; KEY_LEN]) -> Self {
        Self(XChaCha20Poly1305::new(bytes.into()))
    }

    /// `nonce || ciphertext+tag`.
    pub fn seal(&self, purpose: &str, plaintext: &[u8]) -> Result<Vec<u8>, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|_| SealError::Random)?;
        let sealed = self
            .0
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: purpose.as_bytes(),
                },
            )
            .map_err(|_| SealError::Random)?;
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    pub fn open(&self, purpose: &str, sealed: &[u8]) -> Result<Vec<u8>, SealError> {
        if sealed.len() < NONCE_LEN {
            return Err(SealError::Open);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        self.0
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: purpose.as_bytes(),
                },
            )
            .map_err(|_| SealError::Open)
    }

    pub fn open_secret(&self, purpose: &str, sealed: &[u8]) -> Result<SecretString, SealError> {
        let bytes = self.open(purpose, sealed)?;
        String::from_utf8(bytes)
            .map(SecretString::from)
            .map_err(|_| SealError::Open)
    }
}

/// Fresh random bytes for a key, a session ID or a sign-in token.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], SealError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|_| SealError::Random)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_and_open_round_trip_with_fresh_nonces() {
        let key = SealingKey::from_bytes(&[7; KEY_LEN]);
        let a = key.seal("client_secret", b"Peer8Q~value").unwrap();
        let b = key.seal("client_secret", b"Peer8Q~value").unwrap();
        assert_ne!(a, b, "every sealing takes a new nonce");
        assert_eq!(key.open("client_secret", &a).unwrap(), b"Peer8Q~value");
        assert!(!a.windows(6).any(|w| w == b"Peer8Q"));
    }

    #[test]
    fn another_key_another_purpose_or_a_flipped_bit_do_not_open() {
        let key = SealingKey::from_bytes(&[7; KEY_LEN]);
        let other = SealingKey::from_bytes(&[8; KEY_LEN]);
        let mut sealed = key.seal("client_secret", b"value").unwrap();
        assert_eq!(other.open("client_secret", &sealed), Err(SealError::Open));
        assert_eq!(key.open("password", &sealed), Err(SealError::Open));
        sealed[30] ^= 1;
        assert_eq!(key.open("client_secret", &sealed), Err(SealError::Open));
        assert_eq!(key.open("client_secret", b"short"), Err(SealError::Open));
    }
}
