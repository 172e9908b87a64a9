use super::fixtures::*;
use crate::error::ErrorCode;
use crate::order::{AppliedCoupon, OrderEventKind, MAX_COUPONS};
use crate::pricing::CouponUsage;

fn none() -> CouponUsage {
    CouponUsage::default()
}

#[test]
fn a_valid_coupon_is_attached_with_its_offer() -> TestResult {
    let w = World::plain();
    let mut order = w.draft()?;
    let save = w.coupon("SAVE10");
    let events = order.add_coupon(&code("save10"), Some(&save), none(), &w.ctx(at(1)), at(1))?;
    assert_eq!(
        order.coupons,
        vec![AppliedCoupon {
            code: code("SAVE10"),
            offer_id: save.offer_id.clone(),
            counted: None,
        }]
    );
    assert_eq!(
        events[0].kind,
        OrderEventKind::CouponApplied {
            code: code("SAVE10"),
            offer_id: save.offer_id
        }
    );
    assert_stamped(&events, &order, at(1));
    Ok(())
}

#[test]
fn a_coupon_that_unlocks_an_offer_reprices_the_order() -> TestResult {
    let w = World::with_offers();
    let mut order = w.draft()?;
    let before = order.pricing.discount_total;
    order.add_coupon(
        &code("SAVE10"),
        Some(&w.coupon("SAVE10")),
        none(),
        &w.ctx(at(1)),
        at(1),
    )?;
    assert_eq!(order.pricing, expected_pricing(&order, &w.ctx(at(1)))?);
    assert!(order.pricing.discount_total.minor() > before.minor());
    assert!(totals_add_up(&order));
    order.remove_coupon(&code("SAVE10"), &w.ctx(at(2)), at(2))?;
    assert_eq!(order.pricing.discount_total, before);
    Ok(())
}

#[test]
fn the_same_coupon_cannot_be_applied_twice() -> TestResult {
    let w = World::plain();
    let mut order = w.draft()?;
    let save = w.coupon("SAVE10");
    order.add_coupon(&code("SAVE10"), Some(&save), none(), &w.ctx(at(1)), at(1))?;
    let e = rejected(&mut order, ErrorCode::CouponInvalid, |o| {
        o.add_coupon(&code("SAVE10"), Some(&save), none(), &w.ctx(at(2)), at(2))
    });
    assert_eq!(
        (e.message.as_str(), field(&e)),
        ("Coupon SAVE10 already applied in the order.", vec!["code"])
    );
    Ok(())
}

#[test]
fn an_order_holds_at_most_the_maximum_number_of_coupons() -> TestResult {
    let w = World::plain();
    let mut order = w.draft()?;
    let names = ["EXTRA1", "EXTRA2", "EXTRA3", "EXTRA4", "EXTRA5"];
    assert_eq!(names.len(), MAX_COUPONS);
    for n in names {
        order.add_coupon(&code(n), Some(&w.coupon(n)), none(), &w.ctx(at(1)), at(1))?;
    }
    let save = w.coupon("SAVE10");
    let e = rejected(&mut order, ErrorCode::InvalidInput, |o| {
        o.add_coupon(&code("SAVE10"), Some(&save), none(), &w.ctx(at(2)), at(2))
    });
    assert_eq!(field(&e), vec!["code"]);
    Ok(())
}

#[test]
fn an_unknown_coupon_is_invalid() -> TestResult {
    let w = World::plain();
    let mut order = w.draft()?;
    let e = rejected(&mut order, ErrorCode::CouponInvalid, |o| {
        o.add_coupon(&code("NOPE"), None, none(), &w.ctx(at(1)), at(1))
    });
    assert_eq!(e.message, "Coupon NOPE is not offered by vendor v-1");
    Ok(())
}

#[test]
fn an_expired_coupon_is_refused() -> TestResult {
    let w = World::plain();
    let mut order = w.draft()?;
    let expired = w.coupon("EXPIRED");
    let e = rejected(&mut order, ErrorCode::CouponExpired, |o| {
        o.add_coupon(
            &code("EXPIRED"),
            Some(&expired),
            none(),
            &w.ctx(at(1)),
            at(1),
        )
    });
    assert_eq!(e.message, "Coupon code EXPIRED no longer valid.");
    Ok(())
}

#[test]
fn a_coupon_whose_minimum_is_not_met_is_refused() -> TestResult {
    let w = World::plain();
    let mut order = w.draft()?;
    let big = w.coupon("BIGSPEND");
    rejected(&mut order, ErrorCode::CouponMinimumNotMet, |o| {
        o.add_coupon(&code("BIGSPEND"), Some(&big), none(), &w.ctx(at(1)), at(1))
    });
    Ok(())
}

#[test]
fn a_coupon_at_its_usage_limit_is_refused() -> TestResult {
    let w = World::plain();
    let mut order = w.draft()?;
    let limited = w.coupon("LIMITED");
    let used = CouponUsage {
        total_used: 1,
        customer_used: 0,
    };
    rejected(&mut order, ErrorCode::CouponUsageLimitReached, |o| {
        o.add_coupon(&code("LIMITED"), Some(&limited), used, &w.ctx(at(1)), at(1))
    });
    order.add_coupon(
        &code("LIMITED"),
        Some(&limited),
        none(),
        &w.ctx(at(1)),
        at(1),
    )?;
    Ok(())
}

#[test]
fn removing_a_coupon_detaches_it() -> TestResult {
    let w = World::plain();
    let mut order = w.draft()?;
    order.add_coupon(
        &code("SAVE10"),
        Some(&w.coupon("SAVE10")),
        none(),
        &w.ctx(at(1)),
        at(1),
    )?;
    let events = order.remove_coupon(&code("SAVE10"), &w.ctx(at(2)), at(2))?;
    assert!(order.coupons.is_empty());
    assert_eq!(
        events[0].kind,
        OrderEventKind::CouponRemoved {
            code: code("SAVE10")
        }
    );
    assert_stamped(&events, &order, at(2));
    Ok(())
}

#[test]
fn removing_a_coupon_not_on_the_order_is_not_found() -> TestResult {
    let w = World::plain();
    let mut order = w.draft()?;
    let e = rejected(&mut order, ErrorCode::NotFound, |o| {
        o.remove_coupon(&code("SAVE10"), &w.ctx(at(1)), at(1))
    });
    assert_eq!(field(&e), vec!["code"]);
    Ok(())
}
