//! confirmOrder (PENDING → CONFIRMED) and refunds.
//!
//! Payment rules:
//! - CASH_ON_DELIVERY confirms without a payment: status UNPAID, paid 0. The cash is recorded
//!   when the vendor marks the order completed (paid = total, status PAID).
//! - Any other method needs a transaction id and a verified payment (a signed `payment.succeeded`
//!   event or the provider's API, looked up by the application layer) for THIS order, that
//!   succeeded, in the order's currency, for at least the total (an overpayment is accepted and
//!   recorded: refusing it would leave a captured payment without an order).
//! - One transaction confirms one order: the returned [`PaymentClaim`] is written by storage
//!   atomically with the order (`claimed_by` absent or this order); a transaction already
//!   claimed by another order is refused. Replaying the claim of this same order is fine.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::ids::OrderId;
use crate::money::Money;
use crate::order::events::{OrderEvent, OrderEventKind};
use crate::order::lifecycle::{self, Edit, Transition};
use crate::order::model::{Order, PaymentDetails, PaymentMethod, PaymentStatus};

/// Longest accepted transaction id.
const MAX_TRANSACTION_ID_LEN: usize = 255;

/// A payment as the provider (or a signed payment event) reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedPayment {
    /// The order the payment was made for (PayPal `custom`, Stripe metadata).
    pub order_id: OrderId,
    pub amount: Money,
    pub succeeded: bool,
}

/// Everything confirmOrder decides from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentVerification {
    pub method: PaymentMethod,
    pub transaction_id: Option<String>,
    /// The payment found for `transaction_id` (None: not found or not verifiable).
    pub verified: Option<VerifiedPayment>,
    /// The order that already claimed `transaction_id`, if any.
    pub already_used_by: Option<OrderId>,
}

/// Storage must record that `transaction_id` confirmed this order, atomically with it and only
/// if no other order claimed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentClaim {
    pub transaction_id: String,
}

fn not_verified(message: impl Into<String>) -> DomainError {
    DomainError::new(ErrorCode::PaymentNotVerified, message).at(["transactionId"])
}

impl Order {
    /// Confirms a PENDING order with its payment (see the module documentation).
    ///
    /// # Errors
    /// `INVALID_STATE` (not PENDING); `INVALID_INPUT` (non-COD without a usable transaction id,
    /// field `["transactionId"]`); `PAYMENT_ALREADY_USED`; `PAYMENT_NOT_VERIFIED` (no verified
    /// payment, another order's payment, or not succeeded); `CURRENCY_MISMATCH`;
    /// `PAYMENT_INSUFFICIENT` "… paid X is less than total Y".
    pub fn confirm(
        &mut self,
        payment: PaymentVerification,
        now: DateTime<Utc>,
    ) -> DomainResult<(Option<PaymentClaim>, Vec<OrderEvent>)> {
        let confirmed = lifecycle::next_status(self.status, Transition::Confirm)?;
        self.require_live_hold(now)?;
        self.change(now, |order, events| {
            let zero = Money::zero(order.currency);
            let (details, claim) = if payment.method == PaymentMethod::CashOnDelivery {
                let details = PaymentDetails {
                    method: payment.method,
                    transaction_id: None,
                    paid_amount: zero,
                    status: PaymentStatus::Unpaid,
                    refunded_amount: zero,
                };
                (details, None)
            } else {
                let transaction_id = verify(order, &payment)?;
                let paid_amount = payment.verified.as_ref().map_or(zero, |v| v.amount);
                let details = PaymentDetails {
                    method: payment.method,
                    transaction_id: Some(transaction_id.clone()),
                    paid_amount,
                    status: PaymentStatus::Paid,
                    refunded_amount: zero,
                };
                (details, Some(PaymentClaim { transaction_id }))
            };
            events.push(OrderEventKind::OrderConfirmed {
                method: details.method,
                payment_status: details.status,
                paid_amount: details.paid_amount,
                transaction_id: details.transaction_id.clone(),
            });
            order.payment = Some(details);
            order.status = confirmed;
            Ok(claim)
        })
    }

