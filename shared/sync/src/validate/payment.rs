//! `payments` (`payment.succeeded` / `payment.refunded`) → [`PaymentRecord`].

use oms_domain::ids::OrderId;
use oms_domain::order::PaymentMethod;

use super::fields::{Obj, Res};
use crate::event::{PaymentEventStatus, PaymentRecord};

pub(super) fn payment(d: &Obj, status: PaymentEventStatus) -> Res<PaymentRecord> {
    let order_id = d.id("order_id", OrderId::new)?;
    let transaction_id = transaction_id(d)?;
    let method = PaymentMethod::parse(&d.text("method")?).ok_or_else(|| {
        d.err(
            "method",
            "must be PAYPAL, STRIPE or CASH_ON_DELIVERY (or Paypal, Stripe, Cash On Delivery).",
        )
    })?;
    let currency = d.currency("currency", None)?;
    let amount = d.money("amount", currency)?;
    if amount.is_zero() {
        return Err(d.err("amount", "must be greater than 0."));
    }
    Ok(PaymentRecord {
        order_id,
        transaction_id,
        method,
        amount,
        status,
    })
}

/// Longest transaction id, in characters (the domain's id limit).
const MAX_TRANSACTION_ID: usize = 128;

/// The same rules as every domain id, since it becomes part of a key: trimmed, 1 to 128
/// characters, no `#` and no control characters.
fn transaction_id(d: &Obj) -> Res<String> {
    let t = d.text("transaction_id")?;
    if t.chars().count() > MAX_TRANSACTION_ID {
        return Err(d.err(
            "transaction_id",
            &format!("must be at most {MAX_TRANSACTION_ID} characters."),
        ));
    }
    if t.chars().any(|c| c == '#' || c.is_control()) {
        return Err(d.err(
            "transaction_id",
            "must not contain '#' or control characters.",
        ));
    }
    Ok(t)
}
