//! Admin access: a sign-in link printed at start, session cookies, and the limits that
//! keep the page from being used to guess the link or to spam from the mailbox.
//!
//! Sessions and limits live in the store, so that with several instances on one
//! database an administrator signed in on one is signed in on all, and each limit counts
//! every instance's events together. The sign-in token itself is the instance's: a
//! one-time token works on the instance that printed it.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use secrecy::{ExposeSecret as _, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq as _;

use crate::server::store::sealing::random_bytes;
use crate::server::store::{Limited, Store, StoreError};
use crate::server::time::unix_millis;

pub const SESSION_COOKIE: &str = "smtp_setup_session";
/// A session lasts a working day.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(12 * 60 * 60);
/// Wrong sign-in tokens allowed per minute, from anywhere. Guessing a 256-bit token is
/// hopeless anyway; the limit keeps the log and the CPU quiet.
const SIGN_IN_FAILURES_PER_MINUTE: usize = 10;
const MINUTE: Duration = Duration::from_secs(60);
/// The limit's bucket of wrong sign-in tokens.
const SIGN_IN_FAILURES: &str = "sign_in_failures";

/// How the sign-in token is chosen.
pub enum TokenPolicy {
    /// `SMTP_SETUP_ADMIN_TOKEN`: fixed, reusable (scripted deployments, several
    /// instances, tests).
    Fixed(SecretString),
    /// Random, good for one sign-in; a new one is printed after each use.
    OneTime,
}

pub struct Admin {
    policy_fixed: bool,
    token: Mutex<SecretString>,
    store: Arc<Store>,
    test_sends_per_minute: usize,
}

/// The result of a sign-in attempt.
#[derive(Debug)]
pub enum SignIn {
    /// The new session's cookie value (already remembered by the store).
    Accepted {
        session: SecretString,
    },
    Refused,
    TooManyAttempts,
}

/// A session, as found by the middleware (the hash of its cookie value).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SessionKey([u8; 32]);

impl SessionKey {
    /// The SHA-256 of the cookie value: what the store keeps.
    pub fn hash(&self) -> &[u8; 32] {
        &self.0
    }

    /// The bucket of this session's test sends.
    fn test_sends(&self) -> String {
        let hex: String = self.0[..16].iter().map(|b| format!("{b:02x}")).collect();
        format!("test_sends:{hex}")
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the system's random generator failed")]
pub struct RandomFailed;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(transparent)]
    Random(#[from] RandomFailed),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Admin {
    pub fn new(
        policy: TokenPolicy,
        store: Arc<Store>,
        test_sends_per_minute: usize,
    ) -> Result<Self, RandomFailed> {
        let (fixed, token) = match policy {
            TokenPolicy::Fixed(token) => (true, token),
            TokenPolicy::OneTime => (false, random_token()?),
        };
        Ok(Self {
            policy_fixed: fixed,
            token: Mutex::new(token),
            store,
            test_sends_per_minute,
        })
    }

    /// The current sign-in token, for the line printed at start (and after each use of a
    /// one-time token).
    pub fn sign_in_token(&self) -> SecretString {
        lock(&self.token).clone()
    }

    /// Checks `offered` in constant time; on success opens a session and remembers it.
    /// A one-time token is replaced at once; the caller prints the new link.
    pub async fn sign_in(&self, offered: &str) -> Result<SignIn, AdminError> {
        let now = unix_millis(SystemTime::now());
        if self
            .store
            .is_full(SIGN_IN_FAILURES, SIGN_IN_FAILURES_PER_MINUTE, MINUTE, now)
            .await?
        {
            return Ok(SignIn::TooManyAttempts);
        }
        let accepted = {
            let mut token = lock(&self.token);
            let matches: bool = token
                .expose_secret()
                .as_bytes()
                .ct_eq(offered.as_bytes())
                .into();
            if matches && !self.policy_fixed {
                *token = random_token()?;
            }
            matches
        };
        if !accepted {
            // Counted, not enforced here: a full bucket refuses the next attempt above.
            let _ = self
                .store
                .take_place(SIGN_IN_FAILURES, usize::MAX, MINUTE, now)
                .await?;
            return Ok(SignIn::Refused);
        }
        let session = random_token()?;
        let key = hash(session.expose_secret());
        let wall = SystemTime::now();
        self.store
            .remember_session(&key, wall + SESSION_LIFETIME)
            .await?;
        // Expired sessions go as new ones come.
        self.store.forget_expired_sessions(wall).await?;
        Ok(SignIn::Accepted { session })
    }

    /// Whether each sign-in replaces the token (so a new link must be printed).
    pub fn is_one_time(&self) -> bool {
        !self.policy_fixed
    }

    /// The live session a cookie value names, if any (whichever instance opened it).
    pub async fn session(&self, cookie_value: &str) -> Result<Option<SessionKey>, StoreError> {
        let key = hash(cookie_value);
        let live = self.store.is_live_session(&key, SystemTime::now()).await?;
        Ok(live.then_some(SessionKey(key)))
    }

    pub async fn sign_out(&self, session: SessionKey) -> Result<(), StoreError> {
        self.store.forget_session(session.hash()).await
    }

    /// Counts a test send against the session's limit; `Err` holds how long to wait.
    pub async fn allow_test_send(
        &self,
        session: SessionKey,
    ) -> Result<Result<(), Duration>, StoreError> {
        let now = unix_millis(SystemTime::now());
        let taken = self
            .store
            .take_place(
                &session.test_sends(),
                self.test_sends_per_minute,
                MINUTE,
                now,
            )
            .await?;
        Ok(taken.map_err(|Limited(wait)| wait))
    }
}

fn random_token() -> Result<SecretString, RandomFailed> {
    let bytes = random_bytes::<32>().map_err(|_| RandomFailed)?;
    Ok(SecretString::from(
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes),
    ))
}

