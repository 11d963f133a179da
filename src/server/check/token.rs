//! The steps every Microsoft check begins with: a client-credentials token (from the
//! cache while it is good), then its inspection, before any mail server sees it.

use crate::api::report::Words;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::Url;

use crate::api::report::{Failure, Step};
use crate::domain::{ClientSecret, Credential, Field, FieldError, MicrosoftOAuthConfig};
use crate::server::certificate_credential::Signer;
use crate::server::check::Recorder;
use crate::server::diagnosis;
use crate::server::microsoft::entra::{AccessToken, Proof, TokenClient, TokenRequest};
use crate::server::microsoft::token_cache::{CacheKey, TokenCache};
use crate::server::microsoft::token_inspection::{self, InspectionProblem};
use crate::server::net::tls::TlsSetupError;

pub struct Tokens {
    client: TokenClient,
    cache: TokenCache,
    /// One request to the token endpoint (retries of a busy endpoint each get this).
    attempt_timeout: Duration,
    /// Replaces the chosen cloud's Entra authority (tests, proxies).
    authority_override: Option<Url>,
}

/// Where a token comes from and what it is for: the authority, the scope, and the key
/// of the cache entry they and the credentials make.
pub struct Target {
    authority: Url,
    scope: String,
    key: CacheKey,
    proof: OwnedProof,
}

/// The credential read once for the check: the secret, or the certificate and its key.
enum OwnedProof {
    Secret(ClientSecret),
    Certificate(Box<Signer>),
}

impl OwnedProof {
    fn borrow(&self) -> Proof<'_> {
        match self {
            OwnedProof::Secret(secret) => Proof::Secret(secret),
            OwnedProof::Certificate(signer) => Proof::Certificate(signer),
        }
    }
}

/// Why no token can be asked for: a bad authority (ours), or a certificate or key the
/// server cannot use (the administrator's field).
#[derive(Debug)]
pub enum TargetError {
    Authority(url::ParseError),
    Credential(Field, FieldError),
}

impl From<TargetError> for Failure {
    fn from(error: TargetError) -> Self {
        match error {
            TargetError::Authority(error) => diagnosis::internal(Step::TokenRequest, &error),
            TargetError::Credential(field, error) => {
                diagnosis::entra::credential_unusable(field, &error)
            }
        }
    }
}

/// Whether a token may come from the cache.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    CacheFirst,
    Fresh,
}

/// A token for one check, and whether it came from the cache.
pub struct Obtained {
    pub token: Arc<AccessToken>,
    pub cached: bool,
}

/// A failed attempt, and whether it used a cached token (which may earn one retry).
pub struct Attempted {
    pub failure: Failure,
    pub cached: bool,
}

impl Tokens {
    pub fn new(
        extra_roots_pem: Option<&[u8]>,
        attempt_timeout: Duration,
        authority_override: Option<Url>,
    ) -> Result<Self, TlsSetupError> {
        Ok(Self {
            client: TokenClient::new(extra_roots_pem)?,
            cache: TokenCache::default(),
            attempt_timeout,
            authority_override,
        })
    }

    /// Where and with what a token is requested: the certificate and key are read here,
    /// and a failure to use them is the token step's, pointing at the field.
    pub fn target(&self, config: &MicrosoftOAuthConfig) -> Result<Target, TargetError> {
        self.target_for(config, config.cloud.scope())
    }

    /// The same for another resource's `scope` (Microsoft Graph's).
    pub fn target_for(
        &self,
        config: &MicrosoftOAuthConfig,
        scope: String,
    ) -> Result<Target, TargetError> {
        let authority = match &self.authority_override {
            Some(url) => url.clone(),
            None => Url::parse(config.cloud.authority()).map_err(TargetError::Authority)?,
        };
        let (proof, credential) = match &config.credential {
            Credential::Secret { secret, .. } => (
                OwnedProof::Secret(secret.clone()),
                secret.expose().to_owned(),
            ),
            Credential::Certificate {
                certificate,
                private_key,
            } => {
                let signer = Signer::new(certificate, private_key)
                    .map_err(|(field, error)| TargetError::Credential(field, error))?;
                let thumbprint = format!("certificate {}", signer.certificate.summary.sha256);
                (OwnedProof::Certificate(Box::new(signer)), thumbprint)
            }
        };
        let key = CacheKey::new(
            authority.as_str(),
            &config.tenant,
            &config.client_id,
            &credential,
            &scope,
        );
        Ok(Target {
            authority,
            scope,
            key,
            proof,
        })
    }

    pub fn http(&self) -> &reqwest::Client {
        self.client.http()
    }

