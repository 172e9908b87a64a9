//! The request-path entry point: `Authorization` header in, [`VerifiedToken`] or
//! [`AuthError`] out.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

use crate::claims::{self, VerifiedToken};
use crate::config::{AuthConfig, KeySource, SigningAlgorithm};
use crate::error::{AuthError, ConfigError, Rejection};
use crate::jwks::{HttpJwksFetcher, JwksCache, JwksFetcher};
use crate::secret::{SecretFetcher, StoredSecret};

/// Longest bearer token accepted (bytes); real tokens are far smaller.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;

enum Verifier {
    Jwks {
        cache: JwksCache,
        algorithms: Vec<SigningAlgorithm>,
    },
    DevHs256 {
        key: DecodingKey,
    },
    DevHs256Stored {
        secret: StoredSecret,
    },
}

struct Inner {
    config: AuthConfig,
    verifier: Verifier,
}

/// Verifies bearer tokens. Cheap to clone (one `Arc`), `Send + Sync`; build it once per process
/// and share it: clones share the JWKS cache.
#[derive(Clone)]
pub struct Authenticator {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl Authenticator {
    /// JWKS mode fetches with [`HttpJwksFetcher`]; dev mode needs no I/O. Nothing is fetched
    /// until the first token arrives.
    ///
    /// # Errors
    /// [`ConfigError`] for an unusable URL, missing TLS roots for an https URL, an empty
    /// secret, or no allowed algorithm; [`ConfigError::NoSecretFetcher`] for a stored secret
    /// (use [`with_secret_fetcher`](Self::with_secret_fetcher)).
    pub fn new(config: AuthConfig) -> Result<Self, ConfigError> {
        let fetcher: Option<Arc<dyn JwksFetcher>> = match config.source() {
            KeySource::Jwks(settings) => Some(Arc::new(HttpJwksFetcher::new(&settings.url)?)),
            KeySource::DevHs256 { .. } => None,
            KeySource::DevHs256Stored { .. } => return Err(ConfigError::NoSecretFetcher),
        };
        Self::build(config, fetcher)
    }

    /// Dev mode with the HS256 secret in a secret store ([`AuthConfig::dev_hs256_stored`]):
    /// `fetcher` reads it on the first token (not here), and the key is kept from then on. A
    /// failed read refuses tokens (`KeysUnavailable`) and is retried on a later token.
    ///
    /// # Errors
    /// [`ConfigError::FetcherWithoutStoredSecret`] for any other mode.
    pub fn with_secret_fetcher(
        config: AuthConfig,
        fetcher: Arc<dyn SecretFetcher>,
    ) -> Result<Self, ConfigError> {
        if config.secret_parameter().is_none() {
            return Err(ConfigError::FetcherWithoutStoredSecret);
        }
        Ok(Authenticator {
            inner: Arc::new(Inner {
                config,
                verifier: Verifier::DevHs256Stored {
                    secret: StoredSecret::new(fetcher),
                },
            }),
        })
    }

    /// JWKS mode with another way to get the JWKS document (a private CA, a test double, …).
    ///
    /// # Errors
    /// [`ConfigError::FetcherWithoutJwks`] in dev mode, [`ConfigError::NoAlgorithms`].
    pub fn with_fetcher(
        config: AuthConfig,
        fetcher: Arc<dyn JwksFetcher>,
    ) -> Result<Self, ConfigError> {
        if config.is_dev() {
            return Err(ConfigError::FetcherWithoutJwks);
        }
        Self::build(config, Some(fetcher))
    }

