//! From signature-verified claims to a [`VerifiedToken`]: time, issuer, audience, subject,
//! tenant, roles and vendor id rules (docs/auth.md "Claims").

use serde_json::{Map, Value};

use oms_domain::auth::{resolve_principal, Principal, Role};
use oms_domain::catalog::UserAuthorization;
use oms_domain::ids::{CustomerId, TenantId, VendorId};

use crate::config::AuthConfig;
use crate::error::{AuthError, Rejection};

/// The caller, as its verified token says. Apply the tenant's UserAuthorization snapshot with
/// [`VerifiedToken::principal`] (i.e. `oms_domain::auth::resolve_principal`) before authorising.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedToken {
    /// `tenant_id`, or the configured default tenant when the token has none.
    pub tenant: TenantId,
    /// `sub`; the customer id is always the subject.
    pub sub: CustomerId,
    /// Recognised roles from `roles` (case-insensitive), sorted, without duplicates; unknown
    /// role names are dropped. May be empty (authenticated, but allowed nothing by itself).
    pub roles: Vec<Role>,
    /// The `vendor_id` claim, when present.
    pub vendor_id: Option<VendorId>,
    pub email: Option<String>,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
}

impl VerifiedToken {
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// The authorization rule of `oms_domain::auth::resolve_principal` applied to this token
    /// and the caller's UserAuthorization snapshot in [`tenant`](Self::tenant), if any.
    pub fn principal(&self, authorization: Option<&UserAuthorization>) -> Principal {
        resolve_principal(
            &self.sub,
            &self.roles,
            self.vendor_id.as_ref(),
            authorization,
        )
    }
}

fn reject(reason: Rejection) -> AuthError {
    AuthError::new(reason)
}

/// A JWT NumericDate: seconds since the epoch, integer or fractional.
fn numeric_date(value: Option<&Value>) -> Option<Option<f64>> {
    match value {
        None | Some(Value::Null) => Some(None),
        Some(Value::Number(n)) => n.as_f64().filter(|v| v.is_finite()).map(Some),
        Some(_) => None,
    }
}

fn optional_string(claims: &Map<String, Value>, name: &str) -> Option<String> {
    claims.get(name).and_then(Value::as_str).map(str::to_string)
}

