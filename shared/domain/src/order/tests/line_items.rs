use super::fixtures::*;
use crate::catalog::ShippingMethod;
use crate::error::ErrorCode;
use crate::order::lifecycle::Edit;
use crate::order::{
    OrderEventKind, OrderStatus, PriceChange, SkuQuantity, MAX_LINE_ITEMS, MAX_QUANTITY,
};
use crate::pricing::CouponUsage;

#[test]
fn every_draft_edit_is_refused_outside_draft_and_changes_nothing() -> TestResult {
    let w = World::plain();
    let ctx = w.ctx(at(10));
    let now = at(10);
    for mut order in w.every_status()? {
        if order.status == OrderStatus::Draft {
            continue;
        }
        let status = order.status;
        let refused = |edit: Edit, e: crate::error::DomainError| {
            assert_eq!(e.message, edit.refusal(), "{status:?}")
        };
        let snapshots = w.snapshots();
        let cap = w.product("CAP");
        let tshirt = w.product("TSHIRT");
        let save = w.coupon("SAVE10");
        refused(
            Edit::AddLineItems,
            rejected(&mut order, ErrorCode::InvalidState, |o| {
                o.add_line_items(&[(cap, 1)], &ctx, now)
            }),
        );
        refused(
            Edit::RemoveLineItems,
            rejected(&mut order, ErrorCode::InvalidState, |o| {
                o.remove_line_items(&[sku("TSHIRT")], &ctx, now)
            }),
        );
        refused(
            Edit::ChangeQuantity,
            rejected(&mut order, ErrorCode::InvalidState, |o| {
                o.change_quantity(&sku("TSHIRT"), 1, &tshirt, &ctx, now)
            }),
        );
        refused(
            Edit::ChangeDestination,
            rejected(&mut order, ErrorCode::InvalidState, |o| {
                o.change_destination(address("MY"), &ctx, now)
            }),
        );
        refused(
            Edit::ApplyCoupon,
            rejected(&mut order, ErrorCode::InvalidState, |o| {
                o.add_coupon(
                    &code("SAVE10"),
                    Some(&save),
                    CouponUsage::default(),
                    &ctx,
                    now,
                )
            }),
        );
        refused(
            Edit::RemoveCoupon,
            rejected(&mut order, ErrorCode::InvalidState, |o| {
                o.remove_coupon(&code("SAVE10"), &ctx, now)
            }),
        );
        refused(
            Edit::SelectShippingOption,
            rejected(&mut order, ErrorCode::InvalidState, |o| {
                o.select_shipping_option(ShippingMethod::Express, &ctx, now)
            }),
        );
        refused(
            Edit::RefreshPrices,
            rejected(&mut order, ErrorCode::InvalidState, |o| {
                o.refresh_prices(&snapshots, &ctx, now)
            }),
        );
    }
    Ok(())
}

#[test]
fn adding_line_items_appends_them_and_reprices() -> TestResult {
    let w = World::plain();
    let mut order = w.draft()?;
    let events = order.add_line_items(&w.items(&[("CAP", 2), ("MUG", 1)]), &w.ctx(at(1)), at(1))?;
    let skus: Vec<&str> = order.line_items.iter().map(|l| l.sku.as_str()).collect();
    assert_eq!(skus, vec!["TSHIRT", "CAP", "MUG"]);
    assert_eq!((order.version, order.updated_at), (2, at(1)));
    assert_eq!(order.pricing.subtotal, sgd(2000 + 2400 + 750));
    assert_eq!(order.pricing, expected_pricing(&order, &w.ctx(at(1)))?);
    assert_eq!(
        events[0].kind,
        OrderEventKind::LineItemsAdded {
            lines: vec![
                SkuQuantity {
                    sku: sku("CAP"),
                    quantity: 2
                },
                SkuQuantity {
                    sku: sku("MUG"),
                    quantity: 1
                }
            ]
        }
    );
    assert_stamped(&events, &order, at(1));
    Ok(())
}

