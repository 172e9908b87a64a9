//! The pricing engine: pure, deterministic, re-run on EVERY change of a DRAFT order.
//!
//! Pipeline (each step documented in docs/pricing.md):
//! 1. subtotal = Σ unit price × quantity of the customer's lines (exact).
//! 2. offers: valid + applicable offers by priority (stacking rules in `offers.rs`), each discount
//!    rounded half-up once; discounts SUM and are clamped to the subtotal; gift lines added.
//! 3. shipping: the selected method re-validated against the current order; cost computed
//!    (`shipping.rs`); a free-shipping offer zeroes it.
//! 4. tax: one line per matching rule. Exclusive: base = discounted goods (taxable share) +
//!    shipping if the rule taxes shipping, added on top, one rounding per tax line. Inclusive (the
//!    tenant's prices include tax): extracted once per order line (each taxable line after its
//!    share of the discount, and the shipping) with the combined rate, one rounding per order
//!    line, split across the rules exactly (`tax.rs`).
//! 5. total = subtotal − discount + shipping + tax (exclusive) or subtotal − discount + shipping
//!    (inclusive: the tax is already in it); never negative.

pub mod coupons;
pub mod offers;
pub mod shipping;
pub mod tax;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::address::Address;
use crate::catalog::{Coupon, Offer, ShippingMethod, ShippingOptionRule, Vendor};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::ids::{CouponCode, OfferId};
use crate::money::{Currency, Money};
use crate::order::LineItem;

pub use coupons::{coupon_currently_applies, validate_coupon};
pub use offers::{OfferOutcome, OfferScope};
pub use shipping::ShippingScope;
pub use tax::{GoodsLine, IncludedTax, TaxBase, TaxRule, TaxTable};

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
    /// The tax is contained in the prices (extracted, not added to the total). Orders priced
    /// before inclusive tax existed have none: exclusive.
    #[serde(default)]
    pub included: bool,
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
    /// The prices (lines, shipping, discounts) include the tax, so `tax_total` is contained in
    /// `total`, not added to it. Orders priced before inclusive tax existed have none: false.
    #[serde(default)]
    pub prices_include_tax: bool,
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
            prices_include_tax: false,
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
    /// The tenant's prices include tax: tax lines are extracted from the amounts, the total is
    /// not increased (docs/pricing.md "Tax-inclusive prices").
    pub prices_include_tax: bool,
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

/// Σ `unit_price × quantity` over the customer lines (lines flagged `is_free_gift` excluded).
fn customer_subtotal(lines: &[LineItem], currency: Currency) -> DomainResult<Money> {
    lines
        .iter()
        .filter(|l| !l.is_free_gift)
        .try_fold(Money::zero(currency), |acc, l| {
            acc.checked_add(&l.line_total()?)
        })
}

/// The customer lines (free gifts excluded) as tax sees them.
fn goods_lines(lines: &[LineItem]) -> DomainResult<Vec<GoodsLine>> {
    lines
        .iter()
        .filter(|l| !l.is_free_gift)
        .map(|l| {
            Ok(GoodsLine {
                total: l.line_total()?,
                taxable: l.is_taxable,
            })
        })
        .collect()
}

fn offer_scope<'a>(
    input: &PricingInput<'a>,
    ctx: &PricingContext<'a>,
    subtotal: Money,
) -> OfferScope<'a> {
    OfferScope {
        vendor_id: &ctx.vendor.vendor_id,
        currency: input.currency,
        lines: input.lines,
        subtotal,
        coupons: input.coupons,
        coupon_snapshots: ctx.coupons,
        now: ctx.now,
    }
}

fn shipping_scope<'a>(
    input: &PricingInput<'a>,
    ctx: &PricingContext<'a>,
    destination: &'a Address,
    discounted_subtotal: Money,
) -> DomainResult<ShippingScope<'a>> {
    Ok(ShippingScope {
        vendor: ctx.vendor,
        destination,
        currency: input.currency,
        weight_kg: shipping::total_weight(input.lines)?,
        discounted_subtotal,
        now: ctx.now,
    })
}

/// Why a selected shipping method is dropped when the order has no destination.
pub const NO_DESTINATION_REASON: &str = "A destination address is required for shipping.";

