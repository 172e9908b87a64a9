//! What validation produces: a domain snapshot, an identity login, or a payment record.

use serde::{Deserialize, Serialize};

use oms_domain::auth::Role;
use oms_domain::catalog::{
    Coupon, Customer, CustomerAddress, Offer, Product, ShippingOptionRule, UserAuthorization,
    Vendor,
};
use oms_domain::ids::{OrderId, UserId};
use oms_domain::money::Money;
use oms_domain::order::PaymentMethod;

use crate::kind::Kind;

/// A validated snapshot, ready for a version-ordered upsert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Snapshot {
    Product(Product),
    Vendor(Vendor),
    Coupon(Coupon),
    Offer(Offer),
    ShippingOption(ShippingOptionRule),
    Customer(Customer),
    CustomerAddress(CustomerAddress),
    UserAuthorization(UserAuthorization),
}

impl Snapshot {
    pub fn kind(&self) -> Kind {
        match self {
            Snapshot::Product(_) => Kind::VendorProducts,
            Snapshot::Vendor(_) => Kind::VendorDetails,
            Snapshot::Coupon(_) => Kind::VendorCoupons,
            Snapshot::Offer(_) => Kind::VendorOffers,
            Snapshot::ShippingOption(_) => Kind::VendorShippingOptions,
            Snapshot::Customer(_) => Kind::CustomerDetails,
            Snapshot::CustomerAddress(_) => Kind::CustomerAddresses,
            Snapshot::UserAuthorization(_) => Kind::UserAuthorizations,
        }
    }

    /// Tenant-free key, unique across kinds within a tenant: `<ENTITY>#<key parts>` (ids never
    /// contain `#`). The storage layer prefixes the tenant (`T#<tenant>#...`).
    pub fn entity_key(&self) -> String {
        match self {
            Snapshot::Product(p) => format!("PRODUCT#{}", p.product_id),
            Snapshot::Vendor(v) => format!("VENDOR#{}", v.vendor_id),
            Snapshot::Coupon(c) => format!("COUPON#{}#{}", c.vendor_id, c.code),
            Snapshot::Offer(o) => format!("OFFER#{}#{}", o.vendor_id, o.offer_id),
            Snapshot::ShippingOption(s) => {
                format!("SHIPPING#{}#{}", s.vendor_id, s.method.as_str())
            }
            Snapshot::Customer(c) => format!("CUSTOMER#{}", c.customer_id),
            Snapshot::CustomerAddress(a) => format!("ADDRESS#{}#{}", a.customer_id, a.address_id),
            Snapshot::UserAuthorization(u) => format!("USERAUTH#{}", u.user_id),
        }
    }

    /// `false` retires the entity (`is_active: false`, docs/runtime.md "Body").
    pub fn is_active(&self) -> bool {
        match self {
            Snapshot::Product(p) => p.is_active,
            Snapshot::Vendor(v) => v.is_active,
            Snapshot::Coupon(c) => c.is_active,
            Snapshot::Offer(o) => o.is_active,
            Snapshot::ShippingOption(s) => s.is_active,
            Snapshot::Customer(c) => c.is_active,
            Snapshot::CustomerAddress(a) => a.is_active,
            Snapshot::UserAuthorization(u) => u.is_active,
        }
    }
}

/// `user.logged_in` from the tenant's identity system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityEvent {
    pub sub: UserId,
    pub email: Option<String>,
    pub name: Option<String>,
    /// Known roles only (`customer`, `vendor`); other IdP roles are dropped.
    pub roles: Vec<Role>,
}

/// Which payment event a [`PaymentRecord`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PaymentEventStatus {
    /// `payment.succeeded`: `amount` was captured for `order_id`.
    Succeeded,
    /// `payment.refunded`: `amount` was refunded on the transaction.
    Refunded,
}

/// A payment recorded from a signed `payments` event; confirmOrder trusts it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRecord {
    pub order_id: OrderId,
    /// The provider's transaction id (≤ 128 chars, no `#` or control characters).
    pub transaction_id: String,
    pub method: PaymentMethod,
    /// Captured (succeeded) or refunded amount, > 0.
    pub amount: Money,
    pub status: PaymentEventStatus,
}

/// Any validated inbound event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyncEvent {
    Snapshot(Snapshot),
    Identity(IdentityEvent),
    Payment(PaymentRecord),
}

impl SyncEvent {
    pub fn kind(&self) -> Kind {
        match self {
            SyncEvent::Snapshot(s) => s.kind(),
            SyncEvent::Identity(_) => Kind::Identity,
            SyncEvent::Payment(_) => Kind::Payments,
        }
    }

    /// Tenant-free entity key (see [`Snapshot::entity_key`]); `IDENTITY#<sub>` and
    /// `PAYMENT#<transaction_id>` for the other two.
    pub fn entity_key(&self) -> String {
        match self {
            SyncEvent::Snapshot(s) => s.entity_key(),
            SyncEvent::Identity(i) => format!("IDENTITY#{}", i.sub),
            SyncEvent::Payment(p) => format!("PAYMENT#{}", p.transaction_id),
        }
    }
}
