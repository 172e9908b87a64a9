//! Behaviour of the Order aggregate: one method per command, grouped by phase in the submodules.
//!
//! Rules every command follows, written once here:
//! - **Atomic**: a command works on a clone and commits only on success ([`Order::change`]); a
//!   rejected command leaves the order exactly as it was.
//! - **Versioned**: every successful change adds 1 to `version`, sets `updated_at = now` and
//!   returns its events stamped with the new version and status.
//! - **Repriced**: every DRAFT edit re-runs `pricing::price()` on the whole order; when the
//!   selected shipping method is no longer eligible, the selection is cleared, `shipping_notice`
//!   says why and `ShippingOptionCleared` is emitted. Orders past DRAFT are never repriced.
//! - **Clocked by the caller**: `now` stamps the change; `ctx.now` must be the same instant.
//! - **Table-driven**: statuses change only through `lifecycle::next_status`, and edits are
//!   allowed only where `lifecycle::EDITS` says.

mod cancellation;
mod draft;
mod expiry;
mod fulfilment;
mod payment;
mod placement;

use chrono::{DateTime, Utc};

pub use cancellation::{CouponRelease, Release};
pub use expiry::EXPIRED_REASON;
pub use payment::{PaymentClaim, PaymentVerification, VerifiedPayment};
pub use placement::{CouponRedemption, Placement, StockReservation};

use super::events::{OrderEvent, OrderEventKind};
use super::lifecycle::{self, Edit};
use super::model::{LineItem, Order};
use crate::catalog::ShippingMethod;
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::ids::{CouponCode, CustomerId, VendorId};
use crate::limits;
use crate::pricing::{self, Priced, PricingContext, PricingInput, ShippingQuote};

/// The input a DRAFT edit that would make the order too big is refused at: what the customer
/// changes (the lines for the others: they are what makes an order big).
fn size_field(edit: Edit) -> &'static [&'static str] {
    match edit {
        Edit::AddLineItems => &["items"],
        Edit::ChangeQuantity => &["quantity"],
        Edit::ChangeDestination => &["destination"],
        Edit::ApplyCoupon => &["code"],
        _ => &["lineItems"],
    }
}

impl Order {
    /// Runs `f` on a copy of the order and commits it only if `f` succeeds: version + 1,
    /// `updated_at = now`, and the event kinds `f` pushed become events of the new version.
    fn change<T>(
        &mut self,
        now: DateTime<Utc>,
        f: impl FnOnce(&mut Order, &mut Vec<OrderEventKind>) -> DomainResult<T>,
    ) -> DomainResult<(T, Vec<OrderEvent>)> {
        let mut next = self.clone();
        let mut kinds = Vec::new();
        let out = f(&mut next, &mut kinds)?;
        next.version = self
            .version
            .checked_add(1)
            .ok_or_else(|| DomainError::new(ErrorCode::InvalidState, "Order version overflow."))?;
        next.updated_at = now;
        let events = kinds
            .into_iter()
            .map(|kind| next.event(kind, now))
            .collect();
        *self = next;
        Ok((out, events))
    }

    /// A DRAFT edit: allowed only where the edit table says, then [`Order::change`] + repricing.
    fn edit_draft<T>(
        &mut self,
        edit: Edit,
        ctx: &PricingContext<'_>,
        now: DateTime<Utc>,
        f: impl FnOnce(&mut Order, &mut Vec<OrderEventKind>) -> DomainResult<T>,
    ) -> DomainResult<(T, Vec<OrderEvent>)> {
        lifecycle::ensure_edit_allowed(self.status, edit)?;
        self.change(now, |order, events| {
            let out = f(order, events)?;
            order.reprice(ctx, events)?;
            order.check_size(size_field(edit))?;
            Ok(out)
        })
    }