    /// The token step: a cached token when `source` allows one, else a new one.
    pub async fn obtain(
        &self,
        run: &mut Recorder,
        config: &MicrosoftOAuthConfig,
        target: &Target,
        source: TokenSource,
    ) -> Result<Obtained, Failure> {
        let cached = match source {
            TokenSource::CacheFirst => self.cache.get(&target.key),
            TokenSource::Fresh => None,
        };
        if let Some((token, left)) = cached {
            crate::server::metrics::token_cache_hit();
            run.passed(Step::TokenRequest, {
                let minutes = left.as_secs() / 60;
                Words::new(
                    format!("reused a cached token (reusable for {minutes} more minutes)"),
                    format!("token em cache reutilizado (reutilizável por mais {minutes} minutos)"),
                )
            });
            return Ok(Obtained {
                token,
                cached: true,
            });
        }
        let authority = target.authority.as_str().trim_end_matches('/');
        let request = TokenRequest {
            authority: &target.authority,
            tenant: &config.tenant,
            client_id: &config.client_id,
            proof: target.proof.borrow(),
            scope: &target.scope,
        };
        let (retried_en, retried_pt) = match source {
            TokenSource::Fresh => (
                " (the cached token was refused)",
                " (o token em cache foi recusado)",
            ),
            TokenSource::CacheFirst => ("", ""),
        };
        let deadline = run.deadline();
        // The request bounds each of its attempts itself; the step has what is left.
        let whole_step = Duration::MAX;
        let token = run
            .step(Step::TokenRequest, whole_step, async {
                let token = self
                    .client
                    .request_token(&request, &deadline, self.attempt_timeout)
                    .await
                    .inspect(|_| crate::server::metrics::token_requested("issued"))
                    .inspect_err(|error| {
                        crate::server::metrics::token_requested(error.outcome())
                    })?;
                let issued = Words::new(
                    format!("token issued by {authority}{retried_en}"),
                    format!("token emitido por {authority}{retried_pt}"),
                );
                Ok((token, issued))
            })
            .await
            .map_err(|failed| diagnosis::entra::token_failure(&failed.error, authority))?;
        let token = Arc::new(token);
        self.cache.put(target.key, token.clone());
        Ok(Obtained {
            token,
            cached: false,
        })
    }

    /// The token steps of one attempt: a token (from the cache when `source` allows),
    /// then its inspection for `role`. A failure says whether the token was cached.
    pub async fn ready(
        &self,
        run: &mut Recorder,
        config: &MicrosoftOAuthConfig,
        target: &Target,
        role: &'static str,
        source: TokenSource,
    ) -> Result<Obtained, Attempted> {
        let obtained = self
            .obtain(run, config, target, source)
            .await
            .map_err(|failure| Attempted {
                failure,
                cached: false,
            })?;
        match inspect(run, &obtained.token, config, role) {
            Ok(()) => Ok(obtained),
            Err(problem) => Err(Attempted {
                failure: diagnosis::inspection::failure(&problem),
                cached: obtained.cached,
            }),
        }
    }

    /// Runs `attempt` with the cache's token first. A cached token refused at
    /// `auth_step` (the server's `command`) may have been revoked or outlived a
    /// permission change: it is forgotten and the attempt made once more with a fresh
    /// token. Authentication is never retried otherwise, so a wrong configuration cannot
    /// lock the mailbox out.
    ///
    /// `attempt` owns its recording and hands it back: a closure borrowing it would make
    /// the server function's future `Send` only for some lifetimes.
    pub async fn with_retry<T, F, A>(
        &self,
        run: &mut Recorder,
        target: &Target,
        (auth_step, command): (Step, &str),
        mut attempt: F,
    ) -> Result<T, Failure>
    where
        F: FnMut(Recorder, TokenSource) -> A,
        A: Future<Output = (Recorder, Result<T, Attempted>)>,
    {
        let mut source = TokenSource::CacheFirst;
        loop {
            let (recording, result) = attempt(run.attempt(), source).await;
            match result {
                Err(attempted)
                    if attempted.cached
                        && source == TokenSource::CacheFirst
                        && attempted.failure.step == auth_step =>
                {
                    self.cache.evict(&target.key);
                    run.retried(recording);
                    run.note(&format!(
                        "{command} refused a cached token: retrying once with a fresh token"
                    ));
                    source = TokenSource::Fresh;
                }
                done => {
                    run.keep(recording);
                    return done.map_err(|attempted| attempted.failure);
                }
            }
        }
    }
}

/// The inspection step: the token's audience, tenant, app, `role` and expiry, against
/// the form (see `diagnosis::inspection` for the words of a problem).
fn inspect(
    run: &mut Recorder,
    token: &AccessToken,
    config: &MicrosoftOAuthConfig,
    role: &'static str,
) -> Result<(), InspectionProblem> {
    let now = crate::server::time::unix_seconds(SystemTime::now());
    let inspected = token_inspection::inspect(
        token.expose(),
        config.cloud.exchange_resource(),
        &config.tenant,
        &config.client_id,
        role,
        now,
    );
    run.record(Step::TokenInspection, inspected)
        .map_err(|failed| failed.error)
}
