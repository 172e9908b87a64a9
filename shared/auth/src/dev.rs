//! Development tokens (HS256) for `oms token`, `oms serve --demo` and tests.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use oms_domain::auth::Role;
use oms_domain::ids::{CustomerId, TenantId, VendorId};

use crate::config::{AuthConfig, DEV_AUDIENCE, DEV_ISSUER};
use crate::error::ConfigError;

/// A development JWT: HS256 with `secret`, issuer `oms-dev`, audience `oms`, `iat` = `now`,
/// `exp` = `now + ttl`, roles in lower case. Accepted by an [`crate::Authenticator`] built from
/// `AuthConfig::dev_hs256(secret)` (without issuer/audience overrides).
pub fn issue_dev_token(
    secret: &[u8],
    tenant: &TenantId,
    sub: &CustomerId,
    roles: &[Role],
    vendor_id: Option<&VendorId>,
    ttl: Duration,
    now: DateTime<Utc>,
) -> String {
    sign(
        secret,
        DEV_ISSUER,
        DEV_AUDIENCE,
        tenant,
        sub,
        roles,
        vendor_id,
        ttl,
        now,
    )
}

impl AuthConfig {
    /// A development token that this configuration accepts: its secret, and its issuer and
    /// audience (so `OMS_JWT_ISSUER` / `OMS_JWT_AUDIENCE` overrides are honoured).
    ///
    /// # Errors
    /// [`ConfigError::NotDevMode`] in JWKS mode.
    #[allow(clippy::too_many_arguments)]
    pub fn issue_dev_token(
        &self,
        tenant: &TenantId,
        sub: &CustomerId,
        roles: &[Role],
        vendor_id: Option<&VendorId>,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<String, ConfigError> {
        let secret = self.dev_secret().ok_or(ConfigError::NotDevMode)?;
        Ok(sign(
            secret,
            self.issuer().unwrap_or(DEV_ISSUER),
            self.audience().unwrap_or(DEV_AUDIENCE),
            tenant,
            sub,
            roles,
            vendor_id,
            ttl,
            now,
        ))
    }
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Customer => "customer",
        Role::Vendor => "vendor",
    }
}

#[allow(clippy::too_many_arguments)]
fn sign(
    secret: &[u8],
    issuer: &str,
    audience: &str,
    tenant: &TenantId,
    sub: &CustomerId,
    roles: &[Role],
    vendor_id: Option<&VendorId>,
    ttl: Duration,
    now: DateTime<Utc>,
) -> String {
    let iat = now.timestamp();
    let ttl_secs = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX);
    let mut claims = json!({
        "iss": issuer,
        "aud": audience,
        "sub": sub.as_str(),
        "tenant_id": tenant.as_str(),
        "roles": roles.iter().map(|r| role_name(*r)).collect::<Vec<_>>(),
        "iat": iat,
        "exp": iat.saturating_add(ttl_secs),
    });
    if let (Some(vendor), Value::Object(map)) = (vendor_id, &mut claims) {
        map.insert(
            "vendor_id".to_string(),
            Value::String(vendor.as_str().to_string()),
        );
    }
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signing_input = format!("{header}.{payload}");
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
    let signature =
        URL_SAFE_NO_PAD.encode(ring::hmac::sign(&key, signing_input.as_bytes()).as_ref());
    format!("{signing_input}.{signature}")
}
