//! Why a request is not authenticated, and why a configuration is unusable.

use std::fmt;

/// The reason a token was rejected. For logs and tests only: it is never shown to the caller
/// (the public `Display` of [`AuthError`] is always `unauthenticated`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rejection {
    /// No `Authorization` header.
    MissingHeader,
    /// The header is not `Bearer <token>` (another scheme, or no token).
    BadScheme,
    /// The token is larger than any token we accept.
    TokenTooLarge,
    /// Not a compact JWS: wrong number of parts, bad base64 or JSON, an unknown `alg` such as
    /// `none`, or claims that are not a JSON object.
    Malformed,
    /// The header names a `crit` extension; we understand none.
    UnsupportedCritical,
    /// The `alg` is not one this deployment accepts (HS* in JWKS mode, RS*/ES* in dev mode, an
    /// algorithm not configured).
    AlgorithmNotAllowed,
    /// JWKS mode needs a `kid` in the token header.
    MissingKeyId,
    /// No key with this `kid` (and a matching algorithm) in the JWKS, even after a refresh.
    UnknownKeyId,
    /// The JWKS could not be fetched (error or timeout) and no cached key matches.
    KeysUnavailable,
    /// The signature does not verify with the selected key.
    BadSignature,
    /// `exp` is absent or not a number.
    MissingExpiry,
    /// `exp` is in the past (beyond the leeway).
    Expired,
    /// `nbf` is in the future (beyond the leeway), or not a number.
    NotYetValid,
    /// `iss` is absent or not the configured issuer.
    BadIssuer,
    /// `aud` is absent or does not contain the configured audience.
    BadAudience,
    /// `sub` is absent, not a string or empty.
    MissingSubject,
    /// `sub` is not a valid customer id (e.g. contains `#`, over 128 characters).
    InvalidSubject,
    /// `tenant_id` is absent and no default tenant is configured.
    MissingTenant,
    /// `tenant_id` is not a valid tenant id.
    InvalidTenant,
    /// `tenant_id` names a tenant other than the configured default tenant.
    TenantMismatch,
    /// `roles` is absent.
    MissingRoles,
    /// `roles` is not an array.
    InvalidRoles,
    /// `vendor_id` is present but not a valid vendor id.
    InvalidVendorId,
}

impl Rejection {
    /// A short, stable, token-free label for logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Rejection::MissingHeader => "missing authorization header",
            Rejection::BadScheme => "not a bearer token",
            Rejection::TokenTooLarge => "token too large",
            Rejection::Malformed => "malformed token",
            Rejection::UnsupportedCritical => "unsupported critical header",
            Rejection::AlgorithmNotAllowed => "algorithm not allowed",
            Rejection::MissingKeyId => "missing kid",
            Rejection::UnknownKeyId => "unknown kid",
            Rejection::KeysUnavailable => "signing keys unavailable",
            Rejection::BadSignature => "bad signature",
            Rejection::MissingExpiry => "missing or invalid exp",
            Rejection::Expired => "token expired",
            Rejection::NotYetValid => "token not yet valid",
            Rejection::BadIssuer => "wrong issuer",
            Rejection::BadAudience => "wrong audience",
            Rejection::MissingSubject => "missing sub",
            Rejection::InvalidSubject => "invalid sub",
            Rejection::MissingTenant => "missing tenant_id",
            Rejection::InvalidTenant => "invalid tenant_id",
            Rejection::TenantMismatch => "tenant_id is not the deployment's tenant",
            Rejection::MissingRoles => "missing roles",
            Rejection::InvalidRoles => "roles is not an array",
            Rejection::InvalidVendorId => "invalid vendor_id",
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request that is not authenticated.
///
/// `Display` is always `unauthenticated`, whatever the reason, so nothing about the token or the
/// keys leaks to the caller; map it to a top-level GraphQL error with
/// `extensions.code = UNAUTHENTICATED`. Log [`AuthError::reason`] (or `Debug`) instead: it never
/// contains the token.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthError {
    reason: Rejection,
    detail: Option<String>,
}

impl AuthError {
    pub(crate) fn new(reason: Rejection) -> Self {
        AuthError {
            reason,
            detail: None,
        }
    }

    pub(crate) fn with_detail(reason: Rejection, detail: impl Into<String>) -> Self {
        AuthError {
            reason,
            detail: Some(detail.into()),
        }
    }

    /// Why the token was rejected (for logs and metrics; never for the client).
    pub fn reason(&self) -> Rejection {
        self.reason
    }

    /// Extra context for logs (e.g. the JWKS fetch error); never contains the token.
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unauthenticated")
    }
}

impl fmt::Debug for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.detail {
            Some(detail) => write!(f, "AuthError({}: {detail})", self.reason),
            None => write!(f, "AuthError({})", self.reason),
        }
    }
}

impl std::error::Error for AuthError {}

/// An authentication configuration that cannot be used. Raised at start-up, never per request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("more than one of OMS_JWKS_URL, OMS_JWT_HS256_SECRET and OMS_JWT_HS256_SECRET_PARAM is set: choose JWKS (production) or one HS256 secret (development)")]
    BothModes,
    #[error("the JWKS URL is not an absolute http:// or https:// URL: {0}")]
    InvalidJwksUrl(String),
    #[error("cannot set up TLS for the JWKS URL: {0}")]
    Tls(String),
    #[error("OMS_DEFAULT_TENANT is not a valid tenant id: {0}")]
    InvalidDefaultTenant(String),
    #[error("the HS256 secret is empty")]
    EmptySecret,
    #[error("no signing algorithm is allowed for JWKS mode")]
    NoAlgorithms,
    #[error("this operation needs the development HS256 mode")]
    NotDevMode,
    #[error("a custom JWKS fetcher needs JWKS mode")]
    FetcherWithoutJwks,
    #[error("the HS256 secret is in a secret store (OMS_JWT_HS256_SECRET_PARAM): this process has no client to read it")]
    NoSecretFetcher,
    #[error(
        "a secret fetcher needs the stored-secret development mode (OMS_JWT_HS256_SECRET_PARAM)"
    )]
    FetcherWithoutStoredSecret,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_never_says_why() {
        let err = AuthError::with_detail(Rejection::Expired, "exp 12 < now 99");
        assert_eq!(err.to_string(), "unauthenticated");
        assert_eq!(err.reason(), Rejection::Expired);
        assert!(format!("{err:?}").contains("token expired"));
    }
}