/// Checks claims whose signature has already been verified. `now` is seconds since the epoch.
pub(crate) fn validate(
    claims: &Value,
    config: &AuthConfig,
    now: f64,
) -> Result<VerifiedToken, AuthError> {
    let Some(claims) = claims.as_object() else {
        return Err(AuthError::with_detail(
            Rejection::Malformed,
            "claims are not a JSON object",
        ));
    };
    let leeway = config.leeway().as_secs_f64();

    // exp: required; "the current time MUST be before" it (RFC 7519 §4.1.4).
    match numeric_date(claims.get("exp")) {
        Some(Some(exp)) => {
            if now - leeway >= exp {
                return Err(reject(Rejection::Expired));
            }
        }
        _ => return Err(reject(Rejection::MissingExpiry)),
    }
    // nbf: optional; the token is not valid before it.
    match numeric_date(claims.get("nbf")) {
        Some(None) => {}
        Some(Some(nbf)) => {
            if now + leeway < nbf {
                return Err(reject(Rejection::NotYetValid));
            }
        }
        None => {
            return Err(AuthError::with_detail(
                Rejection::NotYetValid,
                "nbf is not a number",
            ))
        }
    }

    if let Some(issuer) = config.issuer() {
        if claims.get("iss").and_then(Value::as_str) != Some(issuer) {
            return Err(reject(Rejection::BadIssuer));
        }
    }
    if let Some(audience) = config.audience() {
        let ok = match claims.get("aud") {
            Some(Value::String(aud)) => aud == audience,
            Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(audience)),
            _ => false,
        };
        if !ok {
            return Err(reject(Rejection::BadAudience));
        }
    }

    let sub = match claims.get("sub").and_then(Value::as_str) {
        Some(s) if !s.trim().is_empty() => {
            CustomerId::new(s).map_err(|_| reject(Rejection::InvalidSubject))?
        }
        _ => return Err(reject(Rejection::MissingSubject)),
    };

    let tenant = match (claims.get("tenant_id"), config.default_tenant()) {
        (None | Some(Value::Null), Some(default)) => default.clone(),
        (None | Some(Value::Null), None) => return Err(reject(Rejection::MissingTenant)),
        (Some(Value::String(raw)), default) => {
            let tenant = TenantId::new(raw).map_err(|_| reject(Rejection::InvalidTenant))?;
            if default.is_some_and(|d| *d != tenant) {
                return Err(reject(Rejection::TenantMismatch));
            }
            tenant
        }
        (Some(_), _) => return Err(reject(Rejection::InvalidTenant)),
    };

    let mut roles: Vec<Role> = match claims.get("roles") {
        None | Some(Value::Null) => return Err(reject(Rejection::MissingRoles)),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .filter_map(Role::parse)
            .collect(),
        Some(_) => return Err(reject(Rejection::InvalidRoles)),
    };
    roles.sort();
    roles.dedup();

    let vendor_id = match claims.get("vendor_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(raw)) => {
            Some(VendorId::new(raw).map_err(|_| reject(Rejection::InvalidVendorId))?)
        }
        Some(_) => return Err(reject(Rejection::InvalidVendorId)),
    };

    Ok(VerifiedToken {
        tenant,
        sub,
        roles,
        vendor_id,
        email: optional_string(claims, "email"),
        name: optional_string(claims, "name"),
        given_name: optional_string(claims, "given_name"),
        family_name: optional_string(claims, "family_name"),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const NOW: f64 = 1_800_000_000.0;

    fn config() -> AuthConfig {
        AuthConfig::jwks("http://127.0.0.1/jwks")
    }

    fn base() -> Value {
        json!({"sub": "u-1", "tenant_id": "t1", "roles": ["customer"], "exp": NOW + 60.0})
    }

    fn with(mut claims: Value, key: &str, value: Value) -> Value {
        if let Some(map) = claims.as_object_mut() {
            map.insert(key.to_string(), value);
        }
        claims
    }

    fn without(mut claims: Value, key: &str) -> Value {
        if let Some(map) = claims.as_object_mut() {
            map.remove(key);
        }
        claims
    }

    fn reason(claims: &Value, config: &AuthConfig) -> Option<Rejection> {
        validate(claims, config, NOW).err().map(|e| e.reason())
    }

    #[test]
    fn fractional_and_integer_dates_are_accepted() {
        assert_eq!(
            reason(
                &with(base(), "exp", json!(NOW + 0.5)),
                &config().with_leeway(Default::default())
            ),
            None
        );
        assert_eq!(
            reason(&with(base(), "nbf", json!(NOW as i64)), &config()),
            None
        );
    }

    #[test]
    fn exp_must_be_a_number() {
        assert_eq!(
            reason(&with(base(), "exp", json!("soon")), &config()),
            Some(Rejection::MissingExpiry)
        );
        assert_eq!(
            reason(&with(base(), "exp", Value::Null), &config()),
            Some(Rejection::MissingExpiry)
        );
        assert_eq!(
            reason(&with(base(), "nbf", json!("x")), &config()),
            Some(Rejection::NotYetValid)
        );
    }

    #[test]
    fn exp_equal_to_now_without_leeway_is_expired() {
        let no_leeway = config().with_leeway(Default::default());
        assert_eq!(
            reason(&with(base(), "exp", json!(NOW)), &no_leeway),
            Some(Rejection::Expired)
        );
    }

    #[test]
    fn blank_or_odd_identifiers_are_rejected() {
        assert_eq!(
            reason(&with(base(), "sub", json!("  ")), &config()),
            Some(Rejection::MissingSubject)
        );
        assert_eq!(
            reason(&with(base(), "sub", json!(42)), &config()),
            Some(Rejection::MissingSubject)
        );
        assert_eq!(
            reason(&with(base(), "sub", json!("a#b")), &config()),
            Some(Rejection::InvalidSubject)
        );
        assert_eq!(
            reason(&with(base(), "tenant_id", json!("")), &config()),
            Some(Rejection::InvalidTenant)
        );
        assert_eq!(
            reason(&with(base(), "tenant_id", json!(7)), &config()),
            Some(Rejection::InvalidTenant)
        );
        assert_eq!(
            reason(&with(base(), "vendor_id", json!("v#1")), &config()),
            Some(Rejection::InvalidVendorId)
        );
        assert_eq!(
            reason(&with(base(), "vendor_id", json!(9)), &config()),
            Some(Rejection::InvalidVendorId)
        );
        assert_eq!(
            reason(&without(base(), "roles"), &config()),
            Some(Rejection::MissingRoles)
        );
        assert_eq!(
            reason(&with(base(), "roles", json!("customer")), &config()),
            Some(Rejection::InvalidRoles)
        );
    }

    #[test]
    fn optional_profile_claims_are_copied_when_strings() {
        let claims = with(with(base(), "email", json!("a@b.test")), "name", json!(12));
        let token = validate(&claims, &config(), NOW);
        let Ok(token) = token else {
            panic!("rejected: {token:?}")
        };
        assert_eq!(token.email.as_deref(), Some("a@b.test"));
        assert_eq!(token.name, None);
        assert_eq!(token.vendor_id, None);
    }

    #[test]
    fn principal_applies_the_domain_rule() {
        let claims = with(base(), "roles", json!(["vendor"]));
        let token = validate(&claims, &config(), NOW);
        let Ok(token) = token else {
            panic!("rejected: {token:?}")
        };
        let principal = token.principal(None);
        assert_eq!(
            principal.vendor_id.map(|v| v.to_string()),
            Some("u-1".to_string())
        );
    }
}
