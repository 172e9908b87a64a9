//! Checkout and the DRAFT edits: lines, quantities, destination, coupons, shipping selection,
//! catalog prices. Each edit reprices the whole order.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use crate::address::Address;
use crate::catalog::{Coupon, Product, ShippingMethod, Vendor};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::ids::{CouponCode, OrderId, Sku, TenantId, VendorId};
use crate::money::Currency;
use crate::order::events::{OrderEvent, OrderEventKind, PriceChange, SkuQuantity};
use crate::order::lifecycle::{self, Edit};
use crate::order::model::{
    AppliedCoupon, CustomerDetails, LineItem, Order, OrderStatus, VendorDetails, MAX_COUPONS,
    MAX_LINE_ITEMS, MAX_QUANTITY,
};
use crate::pricing::{coupons::validate_coupon, CouponUsage, PriceBreakdown, PricingContext};

fn invalid(message: impl Into<String>) -> DomainError {
    DomainError::new(ErrorCode::InvalidInput, message)
}

pub(super) fn out_of_stock(product: &Product) -> DomainError {
    DomainError::new(
        ErrorCode::OutOfStock,
        format!(
            "Product {} has only {} remaining stock/s.",
            product.sku,
            product.stock.max(0)
        ),
    )
}

/// Quantity bounds shared by every command that sets a quantity.
fn check_quantity(quantity: u32) -> DomainResult<()> {
    if quantity == 0 {
        Err(invalid("Order quantity must be greater than zero."))
    } else if quantity > MAX_QUANTITY {
        Err(invalid(format!(
            "Order quantity must be at most {MAX_QUANTITY}."
        )))
    } else {
        Ok(())
    }
}

/// The product may be sold on an order of `vendor` (field-less; callers attach the path).
pub(super) fn check_available(product: &Product, vendor: &VendorId) -> DomainResult<()> {
    if &product.vendor_id != vendor {
        Err(DomainError::new(
            ErrorCode::ProductUnavailable,
            "Vendor mismatch between order and line item.",
        ))
    } else if !product.is_active {
        Err(DomainError::new(
            ErrorCode::ProductUnavailable,
            format!("Product {} is not available.", product.sku),
        ))
    } else {
        Ok(())
    }
}

fn check_currency(product: &Product, currency: Currency) -> DomainResult<()> {
    if product.price.currency() == currency {
        Ok(())
    } else {
        Err(DomainError::new(
            ErrorCode::CurrencyMismatch,
            "Currency mismatch between order and line item.",
        ))
    }
}

fn new_line(product: &Product, quantity: u32) -> LineItem {
    LineItem {
        sku: product.sku.clone(),
        product_id: product.product_id.clone(),
        product_name: product.name.clone(),
        product_category: product.category.clone(),
        options: product.options.clone(),
        quantity,
        unit_price: product.price,
        is_free_gift: false,
        is_taxable: product.is_taxable,
        package: product.package.clone(),
    }
}

/// Validates requested `(product, quantity)` pairs against an order of `vendor` in `currency`
/// that already holds `existing`, and builds the new lines (input order). Fields are
/// `["items", i, ...]`.
fn new_lines(
    order_id: &OrderId,
    vendor: &VendorId,
    currency: Currency,
    existing: &[LineItem],
    items: &[(Product, u32)],
) -> DomainResult<Vec<LineItem>> {
    if items.is_empty() {
        return Err(invalid("At least one line item is required.").at(["items"]));
    }
    if existing.len() + items.len() > MAX_LINE_ITEMS {
        return Err(invalid(format!(
            "An order can hold at most {MAX_LINE_ITEMS} line items."
        ))
        .at(["items"]));
    }
    let mut seen: BTreeSet<&Sku> = existing.iter().map(|l| &l.sku).collect();
    let mut lines = Vec::with_capacity(items.len());
    for (i, (product, quantity)) in items.iter().enumerate() {
        let index = i.to_string();
        let at = |field: &'static str| ["items", index.as_str(), field];
        check_quantity(*quantity).map_err(|e| e.at(at("quantity")))?;
        check_available(product, vendor).map_err(|e| e.at(at("sku")))?;
        if existing.iter().any(|l| l.sku == product.sku) {
            return Err(DomainError::new(
                ErrorCode::DuplicateLineItem,
                format!(
                    "Order {order_id} Line item with SKU {} already exists.",
                    product.sku
                ),
            )
            .at(at("sku")));
        }
        if !seen.insert(&product.sku) {
            return Err(DomainError::new(
                ErrorCode::DuplicateLineItem,
                format!(
                    "Line item with SKU {} is listed more than once.",
                    product.sku
                ),
            )
            .at(at("sku")));
        }
        check_currency(product, currency).map_err(|e| e.at(at("sku")))?;
        if i64::from(*quantity) > product.stock {
            return Err(out_of_stock(product).at(at("quantity")));
        }
        lines.push(new_line(product, *quantity));
    }
    Ok(lines)
}