    fn build(
        config: AuthConfig,
        fetcher: Option<Arc<dyn JwksFetcher>>,
    ) -> Result<Self, ConfigError> {
        let verifier = match (config.source(), fetcher) {
            (KeySource::Jwks(settings), Some(fetcher)) => {
                if settings.algorithms.is_empty() {
                    return Err(ConfigError::NoAlgorithms);
                }
                if config.issuer().is_none() || config.audience().is_none() {
                    tracing::warn!(
                        issuer = config.issuer().is_some(),
                        audience = config.audience().is_some(),
                        "JWKS mode without OMS_JWT_ISSUER and OMS_JWT_AUDIENCE: tokens of any issuer/audience signed by these keys are accepted"
                    );
                }
                Verifier::Jwks {
                    cache: JwksCache::new(fetcher, settings.clone()),
                    algorithms: settings.algorithms.clone(),
                }
            }
            (KeySource::Jwks(_), None) => return Err(ConfigError::FetcherWithoutJwks),
            (KeySource::DevHs256Stored { .. }, _) => return Err(ConfigError::NoSecretFetcher),
            (KeySource::DevHs256 { secret }, _) => {
                if secret.is_empty() {
                    return Err(ConfigError::EmptySecret);
                }
                Verifier::DevHs256 {
                    key: DecodingKey::from_secret(secret),
                }
            }
        };
        Ok(Authenticator {
            inner: Arc::new(Inner { config, verifier }),
        })
    }

    pub fn config(&self) -> &AuthConfig {
        &self.inner.config
    }

    /// Verifies `Authorization: Bearer <jwt>` (scheme case-insensitive); `exp` / `nbf` are
    /// checked against `now`, which callers take from the OMS's one injected clock (there is
    /// deliberately no wall-clock variant: a test that pins the clock pins token expiry too).
    ///
    /// # Errors
    /// [`AuthError`] for every rejection; its `Display` is just `unauthenticated`.
    pub async fn verify_at(
        &self,
        authorization_header: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<VerifiedToken, AuthError> {
        let token = bearer_token(authorization_header)?;
        let claims = self.verify_signature(token).await?;
        let now_secs = now.timestamp_millis() as f64 / 1000.0;
        claims::validate(&claims, &self.inner.config, now_secs)
    }

    /// Checks the header's algorithm, finds the key and verifies the signature; returns the
    /// claims, which are not validated yet.
    async fn verify_signature(&self, token: &str) -> Result<Value, AuthError> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|e| AuthError::with_detail(Rejection::Malformed, e.to_string()))?;
        if header.crit.is_some() {
            return Err(AuthError::new(Rejection::UnsupportedCritical));
        }
        let alg = header.alg;
        let key = match &self.inner.verifier {
            Verifier::DevHs256 { key } => {
                if alg != Algorithm::HS256 {
                    return Err(AuthError::with_detail(
                        Rejection::AlgorithmNotAllowed,
                        format!("{alg:?}"),
                    ));
                }
                KeyRef::Borrowed(key)
            }
            Verifier::DevHs256Stored { secret } => {
                if alg != Algorithm::HS256 {
                    return Err(AuthError::with_detail(
                        Rejection::AlgorithmNotAllowed,
                        format!("{alg:?}"),
                    ));
                }
                KeyRef::Shared(secret.key().await?)
            }
            Verifier::Jwks { cache, algorithms } => {
                let allowed = SigningAlgorithm::from_jwt(alg).filter(|a| algorithms.contains(a));
                let Some(signing_alg) = allowed else {
                    return Err(AuthError::with_detail(
                        Rejection::AlgorithmNotAllowed,
                        format!("{alg:?}"),
                    ));
                };
                let Some(kid) = header.kid.as_deref().filter(|k| !k.is_empty()) else {
                    return Err(AuthError::new(Rejection::MissingKeyId));
                };
                KeyRef::Shared(cache.key(kid, signing_alg).await?)
            }
        };

        // Only the signature here: the claims rules (with our clock and leeway) come after.
        let mut validation = Validation::new(alg);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        jsonwebtoken::decode::<Value>(token, key.get(), &validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::InvalidSignature => {
                    AuthError::new(Rejection::BadSignature)
                }
                jsonwebtoken::errors::ErrorKind::InvalidAlgorithm
                | jsonwebtoken::errors::ErrorKind::InvalidKeyFormat => {
                    AuthError::with_detail(Rejection::AlgorithmNotAllowed, e.to_string())
                }
                _ => AuthError::with_detail(Rejection::Malformed, e.to_string()),
            })
    }
}

