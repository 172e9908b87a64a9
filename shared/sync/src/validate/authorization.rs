//! `user-authorizations` → [`UserAuthorization`] and `identity` (`user.logged_in`) →
//! [`IdentityEvent`].

use serde_json::Value;

use oms_domain::auth::Role;
use oms_domain::catalog::UserAuthorization;
use oms_domain::ids::{CustomerId, UserId, VendorId};

use super::fields::{err_at, join, Obj, Res};
use crate::event::IdentityEvent;

/// How unknown role names are treated.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Unknown {
    /// A snapshot we store: an unknown role is a sender error.
    Reject,
    /// An identity provider's token roles: others (`offline_access`, ...) are not ours; drop them.
    Drop,
}

/// `roles`: a JSON array of strings, or a string holding a JSON array or a comma-separated list
/// (the original identity gateway sent `roles` as JSON text). Sorted and de-duplicated.
fn roles(d: &Obj, unknown: Unknown) -> Res<Option<Vec<Role>>> {
    let path = d.path("roles");
    let items: Vec<(String, String)> = match d.get("roles") {
        None => return Ok(None),
        Some(Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let p = join(&path, &i.to_string());
                v.as_str()
                    .map(|s| (p.clone(), s.to_string()))
                    .ok_or_else(|| err_at(&p, "must be a string."))
            })
            .collect::<Res<_>>()?,
        Some(Value::String(s)) if s.trim_start().starts_with('[') => {
            let parsed: Vec<String> = serde_json::from_str(s)
                .map_err(|_| err_at(&path, "must be a JSON array of role names."))?;
            parsed
                .into_iter()
                .enumerate()
                .map(|(i, r)| (join(&path, &i.to_string()), r))
                .collect()
        }
        Some(Value::String(s)) => s
            .split(',')
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .enumerate()
            .map(|(i, r)| (join(&path, &i.to_string()), r.to_string()))
            .collect(),
        Some(_) => return Err(err_at(&path, "must be an array of role names.")),
    };
    let mut out = Vec::with_capacity(items.len());
    for (p, raw) in items {
        match (Role::parse(&raw), unknown) {
            (Some(r), _) => out.push(r),
            (None, Unknown::Drop) => {}
            (None, Unknown::Reject) => return Err(err_at(&p, "must be customer or vendor.")),
        }
    }
    out.sort();
    out.dedup();
    Ok(Some(out))
}

/// Our shape `{user_id, roles, vendor_id?, is_active}`, or the original's scoped row
/// `{user_id, scope: {"vendor_id": ...} | {"customer_id": ...}}` from which the role is inferred.
pub(super) fn user_authorization(d: &Obj) -> Res<UserAuthorization> {
    let user_id = d.id("user_id", UserId::new)?;
    let vendor_id = d.opt_id("vendor_id", VendorId::new)?;
    let (scope_vendor, scope_customer) = match d.opt_object("scope")? {
        None => (None, None),
        Some(map) => {
            let path = d.path("scope");
            let s = Obj::new(map, &path);
            (
                s.opt_id("vendor_id", VendorId::new)?,
                s.opt_id("customer_id", CustomerId::new)?,
            )
        }
    };
    if let (Some(a), Some(b)) = (&vendor_id, &scope_vendor) {
        if a != b {
            return Err(err_at(
                &join(&d.path("scope"), "vendor_id"),
                "must equal vendor_id.",
            ));
        }
    }
    let roles = match roles(d, Unknown::Reject)? {
        Some(r) => r,
        None => {
            let mut inferred = Vec::new();
            if scope_customer.is_some() {
                inferred.push(Role::Customer);
            }
            if scope_vendor.is_some() {
                inferred.push(Role::Vendor);
            }
            if inferred.is_empty() {
                return Err(d.err(
                    "roles",
                    "is required (or a scope with vendor_id or customer_id).",
                ));
            }
            inferred
        }
    };
    Ok(UserAuthorization {
        user_id,
        roles,
        vendor_id: vendor_id.or(scope_vendor),
        is_active: d.bool_or("is_active", true)?,
    })
}

pub(super) fn identity(d: &Obj) -> Res<IdentityEvent> {
    let sub = d.id("sub", UserId::new)?;
    Ok(IdentityEvent {
        sub,
        email: d.opt_text("email")?,
        name: d.opt_text("name")?,
        roles: roles(d, Unknown::Drop)?.unwrap_or_default(),
    })
}
