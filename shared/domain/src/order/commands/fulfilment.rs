//! The vendor's side: markAsShipped, addShippingTrackingReference, markAsCompleted.

use chrono::{DateTime, Utc};

use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::order::events::{OrderEvent, OrderEventKind};
use crate::order::lifecycle::{self, Edit, Transition};
use crate::order::model::{Order, PaymentMethod, PaymentStatus};
use crate::order::tracking::validate_tracking_reference;
use crate::order::StockReservation;

const OUTSTANDING: &str = "Cannot mark as completed with outstanding payments.";

impl Order {
    /// CONFIRMED → SHIPPED.
    ///
    /// # Errors
    /// `INVALID_STATE` (not CONFIRMED).
    pub fn mark_shipped(&mut self, now: DateTime<Utc>) -> DomainResult<Vec<OrderEvent>> {
        let shipped = lifecycle::next_status(self.status, Transition::Ship)?;
        self.change(now, |order, events| {
            order.status = shipped;
            events.push(OrderEventKind::OrderShipped);
            Ok(())
        })
        .map(|((), events)| events)
    }

    /// The units markAsShipped moves from held to shipped (storage applies it with the SHIPPED
    /// order): what placement reserved; none for an order that reserved nothing. Shipped units
    /// stay unavailable until the catalog's on-hand count has taken them off.
    ///
    /// # Errors
    /// `INVALID_INPUT` if a merged quantity overflows.
    pub fn shipped_stock(&self) -> DomainResult<Vec<StockReservation>> {
        if self.stock_reserved {
            self.stock_reservations()
        } else {
            Ok(vec![])
        }
    }

    /// Sets (or replaces) the tracking URL of a SHIPPED order.
    ///
    /// # Errors
    /// `INVALID_STATE` "Only shipped order can add tracking reference."; `INVALID_TRACKING_REFERENCE`
    /// (not an absolute http(s) URL with a host, whitespace inside, or longer than
    /// `MAX_TRACKING_REFERENCE_LEN`; field `["trackingReference"]`).
    pub fn add_tracking_reference(
        &mut self,
        url: &str,
        now: DateTime<Utc>,
    ) -> DomainResult<Vec<OrderEvent>> {
        lifecycle::ensure_edit_allowed(self.status, Edit::AddTrackingReference)?;
        let reference = validate_tracking_reference(url)?;
        self.change(now, |order, events| {
            events.push(OrderEventKind::TrackingReferenceAdded {
                tracking_reference: reference.clone(),
            });
            order.tracking_reference = Some(reference);
            Ok(())
        })
        .map(|((), events)| events)
    }

    /// SHIPPED → COMPLETED, only when fully paid: the payment is PAID with paid ≥ total. A
    /// CASH_ON_DELIVERY order (UNPAID) records the cash collected on delivery: paid = total,
    /// status PAID. (Partial refunds do not block completion; a fully refunded payment does.)
    ///
    /// # Errors
    /// `INVALID_STATE` (not SHIPPED); `INVALID_STATE` "Cannot mark as completed with outstanding
    /// payments." (no payment, not PAID, or paid below the total).
    pub fn mark_completed(&mut self, now: DateTime<Utc>) -> DomainResult<Vec<OrderEvent>> {
        let completed = lifecycle::next_status(self.status, Transition::Complete)?;
        self.change(now, |order, events| {
            let total = order.pricing.total;
            let Some(payment) = order.payment.as_mut() else {
                return Err(DomainError::new(ErrorCode::InvalidState, OUTSTANDING));
            };
            match (payment.method, payment.status) {
                (PaymentMethod::CashOnDelivery, PaymentStatus::Unpaid) => {
                    payment.paid_amount = total;
                    payment.status = PaymentStatus::Paid;
                }
                (_, PaymentStatus::Paid) if payment.paid_amount.cmp_same(&total)?.is_lt() => {
                    return Err(DomainError::new(
                        ErrorCode::InvalidState,
                        format!(
                            "{OUTSTANDING} Paid amount {} is lesser than the expected amount {total}.",
                            payment.paid_amount
                        ),
                    ));
                }
                (_, PaymentStatus::Paid) => {}
                _ => return Err(DomainError::new(ErrorCode::InvalidState, OUTSTANDING)),
            }
            order.status = completed;
            events.push(OrderEventKind::OrderCompleted { paid_amount: payment.paid_amount });
            Ok(())
        })
        .map(|((), events)| events)
    }
}