    /// The order's stored body stays within [`limits::MAX_ORDER_BYTES`] (checked by the commands
    /// that build it: checkout, the DRAFT edits, placement).
    ///
    /// # Errors
    /// `INVALID_INPUT` at `field`, naming the limit.
    pub(crate) fn check_size(&self, field: &[&str]) -> DomainResult<()> {
        limits::check_order_size(limits::stored_size(self), field)
    }

    fn event(&self, kind: OrderEventKind, now: DateTime<Utc>) -> OrderEvent {
        OrderEvent {
            kind,
            order_id: self.id.clone(),
            tenant: self.tenant.clone(),
            version: self.version,
            status: self.status,
            occurred_at: now,
        }
    }

    /// Calls `f` with the order as the pricing engine sees it.
    fn with_pricing_input<R>(
        &self,
        selected: Option<ShippingMethod>,
        f: impl FnOnce(&PricingInput<'_>) -> R,
    ) -> R {
        let codes: Vec<CouponCode> = self.coupons.iter().map(|c| c.code.clone()).collect();
        f(&PricingInput {
            currency: self.currency,
            lines: &self.line_items,
            destination: self.destination.as_ref(),
            coupons: &codes,
            selected_shipping: selected,
        })
    }

    fn price_with(
        &self,
        ctx: &PricingContext<'_>,
        selected: Option<ShippingMethod>,
    ) -> DomainResult<Priced> {
        self.with_pricing_input(selected, |input| pricing::price(input, ctx))
    }

    /// Full repricing. A selected method the engine no longer accepts is cleared (the engine
    /// already priced the order without it), with the reason in `shipping_notice` and a
    /// `ShippingOptionCleared` event, so `pricing.shipping` always matches `shipping_method`.
    fn reprice(
        &mut self,
        ctx: &PricingContext<'_>,
        events: &mut Vec<OrderEventKind>,
    ) -> DomainResult<()> {
        let priced = self.price_with(ctx, self.shipping_method)?;
        self.pricing = priced.breakdown;
        if let (Some(reason), Some(method)) = (priced.shipping_cleared, self.shipping_method) {
            self.shipping_method = None;
            self.shipping_notice = Some(reason.clone());
            events.push(OrderEventKind::ShippingOptionCleared { method, reason });
        }
        Ok(())
    }

    /// Shipping options the order is eligible for now, with their cost. Allowed in any status
    /// (it changes nothing) but only meaningful for a DRAFT: later orders keep the option they
    /// were placed with.
    ///
    /// # Errors
    /// `DESTINATION_REQUIRED` without a destination (from the pricing engine).
    pub fn list_shipping_options(
        &self,
        ctx: &PricingContext<'_>,
    ) -> DomainResult<Vec<ShippingQuote>> {
        self.with_pricing_input(self.shipping_method, |input| {
            pricing::list_shipping_options(input, ctx)
        })
    }

    /// Optimistic concurrency: `expected` (the client's `expectedVersion`) must be the current
    /// version when given.
    ///
    /// # Errors
    /// `VERSION_CONFLICT` "Order {id}: expected version X, current Y." (field `["expectedVersion"]`).
    pub fn check_version(&self, expected: Option<u64>) -> DomainResult<()> {
        match expected {
            Some(v) if v != self.version => Err(DomainError::new(
                ErrorCode::VersionConflict,
                format!(
                    "Order {}: expected version {v}, current {}.",
                    self.id, self.version
                ),
            )
            .at(["expectedVersion"])),
            _ => Ok(()),
        }
    }

    pub fn is_visible_to_customer(&self, customer: &CustomerId) -> bool {
        &self.customer.customer_id == customer
    }

    pub fn is_visible_to_vendor(&self, vendor: &VendorId) -> bool {
        &self.vendor.vendor_id == vendor
    }

    /// The customer's lines followed by the free-gift lines pricing added.
    pub fn all_lines(&self) -> impl Iterator<Item = &LineItem> {
        self.line_items.iter().chain(self.pricing.gift_lines.iter())
    }
}
