use super::fixtures::*;
use crate::catalog::ShippingMethod;
use crate::error::ErrorCode;
use crate::money::{Currency, Money};
use crate::order::{
    CouponCounters, CouponRedemption, OrderEventKind, OrderStatus, Placement, SkuQuantity,
    StockReservation,
};
use crate::pricing::CouponUsage;

#[test]
fn placing_a_ready_draft_makes_it_pending_and_says_what_to_reserve() -> TestResult {
    let w = World::plain();
    let mut order = w.ready()?;
    order.add_coupon(
        &code("LIMITED"),
        Some(&w.coupon("LIMITED")),
        CouponUsage::default(),
        &w.ctx(at(1)),
        at(1),
    )?;
    let usage = w.coupon_usage(&order);
    let (placement, events) = order.place(&w.snapshots(), &usage, &w.ctx(at(2)), at(2))?;
    assert_eq!(
        (order.status, order.version, order.stock_reserved),
        (OrderStatus::Pending, 4, true)
    );
    assert_eq!(order.pricing.total, sgd(2500));
    assert_eq!(
        placement,
        Placement {
            stock: vec![StockReservation {
                product_id: w.product("TSHIRT").product_id,
                sku: sku("TSHIRT"),
                quantity: 2
            }],
            coupons: vec![CouponRedemption {
                code: code("LIMITED"),
                usage_limit: Some(1),
                per_customer_limit: None,
                counters: CouponCounters {
                    total: true,
                    per_customer: false
                },
            }],
        }
    );
    assert_eq!(kinds(&events), vec!["order.placed"]);
    assert_eq!(
        events[0].kind,
        OrderEventKind::OrderPlaced {
            customer_id: customer_id("c-1"),
            vendor_id: vendor_id("v-1"),
            reserved: vec![SkuQuantity {
                sku: sku("TSHIRT"),
                quantity: 2
            }],
            coupons: vec![code("LIMITED")],
            total: sgd(2500),
        }
    );
    assert_stamped(&events, &order, at(2));
    Ok(())
}

#[test]
fn only_a_draft_can_be_placed() -> TestResult {
    let w = World::plain();
    for mut order in w.every_status()? {
        if order.status == OrderStatus::Draft {
            continue;
        }
        let status = order.status;
        let e = rejected(&mut order, ErrorCode::InvalidState, |o| {
            o.place(&w.snapshots(), &[], &w.ctx(at(9)), at(9))
        });
        assert!(
            e.message
                .starts_with("Only draft order can be place order."),
            "{}",
            e.message
        );
        assert!(e.message.contains(status.as_str()), "{}", e.message);
    }
    Ok(())
}

#[test]
fn an_order_without_lines_cannot_be_placed() -> TestResult {
    let w = World::plain();
    let mut order = w.ready()?;
    order.line_items.clear(); // unreachable through commands; guarded anyway
    let e = rejected(&mut order, ErrorCode::InvalidState, |o| {
        o.place(&w.snapshots(), &[], &w.ctx(at(2)), at(2))
    });
    assert_eq!(e.message, "Cannot place an order without line items.");
    Ok(())
}

#[test]
fn placing_needs_a_destination_then_a_shipping_option() -> TestResult {
    let w = World::plain();
    let (mut order, _) = w.checkout(&[("TSHIRT", 1)], None)?;
    rejected(&mut order, ErrorCode::DestinationRequired, |o| {
        o.place(&w.snapshots(), &[], &w.ctx(at(2)), at(2))
    });
    let mut order = w.draft()?;
    let e = rejected(&mut order, ErrorCode::ShippingNotSelected, |o| {
        o.place(&w.snapshots(), &[], &w.ctx(at(2)), at(2))
    });
    assert_eq!(e.message, "Order must have a selected shipping option.");
    Ok(())
}

#[test]
fn a_product_that_became_unavailable_blocks_placement() -> TestResult {
    let w = World::plain();
    let mut order = w.ready()?;
    let mut snapshots = w.snapshots();
    snapshots[0].is_active = false;
    let e = rejected(&mut order, ErrorCode::ProductUnavailable, |o| {
        o.place(&snapshots, &[], &w.ctx(at(2)), at(2))
    });
    assert_eq!(field(&e), vec!["lineItems", "TSHIRT"]);
    // A product missing from the snapshots is unavailable too.
    rejected(&mut order, ErrorCode::ProductUnavailable, |o| {
        o.place(&[w.product("CAP")], &[], &w.ctx(at(2)), at(2))
    });
    Ok(())
}

