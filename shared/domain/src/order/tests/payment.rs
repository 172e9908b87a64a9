use super::fixtures::*;
use crate::error::ErrorCode;
use crate::money::{Currency, Money};
use crate::order::{
    OrderEventKind, OrderStatus, PaymentClaim, PaymentDetails, PaymentMethod, PaymentStatus,
    PaymentVerification, VerifiedPayment,
};

#[test]
fn a_verified_payment_of_the_total_confirms_the_order_and_claims_the_transaction() -> TestResult {
    let w = World::plain();
    let mut order = w.pending()?;
    let (claim, events) = order.confirm(paypal(&order, sgd(2500)), at(3))?;
    assert_eq!((order.status, order.version), (OrderStatus::Confirmed, 4));
    assert_eq!(
        claim,
        Some(PaymentClaim {
            transaction_id: "TXN-1".into()
        })
    );
    assert_eq!(
        order.payment,
        Some(PaymentDetails {
            method: PaymentMethod::Paypal,
            transaction_id: Some("TXN-1".into()),
            paid_amount: sgd(2500),
            status: PaymentStatus::Paid,
            refunded_amount: sgd(0),
        })
    );
    assert_eq!(
        events[0].kind,
        OrderEventKind::OrderConfirmed {
            method: PaymentMethod::Paypal,
            payment_status: PaymentStatus::Paid,
            paid_amount: sgd(2500),
            transaction_id: Some("TXN-1".into()),
        }
    );
    assert_stamped(&events, &order, at(3));
    Ok(())
}

#[test]
fn an_overpayment_is_accepted_and_recorded() -> TestResult {
    let w = World::plain();
    let mut order = w.pending()?;
    order.confirm(paypal(&order, sgd(3000)), at(3))?;
    assert_eq!(order.payment.map(|p| p.paid_amount), Some(sgd(3000)));
    Ok(())
}

#[test]
fn only_a_pending_order_can_be_confirmed() -> TestResult {
    let w = World::plain();
    for mut order in w.every_status()? {
        if order.status == OrderStatus::Pending {
            continue;
        }
        let payment = paypal(&order, sgd(2500));
        let e = rejected(&mut order, ErrorCode::InvalidState, |o| {
            o.confirm(payment, at(9))
        });
        assert!(
            e.message
                .starts_with("Only pending orders can be confirmed."),
            "{}",
            e.message
        );
    }
    Ok(())
}

#[test]
fn cash_on_delivery_confirms_unpaid_without_a_transaction() -> TestResult {
    let w = World::plain();
    let mut order = w.pending()?;
    let (claim, events) = order.confirm(cod(), at(3))?;
    assert_eq!((order.status, claim), (OrderStatus::Confirmed, None));
    let payment = order.payment.clone();
    assert_eq!(
        payment
            .as_ref()
            .map(|p| (p.method, p.status, p.paid_amount)),
        Some((PaymentMethod::CashOnDelivery, PaymentStatus::Unpaid, sgd(0)))
    );
    assert_eq!(payment.and_then(|p| p.transaction_id), None);
    assert_stamped(&events, &order, at(3));
    Ok(())
}

#[test]
fn a_non_cod_payment_needs_a_usable_transaction_id() -> TestResult {
    let w = World::plain();
    let mut order = w.pending()?;
    for id in [None, Some(""), Some("   "), Some("bad\u{0}id")] {
        let mut payment = paypal(&order, sgd(2500));
        payment.transaction_id = id.map(str::to_string);
        let e = rejected(&mut order, ErrorCode::InvalidInput, |o| {
            o.confirm(payment, at(3))
        });
        assert_eq!(field(&e), vec!["transactionId"]);
    }
    let mut payment = paypal(&order, sgd(2500));
    payment.transaction_id = Some("X".repeat(256));
    rejected(&mut order, ErrorCode::InvalidInput, |o| {
        o.confirm(payment, at(3))
    });
    let mut payment = paypal(&order, sgd(2500));
    payment.transaction_id = Some("  TXN-1 ".into());
    let (claim, _) = order.confirm(payment, at(3))?;
    assert_eq!(claim.map(|c| c.transaction_id), Some("TXN-1".to_string()));
    Ok(())
}

#[test]
fn a_transaction_that_confirmed_another_order_cannot_confirm_this_one() -> TestResult {
    let w = World::plain();
    let mut order = w.pending()?;
    let mut payment = paypal(&order, sgd(2500));
    payment.already_used_by = Some(order_id("ORD-OTHER"));
    let e = rejected(&mut order, ErrorCode::PaymentAlreadyUsed, |o| {
        o.confirm(payment, at(3))
    });
    assert_eq!(field(&e), vec!["transactionId"]);
    assert!(
        !e.message.contains("ORD-OTHER"),
        "another customer's order id must not leak"
    );
    // The same order's own claim (a retry) is fine.
    let mut payment = paypal(&order, sgd(2500));
    payment.already_used_by = Some(order.id.clone());
    order.confirm(payment, at(3))?;
    Ok(())
}

#[test]
fn an_unverified_foreign_or_failed_payment_is_not_verified() -> TestResult {
    let w = World::plain();
    let mut order = w.pending()?;
    let mut missing = paypal(&order, sgd(2500));
    missing.verified = None;
    let e = rejected(&mut order, ErrorCode::PaymentNotVerified, |o| {
        o.confirm(missing, at(3))
    });
    assert_eq!(
        e.message,
        "Order cannot be confirmed without verified payment."
    );
    let mut foreign = paypal(&order, sgd(2500));
    foreign.verified = Some(VerifiedPayment {
        order_id: order_id("ORD-OTHER"),
        amount: sgd(2500),
        succeeded: true,
    });
    let e = rejected(&mut order, ErrorCode::PaymentNotVerified, |o| {
        o.confirm(foreign, at(3))
    });
    assert_eq!(e.message, "Payment details verification Order ID mismatch");
    let mut failed = paypal(&order, sgd(2500));
    failed.verified = Some(VerifiedPayment {
        order_id: order.id.clone(),
        amount: sgd(2500),
        succeeded: false,
    });
    rejected(&mut order, ErrorCode::PaymentNotVerified, |o| {
        o.confirm(failed, at(3))
    });
    Ok(())
}