    /// Records a refund reported by the payment provider. Never changes the status; the payment
    /// becomes REFUNDED once everything paid was refunded.
    ///
    /// # Errors
    /// `INVALID_STATE` (DRAFT or PENDING, or no payment); `CURRENCY_MISMATCH`; `INVALID_INPUT`
    /// (zero, or more than paid minus already refunded; field `["amount"]`).
    pub fn record_refund(
        &mut self,
        amount: Money,
        now: DateTime<Utc>,
    ) -> DomainResult<Vec<OrderEvent>> {
        lifecycle::ensure_edit_allowed(self.status, Edit::RecordRefund)?;
        self.change(now, |order, events| {
            let order_id = order.id.clone();
            let Some(payment) = order.payment.as_mut() else {
                return Err(DomainError::new(
                    ErrorCode::InvalidState,
                    format!("Order {order_id} has no payment to refund."),
                ));
            };
            if amount.is_zero() {
                return Err(DomainError::new(
                    ErrorCode::InvalidInput,
                    "Refund amount must be greater than zero.",
                )
                .at(["amount"]));
            }
            let refundable = payment
                .paid_amount
                .saturating_sub(&payment.refunded_amount)?;
            if amount.cmp_same(&refundable)?.is_gt() {
                return Err(DomainError::new(
                    ErrorCode::InvalidInput,
                    format!("Refund of {amount} exceeds the refundable amount {refundable}."),
                )
                .at(["amount"]));
            }
            payment.refunded_amount = payment.refunded_amount.checked_add(&amount)?;
            let fully_refunded = payment.refunded_amount == payment.paid_amount;
            if fully_refunded {
                payment.status = PaymentStatus::Refunded;
            }
            events.push(OrderEventKind::PaymentRefunded {
                amount,
                refunded_total: payment.refunded_amount,
                fully_refunded,
            });
            Ok(())
        })
        .map(|((), events)| events)
    }
}

/// The non-COD checks, in order; returns the trimmed transaction id.
fn verify(order: &Order, payment: &PaymentVerification) -> DomainResult<String> {
    let transaction_id = payment
        .transaction_id
        .as_deref()
        .map(str::trim)
        .unwrap_or_default();
    if transaction_id.is_empty() {
        return Err(DomainError::new(
            ErrorCode::InvalidInput,
            "Transaction ID is required for non-COD payments.",
        )
        .at(["transactionId"]));
    }
    if transaction_id.len() > MAX_TRANSACTION_ID_LEN || transaction_id.chars().any(char::is_control)
    {
        return Err(
            DomainError::new(ErrorCode::InvalidInput, "Transaction ID is not valid.")
                .at(["transactionId"]),
        );
    }
    if payment
        .already_used_by
        .as_ref()
        .is_some_and(|other| other != &order.id)
    {
        return Err(DomainError::new(
            ErrorCode::PaymentAlreadyUsed,
            format!("Payment {transaction_id} was already used to confirm another order."),
        )
        .at(["transactionId"]));
    }
    let Some(verified) = payment.verified.as_ref() else {
        return Err(not_verified(
            "Order cannot be confirmed without verified payment.",
        ));
    };
    if verified.order_id != order.id {
        return Err(not_verified(
            "Payment details verification Order ID mismatch",
        ));
    }
    if !verified.succeeded {
        return Err(not_verified(format!(
            "Payment details {transaction_id} was not success"
        )));
    }
    let total = order.pricing.total;
    if verified.amount.currency() != total.currency() {
        return Err(DomainError::new(
            ErrorCode::CurrencyMismatch,
            format!(
                "Payment {transaction_id} is in {}, the order in {}.",
                verified.amount.currency(),
                total.currency()
            ),
        )
        .at(["transactionId"]));
    }
    if verified.amount.cmp_same(&total)?.is_lt() {
        return Err(DomainError::new(
            ErrorCode::PaymentInsufficient,
            format!(
                "Payment {transaction_id} paid {} is less than total {total}.",
                verified.amount
            ),
        )
        .at(["transactionId"]));
    }
    Ok(transaction_id.to_string())
}
