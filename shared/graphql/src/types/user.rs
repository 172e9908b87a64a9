//! The caller (`me`, `syncUser`) and their address book.

use async_graphql::{SimpleObject, ID};
use oms_application::caller::Caller;
use oms_domain::auth::{Principal, Role as DomainRole};
use oms_domain::catalog::CustomerAddress as DomainCustomerAddress;

use super::enums::Role;

/// The verified caller after the tenant's authorization snapshot.
#[derive(SimpleObject)]
#[graphql(name = "User")]
pub struct User {
    /// The token's subject.
    pub sub: ID,
    pub tenant_id: ID,
    pub roles: Vec<Role>,
    /// Set when the caller holds the customer role (= sub).
    pub customer_id: Option<ID>,
    /// Set when the caller holds the vendor role.
    pub vendor_id: Option<ID>,
}

impl User {
    pub fn new(caller: &Caller, principal: &Principal) -> Self {
        User {
            sub: ID(caller.sub.as_str().to_string()),
            tenant_id: ID(caller.tenant.as_str().to_string()),
            roles: principal.roles.iter().copied().map(Role::from).collect(),
            customer_id: principal
                .has(DomainRole::Customer)
                .then(|| ID(principal.customer_id.as_str().to_string())),
            vendor_id: principal
                .vendor_id
                .as_ref()
                .filter(|_| principal.has(DomainRole::Vendor))
                .map(|v| ID(v.as_str().to_string())),
        }
    }
}

/// An entry of the customer's address book (CustomerAddress snapshot).
#[derive(SimpleObject)]
#[graphql(name = "CustomerAddress")]
pub struct CustomerAddress {
    pub id: ID,
    pub street: String,
    pub city: String,
    pub state: Option<String>,
    pub postal: String,
    pub country: String,
    pub is_default: bool,
}

impl From<DomainCustomerAddress> for CustomerAddress {
    fn from(a: DomainCustomerAddress) -> Self {
        CustomerAddress {
            id: ID(a.address_id.as_str().to_string()),
            street: a.address.street,
            city: a.address.city,
            state: a.address.state,
            postal: a.address.postal,
            country: a.address.country.code().to_string(),
            is_default: a.is_default,
        }
    }
}
