//! Holds: a PENDING order holds its stock and coupon uses until `hold_expires_at` (placeOrder
//! time + the tenant's hold window). Unconfirmed by then, the OMS cancels it with reason
//! [`EXPIRED_REASON`], releasing both exactly as cancelOrder does; confirming it after the window
//! is refused even before the sweep has run, so a lapsed hold can never turn into a sale of units
//! the next buyer may already have taken.

use chrono::{DateTime, SubsecRound, Utc};

use super::cancellation::Release;
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::money::Money;
use crate::order::events::{OrderEvent, OrderEventKind};
use crate::order::model::{Order, OrderStatus, PaymentDetails, PaymentMethod, PaymentStatus};

/// The cancellation reason the OMS itself gives a PENDING order whose hold lapsed.
pub const EXPIRED_REASON: &str = "expired";

impl Order {
    /// Starts the hold of a just-placed order (PENDING): it lapses at `deadline` (kept to the
    /// millisecond, as the hold index sorts it).
    pub fn hold_until(&mut self, deadline: DateTime<Utc>) {
        if self.status == OrderStatus::Pending {
            self.hold_expires_at = Some(deadline.trunc_subsecs(3));
        }
    }

    /// When the hold of this PENDING order lapses (`None` past PENDING, or never held).
    pub fn active_hold(&self) -> Option<DateTime<Utc>> {
        self.hold_expires_at
            .filter(|_| self.status == OrderStatus::Pending)
    }

    /// Whether this PENDING order's hold has lapsed at `now`.
    pub fn hold_lapsed(&self, now: DateTime<Utc>) -> bool {
        self.active_hold().is_some_and(|deadline| now >= deadline)
    }

    /// Refuses a command that needs the hold (confirmOrder) once it lapsed.
    ///
    /// # Errors
    /// `INVALID_STATE`.
    pub fn require_live_hold(&self, now: DateTime<Utc>) -> DomainResult<()> {
        if self.hold_lapsed(now) {
            return Err(DomainError::new(
                ErrorCode::InvalidState,
                "The order's hold has expired; it can no longer be confirmed.",
            ));
        }
        Ok(())
    }

    /// Cancels a PENDING order whose hold lapsed (reason [`EXPIRED_REASON`]), releasing what it
    /// held.
    ///
    /// # Errors
    /// `INVALID_STATE` when the order is not PENDING or its hold has not lapsed at `now`.
    pub fn expire(&mut self, now: DateTime<Utc>) -> DomainResult<(Release, Vec<OrderEvent>)> {
        if !self.hold_lapsed(now) {
            return Err(DomainError::new(
                ErrorCode::InvalidState,
                "Only a pending order whose hold has lapsed can expire.",
            ));
        }
        self.cancel(EXPIRED_REASON, now)
    }

    /// Whether the OMS cancelled this order because its hold lapsed.
    pub fn expired(&self) -> bool {
        self.status == OrderStatus::Cancelled
            && self.cancellation_reason.as_deref() == Some(EXPIRED_REASON)
    }

    /// Records a payment that arrived after the order expired: the order stays CANCELLED, its
    /// payment shows what was paid (so a later `payment.refunded` is recorded against it), and
    /// `order.payment_after_expiry` tells the tenant to refund. The same transaction again
    /// changes nothing (no events).
    ///
    /// # Errors
    /// `INVALID_STATE` when the order did not expire, or another payment was recorded on it.
    pub fn record_payment_after_expiry(
        &mut self,
        method: PaymentMethod,
        transaction_id: &str,
        amount: Money,
        now: DateTime<Utc>,
    ) -> DomainResult<Vec<OrderEvent>> {
        if !self.expired() {
            return Err(DomainError::new(
                ErrorCode::InvalidState,
                "Only an expired order records a late payment.",
            ));
        }
        match &self.payment {
            Some(p) if p.transaction_id.as_deref() == Some(transaction_id) => return Ok(vec![]),
            Some(_) => {
                return Err(DomainError::new(
                    ErrorCode::InvalidState,
                    "The expired order already recorded another payment.",
                ))
            }
            None => {}
        }
        self.change(now, |order, events| {
            order.payment = Some(PaymentDetails {
                method,
                transaction_id: Some(transaction_id.to_string()),
                paid_amount: amount,
                status: PaymentStatus::Paid,
                refunded_amount: Money::zero(amount.currency()),
            });
            events.push(OrderEventKind::PaymentAfterExpiry {
                method,
                transaction_id: transaction_id.to_string(),
                amount,
            });
            Ok(())
        })
        .map(|((), events)| events)
    }
}
