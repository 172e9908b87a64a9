//! placeOrder: DRAFT → PENDING, and what storage must reserve in the same transaction.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::catalog::{Coupon, Product};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::ids::{CouponCode, ProductId, Sku, VendorId};
use crate::limits::MAX_PRODUCTS_PER_ORDER;
use crate::order::events::{OrderEvent, OrderEventKind, SkuQuantity};
use crate::order::lifecycle::{self, Transition};
use crate::order::model::{CouponCounters, Order};
use crate::pricing::{coupons::validate_coupon, CouponUsage, PricingContext};

use super::draft::{check_available, out_of_stock};

/// Units of one SKU to take from (placeOrder) or give back to (cancelOrder) its stock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockReservation {
    pub product_id: ProductId,
    pub sku: Sku,
    pub quantity: u32,
}

/// One use of a coupon to count, with the limits storage must enforce as conditions
/// (`used < usage_limit`, and the customer's `used < per_customer_limit`). Only the counters
/// of the limits the coupon has are counted (`counters`); the coupon's activity is checked on
/// its stored item either way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouponRedemption {
    pub code: CouponCode,
    pub usage_limit: Option<u32>,
    pub per_customer_limit: Option<u32>,
    /// `CouponCounters::for_limits(usage_limit, per_customer_limit)`, also recorded on the
    /// order's applied coupon for the release.
    pub counters: CouponCounters,
}

/// What storage must apply atomically with the PENDING order: decrement each SKU's stock by
/// its quantity (conditional on `stock >= quantity`) and count one use of each coupon (globally
/// and for the customer, conditional on the limits). The domain checked the snapshots; storage
/// re-checks with conditions because the snapshots may be stale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placement {
    /// One entry per SKU (a gift of a SKU also bought is merged into its line).
    pub stock: Vec<StockReservation>,
    pub coupons: Vec<CouponRedemption>,
}

impl Order {
    /// The stock the order holds once placed: every line, gift lines included, merged by SKU
    /// (a transaction may touch each stock item once).
    ///
    /// # Errors
    /// `INVALID_INPUT` if a merged quantity overflows.
    pub fn stock_reservations(&self) -> DomainResult<Vec<StockReservation>> {
        let mut merged: Vec<StockReservation> = Vec::new();
        for line in self.all_lines() {
            match merged.iter_mut().find(|r| r.sku == line.sku) {
                Some(r) => {
                    r.quantity = r.quantity.checked_add(line.quantity).ok_or_else(|| {
                        DomainError::new(ErrorCode::InvalidInput, "Quantity is too large.")
                    })?;
                }
                None => merged.push(StockReservation {
                    product_id: line.product_id.clone(),
                    sku: line.sku.clone(),
                    quantity: line.quantity,
                }),
            }
        }
        Ok(merged)
    }

