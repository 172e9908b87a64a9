//! syncUser and the identity provider's `user.logged_in` events: one rule, two entry points.

use oms_domain::auth::Principal;
use oms_domain::catalog::{Customer, UserAuthorization};
use oms_domain::ids::CustomerId;
use oms_domain::{DomainError, ErrorCode};

use super::support::{principal, user_id};
use super::Oms;
use crate::caller::Caller;
use crate::error::{AppError, AppResult};
use crate::ports::CustomerRefresh;

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
    ///
    /// The customer write is conditional on the snapshot as read (a concurrent newer snapshot or
    /// refresh makes it read again), and a customer the customer system retired (inactive) is
    /// never revived: nothing is written and the answer is INVALID_STATE.
    pub async fn sync_user(&self, caller: &Caller, input: SyncUserInput) -> AppResult<Principal> {
        super::checkout::check_person(
            input.first_name.as_deref(),
            input.last_name.as_deref(),
            &[],
        )?;
        if let Some(email) = clean(input.email.as_ref()) {
            oms_domain::limits::check_chars("Email", &email, oms_domain::limits::MAX_EMAIL_CHARS)
                .map_err(|e| e.at(["email"]))?;
        }
        let (first, last) = split_name(caller);
        let first_name = clean(input.first_name.as_ref()).or(first);
        let last_name = clean(input.last_name.as_ref()).or(last);
        let email = clean(input.email.as_ref()).or_else(|| caller.email.clone());
        // What the input and the token give, over the customer as stored when the write runs:
        // a field neither gives keeps its stored value (a concurrent newer snapshot's included).
        let customer_id = caller.sub.clone();
        let refresh = move |stored: Option<&Customer>| Customer {
            customer_id: customer_id.clone(),
            first_name: first_name
                .clone()
                .or_else(|| stored.and_then(|c| c.first_name.clone())),
            last_name: last_name
                .clone()
                .or_else(|| stored.and_then(|c| c.last_name.clone())),
            email: email
                .clone()
                .or_else(|| stored.and_then(|c| c.email.clone())),
            is_active: true,
        };
        let authorization = UserAuthorization {
            user_id: user_id(caller)?,
            roles: caller.roles.clone(),
            vendor_id: caller.vendor_id.clone(),
            is_active: true,
        };
        match self
            .store
            .refresh_customer(&caller.tenant, &caller.sub, &refresh)
            .await?
        {
            CustomerRefresh::Refreshed(_) => {}
            CustomerRefresh::Retired => return Err(AppError::User(retired(&caller.sub))),
        }
        let stored = self
            .store
            .ensure_user_authorization(&caller.tenant, authorization)
            .await?;
        Ok(principal(caller, Some(&stored)))
    }
}

/// syncUser's answer for a customer the customer system retired.
fn retired(customer: &CustomerId) -> DomainError {
    DomainError::new(
        ErrorCode::InvalidState,
        format!(
            "Customer {customer} was deactivated by the customer system; syncUser does not reactivate it. Nothing was changed."
        ),
    )
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
