//! THE validation path from a `data` object (a webhook's `data`, or a CSV row turned into one)
//! to a domain value. Webhooks and CSV both call [`validate_snapshot`] / [`validate_event`]; there
//! is no second path.
//!
//! Every error is `INVALID_PAYLOAD` with the field path (`data.product_price`,
//! `data.conditions.gift_products.0.quantity`), except a `data.tenant_id` that differs from the
//! route's tenant (`TENANT_MISMATCH`). Unknown top-level fields are ignored (upstream entities
//! often carry more than the snapshot needs); unknown keys inside `conditions` are rejected (a
//! misspelt condition would silently widen an offer or a shipping option).

mod authorization;
mod coupon;
mod customer;
pub(crate) mod fields;
mod offer;
mod payment;
mod product;
mod shipping;
#[cfg(test)]
mod tests;
mod vendor;

use serde_json::{Map, Value};

use oms_domain::ids::TenantId;

use crate::error::SyncError;
use crate::event::{PaymentEventStatus, Snapshot, SyncEvent};
use crate::kind::{EventType, Kind};

use fields::Obj;

pub use offer::parse_offer_kind;
pub use shipping::parse_utc_offset;

/// Validates the `data` of a snapshot kind (the first eight kinds) for `tenant`.
///
/// # Errors
/// `INVALID_PAYLOAD` with the field path; `TENANT_MISMATCH` when `data.tenant_id` is present
/// and differs from `tenant`; `NOT_FOUND` for `identity` / `payments` (not snapshots).
pub fn validate_snapshot(
    kind: Kind,
    data: &Map<String, Value>,
    tenant: &TenantId,
) -> Result<Snapshot, SyncError> {
    let d = Obj::new(data, "data");
    d.check_tenant(tenant)?;
    match kind {
        Kind::VendorProducts => product::product(&d).map(Snapshot::Product),
        Kind::VendorDetails => vendor::vendor(&d).map(Snapshot::Vendor),
        Kind::VendorCoupons => coupon::coupon(&d).map(Snapshot::Coupon),
        Kind::VendorOffers => offer::offer(&d).map(Snapshot::Offer),
        Kind::VendorShippingOptions => shipping::shipping_option(&d).map(Snapshot::ShippingOption),
        Kind::CustomerDetails => customer::customer(&d).map(Snapshot::Customer),
        Kind::CustomerAddresses => customer::customer_address(&d).map(Snapshot::CustomerAddress),
        Kind::UserAuthorizations => {
            authorization::user_authorization(&d).map(Snapshot::UserAuthorization)
        }
        Kind::Identity | Kind::Payments => Err(SyncError::not_found(format!(
            "'{kind}' does not carry a snapshot."
        ))),
    }
}

/// Validates the `data` of an event of type `event_type` for `tenant`.
///
/// # Errors
/// As [`validate_snapshot`].
pub fn validate_event(
    event_type: EventType,
    data: &Map<String, Value>,
    tenant: &TenantId,
) -> Result<SyncEvent, SyncError> {
    let d = Obj::new(data, "data");
    match event_type {
        EventType::UserLoggedIn => {
            d.check_tenant(tenant)?;
            authorization::identity(&d).map(SyncEvent::Identity)
        }
        EventType::PaymentSucceeded => {
            d.check_tenant(tenant)?;
            payment::payment(&d, PaymentEventStatus::Succeeded).map(SyncEvent::Payment)
        }
        EventType::PaymentRefunded => {
            d.check_tenant(tenant)?;
            payment::payment(&d, PaymentEventStatus::Refunded).map(SyncEvent::Payment)
        }
        snapshot => validate_snapshot(snapshot.kind(), data, tenant).map(SyncEvent::Snapshot),
    }
}