fn hash(value: &str) -> [u8; 32] {
    Sha256::digest(value.as_bytes()).into()
}

/// The maps hold no invariant a panic elsewhere could break half-way: a poisoned lock
/// is still usable.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn admin(name: &str, policy: TokenPolicy, sends: usize) -> Admin {
        let dir =
            std::env::temp_dir().join(format!("smtp-setup-admin-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let url = format!("sqlite://{}", dir.join("app.db").display());
        let (store, _) = Store::open(&url, None).await.unwrap();
        Admin::new(policy, Arc::new(store), sends).unwrap()
    }

    #[tokio::test]
    async fn a_one_time_token_opens_one_session_then_changes() {
        let admin = admin("one-time", TokenPolicy::OneTime, 10).await;
        let token = admin.sign_in_token();
        let token = token.expose_secret();
        let SignIn::Accepted { session } = admin.sign_in(token).await.unwrap() else {
            panic!("the printed token signs in");
        };
        assert!(admin
            .session(session.expose_secret())
            .await
            .unwrap()
            .is_some());
        assert!(matches!(
            admin.sign_in(token).await.unwrap(),
            SignIn::Refused
        ));
        assert_ne!(admin.sign_in_token().expose_secret(), token);
        assert!(admin.session("forged").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn wrong_tokens_are_limited_per_minute() {
        let admin = admin("wrong", TokenPolicy::Fixed(SecretString::from("right")), 10).await;
        for _ in 0..SIGN_IN_FAILURES_PER_MINUTE {
            assert!(matches!(
                admin.sign_in("wrong").await.unwrap(),
                SignIn::Refused
            ));
        }
        assert!(matches!(
            admin.sign_in("right").await.unwrap(),
            SignIn::TooManyAttempts
        ));
    }

    #[tokio::test]
    async fn test_sends_are_limited_per_session_and_sign_out_ends_it() {
        let admin = admin("sends", TokenPolicy::Fixed(SecretString::from("t")), 2).await;
        let SignIn::Accepted { session } = admin.sign_in("t").await.unwrap() else {
            panic!("fixed token signs in");
        };
        let key = admin
            .session(session.expose_secret())
            .await
            .unwrap()
            .unwrap();
        assert!(admin.allow_test_send(key).await.unwrap().is_ok());
        assert!(admin.allow_test_send(key).await.unwrap().is_ok());
        let wait = admin.allow_test_send(key).await.unwrap().unwrap_err();
        assert!(wait <= MINUTE && wait > Duration::from_secs(50));
        // Another session has its own count.
        let SignIn::Accepted { session: other } = admin.sign_in("t").await.unwrap() else {
            panic!("fixed token signs in");
        };
        let other = admin.session(other.expose_secret()).await.unwrap().unwrap();
        assert!(admin.allow_test_send(other).await.unwrap().is_ok());
        admin.sign_out(key).await.unwrap();
        assert!(admin
            .session(session.expose_secret())
            .await
            .unwrap()
            .is_none());
    }
}