fn quantities(lines: &[LineItem]) -> Vec<SkuQuantity> {
    lines
        .iter()
        .map(|l| SkuQuantity {
            sku: l.sku.clone(),
            quantity: l.quantity,
        })
        .collect()
}

impl Order {
    /// Creates a DRAFT order (version 1) from the requested products, in input order. The
    /// currency is the products' currency. `items` pairs each product snapshot with the
    /// requested quantity; unknown SKUs are reported by the application layer
    /// (PRODUCT_UNAVAILABLE) before this is called.
    ///
    /// # Errors
    /// `VENDOR_UNAVAILABLE` (inactive vendor); `INVALID_INPUT` (no items, more than
    /// `MAX_LINE_ITEMS`, quantity 0 or above `MAX_QUANTITY`); `PRODUCT_UNAVAILABLE` (inactive or
    /// another vendor's product); `DUPLICATE_LINE_ITEM`; `CURRENCY_MISMATCH`; `OUT_OF_STOCK`.
    /// Item errors carry `["items", i, "quantity" | "sku"]`.
    #[allow(clippy::too_many_arguments)]
    pub fn checkout(
        id: OrderId,
        tenant: TenantId,
        customer: CustomerDetails,
        vendor: &Vendor,
        items: &[(Product, u32)],
        destination: Option<Address>,
        ctx: &PricingContext<'_>,
        now: DateTime<Utc>,
    ) -> DomainResult<(Order, Vec<OrderEvent>)> {
        if !vendor.is_active {
            return Err(DomainError::new(
                ErrorCode::VendorUnavailable,
                format!("Vendor {} is not available.", vendor.vendor_id),
            )
            .at(["vendorId"]));
        }
        let currency = items
            .first()
            .map_or(Currency::SGD, |(p, _)| p.price.currency());
        let line_items = new_lines(&id, &vendor.vendor_id, currency, &[], items)?;
        let mut order = Order {
            id,
            tenant,
            version: 1,
            status: OrderStatus::Draft,
            customer,
            vendor: VendorDetails {
                vendor_id: vendor.vendor_id.clone(),
                name: vendor.name.clone(),
                country: vendor.country,
            },
            currency,
            line_items,
            destination,
            shipping_method: None,
            shipping_notice: None,
            coupons: vec![],
            pricing: PriceBreakdown::zero(currency),
            payment: None,
            tracking_reference: None,
            cancellation_reason: None,
            stock_reserved: false,
            hold_expires_at: None,
            created_at: now,
            updated_at: now,
        };
        let mut kinds = Vec::new();
        order.reprice(ctx, &mut kinds)?;
        order.check_size(&["items"])?;
        let checked_out = OrderEventKind::CheckedOut {
            customer_id: order.customer.customer_id.clone(),
            vendor_id: order.vendor.vendor_id.clone(),
            currency,
            lines: quantities(&order.line_items),
            total: order.pricing.total,
        };
        let events = std::iter::once(checked_out)
            .chain(kinds)
            .map(|k| order.event(k, now))
            .collect();
        Ok((order, events))
    }

