//! Relay credentials: a name an application signs in with, and a generated password kept
//! only as an Argon2id hash. Checking one costs tens of milliseconds of CPU on purpose, so
//! it runs off the async threads, and wrong passwords are limited per client address.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::Argon2;
use base64::Engine as _;
use secrecy::{ExposeSecret as _, SecretString};

use crate::domain::CredentialScope;
use crate::server::store::sealing::random_bytes;
use crate::server::store::{Store, StoreError};
use crate::server::time::unix_millis;

/// Wrong passwords allowed per client address and minute, as for the sign-in.
const FAILURES_PER_MINUTE: usize = 10;
const MINUTE: std::time::Duration = std::time::Duration::from_secs(60);

/// A credential's name: what an application gives as its user name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialName(String);

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("a credential name is 1 to 64 letters, digits, dots, dashes or underscores")]
pub struct BadCredentialName;

impl CredentialName {
    pub fn parse(text: &str) -> Result<Self, BadCredentialName> {
        let ok = (1..=64).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
        ok.then(|| Self(text.to_owned())).ok_or(BadCredentialName)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for CredentialName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("no random numbers from the operating system")]
    Random,
    #[error("cannot hash the password: {0}")]
    Hash(argon2::password_hash::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the password check did not finish: {0}")]
    Join(#[from] tokio::task::JoinError),
}

/// A new credential's password: 32 characters from 192 random bits, shown once. Never
/// one that begins with `-`: command lines (the page's swaks example among them) would
/// read it as an option, so such a draw is drawn again.
pub fn generate_password() -> Result<SecretString, CredentialError> {
    loop {
        let bytes = random_bytes::<24>().map_err(|_| CredentialError::Random)?;
        let password = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        if !password.starts_with('-') {
            return Ok(SecretString::from(password));
        }
    }
}

/// The PHC string (`$argon2id$v=19$…`) of `password`, with a fresh salt.
pub fn hash_password(password: &SecretString) -> Result<String, CredentialError> {
    let salt = random_bytes::<16>().map_err(|_| CredentialError::Random)?;
    let salt = SaltString::encode_b64(&salt).map_err(CredentialError::Hash)?;
    Argon2::default()
        .hash_password(password.expose_secret().as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(CredentialError::Hash)
}

fn verify_password(hash: &str, password: &SecretString) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.expose_secret().as_bytes(), &parsed)
            .is_ok()
    })
}

/// Adds a credential with a new password, returned to be shown once, limited to
/// `scope`. `None`: the name is taken.
pub async fn add(
    store: &Store,
    name: &CredentialName,
    scope: &CredentialScope,
) -> Result<Option<SecretString>, CredentialError> {
    let password = generate_password()?;
    let hashed = password.clone();
    let hash = tokio::task::spawn_blocking(move || hash_password(&hashed)).await??;
    let added = store
        .add_credential(name.as_str(), &hash, scope, unix_millis(SystemTime::now()))
        .await?;
    Ok(added.then_some(password))
}

/// What a sign-in to the relay came to.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The right password, from an address the credential may be used from.
    Accepted(CredentialName, CredentialScope),
    Refused,
    /// The right password from an address outside the credential's list.
    NotFromHere(CredentialName),
    /// Too many wrong passwords from this address in the last minute.
    TooMany,
}

/// Checks relay sign-ins against the store (a credential added meanwhile works at once).
pub struct RelayAuth {
    store: Arc<Store>,
    failures: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
}

impl RelayAuth {
    pub fn new(store: Arc<Store>) -> Self {
        Self {
            store,
            failures: Mutex::new(HashMap::new()),
        }
    }

    pub async fn check(
        &self,
        client: IpAddr,
        name: &str,
        password: &SecretString,
    ) -> Result<Verdict, CredentialError> {
        if self.recent_failures(client) >= FAILURES_PER_MINUTE {
            return Ok(Verdict::TooMany);
        }
        let parsed = CredentialName::parse(name).ok();
        let found = match &parsed {
            Some(name) => self.store.credential_hash(name.as_str()).await?,
            None => None,
        };
        let (hash, scope) = found.unzip();
        let password = password.clone();
        let matches = tokio::task::spawn_blocking(move || match hash {
            Some(hash) => verify_password(&hash, &password),
            None => {
                // As long as a real check: the time does not tell which names exist.
                let _ = hash_password(&password);
                false
            }
        })
        .await?;
        match parsed.filter(|_| matches) {
            Some(name)
                if !scope
                    .as_ref()
                    .is_none_or(|scope| scope.allows_client(client)) =>
            {
                Ok(Verdict::NotFromHere(name))
            }
            Some(name) => {
                let used = self
                    .store
                    .credential_used(name.as_str(), unix_millis(SystemTime::now()))
                    .await;
                if let Err(error) = used {
                    // Bookkeeping only: a store that cannot write it (a full disk) must
                    // not refuse the right password; the message's own write then says
                    // what is wrong, in the words made for it.
                    tracing::warn!(%error, credential = %name.as_str(), "the credential's last use could not be recorded");
                }
                Ok(Verdict::Accepted(name, scope.unwrap_or_default()))
            }
            None => {
                self.fail(client);
                Ok(Verdict::Refused)
            }
        }
    }

    fn recent_failures(&self, client: IpAddr) -> usize {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        failures.retain(|_, times| {
            while times
                .front()
                .is_some_and(|t| now.duration_since(*t) > MINUTE)
            {
                times.pop_front();
            }
            !times.is_empty()
        });
        failures.get(&client).map_or(0, VecDeque::len)
    }

    fn fail(&self, client: IpAddr) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        failures
            .entry(client)
            .or_default()
            .push_back(Instant::now());
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn no_generated_password_begins_with_a_dash() {
        // One draw in 64 would; 500 draws show it.
        for _ in 0..500 {
            let password = super::generate_password().expect("a password");
            let password = secrecy::ExposeSecret::expose_secret(&password);
            assert!(!password.starts_with('-'), "a password taken for an option");
            assert_eq!(password.len(), 32);
        }
    }

    use super::*;

    #[test]
    fn names_are_plain_tokens() {
        assert!(CredentialName::parse("erp-01.prod_a").is_ok());
        assert_eq!(CredentialName::parse(""), Err(BadCredentialName));
        assert_eq!(CredentialName::parse("a b"), Err(BadCredentialName));
        assert_eq!(CredentialName::parse("é"), Err(BadCredentialName));
        assert!(CredentialName::parse(&"a".repeat(64)).is_ok());
        assert!(CredentialName::parse(&"a".repeat(65)).is_err());
    }

    #[test]
    fn a_hash_verifies_its_password_only() {
        let password = generate_password().unwrap();
        assert_eq!(password.expose_secret().len(), 32);
        let hash = hash_password(&password).unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(!hash.contains(password.expose_secret()));
        assert!(verify_password(&hash, &password));
        assert!(!verify_password(&hash, &SecretString::from("wrong")));
        assert!(!verify_password("not a hash", &password));
        assert_ne!(
            hash_password(&password).unwrap(),
            hash,
            "a fresh salt each time"
        );
    }
}
