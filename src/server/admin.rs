//! Admin access: a sign-in link printed at start, session cookies, and the limits that
//! keep the page from being used to guess the link or to spam from the mailbox.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use secrecy::{ExposeSecret as _, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq as _;

use super::store::sealing::random_bytes;

pub const SESSION_COOKIE: &str = "smtp_setup_session";
/// A session lasts a working day.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(12 * 60 * 60);
/// Wrong sign-in tokens allowed per minute, from anywhere. Guessing a 256-bit token is
/// hopeless anyway; the limit keeps the log and the CPU quiet.
const SIGN_IN_FAILURES_PER_MINUTE: usize = 10;
const MINUTE: Duration = Duration::from_secs(60);

/// How the sign-in token is chosen.
pub enum TokenPolicy {
    /// `SMTP_SETUP_ADMIN_TOKEN`: fixed, reusable (scripted deployments, tests).
    Fixed(SecretString),
    /// Random, good for one sign-in; a new one is printed after each use.
    OneTime,
}

pub struct Admin {
    policy_fixed: bool,
    token: Mutex<SecretString>,
    sessions: Mutex<HashMap<[u8; 32], Session>>,
    failures: Mutex<VecDeque<Instant>>,
    test_sends_per_minute: usize,
}

struct Session {
    expires: Instant,
    sends: VecDeque<Instant>,
}

impl Session {
    /// A session valid until `expires`, with no test sends counted yet.
    fn until(expires: Instant) -> Self {
        Self {
            expires,
            sends: VecDeque::new(),
        }
    }
}

/// The result of a sign-in attempt.
#[derive(Debug)]
pub enum SignIn {
    /// The new session's cookie value, its key and when it expires (to be remembered).
    Accepted {
        session: SecretString,
        key: SessionKey,
        expires_at: SystemTime,
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
}

#[derive(Debug, thiserror::Error)]
#[error("the system's random generator failed")]
pub struct RandomFailed;

impl Admin {
    pub fn new(policy: TokenPolicy, test_sends_per_minute: usize) -> Result<Self, RandomFailed> {
        let (fixed, token) = match policy {
            TokenPolicy::Fixed(token) => (true, token),
            TokenPolicy::OneTime => (false, random_token()?),
        };
        Ok(Self {
            policy_fixed: fixed,
            token: Mutex::new(token),
            sessions: Mutex::new(HashMap::new()),
            failures: Mutex::new(VecDeque::new()),
            test_sends_per_minute,
        })
    }

    /// The current sign-in token, for the line printed at start (and after each use of a
    /// one-time token).
    pub fn sign_in_token(&self) -> SecretString {
        lock(&self.token).clone()
    }

    /// Checks `offered` in constant time; on success opens a session. A one-time token
    /// is replaced at once; the caller prints the new link.
    pub fn sign_in(&self, offered: &str) -> Result<SignIn, RandomFailed> {
        let now = Instant::now();
        {
            let mut failures = lock(&self.failures);
            while failures
                .front()
                .is_some_and(|t| now.duration_since(*t) > MINUTE)
            {
                failures.pop_front();
            }
            if failures.len() >= SIGN_IN_FAILURES_PER_MINUTE {
                return Ok(SignIn::TooManyAttempts);
            }
            let mut token = lock(&self.token);
            let matches: bool = token
                .expose_secret()
                .as_bytes()
                .ct_eq(offered.as_bytes())
                .into();
            if !matches {
                failures.push_back(now);
                return Ok(SignIn::Refused);
            }
            if !self.policy_fixed {
                *token = random_token()?;
            }
        }
        let session = random_token()?;
        let key = hash(session.expose_secret());
        let mut sessions = lock(&self.sessions);
        sessions.retain(|_, s| s.expires > now);
        sessions.insert(key, Session::until(now + SESSION_LIFETIME));
        Ok(SignIn::Accepted {
            session,
            key: SessionKey(key),
            expires_at: SystemTime::now() + SESSION_LIFETIME,
        })
    }

    /// Takes back sessions remembered before a restart (by the hash of their cookie),
    /// each until its own expiry. Test-send counts start afresh.
    pub fn restore_sessions(&self, remembered: impl IntoIterator<Item = ([u8; 32], SystemTime)>) {
        let (now, wall) = (Instant::now(), SystemTime::now());
        let mut sessions = lock(&self.sessions);
        for (key, expires_at) in remembered {
            // Never longer than a fresh session, whatever the stored time says.
            let Ok(left) = expires_at.duration_since(wall) else {
                continue;
            };
            sessions.insert(key, Session::until(now + left.min(SESSION_LIFETIME)));
        }
    }

