//! Domain events: one or more per successful command, published later through the outbox.
//!
//! Every event carries the order's identity, its version and status AFTER the change, and the
//! command's time, so consumers can order and deduplicate them (`(tenant, order_id, version)` is
//! unique per change; one change may emit several events that share the version).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::model::{OrderStatus, PaymentMethod, PaymentStatus};
use crate::address::Address;
use crate::catalog::ShippingMethod;
use crate::ids::{CouponCode, CustomerId, OfferId, OrderId, Sku, TenantId, VendorId};
use crate::money::{Currency, Money};

/// A SKU and a quantity (lines added, stock reserved or released).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkuQuantity {
    pub sku: Sku,
    pub quantity: u32,
}

/// A line whose unit price followed the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceChange {
    pub sku: Sku,
    pub previous: Money,
    pub current: Money,
}

/// What happened. Serialized with a `type` tag equal to [`OrderEventKind::as_str`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum OrderEventKind {
    #[serde(rename = "order.checked_out")]
    CheckedOut {
        customer_id: CustomerId,
        vendor_id: VendorId,
        currency: Currency,
        lines: Vec<SkuQuantity>,
        total: Money,
    },
    #[serde(rename = "order.line_items_added")]
    LineItemsAdded { lines: Vec<SkuQuantity> },
    #[serde(rename = "order.line_items_removed")]
    LineItemsRemoved { skus: Vec<Sku> },
    #[serde(rename = "order.quantity_changed")]
    QuantityChanged {
        sku: Sku,
        previous: u32,
        quantity: u32,
    },
    #[serde(rename = "order.destination_changed")]
    DestinationChanged { destination: Address },
    #[serde(rename = "order.coupon_applied")]
    CouponApplied { code: CouponCode, offer_id: OfferId },
    #[serde(rename = "order.coupon_removed")]
    CouponRemoved { code: CouponCode },
    #[serde(rename = "order.shipping_option_selected")]
    ShippingOptionSelected { method: ShippingMethod, cost: Money },
    /// Repricing found the selected method no longer eligible and cleared it.
    #[serde(rename = "order.shipping_option_cleared")]
    ShippingOptionCleared {
        method: ShippingMethod,
        reason: String,
    },
    /// Unit prices followed the catalog (at placeOrder, or an explicit refresh).
    #[serde(rename = "order.prices_refreshed")]
    PricesRefreshed { changes: Vec<PriceChange> },
    /// Stock of `reserved` was decremented and the coupons' uses counted.
    #[serde(rename = "order.placed")]
    OrderPlaced {
        customer_id: CustomerId,
        vendor_id: VendorId,
        reserved: Vec<SkuQuantity>,
        coupons: Vec<CouponCode>,
        total: Money,
    },
    #[serde(rename = "order.confirmed")]
    OrderConfirmed {
        method: PaymentMethod,
        payment_status: PaymentStatus,
        paid_amount: Money,
        transaction_id: Option<String>,
    },
    #[serde(rename = "order.shipped")]
    OrderShipped,
    #[serde(rename = "order.tracking_reference_added")]
    TrackingReferenceAdded { tracking_reference: String },
    /// `paid_amount` includes cash collected on delivery.
    #[serde(rename = "order.completed")]
    OrderCompleted { paid_amount: Money },
    /// `released` stock and `released_coupons` uses were given back (empty when nothing was held).
    #[serde(rename = "order.cancelled")]
    OrderCancelled {
        reason: String,
        released: Vec<SkuQuantity>,
        released_coupons: Vec<CouponCode>,
    },
    #[serde(rename = "order.payment_refunded")]
    PaymentRefunded {
        amount: Money,
        refunded_total: Money,
        fully_refunded: bool,
    },
    /// A payment arrived for an order already cancelled because its hold lapsed: recorded on
    /// the order (which stays CANCELLED) so that the tenant can refund it.
    #[serde(rename = "order.payment_after_expiry")]
    PaymentAfterExpiry {
        method: PaymentMethod,
        transaction_id: String,
        amount: Money,
    },
}

impl OrderEventKind {
    /// The event type name, e.g. `order.placed` (also the serde tag).
    pub fn as_str(&self) -> &'static str {
        match self {
            OrderEventKind::CheckedOut { .. } => "order.checked_out",
            OrderEventKind::LineItemsAdded { .. } => "order.line_items_added",
            OrderEventKind::LineItemsRemoved { .. } => "order.line_items_removed",
            OrderEventKind::QuantityChanged { .. } => "order.quantity_changed",
            OrderEventKind::DestinationChanged { .. } => "order.destination_changed",
            OrderEventKind::CouponApplied { .. } => "order.coupon_applied",
            OrderEventKind::CouponRemoved { .. } => "order.coupon_removed",
            OrderEventKind::ShippingOptionSelected { .. } => "order.shipping_option_selected",
            OrderEventKind::ShippingOptionCleared { .. } => "order.shipping_option_cleared",
            OrderEventKind::PricesRefreshed { .. } => "order.prices_refreshed",
            OrderEventKind::OrderPlaced { .. } => "order.placed",
            OrderEventKind::OrderConfirmed { .. } => "order.confirmed",
            OrderEventKind::OrderShipped => "order.shipped",
            OrderEventKind::TrackingReferenceAdded { .. } => "order.tracking_reference_added",
            OrderEventKind::OrderCompleted { .. } => "order.completed",
            OrderEventKind::OrderCancelled { .. } => "order.cancelled",
            OrderEventKind::PaymentRefunded { .. } => "order.payment_refunded",
            OrderEventKind::PaymentAfterExpiry { .. } => "order.payment_after_expiry",
        }
    }
}

/// One domain event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderEvent {
    pub kind: OrderEventKind,
    pub order_id: OrderId,
    pub tenant: TenantId,
    /// The order's version after the change.
    pub version: u64,
    /// The order's status after the change.
    pub status: OrderStatus,
    pub occurred_at: DateTime<Utc>,
}