    /// Places the order (DRAFT → PENDING).
    ///
    /// Steps: the order has lines, a destination and a shipping selection; the lines' prices
    /// follow the catalog (`refresh_prices`); the order is repriced; the selected shipping
    /// option must still be eligible; every SKU (gifts included) must be available with enough
    /// stock; every attached coupon is re-validated with its current snapshot and counters. A
    /// coupon that stopped being valid blocks placement (the customer removes it and sees the
    /// new total) rather than silently changing the price.
    ///
    /// `products`: fresh snapshots of every SKU of the order, gift SKUs included.
    /// `coupons`: for each attached coupon, the vendor's snapshot and its redemption counters
    /// (matched by code; an attached coupon without a snapshot is invalid).
    ///
    /// # Errors
    /// `INVALID_STATE` (not DRAFT; no lines); `DESTINATION_REQUIRED`; `SHIPPING_NOT_SELECTED`;
    /// `PRODUCT_UNAVAILABLE` / `CURRENCY_MISMATCH` (field `["lineItems", sku]`);
    /// `SHIPPING_OPTION_UNAVAILABLE` (the selection is no longer eligible); `OUT_OF_STOCK`
    /// (field `["lineItems", sku]`); `COUPON_INVALID`, `COUPON_EXPIRED`,
    /// `COUPON_MINIMUM_NOT_MET`, `COUPON_USAGE_LIMIT_REACHED` (field `["coupons", code]`).
    pub fn place(
        &mut self,
        products: &[Product],
        coupons: &[(Option<Coupon>, CouponUsage)],
        ctx: &PricingContext<'_>,
        now: DateTime<Utc>,
    ) -> DomainResult<(Placement, Vec<OrderEvent>)> {
        let placed = lifecycle::next_status(self.status, Transition::Place)?;
        self.change(now, |order, events| {
            if order.line_items.is_empty() {
                return Err(DomainError::new(ErrorCode::InvalidState, "Cannot place an order without line items."));
            }
            if order.destination.is_none() {
                return Err(DomainError::new(
                    ErrorCode::DestinationRequired,
                    "Order must have a destination before it can be placed.",
                ));
            }
            let Some(method) = order.shipping_method else {
                return Err(DomainError::new(
                    ErrorCode::ShippingNotSelected,
                    "Order must have a selected shipping option.",
                ));
            };
            let changes = order.apply_catalog_prices(products)?;
            if !changes.is_empty() {
                events.push(OrderEventKind::PricesRefreshed { changes });
            }
            order.reprice(ctx, events)?;
            if order.shipping_method.is_none() {
                return Err(DomainError::new(
                    ErrorCode::ShippingOptionUnavailable,
                    format!(
                        "Shipping option {} is no longer available: {} Please select another shipping option.",
                        method.display_name(),
                        order.shipping_notice.as_deref().unwrap_or_default()
                    ),
                ));
            }
            // Gift lines come from offers, which do not know product ids: take them from the
            // snapshots so placement and cancellation name the same products.
            for gift in &mut order.pricing.gift_lines {
                if let Some(product) = products.iter().find(|p| p.sku == gift.sku) {
                    gift.product_id = product.product_id.clone();
                }
            }
            let stock = order.stock_reservations()?;
            // Offers add at most MAX_GIFT_LINES gift lines, so this holds; checked all the same:
            // one stock item per product goes into the placement's transaction.
            if stock.len() > MAX_PRODUCTS_PER_ORDER {
                return Err(DomainError::new(
                    ErrorCode::InvalidInput,
                    format!(
                        "An order can hold at most {MAX_PRODUCTS_PER_ORDER} products, free gifts included; this one would hold {}.",
                        stock.len()
                    ),
                )
                .at(["lineItems"]));
            }
            order.check_size(&["lineItems"])?;
            for reservation in &stock {
                check_stock(reservation, products, &order.vendor.vendor_id)?;
            }
            let mut redemptions = Vec::with_capacity(order.coupons.len());
            for applied in &mut order.coupons {
                let at = ["coupons", applied.code.as_str()];
                let (snapshot, usage) = coupons
                    .iter()
                    .find(|(c, _)| c.as_ref().is_some_and(|c| c.code == applied.code))
                    .map_or((None, CouponUsage::default()), |(c, u)| (c.as_ref(), *u));
                validate_coupon(snapshot, &applied.code, &order.vendor.vendor_id, order.pricing.subtotal, usage, now)
                    .map_err(|e| e.at(at))?;
                let usage_limit = snapshot.and_then(|c| c.usage_limit);
                let per_customer_limit = snapshot.and_then(|c| c.per_customer_limit);
                let counters = CouponCounters::for_limits(usage_limit, per_customer_limit);
                applied.counted = Some(counters);
                redemptions.push(CouponRedemption {
                    code: applied.code.clone(),
                    usage_limit,
                    per_customer_limit,
                    counters,
                });
            }
            order.status = placed;
            order.stock_reserved = true;
            events.push(OrderEventKind::OrderPlaced {
                customer_id: order.customer.customer_id.clone(),
                vendor_id: order.vendor.vendor_id.clone(),
                reserved: stock.iter().map(|r| SkuQuantity { sku: r.sku.clone(), quantity: r.quantity }).collect(),
                coupons: order.coupons.iter().map(|c| c.code.clone()).collect(),
                total: order.pricing.total,
            });
            Ok(Placement { stock, coupons: redemptions })
        })
    }
}

/// The SKU's snapshot is available from the order's vendor with at least `quantity` in stock
/// (customer lines were already checked by `apply_catalog_prices`; this also covers gift SKUs).
fn check_stock(
    reservation: &StockReservation,
    products: &[Product],
    vendor: &VendorId,
) -> DomainResult<()> {
    let at = ["lineItems", reservation.sku.as_str()];
    let Some(product) = products.iter().find(|p| p.sku == reservation.sku) else {
        return Err(DomainError::new(
            ErrorCode::ProductUnavailable,
            format!("Product {} is not available.", reservation.sku),
        )
        .at(at));
    };
    check_available(product, vendor).map_err(|e| e.at(at))?;
    if i64::from(reservation.quantity) > product.stock {
        return Err(out_of_stock(product).at(at));
    }
    Ok(())
}
