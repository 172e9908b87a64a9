//! How tokens are verified in this deployment: JWKS (production) or a shared HS256 secret
//! (development), read from the environment (docs/auth.md "Environment") or built in code.

use std::fmt;
use std::time::Duration;

use oms_domain::ids::TenantId;

use crate::error::ConfigError;

/// `OMS_JWKS_URL`: production mode, RS256/ES256 keys from this JWKS document.
pub const ENV_JWKS_URL: &str = "OMS_JWKS_URL";
/// `OMS_JWT_ISSUER`: the required `iss`.
pub const ENV_ISSUER: &str = "OMS_JWT_ISSUER";
/// `OMS_JWT_AUDIENCE`: the audience that `aud` must contain.
pub const ENV_AUDIENCE: &str = "OMS_JWT_AUDIENCE";
/// `OMS_JWT_HS256_SECRET`: development mode, HS256 with this shared secret.
pub const ENV_HS256_SECRET: &str = "OMS_JWT_HS256_SECRET";
/// `OMS_JWT_HS256_SECRET_PARAM`: development mode, HS256 with the secret held by this SSM
/// SecureString parameter (its name, never the value), read on the first token.
pub const ENV_HS256_SECRET_PARAM: &str = "OMS_JWT_HS256_SECRET_PARAM";
/// `OMS_DEFAULT_TENANT`: single-tenant deployments; tokens without `tenant_id` belong to it.
pub const ENV_DEFAULT_TENANT: &str = "OMS_DEFAULT_TENANT";

/// Issuer of development tokens unless `OMS_JWT_ISSUER` says otherwise.
pub const DEV_ISSUER: &str = "oms-dev";
/// Audience of development tokens unless `OMS_JWT_AUDIENCE` says otherwise.
pub const DEV_AUDIENCE: &str = "oms";

/// Clock skew tolerated on `exp` and `nbf`.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(30);
/// Longest wait for the JWKS document (connect, TLS, response and body together).
pub const DEFAULT_FETCH_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a fetched JWKS is used before it is fetched again.
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(600);
/// At most one JWKS fetch per this interval, whatever triggers it (unknown `kid`, expiry, errors).
pub const DEFAULT_REFRESH_MIN_INTERVAL: Duration = Duration::from_secs(30);

/// An asymmetric algorithm accepted in JWKS mode. HS* can never be configured there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SigningAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (RSA keys).
    RS256,
    /// ECDSA on P-256 with SHA-256 (EC keys, `crv: P-256`).
    ES256,
}

impl SigningAlgorithm {
    pub(crate) fn from_jwt(alg: jsonwebtoken::Algorithm) -> Option<Self> {
        match alg {
            jsonwebtoken::Algorithm::RS256 => Some(SigningAlgorithm::RS256),
            jsonwebtoken::Algorithm::ES256 => Some(SigningAlgorithm::ES256),
            _ => None,
        }
    }
}

/// JWKS-mode settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwksSettings {
    /// `http://` or `https://` URL of the JWKS document.
    pub url: String,
    /// Algorithms accepted; a token whose `alg` is not listed is rejected before any key lookup.
    pub algorithms: Vec<SigningAlgorithm>,
    /// Longest wait for one JWKS fetch.
    pub fetch_timeout: Duration,
    /// How long fetched keys are used before the next request refetches them.
    pub cache_ttl: Duration,
    /// Minimum time between two fetch attempts.
    pub refresh_min_interval: Duration,
}

/// Where verification keys come from.
#[derive(Clone, PartialEq, Eq)]
pub enum KeySource {
    /// Production: RS256/ES256 against a JWKS, key chosen by `kid`.
    Jwks(JwksSettings),
    /// Development: HS256 with a shared secret.
    DevHs256 { secret: Vec<u8> },
    /// Development: HS256 with the secret held in a secret store (an SSM SecureString
    /// parameter named `name`), fetched on the first token by a [`SecretFetcher`] and kept for
    /// the life of the process.
    ///
    /// [`SecretFetcher`]: crate::SecretFetcher
    DevHs256Stored { name: String },
}

impl fmt::Debug for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySource::Jwks(settings) => f.debug_tuple("Jwks").field(settings).finish(),
            KeySource::DevHs256 { .. } => f.write_str("DevHs256 { secret: <redacted> }"),
            KeySource::DevHs256Stored { name } => f
                .debug_struct("DevHs256Stored")
                .field("name", name)
                .finish(),
        }
    }
}