    /// Adds lines of the order's vendor and currency.
    ///
    /// # Errors
    /// `INVALID_STATE` "Only draft order can add line item."; otherwise as [`Order::checkout`]
    /// (`DUPLICATE_LINE_ITEM` "Order {id} Line item with SKU {sku} already exists." for a SKU
    /// already on the order).
    pub fn add_line_items(
        &mut self,
        items: &[(Product, u32)],
        ctx: &PricingContext<'_>,
        now: DateTime<Utc>,
    ) -> DomainResult<Vec<OrderEvent>> {
        self.edit_draft(Edit::AddLineItems, ctx, now, |order, events| {
            let lines = new_lines(
                &order.id,
                &order.vendor.vendor_id,
                order.currency,
                &order.line_items,
                items,
            )?;
            events.push(OrderEventKind::LineItemsAdded {
                lines: quantities(&lines),
            });
            order.line_items.extend(lines);
            Ok(())
        })
        .map(|((), events)| events)
    }

    /// Removes lines by SKU (a SKU listed twice is removed once). The last line cannot go: a
    /// customer who wants nothing cancels instead.
    ///
    /// # Errors
    /// `INVALID_STATE` (not DRAFT); `INVALID_INPUT` (no SKU given, field `["skus"]`); `NOT_FOUND`
    /// (a SKU not on the order, field `["skus", i]`); `LAST_LINE_ITEM`.
    pub fn remove_line_items(
        &mut self,
        skus: &[Sku],
        ctx: &PricingContext<'_>,
        now: DateTime<Utc>,
    ) -> DomainResult<Vec<OrderEvent>> {
        self.edit_draft(Edit::RemoveLineItems, ctx, now, |order, events| {
            if skus.is_empty() {
                return Err(invalid("At least one SKU is required.").at(["skus"]));
            }
            for (i, sku) in skus.iter().enumerate() {
                if !order.line_items.iter().any(|l| &l.sku == sku) {
                    return Err(DomainError::new(
                        ErrorCode::NotFound,
                        format!("Line item with SKU {sku} not found in order {}.", order.id),
                    )
                    .at(["skus", i.to_string().as_str()]));
                }
            }
            let mut removed: Vec<Sku> = Vec::new();
            for sku in skus {
                if !removed.contains(sku) {
                    removed.push(sku.clone());
                }
            }
            if removed.len() >= order.line_items.len() {
                return Err(DomainError::new(
                    ErrorCode::LastLineItem,
                    "Cannot remove the last item. Please cancel the order instead.",
                )
                .at(["skus"]));
            }
            order.line_items.retain(|l| !removed.contains(&l.sku));
            events.push(OrderEventKind::LineItemsRemoved { skus: removed });
            Ok(())
        })
        .map(|((), events)| events)
    }

    /// Sets the quantity of one line. `product` is a fresh snapshot of the line's product (for
    /// availability and stock).
    ///
    /// # Errors
    /// `INVALID_STATE` (not DRAFT); `NOT_FOUND` (SKU not on the order, field `["sku"]`);
    /// `INVALID_INPUT` (0 or above `MAX_QUANTITY`, field `["quantity"]`); `PRODUCT_UNAVAILABLE`
    /// (snapshot of another SKU or vendor, or inactive); `OUT_OF_STOCK` (field `["quantity"]`).
    pub fn change_quantity(
        &mut self,
        sku: &Sku,
        quantity: u32,
        product: &Product,
        ctx: &PricingContext<'_>,
        now: DateTime<Utc>,
    ) -> DomainResult<Vec<OrderEvent>> {
        self.edit_draft(Edit::ChangeQuantity, ctx, now, |order, events| {
            let vendor = order.vendor.vendor_id.clone();
            let Some(line) = order.line_items.iter_mut().find(|l| &l.sku == sku) else {
                return Err(DomainError::new(
                    ErrorCode::NotFound,
                    format!("Product w Sku {sku} not found in the order."),
                )
                .at(["sku"]));
            };
            check_quantity(quantity).map_err(|e| e.at(["quantity"]))?;
            if &product.sku != sku {
                return Err(DomainError::new(
                    ErrorCode::ProductUnavailable,
                    format!("Product {sku} is not available."),
                )
                .at(["sku"]));
            }
            check_available(product, &vendor).map_err(|e| e.at(["sku"]))?;
            if i64::from(quantity) > product.stock {
                return Err(out_of_stock(product).at(["quantity"]));
            }
            events.push(OrderEventKind::QuantityChanged {
                sku: sku.clone(),
                previous: line.quantity,
                quantity,
            });
            line.quantity = quantity;
            Ok(())
        })
        .map(|((), events)| events)
    }