    /// Whether each sign-in replaces the token (so a new link must be printed).
    pub fn is_one_time(&self) -> bool {
        !self.policy_fixed
    }

    /// The live session a cookie value names, if any.
    pub fn session(&self, cookie_value: &str) -> Option<SessionKey> {
        let key = hash(cookie_value);
        let sessions = lock(&self.sessions);
        sessions
            .get(&key)
            .filter(|s| s.expires > Instant::now())
            .map(|_| SessionKey(key))
    }

    pub fn sign_out(&self, session: SessionKey) {
        lock(&self.sessions).remove(&session.0);
    }

    /// Counts a test send against the session's limit; `Err` holds how long to wait.
    pub fn allow_test_send(&self, session: SessionKey) -> Result<(), Duration> {
        let now = Instant::now();
        let mut sessions = lock(&self.sessions);
        let Some(entry) = sessions.get_mut(&session.0) else {
            return Err(MINUTE);
        };
        while entry
            .sends
            .front()
            .is_some_and(|t| now.duration_since(*t) >= MINUTE)
        {
            entry.sends.pop_front();
        }
        if entry.sends.len() >= self.test_sends_per_minute {
            let oldest = entry.sends.front().copied().unwrap_or(now);
            return Err(MINUTE.saturating_sub(now.duration_since(oldest)));
        }
        entry.sends.push_back(now);
        Ok(())
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

    #[test]
    fn a_one_time_token_opens_one_session_then_changes() {
        let admin = Admin::new(TokenPolicy::OneTime, 10).unwrap();
        let token = admin.sign_in_token();
        let token = token.expose_secret();
        let SignIn::Accepted { session, .. } = admin.sign_in(token).unwrap() else {
            panic!("the printed token signs in");
        };
        assert!(admin.session(session.expose_secret()).is_some());
        assert!(matches!(admin.sign_in(token).unwrap(), SignIn::Refused));
        assert_ne!(admin.sign_in_token().expose_secret(), token);
        assert!(admin.session("forged").is_none());
    }

    #[test]
    fn wrong_tokens_are_limited_per_minute() {
        let admin = Admin::new(TokenPolicy::Fixed(SecretString::from("right")), 10).unwrap();
        for _ in 0..SIGN_IN_FAILURES_PER_MINUTE {
            assert!(matches!(admin.sign_in("wrong").unwrap(), SignIn::Refused));
        }
        assert!(matches!(
            admin.sign_in("right").unwrap(),
            SignIn::TooManyAttempts
        ));
    }

    #[test]
    fn test_sends_are_limited_per_session_and_sign_out_ends_it() {
        let admin = Admin::new(TokenPolicy::Fixed(SecretString::from("t")), 2).unwrap();
        let SignIn::Accepted { session, .. } = admin.sign_in("t").unwrap() else {
            panic!("fixed token signs in");
        };
        let key = admin.session(session.expose_secret()).unwrap();
        assert!(admin.allow_test_send(key).is_ok());
        assert!(admin.allow_test_send(key).is_ok());
        let wait = admin.allow_test_send(key).unwrap_err();
        assert!(wait <= MINUTE && wait > Duration::from_secs(50));
        admin.sign_out(key);
        assert!(admin.session(session.expose_secret()).is_none());
    }

    #[test]
    fn remembered_sessions_come_back_until_their_expiry() {
        let before = Admin::new(TokenPolicy::Fixed(SecretString::from("t")), 10).unwrap();
        let SignIn::Accepted {
            session,
            key,
            expires_at,
        } = before.sign_in("t").unwrap()
        else {
            panic!("fixed token signs in");
        };
        let stale = random_token().unwrap();
        let after = Admin::new(TokenPolicy::Fixed(SecretString::from("t")), 10).unwrap();
        assert!(after.session(session.expose_secret()).is_none());
        after.restore_sessions([
            (*key.hash(), expires_at),
            (
                hash(stale.expose_secret()),
                SystemTime::now() - Duration::from_secs(1),
            ),
        ]);
        assert_eq!(after.session(session.expose_secret()), Some(key));
        assert!(
            after.session(stale.expose_secret()).is_none(),
            "an expired session stays out"
        );
    }
}