/// The whole authentication configuration of a deployment. `Debug` never prints the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthConfig {
    source: KeySource,
    issuer: Option<String>,
    audience: Option<String>,
    default_tenant: Option<TenantId>,
    leeway: Duration,
}

impl AuthConfig {
    /// JWKS mode with default settings (RS256 + ES256, 3 s fetch timeout, 10 min cache, at most
    /// one fetch per 30 s), no issuer/audience check until set.
    pub fn jwks(url: impl Into<String>) -> Self {
        AuthConfig {
            source: KeySource::Jwks(JwksSettings {
                url: url.into(),
                algorithms: vec![SigningAlgorithm::RS256, SigningAlgorithm::ES256],
                fetch_timeout: DEFAULT_FETCH_TIMEOUT,
                cache_ttl: DEFAULT_CACHE_TTL,
                refresh_min_interval: DEFAULT_REFRESH_MIN_INTERVAL,
            }),
            issuer: None,
            audience: None,
            default_tenant: None,
            leeway: DEFAULT_LEEWAY,
        }
    }

    /// Development HS256 mode: issuer `oms-dev`, audience `oms` (change with
    /// [`with_issuer`](Self::with_issuer) / [`with_audience`](Self::with_audience)).
    pub fn dev_hs256(secret: impl Into<Vec<u8>>) -> Self {
        AuthConfig {
            source: KeySource::DevHs256 {
                secret: secret.into(),
            },
            issuer: Some(DEV_ISSUER.to_string()),
            audience: Some(DEV_AUDIENCE.to_string()),
            default_tenant: None,
            leeway: DEFAULT_LEEWAY,
        }
    }

    /// Development HS256 mode with the secret in the secret-store entry `name` (SSM parameter):
    /// verification needs [`Authenticator::with_secret_fetcher`](crate::Authenticator::with_secret_fetcher).
    /// Issuer `oms-dev`, audience `oms` as in [`dev_hs256`](Self::dev_hs256).
    pub fn dev_hs256_stored(name: impl Into<String>) -> Self {
        AuthConfig {
            source: KeySource::DevHs256Stored { name: name.into() },
            ..AuthConfig::dev_hs256(Vec::new())
        }
    }