    /// Replaces the destination; repricing re-validates the selected shipping method (it may be
    /// cleared, see `shipping_notice`).
    ///
    /// # Errors
    /// `INVALID_STATE` (not DRAFT).
    pub fn change_destination(
        &mut self,
        destination: Address,
        ctx: &PricingContext<'_>,
        now: DateTime<Utc>,
    ) -> DomainResult<Vec<OrderEvent>> {
        self.edit_draft(Edit::ChangeDestination, ctx, now, |order, events| {
            events.push(OrderEventKind::DestinationChanged {
                destination: destination.clone(),
            });
            order.destination = Some(destination);
            Ok(())
        })
        .map(|((), events)| events)
    }

    /// Attaches a coupon after the full coupon check. `coupon` is the vendor's snapshot for
    /// `code` (None when there is none), `usage` its redemption counters for this customer.
    ///
    /// # Errors
    /// `INVALID_STATE` (not DRAFT); `COUPON_INVALID` "Coupon {code} already applied in the
    /// order."; `INVALID_INPUT` (already `MAX_COUPONS`); then `pricing::coupons::validate_coupon`
    /// (`COUPON_INVALID`, `COUPON_EXPIRED`, `COUPON_MINIMUM_NOT_MET`,
    /// `COUPON_USAGE_LIMIT_REACHED`). All with field `["code"]`.
    pub fn add_coupon(
        &mut self,
        code: &CouponCode,
        coupon: Option<&Coupon>,
        usage: CouponUsage,
        ctx: &PricingContext<'_>,
        now: DateTime<Utc>,
    ) -> DomainResult<Vec<OrderEvent>> {
        self.edit_draft(Edit::ApplyCoupon, ctx, now, |order, events| {
            if order.coupons.iter().any(|c| &c.code == code) {
                return Err(DomainError::new(
                    ErrorCode::CouponInvalid,
                    format!("Coupon {code} already applied in the order."),
                )
                .at(["code"]));
            }
            if order.coupons.len() >= MAX_COUPONS {
                return Err(
                    invalid(format!("An order can hold at most {MAX_COUPONS} coupons."))
                        .at(["code"]),
                );
            }
            validate_coupon(
                coupon,
                code,
                &order.vendor.vendor_id,
                order.pricing.subtotal,
                usage,
                now,
            )?;
            let Some(coupon) = coupon else {
                return Err(DomainError::new(
                    ErrorCode::CouponInvalid,
                    format!("Coupon {code} is not valid."),
                )
                .at(["code"]));
            };
            order.coupons.push(AppliedCoupon {
                code: code.clone(),
                offer_id: coupon.offer_id.clone(),
                counted: None,
            });
            events.push(OrderEventKind::CouponApplied {
                code: code.clone(),
                offer_id: coupon.offer_id.clone(),
            });
            Ok(())
        })
        .map(|((), events)| events)
    }

    /// Detaches a coupon.
    ///
    /// # Errors
    /// `INVALID_STATE` (not DRAFT); `NOT_FOUND` (not on the order, field `["code"]`).
    pub fn remove_coupon(
        &mut self,
        code: &CouponCode,
        ctx: &PricingContext<'_>,
        now: DateTime<Utc>,
    ) -> DomainResult<Vec<OrderEvent>> {
        self.edit_draft(Edit::RemoveCoupon, ctx, now, |order, events| {
            let before = order.coupons.len();
            order.coupons.retain(|c| &c.code != code);
            if order.coupons.len() == before {
                return Err(DomainError::new(
                    ErrorCode::NotFound,
                    format!("Coupon {code} is not applied to order {}.", order.id),
                )
                .at(["code"]));
            }
            events.push(OrderEventKind::CouponRemoved { code: code.clone() });
            Ok(())
        })
        .map(|((), events)| events)
    }