#[test]
fn a_sku_already_on_the_order_cannot_be_added_again() -> TestResult {
    let w = World::plain();
    let mut order = w.draft()?;
    let items = w.items(&[("TSHIRT", 1)]);
    let e = rejected(&mut order, ErrorCode::DuplicateLineItem, |o| {
        o.add_line_items(&items, &w.ctx(at(1)), at(1))
    });
    assert_eq!(
        e.message,
        "Order ORD-1 Line item with SKU TSHIRT already exists."
    );
    assert_eq!(field(&e), vec!["items", "0", "sku"]);
    let items = w.items(&[("CAP", 1), ("CAP", 1)]);
    rejected(&mut order, ErrorCode::DuplicateLineItem, |o| {
        o.add_line_items(&items, &w.ctx(at(1)), at(1))
    });
    Ok(())
}

#[test]
fn another_vendors_product_cannot_be_added() -> TestResult {
    let w = World::plain();
    let mut order = w.draft()?;
    let items = w.items(&[("CAP", 1), ("OTHER-VENDOR", 1)]);
    let e = rejected(&mut order, ErrorCode::ProductUnavailable, |o| {
        o.add_line_items(&items, &w.ctx(at(1)), at(1))
    });
    assert_eq!(e.message, "Vendor mismatch between order and line item.");
    assert_eq!(field(&e), vec!["items", "1", "sku"]);
    Ok(())
}

#[test]
fn an_inactive_product_cannot_be_added() -> TestResult {
    let w = World::plain();
    let mut order = w.draft()?;
    let items = w.items(&[("RETIRED", 1)]);
    rejected(&mut order, ErrorCode::ProductUnavailable, |o| {
        o.add_line_items(&items, &w.ctx(at(1)), at(1))
    });
    Ok(())
}

#[test]
fn a_product_in_another_currency_cannot_be_added() -> TestResult {
    let w = World::plain();
    let mut order = w.draft()?;
    let items = w.items(&[("USD-ITEM", 1)]);
    let e = rejected(&mut order, ErrorCode::CurrencyMismatch, |o| {
        o.add_line_items(&items, &w.ctx(at(1)), at(1))
    });
    assert_eq!(e.message, "Currency mismatch between order and line item.");
    Ok(())
}

#[test]
fn adding_more_than_the_stock_is_out_of_stock() -> TestResult {
    let w = World::plain();
    let mut order = w.draft()?;
    let items = w.items(&[("POSTER", 2)]);
    let e = rejected(&mut order, ErrorCode::OutOfStock, |o| {
        o.add_line_items(&items, &w.ctx(at(1)), at(1))
    });
    assert_eq!(e.message, "Product POSTER has only 1 remaining stock/s.");
    Ok(())
}

#[test]
fn adding_needs_items_with_valid_quantities() -> TestResult {
    let w = World::plain();
    let mut order = w.draft()?;
    let e = rejected(&mut order, ErrorCode::InvalidInput, |o| {
        o.add_line_items(&[], &w.ctx(at(1)), at(1))
    });
    assert_eq!(field(&e), vec!["items"]);
    let zero = w.items(&[("CAP", 0)]);
    let e = rejected(&mut order, ErrorCode::InvalidInput, |o| {
        o.add_line_items(&zero, &w.ctx(at(1)), at(1))
    });
    assert_eq!(field(&e), vec!["items", "0", "quantity"]);
    let huge = w.items(&[("CAP", MAX_QUANTITY + 1)]);
    rejected(&mut order, ErrorCode::InvalidInput, |o| {
        o.add_line_items(&huge, &w.ctx(at(1)), at(1))
    });
    Ok(())
}

#[test]
fn adding_beyond_the_maximum_number_of_lines_is_refused() -> TestResult {
    let mut w = World::plain();
    let names: Vec<String> = (0..MAX_LINE_ITEMS).map(|i| format!("BULK-{i}")).collect();
    for n in &names {
        w.products.push(product_of("v-1", n, sgd(100), 10));
    }
    let mut order = w.draft()?; // one line already
    let all: Vec<(&str, u32)> = names.iter().map(|n| (n.as_str(), 1)).collect();
    let items = w.items(&all);
    let e = rejected(&mut order, ErrorCode::InvalidInput, |o| {
        o.add_line_items(&items, &w.ctx(at(1)), at(1))
    });
    assert_eq!(field(&e), vec!["items"]);
    order.add_line_items(&items[..MAX_LINE_ITEMS - 1], &w.ctx(at(1)), at(1))?;
    assert_eq!(order.line_items.len(), MAX_LINE_ITEMS);
    Ok(())
}

