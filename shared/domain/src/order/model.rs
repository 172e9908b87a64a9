//! The Order aggregate's data. Behaviour lives in `commands.rs`; the transition table in
//! `lifecycle.rs`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::address::{Address, Country};
use crate::catalog::{Package, ShippingMethod};
use crate::ids::{CouponCode, CustomerId, OfferId, OrderId, ProductId, Sku, TenantId, VendorId};
use crate::money::{Currency, Money};
use crate::pricing::PriceBreakdown;

/// The order's limits live with the others in [`crate::limits`] (docs/data-model.md "Limits").
pub use crate::limits::{MAX_COUPONS, MAX_GIFT_LINES, MAX_LINE_ITEMS, MAX_QUANTITY};
/// Longest accepted tracking URL ([`crate::limits::MAX_TRACKING_REFERENCE_CHARS`]).
pub const MAX_TRACKING_REFERENCE_LEN: usize = crate::limits::MAX_TRACKING_REFERENCE_CHARS;
/// Longest cancellation reason ([`crate::limits::MAX_REASON_CHARS`]).
pub const MAX_REASON_LEN: usize = crate::limits::MAX_REASON_CHARS;

/// GraphQL `OrderStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    Draft,
    Pending,
    Confirmed,
    Shipped,
    Completed,
    Cancelled,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 6] = [
        OrderStatus::Draft,
        OrderStatus::Pending,
        OrderStatus::Confirmed,
        OrderStatus::Shipped,
        OrderStatus::Completed,
        OrderStatus::Cancelled,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            OrderStatus::Draft => "DRAFT",
            OrderStatus::Pending => "PENDING",
            OrderStatus::Confirmed => "CONFIRMED",
            OrderStatus::Shipped => "SHIPPED",
            OrderStatus::Completed => "COMPLETED",
            OrderStatus::Cancelled => "CANCELLED",
        }
    }

    pub fn parse(raw: &str) -> Option<OrderStatus> {
        OrderStatus::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(raw.trim()))
    }
}

/// GraphQL `PaymentMethod`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PaymentMethod {
    Paypal,
    Stripe,
    CashOnDelivery,
}

impl PaymentMethod {
    pub fn as_str(&self) -> &'static str {
        match self {
            PaymentMethod::Paypal => "PAYPAL",
            PaymentMethod::Stripe => "STRIPE",
            PaymentMethod::CashOnDelivery => "CASH_ON_DELIVERY",
        }
    }

    /// Case-insensitive; accepts `PAYPAL`/`Paypal`, `CASH_ON_DELIVERY`/`Cash On Delivery`/`COD`.
    pub fn parse(raw: &str) -> Option<PaymentMethod> {
        let norm: String = raw
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_uppercase();
        match norm.as_str() {
            "PAYPAL" => Some(PaymentMethod::Paypal),
            "STRIPE" => Some(PaymentMethod::Stripe),
            "CASHONDELIVERY" | "COD" => Some(PaymentMethod::CashOnDelivery),
            _ => None,
        }
    }
}

/// GraphQL `PaymentStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PaymentStatus {
    Unpaid,
    Paid,
    Refunded,
}

/// GraphQL `PaymentDetails`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentDetails {
    pub method: PaymentMethod,
    pub transaction_id: Option<String>,
    pub paid_amount: Money,
    pub status: PaymentStatus,
    /// Amount refunded so far (recorded from payment.refunded events).
    pub refunded_amount: Money,
}

/// GraphQL `CustomerDetails`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerDetails {
    pub customer_id: CustomerId,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
}

/// GraphQL `VendorDetails` (copied into the order at checkout).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorDetails {
    pub vendor_id: VendorId,
    pub name: String,
    pub country: Country,
}

/// One line of the order, copied from the product snapshot when added (so later catalog changes
/// do not rewrite history, except the price which is refreshed while the order is a DRAFT).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineItem {
    pub sku: Sku,
    pub product_id: ProductId,
    pub product_name: String,
    pub product_category: Option<String>,
    pub options: BTreeMap<String, String>,
    pub quantity: u32,
    pub unit_price: Money,
    pub is_free_gift: bool,
    pub is_taxable: bool,
    pub package: Package,
}

impl LineItem {
    /// `unit_price × quantity`, exact.
    pub fn line_total(&self) -> crate::error::DomainResult<Money> {
        self.unit_price.checked_mul_qty(self.quantity)
    }
}

/// A coupon attached to the order (code + the offer it unlocks, copied so an expired or deleted
/// coupon snapshot never breaks reading the order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedCoupon {
    pub code: CouponCode,
    pub offer_id: OfferId,
    /// Which redemption counters placeOrder counted this use on, so that the release gives back
    /// exactly those even if the coupon's limits changed since. `None` before placement, and on
    /// orders placed before counters followed the limits: those counted both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counted: Option<CouponCounters>,
}

impl AppliedCoupon {
    /// The counters a release of this coupon's use gives back: those placement counted (both for
    /// orders placed before the choice was recorded).
    pub fn counters_to_release(&self) -> CouponCounters {
        self.counted.unwrap_or(CouponCounters::BOTH)
    }
}

/// Which of a coupon's two redemption counters one use is counted on. A counter exists only to
/// enforce a limit, so a use is counted on the coupon's total only when the coupon has a
/// `usage_limit`, and on the customer's counter only when it has a `per_customer_limit`: an
/// unlimited coupon writes no counter at all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouponCounters {
    /// The coupon's total uses (all customers).
    pub total: bool,
    /// This customer's uses.
    pub per_customer: bool,
}

impl CouponCounters {
    /// Both counters: what orders placed before the choice was recorded counted.
    pub const BOTH: CouponCounters = CouponCounters {
        total: true,
        per_customer: true,
    };

    /// The counters a coupon with these limits needs (`None` = unlimited).
    pub fn for_limits(usage_limit: Option<u32>, per_customer_limit: Option<u32>) -> Self {
        CouponCounters {
            total: usage_limit.is_some(),
            per_customer: per_customer_limit.is_some(),
        }
    }

    /// Whether any counter is counted.
    pub fn any(&self) -> bool {
        self.total || self.per_customer
    }
}

/// The Order aggregate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub id: OrderId,
    pub tenant: TenantId,
    /// Starts at 1, +1 on every change.
    pub version: u64,
    pub status: OrderStatus,
    pub customer: CustomerDetails,
    pub vendor: VendorDetails,
    pub currency: Currency,
    /// The customer's lines (gift lines are derived by pricing: `pricing.gift_lines`).
    pub line_items: Vec<LineItem>,
    pub destination: Option<Address>,
    /// The selected method; its quote (name, delivery time, cost) is `pricing.shipping`.
    pub shipping_method: Option<ShippingMethod>,
    /// Why a previous shipping selection was cleared (e.g. destination now international).
    pub shipping_notice: Option<String>,
    pub coupons: Vec<AppliedCoupon>,
    pub pricing: PriceBreakdown,
    pub payment: Option<PaymentDetails>,
    pub tracking_reference: Option<String>,
    pub cancellation_reason: Option<String>,
    /// True between placeOrder (stock decremented, coupon uses counted) and cancelOrder (released).
    pub stock_reserved: bool,
    /// Set by placeOrder: when the PENDING order's hold on stock and coupon uses lapses (placed
    /// at + the tenant's hold window). Kept afterwards as history; only PENDING orders hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold_expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}
