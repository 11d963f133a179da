//! Access tokens kept for reuse until five minutes before they expire. The key is a
//! SHA-256 over everything the token depends on, the credential included (the client
//! secret, or the certificate's thumbprint): a changed credential never reuses a token
//! obtained with the old one, and no secret is kept in clear.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::time::Instant;

use crate::domain::{ClientId, TenantId};
use crate::server::microsoft::entra::AccessToken;

/// A token is not reused in its last five minutes.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);
/// More distinct configurations than any admin tests at once; bounds memory.
const MAX_ENTRIES: usize = 256;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CacheKey([u8; 32]);

impl CacheKey {
    pub fn new(
        authority: &str,
        tenant: &TenantId,
        client_id: &ClientId,
        credential: &str,
        scope: &str,
    ) -> Self {
        let mut hash = Sha256::new();
        for part in [
            authority,
            tenant.as_str(),
            client_id.as_str(),
            credential,
            scope,
        ] {
            // Length-prefixed, so that no two different tuples hash the same bytes.
            hash.update((part.len() as u64).to_be_bytes());
            hash.update(part.as_bytes());
        }
        Self(hash.finalize().into())
    }
}

struct Entry {
    token: Arc<AccessToken>,
    reuse_until: Instant,
}

#[derive(Default)]
pub struct TokenCache {
    entries: Mutex<HashMap<CacheKey, Entry>>,
}

impl TokenCache {
    /// A cached token and how long it may still be reused.
    pub fn get(&self, key: &CacheKey) -> Option<(Arc<AccessToken>, Duration)> {
        let now = Instant::now();
        let entries = self.entries.lock().ok()?;
        let entry = entries.get(key)?;
        (entry.reuse_until > now).then(|| (entry.token.clone(), entry.reuse_until - now))
    }

    /// Keeps `token` if its lifetime is known and longer than the refresh margin.
    pub fn put(&self, key: CacheKey, token: Arc<AccessToken>) {
        let Some(lifetime) = token.lifetime else {
            return;
        };
        let Some(reusable) = lifetime.checked_sub(REFRESH_MARGIN) else {
            return;
        };
        let now = Instant::now();
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|_, entry| entry.reuse_until > now);
            if entries.len() >= MAX_ENTRIES {
                return;
            }
            entries.insert(
                key,
                Entry {
                    token,
                    reuse_until: now + reusable,
                },
            );
        }
    }

    pub fn evict(&self, key: &CacheKey) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(secret: &str) -> CacheKey {
        CacheKey::new(
            "https://login.microsoftonline.com",
            &TenantId::parse("contoso.onmicrosoft.com").unwrap(),
            &ClientId::parse("a1b2c3d4-e5f6-4789-abcd-0123456789ab").unwrap(),
            secret,
            "https://outlook.office365.com/.default",
        )
    }

    fn token(lifetime: Option<u64>) -> Arc<AccessToken> {
        Arc::new(AccessToken::new(
            "t".into(),
            lifetime.map(Duration::from_secs),
        ))
    }

    #[tokio::test(start_paused = true)]
    async fn reused_until_five_minutes_before_expiry() {
        let cache = TokenCache::default();
        cache.put(key("secret-a"), token(Some(3600)));
        let (_, left) = cache.get(&key("secret-a")).expect("cached");
        assert_eq!(left, Duration::from_secs(3300));
        tokio::time::advance(Duration::from_secs(3299)).await;
        assert!(cache.get(&key("secret-a")).is_some());
        tokio::time::advance(Duration::from_secs(2)).await;
        assert!(cache.get(&key("secret-a")).is_none());
    }

    #[tokio::test]
    async fn another_secret_never_reuses_the_token() {
        let cache = TokenCache::default();
        cache.put(key("secret-a"), token(Some(3600)));
        assert!(cache.get(&key("secret-b")).is_none());
        cache.evict(&key("secret-a"));
        assert!(cache.get(&key("secret-a")).is_none());
    }

    #[tokio::test]
    async fn short_lived_or_unknown_lifetimes_are_not_kept() {
        let cache = TokenCache::default();
        cache.put(key("secret-a"), token(None));
        cache.put(key("secret-b"), token(Some(200)));
        assert!(cache.get(&key("secret-a")).is_none());
        assert!(cache.get(&key("secret-b")).is_none());
    }
}