#[test]
fn a_failing_item_adds_none_of_the_items() -> TestResult {
    let w = World::plain();
    let mut order = w.draft()?;
    let items = w.items(&[("CAP", 1), ("MUG", 1), ("POSTER", 9)]);
    rejected(&mut order, ErrorCode::OutOfStock, |o| {
        o.add_line_items(&items, &w.ctx(at(1)), at(1))
    });
    assert_eq!(order.line_items.len(), 1);
    Ok(())
}

#[test]
fn removing_line_items_removes_them_and_reprices() -> TestResult {
    let w = World::plain();
    let (mut order, _) = w.checkout(&[("TSHIRT", 1), ("MUG", 1), ("CAP", 1)], None)?;
    let events = order.remove_line_items(
        &[sku("MUG"), sku("TSHIRT"), sku("MUG")],
        &w.ctx(at(1)),
        at(1),
    )?;
    let skus: Vec<&str> = order.line_items.iter().map(|l| l.sku.as_str()).collect();
    assert_eq!(skus, vec!["CAP"]);
    assert_eq!(order.pricing.subtotal, sgd(1200));
    assert_eq!(order.version, 2);
    assert_eq!(
        events[0].kind,
        OrderEventKind::LineItemsRemoved {
            skus: vec![sku("MUG"), sku("TSHIRT")]
        }
    );
    assert_stamped(&events, &order, at(1));
    Ok(())
}

#[test]
fn the_last_line_item_cannot_be_removed() -> TestResult {
    let w = World::plain();
    let (mut order, _) = w.checkout(&[("TSHIRT", 1), ("MUG", 1)], None)?;
    let e = rejected(&mut order, ErrorCode::LastLineItem, |o| {
        o.remove_line_items(&[sku("TSHIRT"), sku("MUG")], &w.ctx(at(1)), at(1))
    });
    assert_eq!(
        e.message,
        "Cannot remove the last item. Please cancel the order instead."
    );
    Ok(())
}

#[test]
fn removing_a_sku_not_on_the_order_is_not_found() -> TestResult {
    let w = World::plain();
    let (mut order, _) = w.checkout(&[("TSHIRT", 1), ("MUG", 1)], None)?;
    let e = rejected(&mut order, ErrorCode::NotFound, |o| {
        o.remove_line_items(&[sku("MUG"), sku("CAP")], &w.ctx(at(1)), at(1))
    });
    assert_eq!(field(&e), vec!["skus", "1"]);
    let e = rejected(&mut order, ErrorCode::InvalidInput, |o| {
        o.remove_line_items(&[], &w.ctx(at(1)), at(1))
    });
    assert_eq!(field(&e), vec!["skus"]);
    Ok(())
}

#[test]
fn changing_the_quantity_sets_it_and_reprices() -> TestResult {
    let w = World::plain();
    let mut order = w.draft()?;
    let events = order.change_quantity(
        &sku("TSHIRT"),
        5,
        &w.product("TSHIRT"),
        &w.ctx(at(1)),
        at(1),
    )?;
    assert_eq!(order.line_items[0].quantity, 5);
    assert_eq!(order.pricing.subtotal, sgd(5000));
    assert_eq!(
        events[0].kind,
        OrderEventKind::QuantityChanged {
            sku: sku("TSHIRT"),
            previous: 2,
            quantity: 5
        }
    );
    assert_stamped(&events, &order, at(1));
    Ok(())
}