/// Prices an order: the pipeline of the module documentation (details in docs/pricing.md).
///
/// Deterministic: the same input and context always give the same output (applied offers in
/// application order, tax lines in tax-table order). When the selected shipping method is no
/// longer eligible, or the order has no destination any more, `breakdown.shipping` is None, the
/// shipping cost is 0 and `shipping_cleared` says why.
///
/// # Errors
/// Never for well-formed input. `CURRENCY_MISMATCH` when a line is not in `input.currency`;
/// `INVALID_INPUT` on arithmetic overflow; `INVALID_STATE` if the total came out negative (which
/// the clamps make impossible).
pub fn price(input: &PricingInput<'_>, ctx: &PricingContext<'_>) -> DomainResult<Priced> {
    let currency = input.currency;
    let zero = Money::zero(currency);
    // 1. Subtotal of the customer's lines.
    let subtotal = customer_subtotal(input.lines, currency)?;
    // 2. Offers.
    let mut offers = offers::apply_offers(ctx.offers, &offer_scope(input, ctx, subtotal))?;
    let discounted = subtotal.checked_sub(&offers.discount_total)?;
    // 3. Shipping: the selection is re-validated against the order as it is now.
    let mut shipping = None;
    let mut shipping_cleared = None;
    if let Some(method) = input.selected_shipping {
        match input.destination {
            None => shipping_cleared = Some(NO_DESTINATION_REASON.to_string()),
            Some(destination) => {
                let scope = shipping_scope(input, ctx, destination, discounted)?;
                match shipping::quote_method(method, ctx.shipping_options, &scope) {
                    Ok(quote) => shipping = Some(quote),
                    Err(reason) => shipping_cleared = Some(reason),
                }
            }
        }
    }
    let quoted = shipping.as_ref().map_or(zero, |q| q.cost);
    // The first free-shipping offer records the cost it waives; further ones waive nothing.
    if let Some(applied) = offers
        .free_shipping
        .first()
        .and_then(|i| offers.applied.get_mut(*i))
    {
        applied.discount = quoted;
    }
    let shipping_cost = if offers.waives_shipping() {
        zero
    } else {
        quoted
    };
    // 4. Tax.
    let tax_base = TaxBase {
        lines: goods_lines(input.lines)?,
        discount_total: offers.discount_total,
        shipping_cost,
    };
    let tax_lines = if ctx.prices_include_tax {
        tax::compute_included_tax(ctx.tax_table, input.destination, &tax_base)?
    } else {
        tax::compute_tax(ctx.tax_table, input.destination, &tax_base)?
    };
    let tax_total = Money::sum(currency, tax_lines.iter().map(|t| &t.amount))?;
    // 5. Total: inclusive tax is already in the amounts.
    let mut total = discounted.checked_add(&shipping_cost)?;
    if !ctx.prices_include_tax {
        total = total.checked_add(&tax_total)?;
    }
    if total.minor() < 0 {
        return Err(DomainError::new(
            ErrorCode::InvalidState,
            "Pricing produced a negative total.",
        ));
    }
    let breakdown = PriceBreakdown {
        subtotal,
        applied_offers: offers.applied,
        discount_total: offers.discount_total,
        gift_lines: offers.gift_lines,
        shipping,
        shipping_cost,
        tax_lines,
        tax_total,
        total,
        prices_include_tax: ctx.prices_include_tax,
    };
    Ok(Priced {
        breakdown,
        shipping_cleared,
    })
}

/// Shipping options the order is eligible for now, with their cost (before free-shipping offers,
/// which change the order's shipping cost, not the listed quotes), sorted by cost then method.
/// FREE_SHIPPING's threshold is checked against the subtotal after the order's current offers.
///
/// # Errors
/// `DESTINATION_REQUIRED` when the order has no destination; `CURRENCY_MISMATCH` when a line is
/// not in `input.currency`; `INVALID_INPUT` on arithmetic overflow.
pub fn list_shipping_options(
    input: &PricingInput<'_>,
    ctx: &PricingContext<'_>,
) -> DomainResult<Vec<ShippingQuote>> {
    let Some(destination) = input.destination else {
        return Err(DomainError::new(
            ErrorCode::DestinationRequired,
            "Set a destination address before listing shipping options.",
        ));
    };
    let subtotal = customer_subtotal(input.lines, input.currency)?;
    let offers = offers::apply_offers(ctx.offers, &offer_scope(input, ctx, subtotal))?;
    let discounted = subtotal.checked_sub(&offers.discount_total)?;
    let scope = shipping_scope(input, ctx, destination, discounted)?;
    Ok(shipping::eligible_quotes(ctx.shipping_options, &scope))
}

#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;
