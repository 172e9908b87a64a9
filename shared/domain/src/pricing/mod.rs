//! The pricing engine: pure, deterministic, re-run on EVERY change of a DRAFT order.
//!
//! Pipeline (each step documented in docs/pricing.md):
//! 1. subtotal = Σ unit price × quantity of the customer's lines (exact).
//! 2. offers: valid + applicable offers by priority (stacking rules in `offers.rs`), each discount
//!    rounded half-up once; discounts SUM and are clamped to the subtotal; gift lines added.
//! 3. shipping: the selected method re-validated against the current order; cost computed
//!    (`shipping.rs`); a free-shipping offer zeroes it.
//! 4. tax: per matching rule, base = discounted goods (taxable share) + shipping if the rule taxes
//!    shipping; one rounding per tax line (`tax.rs`).
//! 5. total = subtotal − discount + shipping + tax (never negative).

pub mod coupons;
pub mod offers;
pub mod shipping;
pub mod tax;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::address::Address;
use crate::catalog::{Coupon, Offer, ShippingMethod, ShippingOptionRule, Vendor};
use crate::error::DomainResult;
use crate::ids::{CouponCode, OfferId};
use crate::money::{Currency, Money};
use crate::order::LineItem;

pub use tax::{TaxRule, TaxTable};

/// GraphQL `AppliedOffer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedOffer {
    pub offer_id: OfferId,
    pub name: String,
    /// `OfferKind::as_str()`.
    pub kind: String,
    pub discount: Money,
}

/// GraphQL `TaxLine`. `rate` is a percentage (9 for 9 %).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxLine {
    pub name: String,
    pub rate: Decimal,
    pub amount: Money,
}

/// GraphQL `ShippingOption`: an eligible method with its computed cost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippingQuote {
    pub method: ShippingMethod,
    pub name: String,
    pub delivery_time: String,
    pub cost: Money,
}

/// Everything the price of an order consists of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceBreakdown {
    pub subtotal: Money,
    pub applied_offers: Vec<AppliedOffer>,
    pub discount_total: Money,
    /// Zero-priced, non-taxable lines added by free-gift offers.
    pub gift_lines: Vec<LineItem>,
    /// The selected shipping option's quote (cost before free-shipping offers).
    pub shipping: Option<ShippingQuote>,
    /// What the customer pays for shipping (0 under a free-shipping offer).
    pub shipping_cost: Money,
    pub tax_lines: Vec<TaxLine>,
    pub tax_total: Money,
    pub total: Money,
}

impl PriceBreakdown {
    pub fn zero(currency: Currency) -> Self {
        let z = Money::zero(currency);
        PriceBreakdown {
            subtotal: z,
            applied_offers: vec![],
            discount_total: z,
            gift_lines: vec![],
            shipping: None,
            shipping_cost: z,
            tax_lines: vec![],
            tax_total: z,
            total: z,
        }
    }
}

/// The snapshots pricing decides from, loaded by the application layer in one round trip
/// (the vendor's partition) plus the tenant config.
#[derive(Debug, Clone, Copy)]
pub struct PricingContext<'a> {
    pub vendor: &'a Vendor,
    /// The vendor's offers, in any state (the engine ignores inactive/expired ones).
    pub offers: &'a [Offer],
    /// Snapshots of the vendor's coupons (at least those attached to the order).
    pub coupons: &'a [Coupon],
    /// The vendor's shipping options, in any state.
    pub shipping_options: &'a [ShippingOptionRule],
    pub tax_table: &'a TaxTable,
    pub now: DateTime<Utc>,
}

/// What is being priced.
#[derive(Debug, Clone, Copy)]
pub struct PricingInput<'a> {
    pub currency: Currency,
    pub lines: &'a [LineItem],
    pub destination: Option<&'a Address>,
    pub coupons: &'a [CouponCode],
    pub selected_shipping: Option<ShippingMethod>,
}

/// Result of a pricing run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Priced {
    pub breakdown: PriceBreakdown,
    /// Set when the selected shipping method is no longer eligible: the selection must be
    /// cleared and this reason shown to the customer.
    pub shipping_cleared: Option<String>,
}

/// How often a coupon has been redeemed (read from the storage counters).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CouponUsage {
    pub total_used: u32,
    pub customer_used: u32,
}

/// Prices an order. Never panics; errors only on arithmetic overflow or mixed currencies.
/// TEMPORARY: subtotal-only until the pricing engine lands (replaced by the pricing work).
pub fn price(input: &PricingInput<'_>, ctx: &PricingContext<'_>) -> DomainResult<Priced> {
    let _ = ctx;
    let totals: Vec<Money> = input.lines.iter().map(LineItem::line_total).collect::<DomainResult<_>>()?;
    let subtotal = Money::sum(input.currency, &totals)?;
    let mut breakdown = PriceBreakdown::zero(input.currency);
    breakdown.subtotal = subtotal;
    breakdown.total = subtotal;
    Ok(Priced { breakdown, shipping_cleared: None })
}

/// Shipping options the order is eligible for now, with their cost.
/// Errors with DESTINATION_REQUIRED when the order has no destination.
/// TEMPORARY until the pricing engine lands.
pub fn list_shipping_options(input: &PricingInput<'_>, ctx: &PricingContext<'_>) -> DomainResult<Vec<ShippingQuote>> {
    let _ = (input, ctx);
    Ok(vec![])
}
