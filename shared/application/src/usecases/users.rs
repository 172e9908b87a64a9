//! syncUser and the identity provider's `user.logged_in` events: one rule, two entry points.

use oms_domain::auth::Principal;
use oms_domain::catalog::{Customer, UserAuthorization};

use super::support::{principal, user_id};
use super::Oms;
use crate::caller::Caller;
use crate::error::AppResult;

/// Names and e-mail the caller gives (token claims fill the gaps).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncUserInput {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
}

fn clean(v: Option<&String>) -> Option<String> {
    v.map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

impl Oms {
    /// Creates or refreshes the caller's customer snapshot in the caller's tenant only, and creates
    /// their UserAuthorization record from the token's roles if the tenant has none yet (an
    /// upstream record, from the identity system, is never overwritten by a token).
    pub async fn sync_user(&self, caller: &Caller, input: SyncUserInput) -> AppResult<Principal> {
        let (first, last) = split_name(caller);
        let customer = Customer {
            customer_id: caller.sub.clone(),
            first_name: clean(input.first_name.as_ref()).or(first),
            last_name: clean(input.last_name.as_ref()).or(last),
            email: clean(input.email.as_ref()).or_else(|| caller.email.clone()),
            is_active: true,
        };
        let authorization = UserAuthorization {
            user_id: user_id(caller)?,
            roles: caller.roles.clone(),
            vendor_id: caller.vendor_id.clone(),
            is_active: true,
        };
        let stored = self
            .store
            .refresh_user(&caller.tenant, customer, authorization)
            .await?;
        Ok(principal(caller, Some(&stored)))
    }
}

fn split_name(caller: &Caller) -> (Option<String>, Option<String>) {
    if caller.given_name.is_some() || caller.family_name.is_some() {
        return (caller.given_name.clone(), caller.family_name.clone());
    }
    match caller
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        Some(n) => match n.split_once(' ') {
            Some((f, l)) => (Some(f.to_string()), Some(l.trim().to_string())),
            None => (Some(n.to_string()), None),
        },
        None => (None, None),
    }
}
