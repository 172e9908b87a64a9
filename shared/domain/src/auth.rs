//! Roles and the authorization rule (pure): who may act as customer or vendor in a tenant.

use serde::{Deserialize, Serialize};

use crate::catalog::UserAuthorization;
use crate::ids::{CustomerId, VendorId};

/// GraphQL `Role`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    Customer,
    Vendor,
}

impl Role {
    /// Case-insensitive: `customer`, `CUSTOMER`, `Vendor`.
    pub fn parse(raw: &str) -> Option<Role> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "customer" => Some(Role::Customer),
            "vendor" => Some(Role::Vendor),
            _ => None,
        }
    }
}

/// The verified caller after applying the tenant's UserAuthorization snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub roles: Vec<Role>,
    /// Always the token `sub`.
    pub customer_id: CustomerId,
    /// The vendor the caller acts for, when it holds the vendor role.
    pub vendor_id: Option<VendorId>,
}

impl Principal {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// The authorization rule, written once:
/// - Token roles grant roles.
/// - A UserAuthorization snapshot for this user in this tenant may GRANT more roles (its `roles`)
///   and name the vendor the user acts for; an inactive snapshot REVOKES every role (the tenant's
///   identity system disabled the user), whatever the token says.
/// - Vendor id = the token's `vendor_id` claim, else the snapshot's `vendor_id`, else `sub`
///   (docs/auth.md).
pub fn resolve_principal(
    sub: &CustomerId,
    token_roles: &[Role],
    token_vendor_id: Option<&VendorId>,
    authorization: Option<&UserAuthorization>,
) -> Principal {
    let mut roles: Vec<Role> = token_roles.to_vec();
    if let Some(auth) = authorization {
        if auth.is_active {
            roles.extend(auth.roles.iter().copied());
        } else {
            roles.clear();
        }
    }
    roles.sort();
    roles.dedup();
    let vendor_id = if roles.contains(&Role::Vendor) {
        token_vendor_id
            .cloned()
            .or_else(|| {
                authorization
                    .filter(|a| a.is_active)
                    .and_then(|a| a.vendor_id.clone())
            })
            .or_else(|| VendorId::new(sub.as_str()).ok())
    } else {
        None
    };
    Principal {
        roles,
        customer_id: sub.clone(),
        vendor_id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::UserId;

    fn sub() -> CustomerId {
        CustomerId::new("u-1").unwrap_or_else(|_| unreachable!())
    }

    fn auth(active: bool, roles: Vec<Role>, vendor: Option<&str>) -> UserAuthorization {
        UserAuthorization {
            user_id: UserId::new("u-1").unwrap_or_else(|_| unreachable!()),
            roles,
            vendor_id: vendor.and_then(|v| VendorId::new(v).ok()),
            is_active: active,
        }
    }

    #[test]
    fn token_roles_grant_and_vendor_defaults_to_sub() {
        let p = resolve_principal(&sub(), &[Role::Vendor], None, None);
        assert!(p.has(Role::Vendor));
        assert_eq!(p.vendor_id.map(|v| v.to_string()), Some("u-1".into()));
    }

    #[test]
    fn snapshot_grants_roles_and_vendor() {
        let a = auth(true, vec![Role::Vendor], Some("v-9"));
        let p = resolve_principal(&sub(), &[Role::Customer], None, Some(&a));
        assert!(p.has(Role::Customer) && p.has(Role::Vendor));
        assert_eq!(p.vendor_id.map(|v| v.to_string()), Some("v-9".into()));
    }

    #[test]
    fn vendor_claim_wins_over_snapshot() {
        let a = auth(true, vec![Role::Vendor], Some("v-9"));
        let claim = VendorId::new("v-1").ok();
        let p = resolve_principal(&sub(), &[Role::Vendor], claim.as_ref(), Some(&a));
        assert_eq!(p.vendor_id.map(|v| v.to_string()), Some("v-1".into()));
    }

    #[test]
    fn inactive_snapshot_revokes_everything() {
        let a = auth(false, vec![Role::Vendor], None);
        let p = resolve_principal(&sub(), &[Role::Customer, Role::Vendor], None, Some(&a));
        assert!(p.roles.is_empty());
        assert_eq!(p.vendor_id, None);
    }

    #[test]
    fn roles_parse_case_insensitively() {
        assert_eq!(Role::parse("CUSTOMER"), Some(Role::Customer));
        assert_eq!(Role::parse("Vendor"), Some(Role::Vendor));
        assert_eq!(Role::parse("admin"), None);
    }
}
