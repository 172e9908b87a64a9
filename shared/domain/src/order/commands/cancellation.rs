//! cancelOrder: PENDING | CONFIRMED → CANCELLED, giving back what placeOrder reserved.
//!
//! A DRAFT cannot be cancelled (as in the original): it holds nothing, so it is simply discarded
//! or left to expire. Cancelling does not refund a captured payment by itself: the
//! `order.cancelled` event tells the payments integration, whose `payment.refunded` event is then
//! recorded with `record_refund`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::placement::StockReservation;
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::ids::CouponCode;
use crate::order::events::{OrderEvent, OrderEventKind, SkuQuantity};
use crate::order::lifecycle::{self, Transition};
use crate::order::model::{CouponCounters, Order, MAX_REASON_LEN};

/// What storage must give back atomically with the CANCELLED order: the stock placeOrder took
/// (increment) and one use of each coupon on exactly the counters placement counted it on.
/// Empty when the order held nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Release {
    pub stock: Vec<StockReservation>,
    pub coupons: Vec<CouponRelease>,
}

/// One coupon use to give back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouponRelease {
    pub code: CouponCode,
    /// The counters placement counted the use on (both for orders placed before that was
    /// recorded; none for an unlimited coupon).
    pub counters: CouponCounters,
}

impl Order {
    /// Cancels with a reason (trimmed, stored).
    ///
    /// # Errors
    /// `INVALID_STATE` (not PENDING or CONFIRMED; DRAFT included); `CANCELLATION_REASON_REQUIRED`
    /// (blank reason); `INVALID_INPUT` (longer than `MAX_REASON_LEN` characters). Field `["reason"]`.
    pub fn cancel(
        &mut self,
        reason: &str,
        now: DateTime<Utc>,
    ) -> DomainResult<(Release, Vec<OrderEvent>)> {
        let cancelled = lifecycle::next_status(self.status, Transition::Cancel)?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(DomainError::new(
                ErrorCode::CancellationReasonRequired,
                "Cannot cancel without a cancellation reason.",
            )
            .at(["reason"]));
        }
        if reason.chars().count() > MAX_REASON_LEN {
            return Err(DomainError::new(
                ErrorCode::InvalidInput,
                format!("Cancellation reason must be at most {MAX_REASON_LEN} characters."),
            )
            .at(["reason"]));
        }
        self.change(now, |order, events| {
            let release = if order.stock_reserved {
                Release {
                    stock: order.stock_reservations()?,
                    coupons: order
                        .coupons
                        .iter()
                        .map(|c| CouponRelease {
                            code: c.code.clone(),
                            counters: c.counters_to_release(),
                        })
                        .collect(),
                }
            } else {
                Release::default()
            };
            order.status = cancelled;
            order.stock_reserved = false;
            order.cancellation_reason = Some(reason.to_string());
            events.push(OrderEventKind::OrderCancelled {
                reason: reason.to_string(),
                released: release
                    .stock
                    .iter()
                    .map(|r| SkuQuantity {
                        sku: r.sku.clone(),
                        quantity: r.quantity,
                    })
                    .collect(),
                released_coupons: release.coupons.iter().map(|c| c.code.clone()).collect(),
            });
            Ok(release)
        })
    }
}
