use super::fixtures::*;
use crate::error::ErrorCode;
use crate::order::{OrderEventKind, OrderStatus, EXPIRED_REASON};

/// PENDING since minute 2, held until minute 32.
fn held() -> Result<crate::order::Order, crate::error::DomainError> {
    let mut order = World::plain().pending()?;
    order.hold_until(at(32));
    Ok(order)
}

#[test]
fn a_pending_order_expires_only_once_its_hold_lapsed_and_releases_what_it_held() -> TestResult {
    let mut order = held()?;
    assert_eq!(order.active_hold(), Some(at(32)));
    rejected(&mut order, ErrorCode::InvalidState, |o| o.expire(at(31)));
    let (release, events) = order.expire(at(32))?;
    assert_eq!(order.status, OrderStatus::Cancelled);
    assert_eq!(order.cancellation_reason.as_deref(), Some(EXPIRED_REASON));
    assert!(!order.stock_reserved);
    assert!(!release.stock.is_empty(), "the held units are released");
    assert!(matches!(
        &events[0].kind,
        OrderEventKind::OrderCancelled { reason, .. } if reason == EXPIRED_REASON
    ));
    assert_eq!(order.active_hold(), None, "a cancelled order holds nothing");
    Ok(())
}

#[test]
fn a_lapsed_hold_cannot_be_confirmed_even_before_the_sweep() -> TestResult {
    let mut order = held()?;
    let total = order.pricing.total;
    let e = rejected(&mut order, ErrorCode::InvalidState, |o| {
        o.confirm(paypal(o, total), at(40))
    });
    assert!(e.message.contains("hold has expired"), "{}", e.message);
    // Within the window it confirms, and a confirmed order never expires.
    let mut order = held()?;
    order.confirm(paypal(&order, total), at(31))?;
    assert_eq!(order.active_hold(), None);
    rejected(&mut order, ErrorCode::InvalidState, |o| o.expire(at(99)));
    Ok(())
}

#[test]
fn only_a_pending_order_takes_a_hold() -> TestResult {
    let w = World::plain();
    let mut draft = w.draft()?;
    draft.hold_until(at(30));
    assert_eq!(draft.hold_expires_at, None);
    rejected(&mut draft, ErrorCode::InvalidState, |o| o.expire(at(99)));
    Ok(())
}

#[test]
fn a_payment_after_expiry_is_recorded_on_the_cancelled_order_once() -> TestResult {
    use crate::order::PaymentMethod;
    let mut order = held()?;
    order.expire(at(40))?;
    let amount = order.pricing.total;
    let version = order.version;
    let events =
        order.record_payment_after_expiry(PaymentMethod::Stripe, "pi_late", amount, at(41))?;
    assert_eq!(order.status, OrderStatus::Cancelled, "still cancelled");
    assert_eq!(order.version, version + 1);
    assert!(matches!(
        &events[0].kind,
        OrderEventKind::PaymentAfterExpiry { transaction_id, .. } if transaction_id == "pi_late"
    ));
    let payment = order.payment.clone().expect("recorded");
    assert_eq!(payment.paid_amount, amount);
    // The same transaction again: nothing new. Another one: refused.
    assert!(order
        .record_payment_after_expiry(PaymentMethod::Stripe, "pi_late", amount, at(42))?
        .is_empty());
    rejected(&mut order, ErrorCode::InvalidState, |o| {
        o.record_payment_after_expiry(PaymentMethod::Stripe, "pi_other", amount, at(43))
    });
    // An order cancelled by its customer is not "expired".
    let mut cancelled = World::plain().pending()?;
    cancelled.cancel("changed my mind", at(5))?;
    rejected(&mut cancelled, ErrorCode::InvalidState, |o| {
        o.record_payment_after_expiry(PaymentMethod::Stripe, "pi_x", amount, at(6))
    });
    Ok(())
}
