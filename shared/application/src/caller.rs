//! The verified caller of a request.

use oms_domain::auth::{Principal, Role};
use oms_domain::ids::{CustomerId, TenantId, VendorId};

/// Claims of a verified token, before the tenant's UserAuthorization snapshot is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub tenant: TenantId,
    /// Token `sub`; also the customer id.
    pub sub: CustomerId,
    pub roles: Vec<Role>,
    pub vendor_id: Option<VendorId>,
    pub email: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub name: Option<String>,
    /// For logs and error reports.
    pub request_id: String,
}

/// The caller after the authorization rule (`oms_domain::auth::resolve_principal`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub tenant: TenantId,
    pub principal: Principal,
}