enum KeyRef<'a> {
    Borrowed(&'a DecodingKey),
    Shared(Arc<DecodingKey>),
}

impl KeyRef<'_> {
    fn get(&self) -> &DecodingKey {
        match self {
            KeyRef::Borrowed(key) => key,
            KeyRef::Shared(key) => key,
        }
    }
}

/// `Bearer <token>`: the scheme case-insensitively, then whitespace, then one token.
fn bearer_token(header: Option<&str>) -> Result<&str, AuthError> {
    let Some(header) = header else {
        return Err(AuthError::new(Rejection::MissingHeader));
    };
    let header = header.trim();
    let Some((scheme, rest)) = header.split_once([' ', '\t']) else {
        return Err(AuthError::new(Rejection::BadScheme));
    };
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthError::new(Rejection::BadScheme));
    }
    let token = rest.trim();
    if token.is_empty() || token.contains(char::is_whitespace) {
        return Err(AuthError::new(Rejection::BadScheme));
    }
    if token.len() > MAX_TOKEN_BYTES {
        return Err(AuthError::new(Rejection::TokenTooLarge));
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(header: Option<&str>) -> Option<Rejection> {
        bearer_token(header).err().map(|e| e.reason())
    }

    #[test]
    fn bearer_scheme_is_case_insensitive() {
        assert_eq!(bearer_token(Some("Bearer a.b.c")).ok(), Some("a.b.c"));
        assert_eq!(bearer_token(Some("bearer a.b.c")).ok(), Some("a.b.c"));
        assert_eq!(bearer_token(Some("BEARER   a.b.c  ")).ok(), Some("a.b.c"));
    }

    #[test]
    fn other_headers_are_rejected() {
        assert_eq!(reason(None), Some(Rejection::MissingHeader));
        assert_eq!(reason(Some("")), Some(Rejection::BadScheme));
        assert_eq!(reason(Some("Bearer")), Some(Rejection::BadScheme));
        assert_eq!(reason(Some("Bearer ")), Some(Rejection::BadScheme));
        assert_eq!(reason(Some("a.b.c")), Some(Rejection::BadScheme));
        assert_eq!(
            reason(Some("Basic dXNlcjpwYXNz")),
            Some(Rejection::BadScheme)
        );
        assert_eq!(
            reason(Some("Bearer a.b.c d.e.f")),
            Some(Rejection::BadScheme)
        );
        assert_eq!(reason(Some("Bearerx a.b.c")), Some(Rejection::BadScheme));
        let huge = format!("Bearer {}", "a".repeat(MAX_TOKEN_BYTES + 1));
        assert_eq!(reason(Some(&huge)), Some(Rejection::TokenTooLarge));
    }

    #[test]
    fn authenticator_is_send_sync_and_its_future_is_send() {
        fn assert_send_sync<T: Send + Sync + Clone + 'static>(_: &T) {}
        fn assert_send<T: Send>(_: T) {}
        let config = AuthConfig::dev_hs256("secret");
        let Ok(auth) = Authenticator::new(config) else {
            panic!("dev config must build")
        };
        assert_send_sync(&auth);
        assert_send(auth.verify_at(None, DateTime::<Utc>::UNIX_EPOCH));
    }

    #[test]
    fn an_empty_secret_or_no_algorithm_is_a_config_error() {
        assert_eq!(
            Authenticator::new(AuthConfig::dev_hs256("")).err(),
            Some(ConfigError::EmptySecret)
        );
        let none = AuthConfig::jwks("http://127.0.0.1:1/jwks").with_algorithms(&[]);
        assert_eq!(
            Authenticator::new(none).err(),
            Some(ConfigError::NoAlgorithms)
        );
    }
}