#[test]
fn a_product_now_priced_in_another_currency_blocks_placement() -> TestResult {
    let w = World::plain();
    let mut order = w.ready()?;
    let mut snapshots = w.snapshots();
    snapshots[0].price = Money::from_minor(1000, Currency::USD);
    rejected(&mut order, ErrorCode::CurrencyMismatch, |o| {
        o.place(&snapshots, &[], &w.ctx(at(2)), at(2))
    });
    Ok(())
}

#[test]
fn stock_that_dropped_below_the_quantity_blocks_placement_naming_the_sku() -> TestResult {
    let w = World::plain();
    let mut order = w.ready()?;
    let mut snapshots = w.snapshots();
    snapshots[0].stock = 1;
    let e = rejected(&mut order, ErrorCode::OutOfStock, |o| {
        o.place(&snapshots, &[], &w.ctx(at(2)), at(2))
    });
    assert_eq!(
        (e.message.as_str(), field(&e)),
        (
            "Product TSHIRT has only 1 remaining stock/s.",
            vec!["lineItems", "TSHIRT"]
        )
    );
    snapshots[0].stock = 2;
    order.place(&snapshots, &[], &w.ctx(at(2)), at(2))?;
    Ok(())
}

#[test]
fn a_draft_pays_the_current_catalog_price() -> TestResult {
    let w = World::plain();
    let mut order = w.ready()?;
    let mut snapshots = w.snapshots();
    snapshots[0].price = sgd(1200);
    let (_, events) = order.place(&snapshots, &[], &w.ctx(at(2)), at(2))?;
    assert_eq!(order.line_items[0].unit_price, sgd(1200));
    assert_eq!(order.pricing.total, sgd(2 * 1200 + 500));
    assert_eq!(
        kinds(&events),
        vec!["order.prices_refreshed", "order.placed"]
    );
    assert_stamped(&events, &order, at(2));
    Ok(())
}

#[test]
fn a_shipping_option_no_longer_eligible_blocks_placement_without_clearing_it() -> TestResult {
    let w = World::plain();
    let mut order = w.draft()?;
    order.select_shipping_option(ShippingMethod::Express, &w.ctx(at(1)), at(1))?;
    // Express must be ordered by 17:00 UTC; t0 is 10:00.
    let late = at(8 * 60);
    let e = rejected(&mut order, ErrorCode::ShippingOptionUnavailable, |o| {
        o.place(&w.snapshots(), &[], &w.ctx(late), late)
    });
    assert!(e.message.contains("Express"), "{}", e.message);
    assert_eq!(order.shipping_method, Some(ShippingMethod::Express));
    Ok(())
}

#[test]
fn an_attached_coupon_that_stopped_being_valid_blocks_placement() -> TestResult {
    let w = World::plain();
    let mut order = w.ready()?;
    order.add_coupon(
        &code("ENDINGSOON"),
        Some(&w.coupon("ENDINGSOON")),
        CouponUsage::default(),
        &w.ctx(at(2)),
        at(2),
    )?;
    // ENDINGSOON ends 30 minutes after t0.
    let usage = w.coupon_usage(&order);
    let e = rejected(&mut order, ErrorCode::CouponExpired, |o| {
        o.place(&w.snapshots(), &usage, &w.ctx(at(31)), at(31))
    });
    assert_eq!(field(&e), vec!["coupons", "ENDINGSOON"]);
    order.place(&w.snapshots(), &usage, &w.ctx(at(30)), at(30))?;
    Ok(())
}

#[test]
fn coupon_usage_limits_and_minimums_are_rechecked_at_placement() -> TestResult {
    let w = World::plain();
    let mut order = w.ready()?;
    order.add_coupon(
        &code("LIMITED"),
        Some(&w.coupon("LIMITED")),
        CouponUsage::default(),
        &w.ctx(at(1)),
        at(1),
    )?;
    let exhausted = vec![(
        Some(w.coupon("LIMITED")),
        CouponUsage {
            total_used: 1,
            customer_used: 1,
        },
    )];
    rejected(&mut order, ErrorCode::CouponUsageLimitReached, |o| {
        o.place(&w.snapshots(), &exhausted, &w.ctx(at(2)), at(2))
    });
    let mut raised = w.coupon("LIMITED");
    raised.minimum_subtotal = Some(dec("100"));
    let raised = vec![(Some(raised), CouponUsage::default())];
    rejected(&mut order, ErrorCode::CouponMinimumNotMet, |o| {
        o.place(&w.snapshots(), &raised, &w.ctx(at(2)), at(2))
    });
    // No snapshot for an attached coupon: it is no longer offered.
    let e = rejected(&mut order, ErrorCode::CouponInvalid, |o| {
        o.place(&w.snapshots(), &[], &w.ctx(at(2)), at(2))
    });
    assert_eq!(field(&e), vec!["coupons", "LIMITED"]);
    Ok(())
}

