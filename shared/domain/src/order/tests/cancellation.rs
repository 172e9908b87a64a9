use super::fixtures::*;
use crate::error::ErrorCode;
use crate::order::{
    CouponCounters, CouponRelease, OrderEventKind, OrderStatus, Release, SkuQuantity,
    MAX_REASON_LEN,
};
use crate::pricing::CouponUsage;

#[test]
fn a_draft_order_cannot_be_cancelled() -> TestResult {
    let w = World::plain();
    let mut order = w.draft()?;
    let e = rejected(&mut order, ErrorCode::InvalidState, |o| {
        o.cancel("No longer needed", at(1))
    });
    assert_eq!(
        e.message,
        "Only pending or confirmed order can be cancelled. Order is DRAFT."
    );
    Ok(())
}

#[test]
fn shipped_completed_and_cancelled_orders_cannot_be_cancelled() -> TestResult {
    let w = World::plain();
    for mut order in [w.shipped()?, w.completed()?, w.cancelled()?] {
        rejected(&mut order, ErrorCode::InvalidState, |o| {
            o.cancel("Too late", at(9))
        });
    }
    Ok(())
}

#[test]
fn cancelling_a_pending_order_releases_its_stock_and_coupon_uses() -> TestResult {
    let w = World::plain();
    let mut order = w.ready()?;
    order.add_coupon(
        &code("SAVE10"),
        Some(&w.coupon("SAVE10")),
        CouponUsage::default(),
        &w.ctx(at(1)),
        at(1),
    )?;
    let placement = w.place(&mut order, 2)?;
    let (release, events) = order.cancel("  Found it cheaper  ", at(3))?;
    assert_eq!(
        release,
        Release {
            stock: placement.stock,
            // SAVE10 has no limit: placement counted no counter, so the release gives none back.
            coupons: vec![CouponRelease {
                code: code("SAVE10"),
                counters: CouponCounters::default()
            }]
        }
    );
    assert_eq!(
        (order.status, order.stock_reserved),
        (OrderStatus::Cancelled, false)
    );
    assert_eq!(
        order.cancellation_reason.as_deref(),
        Some("Found it cheaper")
    );
    assert_eq!(
        events[0].kind,
        OrderEventKind::OrderCancelled {
            reason: "Found it cheaper".into(),
            released: vec![SkuQuantity {
                sku: sku("TSHIRT"),
                quantity: 2
            }],
            released_coupons: vec![code("SAVE10")],
        }
    );
    assert_stamped(&events, &order, at(3));
    Ok(())
}

#[test]
fn a_confirmed_order_can_be_cancelled_and_keeps_its_payment_for_refund() -> TestResult {
    let w = World::plain();
    let mut order = w.confirmed()?;
    let payment = order.payment.clone();
    let (release, _) = order.cancel("Changed my mind", at(4))?;
    assert_eq!(release.stock.len(), 1);
    assert_eq!(
        (order.status, order.payment.clone()),
        (OrderStatus::Cancelled, payment)
    );
    Ok(())
}

#[test]
fn nothing_is_released_when_nothing_was_reserved() -> TestResult {
    let w = World::plain();
    let mut order = w.pending()?;
    order.stock_reserved = false; // e.g. stored before reservations existed
    let (release, _) = order.cancel("Changed my mind", at(3))?;
    assert_eq!(release, Release::default());
    Ok(())
}

#[test]
fn a_cancellation_needs_a_reason() -> TestResult {
    let w = World::plain();
    let mut order = w.pending()?;
    for blank in ["", "   ", "\n\t"] {
        let e = rejected(&mut order, ErrorCode::CancellationReasonRequired, |o| {
            o.cancel(blank, at(3))
        });
        assert_eq!(
            (e.message.as_str(), field(&e)),
            (
                "Cannot cancel without a cancellation reason.",
                vec!["reason"]
            )
        );
    }
    Ok(())
}

#[test]
fn a_cancellation_reason_has_a_maximum_length() -> TestResult {
    let w = World::plain();
    let mut order = w.pending()?;
    let long = "é".repeat(MAX_REASON_LEN + 1);
    let e = rejected(&mut order, ErrorCode::InvalidInput, |o| {
        o.cancel(&long, at(3))
    });
    assert_eq!(field(&e), vec!["reason"]);
    order.cancel(&"é".repeat(MAX_REASON_LEN), at(3))?;
    Ok(())
}

/// The release gives back exactly the counters placement counted, even when the coupon's limits
/// changed since; an order placed before the counters were recorded gives back both.
#[test]
fn the_release_gives_back_the_counters_placement_recorded() -> TestResult {
    let mut w = World::plain();
    for c in &mut w.coupons {
        if c.code.as_str() == "SAVE10" {
            c.usage_limit = Some(100);
        }
    }
    let mut order = w.ready()?;
    order.add_coupon(
        &code("SAVE10"),
        Some(&w.coupon("SAVE10")),
        CouponUsage::default(),
        &w.ctx(at(1)),
        at(1),
    )?;
    w.place(&mut order, 2)?;
    let recorded = CouponCounters {
        total: true,
        per_customer: false,
    };
    let mut legacy = order.clone();
    let (release, _) = order.cancel("Changed my mind", at(3))?;
    assert_eq!(release.coupons[0].counters, recorded);

    // Stored before the counters were recorded: both were counted, both are given back.
    legacy.coupons[0].counted = None;
    let (release, _) = legacy.cancel("Changed my mind", at(3))?;
    assert_eq!(release.coupons[0].counters, CouponCounters::BOTH);

    // The stored form of an order without the record reads back as such.
    let json = serde_json::to_value(&legacy)?;
    assert!(json["coupons"][0].get("counted").is_none());
    let read: crate::order::Order = serde_json::from_value(json)?;
    assert_eq!(read.coupons[0].counted, None);
    Ok(())
}
