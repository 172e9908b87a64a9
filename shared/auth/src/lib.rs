//! Verification of the bearer JWT that every GraphQL request carries (docs/auth.md).
//!
//! Two modes, chosen by [`AuthConfig`] (usually [`AuthConfig::from_env`]):
//! - **JWKS** (production): RS256/ES256 tokens, key chosen by `kid` from a JWKS fetched over
//!   HTTP(S) with a timeout, cached, refreshed on expiry or an unknown `kid` at most once per
//!   interval. HS*, `alg: none` and algorithms not configured are rejected.
//! - **Dev HS256**: tokens signed with `OMS_JWT_HS256_SECRET`, issuer `oms-dev`, audience `oms`
//!   by default; [`issue_dev_token`] makes them. In AWS the secret stays in an SSM parameter
//!   (`OMS_JWT_HS256_SECRET_PARAM`), read on the first token through a [`SecretFetcher`]
//!   ([`Authenticator::with_secret_fetcher`]).
//!
//! [`Authenticator::verify`] turns an `Authorization` header into a [`VerifiedToken`]; every
//! failure is an [`AuthError`] whose `Display` is just `unauthenticated`. Roles and vendor id
//! come from the token here; the application then applies the tenant's UserAuthorization
//! snapshot with [`VerifiedToken::principal`] (`oms_domain::auth::resolve_principal`).

mod authenticator;
mod claims;
mod config;
mod dev;
mod error;
mod jwks;
mod secret;

pub use authenticator::{Authenticator, MAX_TOKEN_BYTES};
pub use claims::VerifiedToken;
pub use config::{
    AuthConfig, JwksSettings, KeySource, SigningAlgorithm, DEFAULT_CACHE_TTL,
    DEFAULT_FETCH_TIMEOUT, DEFAULT_LEEWAY, DEFAULT_REFRESH_MIN_INTERVAL, DEV_AUDIENCE, DEV_ISSUER,
    ENV_AUDIENCE, ENV_DEFAULT_TENANT, ENV_HS256_SECRET, ENV_HS256_SECRET_PARAM, ENV_ISSUER,
    ENV_JWKS_URL,
};
pub use dev::issue_dev_token;
pub use error::{AuthError, ConfigError, Rejection};
pub use jwks::{HttpJwksFetcher, JwksFetchError, JwksFetcher};
pub use secret::{SecretFetchError, SecretFetcher, SECRET_FETCH_TIMEOUT, SECRET_RETRY_INTERVAL};