    /// Selects one of the options `list_shipping_options` offers now; clears `shipping_notice`.
    ///
    /// # Errors
    /// `INVALID_STATE` (not DRAFT); `DESTINATION_REQUIRED`; `SHIPPING_OPTION_UNAVAILABLE` naming
    /// the method (field `["method"]`).
    pub fn select_shipping_option(
        &mut self,
        method: ShippingMethod,
        ctx: &PricingContext<'_>,
        now: DateTime<Utc>,
    ) -> DomainResult<Vec<OrderEvent>> {
        self.edit_draft(Edit::SelectShippingOption, ctx, now, |order, events| {
            if order.destination.is_none() {
                return Err(DomainError::new(
                    ErrorCode::DestinationRequired,
                    "Choose a destination before selecting a shipping option.",
                ));
            }
            let options = order.list_shipping_options(ctx)?;
            let Some(quote) = options.iter().find(|q| q.method == method) else {
                return Err(unavailable(method).at(["method"]));
            };
            order.shipping_method = Some(method);
            order.shipping_notice = None;
            events.push(OrderEventKind::ShippingOptionSelected {
                method,
                cost: quote.cost,
            });
            Ok(())
        })
        .map(|((), events)| events)
    }

    /// Makes the lines' unit prices follow the catalog (`products`: fresh snapshots of the
    /// order's SKUs) and reprices. A DRAFT pays the catalog's current prices: `placeOrder` runs
    /// the same step before its final repricing. Nothing to change: no version, no event.
    ///
    /// # Errors
    /// `INVALID_STATE` (not DRAFT); `PRODUCT_UNAVAILABLE` (a line's product missing, inactive or
    /// of another vendor); `CURRENCY_MISMATCH` (its price is now in another currency). Field
    /// `["lineItems", sku]`.
    pub fn refresh_prices(
        &mut self,
        products: &[Product],
        ctx: &PricingContext<'_>,
        now: DateTime<Utc>,
    ) -> DomainResult<Vec<OrderEvent>> {
        lifecycle::ensure_edit_allowed(self.status, Edit::RefreshPrices)?;
        if self.clone().apply_catalog_prices(products)?.is_empty() {
            return Ok(vec![]);
        }
        self.edit_draft(Edit::RefreshPrices, ctx, now, |order, events| {
            let changes = order.apply_catalog_prices(products)?;
            events.push(OrderEventKind::PricesRefreshed { changes });
            Ok(())
        })
        .map(|((), events)| events)
    }

    /// Sets each line's unit price from its product snapshot; returns what changed.
    pub(super) fn apply_catalog_prices(
        &mut self,
        products: &[Product],
    ) -> DomainResult<Vec<PriceChange>> {
        let vendor = self.vendor.vendor_id.clone();
        let currency = self.currency;
        let mut changes = Vec::new();
        for line in &mut self.line_items {
            let at = ["lineItems", line.sku.as_str()];
            let Some(product) = products.iter().find(|p| p.sku == line.sku) else {
                return Err(DomainError::new(
                    ErrorCode::ProductUnavailable,
                    format!("Product {} is not available.", line.sku),
                )
                .at(at));
            };
            check_available(product, &vendor).map_err(|e| e.at(at))?;
            check_currency(product, currency).map_err(|e| e.at(at))?;
            if product.price != line.unit_price {
                changes.push(PriceChange {
                    sku: line.sku.clone(),
                    previous: line.unit_price,
                    current: product.price,
                });
                line.unit_price = product.price;
            }
        }
        Ok(changes)
    }
}

fn unavailable(method: ShippingMethod) -> DomainError {
    DomainError::new(
        ErrorCode::ShippingOptionUnavailable,
        format!(
            "Shipping option {} is not available for this order.",
            method.display_name()
        ),
    )
}