#[test]
fn gifts_are_reserved_merged_with_a_bought_line_of_the_same_sku() -> TestResult {
    let w = World::with_offers();
    let (mut order, _) = w.checkout(&[("TSHIRT", 2), ("GIFT", 1)], Some(address("SG")))?;
    order.select_shipping_option(ShippingMethod::Standard, &w.ctx(at(1)), at(1))?;
    assert_eq!(order.pricing.gift_lines.len(), 1, "3 units earn one GIFT");
    let (placement, _) = order.place(&w.snapshots(), &[], &w.ctx(at(2)), at(2))?;
    let reserved: Vec<(&str, u32)> = placement
        .stock
        .iter()
        .map(|r| (r.sku.as_str(), r.quantity))
        .collect();
    assert_eq!(reserved, vec![("TSHIRT", 2), ("GIFT", 2)]);
    assert!(order
        .all_lines()
        .all(|l| l.product_id == w.product(l.sku.as_str()).product_id));
    Ok(())
}

#[test]
fn a_gift_without_stock_blocks_placement() -> TestResult {
    let w = World::with_offers();
    let (mut order, _) = w.checkout(&[("TSHIRT", 3)], Some(address("SG")))?;
    order.select_shipping_option(ShippingMethod::Standard, &w.ctx(at(1)), at(1))?;
    let mut snapshots = w.snapshots();
    if let Some(gift) = snapshots.iter_mut().find(|p| p.sku.as_str() == "GIFT") {
        gift.stock = 0;
    }
    let e = rejected(&mut order, ErrorCode::OutOfStock, |o| {
        o.place(&snapshots, &[], &w.ctx(at(2)), at(2))
    });
    assert_eq!(field(&e), vec!["lineItems", "GIFT"]);
    let mut retired_gift = w.snapshots();
    if let Some(gift) = retired_gift.iter_mut().find(|p| p.sku.as_str() == "GIFT") {
        gift.is_active = false;
    }
    rejected(&mut order, ErrorCode::ProductUnavailable, |o| {
        o.place(&retired_gift, &[], &w.ctx(at(2)), at(2))
    });
    let without_gift: Vec<_> = w
        .snapshots()
        .into_iter()
        .filter(|p| p.sku.as_str() != "GIFT")
        .collect();
    rejected(&mut order, ErrorCode::ProductUnavailable, |o| {
        o.place(&without_gift, &[], &w.ctx(at(2)), at(2))
    });
    Ok(())
}

#[test]
fn placement_reprices_with_the_engine() -> TestResult {
    let w = World::with_offers();
    let mut order = w.ready()?;
    order.add_coupon(
        &code("SAVE10"),
        Some(&w.coupon("SAVE10")),
        CouponUsage::default(),
        &w.ctx(at(1)),
        at(1),
    )?;
    let usage = w.coupon_usage(&order);
    order.place(&w.snapshots(), &usage, &w.ctx(at(2)), at(2))?;
    let expected = expected_pricing(&order, &w.ctx(at(2)))?;
    // Gift product ids are taken from the catalog at placement; the amounts are the engine's.
    assert_eq!(
        (
            order.pricing.subtotal,
            order.pricing.discount_total,
            order.pricing.shipping_cost,
            order.pricing.tax_total,
            order.pricing.total
        ),
        (
            expected.subtotal,
            expected.discount_total,
            expected.shipping_cost,
            expected.tax_total,
            expected.total
        )
    );
    assert_eq!(order.pricing.applied_offers, expected.applied_offers);
    assert!(totals_add_up(&order));
    Ok(())
}

/// A use is counted only on the counters of the limits the coupon has; the order records which,
/// so the release gives back exactly those.
#[test]
fn placement_counts_a_coupon_only_on_the_counters_of_its_limits_and_records_them() -> TestResult {
    let cases = [
        (None, None, false, false),
        (Some(5), None, true, false),
        (None, Some(1), false, true),
        (Some(5), Some(1), true, true),
    ];
    for (usage_limit, per_customer_limit, total, per_customer) in cases {
        let mut w = World::plain();
        for c in &mut w.coupons {
            if c.code.as_str() == "SAVE10" {
                c.usage_limit = usage_limit;
                c.per_customer_limit = per_customer_limit;
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
        assert_eq!(order.coupons[0].counted, None, "not placed yet");
        let usage = w.coupon_usage(&order);
        let (placement, _) = order.place(&w.snapshots(), &usage, &w.ctx(at(2)), at(2))?;
        let counters = CouponCounters {
            total,
            per_customer,
        };
        assert_eq!(placement.coupons[0].counters, counters);
        assert_eq!(order.coupons[0].counted, Some(counters));
        assert_eq!(counters.any(), total || per_customer);
    }
    Ok(())
}