#[test]
fn changing_the_quantity_checks_sku_quantity_product_and_stock() -> TestResult {
    let w = World::plain();
    let (mut order, _) = w.checkout(&[("TSHIRT", 1), ("MUG", 1)], None)?;
    let ctx = w.ctx(at(1));
    let mug = w.product("MUG");
    let e = rejected(&mut order, ErrorCode::NotFound, |o| {
        o.change_quantity(&sku("CAP"), 1, &w.product("CAP"), &ctx, at(1))
    });
    assert_eq!(
        (field(&e), e.message.as_str()),
        (vec!["sku"], "Product w Sku CAP not found in the order.")
    );
    let e = rejected(&mut order, ErrorCode::InvalidInput, |o| {
        o.change_quantity(&sku("MUG"), 0, &mug, &ctx, at(1))
    });
    assert_eq!(field(&e), vec!["quantity"]);
    rejected(&mut order, ErrorCode::InvalidInput, |o| {
        o.change_quantity(&sku("MUG"), MAX_QUANTITY + 1, &mug, &ctx, at(1))
    });
    let e = rejected(&mut order, ErrorCode::OutOfStock, |o| {
        o.change_quantity(&sku("MUG"), 6, &mug, &ctx, at(1))
    });
    assert_eq!(
        (field(&e), e.message.as_str()),
        (
            vec!["quantity"],
            "Product MUG has only 5 remaining stock/s."
        )
    );
    // The snapshot must be the line's product, of the order's vendor, still active.
    rejected(&mut order, ErrorCode::ProductUnavailable, |o| {
        o.change_quantity(&sku("MUG"), 1, &w.product("TSHIRT"), &ctx, at(1))
    });
    let mut retired = mug.clone();
    retired.is_active = false;
    rejected(&mut order, ErrorCode::ProductUnavailable, |o| {
        o.change_quantity(&sku("MUG"), 1, &retired, &ctx, at(1))
    });
    let mut foreign = mug.clone();
    foreign.vendor_id = vendor_id("v-2");
    rejected(&mut order, ErrorCode::ProductUnavailable, |o| {
        o.change_quantity(&sku("MUG"), 1, &foreign, &ctx, at(1))
    });
    order.change_quantity(&sku("MUG"), 5, &mug, &ctx, at(1))?;
    Ok(())
}

#[test]
fn refreshing_prices_follows_the_catalog_and_reprices() -> TestResult {
    let mut w = World::plain();
    let mut order = w.draft()?;
    w.products[0].price = sgd(1100);
    let events = order.refresh_prices(&w.snapshots(), &w.ctx(at(1)), at(1))?;
    assert_eq!(order.line_items[0].unit_price, sgd(1100));
    assert_eq!(order.pricing.subtotal, sgd(2200));
    assert_eq!(
        events[0].kind,
        OrderEventKind::PricesRefreshed {
            changes: vec![PriceChange {
                sku: sku("TSHIRT"),
                previous: sgd(1000),
                current: sgd(1100)
            }]
        }
    );
    assert_stamped(&events, &order, at(1));
    Ok(())
}

#[test]
fn refreshing_unchanged_prices_is_not_a_change() -> TestResult {
    let w = World::plain();
    let mut order = w.draft()?;
    let before = order.clone();
    let events = order.refresh_prices(&w.snapshots(), &w.ctx(at(1)), at(1))?;
    assert!(events.is_empty());
    assert_eq!(order, before);
    Ok(())
}

#[test]
fn refreshing_prices_needs_every_product_available_in_the_order_currency() -> TestResult {
    let w = World::plain();
    let mut order = w.draft()?;
    let ctx = w.ctx(at(1));
    let e = rejected(&mut order, ErrorCode::ProductUnavailable, |o| {
        o.refresh_prices(&[w.product("CAP")], &ctx, at(1))
    });
    assert_eq!(field(&e), vec!["lineItems", "TSHIRT"]);
    let mut snapshots = w.snapshots();
    snapshots[0].is_active = false;
    rejected(&mut order, ErrorCode::ProductUnavailable, |o| {
        o.refresh_prices(&snapshots, &ctx, at(1))
    });
    let mut snapshots = w.snapshots();
    snapshots[0].price = crate::money::Money::from_minor(1000, crate::money::Currency::USD);
    let e = rejected(&mut order, ErrorCode::CurrencyMismatch, |o| {
        o.refresh_prices(&snapshots, &ctx, at(1))
    });
    assert_eq!(field(&e), vec!["lineItems", "TSHIRT"]);
    Ok(())
}