#[test]
fn a_payment_in_another_currency_is_a_currency_mismatch() -> TestResult {
    let w = World::plain();
    let mut order = w.pending()?;
    let payment = paypal(&order, Money::from_minor(2500, Currency::USD));
    let e = rejected(&mut order, ErrorCode::CurrencyMismatch, |o| {
        o.confirm(payment, at(3))
    });
    assert_eq!(field(&e), vec!["transactionId"]);
    Ok(())
}

#[test]
fn a_payment_below_the_total_is_insufficient() -> TestResult {
    let w = World::plain();
    let mut order = w.pending()?;
    let payment = paypal(&order, sgd(2499));
    let e = rejected(&mut order, ErrorCode::PaymentInsufficient, |o| {
        o.confirm(payment, at(3))
    });
    assert!(
        e.message
            .contains("paid 24.99 SGD is less than total 25.00 SGD"),
        "{}",
        e.message
    );
    Ok(())
}

#[test]
fn stripe_payments_follow_the_same_rules() -> TestResult {
    let w = World::plain();
    let mut order = w.pending()?;
    let payment = PaymentVerification {
        method: PaymentMethod::Stripe,
        transaction_id: Some("pi_123".into()),
        verified: Some(VerifiedPayment {
            order_id: order.id.clone(),
            amount: sgd(2500),
            succeeded: true,
        }),
        already_used_by: None,
    };
    order.confirm(payment, at(3))?;
    assert_eq!(order.payment.map(|p| p.method), Some(PaymentMethod::Stripe));
    Ok(())
}

#[test]
fn a_partial_refund_is_recorded_without_changing_the_status() -> TestResult {
    let w = World::plain();
    let mut order = w.shipped()?;
    let events = order.record_refund(sgd(500), at(6))?;
    assert_eq!(order.status, OrderStatus::Shipped);
    let payment = order.payment.clone();
    assert_eq!(
        payment.map(|p| (p.refunded_amount, p.status)),
        Some((sgd(500), PaymentStatus::Paid))
    );
    assert_eq!(
        events[0].kind,
        OrderEventKind::PaymentRefunded {
            amount: sgd(500),
            refunded_total: sgd(500),
            fully_refunded: false
        }
    );
    assert_stamped(&events, &order, at(6));
    Ok(())
}

#[test]
fn refunding_everything_paid_marks_the_payment_refunded() -> TestResult {
    let w = World::plain();
    let mut order = w.completed()?;
    order.record_refund(sgd(1000), at(6))?;
    let events = order.record_refund(sgd(1500), at(7))?;
    assert_eq!(order.status, OrderStatus::Completed);
    assert_eq!(
        order
            .payment
            .as_ref()
            .map(|p| (p.refunded_amount, p.status)),
        Some((sgd(2500), PaymentStatus::Refunded))
    );
    assert_eq!(
        events[0].kind,
        OrderEventKind::PaymentRefunded {
            amount: sgd(1500),
            refunded_total: sgd(2500),
            fully_refunded: true
        }
    );
    rejected(&mut order, ErrorCode::InvalidInput, |o| {
        o.record_refund(sgd(1), at(8))
    });
    Ok(())
}

#[test]
fn a_cancelled_paid_order_can_be_refunded() -> TestResult {
    let w = World::plain();
    let mut order = w.confirmed()?;
    order.cancel("Out of budget", at(4))?;
    order.record_refund(sgd(2500), at(5))?;
    assert_eq!(
        order.payment.map(|p| p.status),
        Some(PaymentStatus::Refunded)
    );
    Ok(())
}

#[test]
fn refunds_are_checked() -> TestResult {
    let w = World::plain();
    let mut order = w.confirmed()?;
    let e = rejected(&mut order, ErrorCode::InvalidInput, |o| {
        o.record_refund(sgd(2501), at(4))
    });
    assert_eq!(field(&e), vec!["amount"]);
    rejected(&mut order, ErrorCode::InvalidInput, |o| {
        o.record_refund(sgd(0), at(4))
    });
    rejected(&mut order, ErrorCode::CurrencyMismatch, |o| {
        o.record_refund(Money::from_minor(100, Currency::USD), at(4))
    });
    // Nothing was paid: drafts and pending orders, and cancelled orders never confirmed.
    for mut order in [w.draft()?, w.pending()?] {
        let e = rejected(&mut order, ErrorCode::InvalidState, |o| {
            o.record_refund(sgd(100), at(4))
        });
        assert_eq!(
            e.message,
            "Only confirmed, shipped, completed or cancelled order can record a refund."
        );
    }
    let mut never_paid = w.cancelled()?;
    rejected(&mut never_paid, ErrorCode::InvalidState, |o| {
        o.record_refund(sgd(100), at(4))
    });
    // Cash on delivery not collected yet: nothing to refund.
    let mut unpaid = w.pending()?;
    unpaid.confirm(cod(), at(3))?;
    rejected(&mut unpaid, ErrorCode::InvalidInput, |o| {
        o.record_refund(sgd(100), at(4))
    });
    Ok(())
}
