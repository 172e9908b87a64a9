use super::fixtures::*;
use crate::catalog::ShippingMethod;
use crate::error::ErrorCode;
use crate::order::{OrderEventKind, OrderStatus};

#[test]
fn changing_the_destination_replaces_it() -> TestResult {
    let w = World::plain();
    let (mut order, _) = w.checkout(&[("TSHIRT", 1)], None)?;
    let events = order.change_destination(address("SG"), &w.ctx(at(1)), at(1))?;
    assert_eq!(order.destination, Some(address("SG")));
    assert_eq!(
        events[0].kind,
        OrderEventKind::DestinationChanged {
            destination: address("SG")
        }
    );
    assert_stamped(&events, &order, at(1));
    Ok(())
}

#[test]
fn selecting_an_offered_option_sets_it_and_adds_its_cost() -> TestResult {
    let w = World::plain();
    let mut order = w.draft()?;
    let events = order.select_shipping_option(ShippingMethod::Standard, &w.ctx(at(1)), at(1))?;
    assert_eq!(order.shipping_method, Some(ShippingMethod::Standard));
    assert_eq!(
        order.pricing.shipping.as_ref().map(|q| q.method),
        Some(ShippingMethod::Standard)
    );
    assert_eq!(
        (order.pricing.shipping_cost, order.pricing.total),
        (sgd(500), sgd(2500))
    );
    assert_eq!(
        events[0].kind,
        OrderEventKind::ShippingOptionSelected {
            method: ShippingMethod::Standard,
            cost: sgd(500)
        }
    );
    assert_stamped(&events, &order, at(1));
    Ok(())
}

#[test]
fn selecting_shipping_needs_a_destination() -> TestResult {
    let w = World::plain();
    let (mut order, _) = w.checkout(&[("TSHIRT", 1)], None)?;
    let e = rejected(&mut order, ErrorCode::DestinationRequired, |o| {
        o.select_shipping_option(ShippingMethod::Standard, &w.ctx(at(1)), at(1))
    });
    assert_eq!(
        e.message,
        "Choose a destination before selecting a shipping option."
    );
    Ok(())
}

#[test]
fn an_option_the_order_is_not_eligible_for_cannot_be_selected() -> TestResult {
    let w = World::plain();
    let (mut order, _) = w.checkout(&[("TSHIRT", 1)], Some(address("MY")))?;
    // Standard is domestic only.
    let e = rejected(&mut order, ErrorCode::ShippingOptionUnavailable, |o| {
        o.select_shipping_option(ShippingMethod::Standard, &w.ctx(at(1)), at(1))
    });
    assert!(e.message.contains("Standard"), "{}", e.message);
    assert_eq!(field(&e), vec!["method"]);
    // The vendor does not offer Same Day at all.
    rejected(&mut order, ErrorCode::ShippingOptionUnavailable, |o| {
        o.select_shipping_option(ShippingMethod::SameDay, &w.ctx(at(1)), at(1))
    });
    order.select_shipping_option(ShippingMethod::Express, &w.ctx(at(1)), at(1))?;
    assert_eq!(order.pricing.shipping_cost, sgd(2000));
    Ok(())
}

#[test]
fn a_destination_change_that_makes_the_option_ineligible_clears_it_with_a_notice() -> TestResult {
    let w = World::plain();
    let mut order = w.ready()?;
    let events = order.change_destination(address("MY"), &w.ctx(at(2)), at(2))?;
    assert_eq!(order.shipping_method, None);
    assert_eq!(order.pricing.shipping, None);
    assert_eq!(
        (order.pricing.shipping_cost, order.pricing.total),
        (sgd(0), sgd(2000))
    );
    let notice = order.shipping_notice.clone().unwrap_or_default();
    assert!(!notice.is_empty());
    assert_eq!(
        kinds(&events),
        vec!["order.destination_changed", "order.shipping_option_cleared"]
    );
    assert_eq!(
        events[1].kind,
        OrderEventKind::ShippingOptionCleared {
            method: ShippingMethod::Standard,
            reason: notice
        }
    );
    assert_stamped(&events, &order, at(2));
    // Selecting again clears the notice.
    order.select_shipping_option(ShippingMethod::Express, &w.ctx(at(3)), at(3))?;
    assert_eq!(order.shipping_notice, None);
    Ok(())
}

#[test]
fn a_quantity_change_over_the_weight_limit_clears_the_option() -> TestResult {
    let w = World::plain();
    let mut order = w.ready()?;
    let events = order.change_quantity(
        &sku("TSHIRT"),
        31,
        &w.product("TSHIRT"),
        &w.ctx(at(2)),
        at(2),
    )?;
    assert_eq!(
        kinds(&events),
        vec!["order.quantity_changed", "order.shipping_option_cleared"]
    );
    assert_eq!(order.shipping_method, None);
    assert!(order.shipping_notice.is_some());
    Ok(())
}

#[test]
fn an_edit_that_keeps_the_option_eligible_keeps_it_and_its_repriced_cost() -> TestResult {
    let w = World::plain();
    let mut order = w.ready()?;
    let events = order.change_quantity(
        &sku("TSHIRT"),
        3,
        &w.product("TSHIRT"),
        &w.ctx(at(2)),
        at(2),
    )?;
    assert_eq!(kinds(&events), vec!["order.quantity_changed"]);
    assert_eq!(order.shipping_method, Some(ShippingMethod::Standard));
    assert_eq!(order.pricing.total, sgd(3500));
    Ok(())
}

#[test]
fn listing_shipping_options_shows_what_can_be_selected() -> TestResult {
    let w = World::plain();
    let order = w.draft()?;
    let methods: Vec<ShippingMethod> = order
        .list_shipping_options(&w.ctx(at(1)))?
        .iter()
        .map(|q| q.method)
        .collect();
    assert!(
        methods.contains(&ShippingMethod::Standard) && methods.contains(&ShippingMethod::Express),
        "{methods:?}"
    );
    let (no_destination, _) = w.checkout(&[("TSHIRT", 1)], None)?;
    assert_eq!(
        error_of(no_destination.list_shipping_options(&w.ctx(at(1)))).code,
        ErrorCode::DestinationRequired
    );
    // Listing changes nothing and works in any status.
    let placed = w.pending()?;
    assert_eq!(placed.status, OrderStatus::Pending);
    assert!(!placed.list_shipping_options(&w.ctx(at(3)))?.is_empty());
    Ok(())
}