    /// Reads the process environment; see [`from_lookup`](Self::from_lookup).
    ///
    /// # Errors
    /// As [`from_lookup`](Self::from_lookup).
    pub fn from_env() -> Result<Option<Self>, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds the configuration from variables looked up by name (tests pass a map here instead
    /// of touching the process environment). Empty values count as unset.
    ///
    /// Returns `Ok(None)` when none of `OMS_JWKS_URL`, `OMS_JWT_HS256_SECRET` and
    /// `OMS_JWT_HS256_SECRET_PARAM` is set: the caller decides (`oms serve` generates a dev
    /// secret; a Lambda should refuse to start).
    ///
    /// # Errors
    /// [`ConfigError::BothModes`] when more than one is set, [`ConfigError::InvalidJwksUrl`] for a URL
    /// that is not absolute http(s), [`ConfigError::InvalidDefaultTenant`] for a bad
    /// `OMS_DEFAULT_TENANT`.
    pub fn from_lookup<F>(lookup: F) -> Result<Option<Self>, ConfigError>
    where
        F: Fn(&str) -> Option<String>,
    {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let url = get(ENV_JWKS_URL).map(|u| u.trim().to_string());
        let secret = get(ENV_HS256_SECRET);
        let parameter = get(ENV_HS256_SECRET_PARAM).map(|p| p.trim().to_string());
        let mut config = match (url, secret, parameter) {
            (None, None, None) => return Ok(None),
            (Some(url), None, None) => {
                crate::jwks::parse_jwks_url(&url)?;
                AuthConfig::jwks(url)
            }
            (None, Some(secret), None) => AuthConfig::dev_hs256(secret.into_bytes()),
            (None, None, Some(parameter)) => AuthConfig::dev_hs256_stored(parameter),
            _ => return Err(ConfigError::BothModes),
        };
        if let Some(issuer) = get(ENV_ISSUER) {
            config = config.with_issuer(issuer.trim());
        }
        if let Some(audience) = get(ENV_AUDIENCE) {
            config = config.with_audience(audience.trim());
        }
        if let Some(tenant) = get(ENV_DEFAULT_TENANT) {
            let tenant = TenantId::new(&tenant)
                .map_err(|e| ConfigError::InvalidDefaultTenant(e.to_string()))?;
            config = config.with_default_tenant(tenant);
        }
        Ok(Some(config))
    }

    /// Require `iss` to equal `issuer`.
    #[must_use]
    pub fn with_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Require `aud` (a string, or an array of strings) to contain `audience`.
    #[must_use]
    pub fn with_audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// Single-tenant deployment: tokens without `tenant_id` belong to `tenant`; tokens naming
    /// any other tenant are rejected.
    #[must_use]
    pub fn with_default_tenant(mut self, tenant: TenantId) -> Self {
        self.default_tenant = Some(tenant);
        self
    }

    /// Clock skew tolerated on `exp` and `nbf` (default 30 s).
    #[must_use]
    pub fn with_leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// JWKS mode: the accepted algorithms (default RS256 and ES256). No effect in dev mode.
    #[must_use]
    pub fn with_algorithms(mut self, algorithms: &[SigningAlgorithm]) -> Self {
        if let KeySource::Jwks(settings) = &mut self.source {
            settings.algorithms = algorithms.to_vec();
        }
        self
    }

    /// JWKS mode: longest wait for one fetch (default 3 s). No effect in dev mode.
    #[must_use]
    pub fn with_fetch_timeout(mut self, timeout: Duration) -> Self {
        if let KeySource::Jwks(settings) = &mut self.source {
            settings.fetch_timeout = timeout;
        }
        self
    }

    /// JWKS mode: how long fetched keys are trusted before refetching (default 10 min).
    #[must_use]
    pub fn with_cache_ttl(mut self, ttl: Duration) -> Self {
        if let KeySource::Jwks(settings) = &mut self.source {
            settings.cache_ttl = ttl;
        }
        self
    }

    /// JWKS mode: minimum time between two fetch attempts (default 30 s).
    #[must_use]
    pub fn with_refresh_min_interval(mut self, interval: Duration) -> Self {
        if let KeySource::Jwks(settings) = &mut self.source {
            settings.refresh_min_interval = interval;
        }
        self
    }

    pub fn source(&self) -> &KeySource {
        &self.source
    }

    /// True in development HS256 mode (secret given or stored).
    pub fn is_dev(&self) -> bool {
        matches!(
            self.source,
            KeySource::DevHs256 { .. } | KeySource::DevHs256Stored { .. }
        )
    }

    /// The HS256 secret in dev mode when it was given (for `oms token`); `None` when it is
    /// stored elsewhere or in JWKS mode.
    pub fn dev_secret(&self) -> Option<&[u8]> {
        match &self.source {
            KeySource::DevHs256 { secret } => Some(secret),
            KeySource::Jwks(_) | KeySource::DevHs256Stored { .. } => None,
        }
    }

    /// The name of the secret-store entry holding the dev HS256 secret
    /// (`OMS_JWT_HS256_SECRET_PARAM`), when that is where it is.
    pub fn secret_parameter(&self) -> Option<&str> {
        match &self.source {
            KeySource::DevHs256Stored { name } => Some(name),
            KeySource::Jwks(_) | KeySource::DevHs256 { .. } => None,
        }
    }

    pub fn issuer(&self) -> Option<&str> {
        self.issuer.as_deref()
    }

    pub fn audience(&self) -> Option<&str> {
        self.audience.as_deref()
    }

    pub fn default_tenant(&self) -> Option<&TenantId> {
        self.default_tenant.as_ref()
    }

    pub fn leeway(&self) -> Duration {
        self.leeway
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn nothing_configured_is_none() {
        assert_eq!(AuthConfig::from_lookup(lookup(&[])), Ok(None));
        assert_eq!(
            AuthConfig::from_lookup(lookup(&[(ENV_JWKS_URL, "  ")])),
            Ok(None)
        );
    }

    #[test]
    fn dev_mode_defaults_issuer_and_audience() {
        let config = AuthConfig::from_lookup(lookup(&[(ENV_HS256_SECRET, "s3cret")]));
        let Ok(Some(config)) = config else {
            panic!("expected a config, got {config:?}")
        };
        assert!(config.is_dev());
        assert_eq!(config.dev_secret(), Some(&b"s3cret"[..]));
        assert_eq!(config.issuer(), Some(DEV_ISSUER));
        assert_eq!(config.audience(), Some(DEV_AUDIENCE));
        assert_eq!(config.default_tenant(), None);
        assert_eq!(config.leeway(), DEFAULT_LEEWAY);
    }

    #[test]
    fn env_overrides_dev_issuer_audience_and_sets_default_tenant() {
        let config = AuthConfig::from_lookup(lookup(&[
            (ENV_HS256_SECRET, "s3cret"),
            (ENV_ISSUER, "me"),
            (ENV_AUDIENCE, "you"),
            (ENV_DEFAULT_TENANT, "t1"),
        ]));
        let Ok(Some(config)) = config else {
            panic!("expected a config, got {config:?}")
        };
        assert_eq!(config.issuer(), Some("me"));
        assert_eq!(config.audience(), Some("you"));
        assert_eq!(config.default_tenant().map(|t| t.as_str()), Some("t1"));
    }

    #[test]
    fn jwks_mode_from_env() {
        let config = AuthConfig::from_lookup(lookup(&[
            (ENV_JWKS_URL, "https://idp.example/.well-known/jwks.json"),
            (ENV_ISSUER, "https://idp.example"),
            (ENV_AUDIENCE, "oms-api"),
        ]));
        let Ok(Some(config)) = config else {
            panic!("expected a config, got {config:?}")
        };
        let KeySource::Jwks(settings) = config.source() else {
            panic!("expected JWKS mode")
        };
        assert_eq!(settings.url, "https://idp.example/.well-known/jwks.json");
        assert_eq!(
            settings.algorithms,
            vec![SigningAlgorithm::RS256, SigningAlgorithm::ES256]
        );
        assert_eq!(settings.fetch_timeout, DEFAULT_FETCH_TIMEOUT);
        assert_eq!(settings.refresh_min_interval, DEFAULT_REFRESH_MIN_INTERVAL);
        assert_eq!(config.issuer(), Some("https://idp.example"));
        assert_eq!(config.audience(), Some("oms-api"));
        assert_eq!(config.dev_secret(), None);
    }

    #[test]
    fn a_stored_secret_is_dev_mode_without_a_secret_in_hand() {
        let config = AuthConfig::from_lookup(lookup(&[
            (ENV_HS256_SECRET_PARAM, " /oms/dev/jwt-hs256-secret "),
            (ENV_DEFAULT_TENANT, "t1"),
        ]));
        let Ok(Some(config)) = config else {
            panic!("expected a config, got {config:?}")
        };
        assert!(config.is_dev());
        assert_eq!(config.dev_secret(), None);
        assert_eq!(config.secret_parameter(), Some("/oms/dev/jwt-hs256-secret"));
        assert_eq!(config.issuer(), Some(DEV_ISSUER));
        assert_eq!(config.audience(), Some(DEV_AUDIENCE));
        assert_eq!(config.default_tenant().map(|t| t.as_str()), Some("t1"));
        assert_eq!(AuthConfig::dev_hs256("s").secret_parameter(), None);
    }

    #[test]
    fn bad_env_is_refused() {
        for pair in [
            [ENV_JWKS_URL, ENV_HS256_SECRET_PARAM],
            [ENV_HS256_SECRET, ENV_HS256_SECRET_PARAM],
        ] {
            assert_eq!(
                AuthConfig::from_lookup(lookup(&[
                    (pair[0], "https://x/jwks"),
                    (pair[1], "/oms/dev/secret")
                ])),
                Err(ConfigError::BothModes),
                "{pair:?}"
            );
        }
        assert_eq!(
            AuthConfig::from_lookup(lookup(&[
                (ENV_JWKS_URL, "https://x/jwks"),
                (ENV_HS256_SECRET, "s")
            ])),
            Err(ConfigError::BothModes)
        );
        assert!(matches!(
            AuthConfig::from_lookup(lookup(&[(ENV_JWKS_URL, "ftp://x/jwks")])),
            Err(ConfigError::InvalidJwksUrl(_))
        ));
        assert!(matches!(
            AuthConfig::from_lookup(lookup(&[
                (ENV_HS256_SECRET, "s"),
                (ENV_DEFAULT_TENANT, "a#b")
            ])),
            Err(ConfigError::InvalidDefaultTenant(_))
        ));
    }

    #[test]
    fn debug_redacts_the_secret() {
        let config = AuthConfig::dev_hs256("super-secret-value");
        let shown = format!("{config:?}");
        assert!(!shown.contains("super-secret-value"), "{shown}");
        assert!(shown.contains("redacted"));
    }
}
