use super::fixtures::*;
use crate::error::ErrorCode;
use crate::money::Currency;
use crate::order::{Order, OrderEventKind, OrderStatus, SkuQuantity, MAX_LINE_ITEMS, MAX_QUANTITY};

#[test]
fn checkout_creates_a_priced_draft_at_version_1_with_lines_in_input_order() -> TestResult {
    let w = World::plain();
    let (order, events) = w.checkout(&[("MUG", 2), ("TSHIRT", 3)], Some(address("SG")))?;
    assert_eq!(
        (order.status, order.version, order.currency),
        (OrderStatus::Draft, 1, Currency::SGD)
    );
    let skus: Vec<&str> = order.line_items.iter().map(|l| l.sku.as_str()).collect();
    assert_eq!(skus, vec!["MUG", "TSHIRT"]);
    let mug = &order.line_items[0];
    assert_eq!(
        (mug.quantity, mug.unit_price, mug.product_name.as_str()),
        (2, sgd(750), "MUG product")
    );
    assert_eq!((order.created_at, order.updated_at), (t0(), t0()));
    assert_eq!(order.vendor.vendor_id.as_str(), "v-1");
    assert_eq!(order.customer, customer());
    assert!(!order.stock_reserved && order.payment.is_none() && order.coupons.is_empty());
    // No offers, no tax, no shipping yet: the total is the goods.
    assert_eq!(order.pricing.subtotal, sgd(4500));
    assert_eq!(order.pricing.total, sgd(4500));
    assert_eq!(order.pricing, expected_pricing(&order, &w.ctx(t0()))?);
    assert_eq!(kinds(&events), vec!["order.checked_out"]);
    assert_stamped(&events, &order, t0());
    assert_eq!(
        events[0].kind,
        OrderEventKind::CheckedOut {
            customer_id: customer_id("c-1"),
            vendor_id: vendor_id("v-1"),
            currency: Currency::SGD,
            lines: vec![
                SkuQuantity {
                    sku: sku("MUG"),
                    quantity: 2
                },
                SkuQuantity {
                    sku: sku("TSHIRT"),
                    quantity: 3
                }
            ],
            total: sgd(4500),
        }
    );
    Ok(())
}

#[test]
fn checkout_is_priced_by_the_pricing_engine() -> TestResult {
    let w = World::with_offers();
    let (order, _) = w.checkout(&[("TSHIRT", 3)], Some(address("SG")))?;
    assert_eq!(order.pricing, expected_pricing(&order, &w.ctx(t0()))?);
    assert!(totals_add_up(&order));
    Ok(())
}

#[test]
fn checkout_without_a_destination_is_allowed() -> TestResult {
    let (order, _) = World::plain().checkout(&[("TSHIRT", 1)], None)?;
    assert_eq!(order.destination, None);
    Ok(())
}

#[test]
fn the_order_currency_is_the_products_currency() -> TestResult {
    let (order, _) = World::plain().checkout(&[("USD-ITEM", 1)], None)?;
    assert_eq!(order.currency, Currency::USD);
    assert_eq!(order.pricing.total.currency(), Currency::USD);
    Ok(())
}

#[test]
fn an_inactive_vendor_cannot_be_checked_out_from() {
    let mut w = World::plain();
    w.vendor.is_active = false;
    let e = error_of(w.checkout(&[("TSHIRT", 1)], None));
    assert_eq!(
        (e.code, field(&e)),
        (ErrorCode::VendorUnavailable, vec!["vendorId"])
    );
}

#[test]
fn checkout_needs_at_least_one_item() {
    let e = error_of(World::plain().checkout(&[], None));
    assert_eq!(
        (e.code, field(&e)),
        (ErrorCode::InvalidInput, vec!["items"])
    );
}

#[test]
fn checkout_refuses_more_than_the_maximum_number_of_lines() -> TestResult {
    let mut w = World::plain();
    let names: Vec<String> = (0..=MAX_LINE_ITEMS).map(|i| format!("BULK-{i}")).collect();
    for n in &names {
        w.products.push(product_of("v-1", n, sgd(100), 10));
    }
    let wanted: Vec<(&str, u32)> = names.iter().map(|n| (n.as_str(), 1)).collect();
    let e = error_of(w.checkout(&wanted, None));
    assert_eq!(
        (e.code, field(&e)),
        (ErrorCode::InvalidInput, vec!["items"])
    );
    // Exactly the maximum is fine.
    let (order, _) = w.checkout(&wanted[..MAX_LINE_ITEMS], None)?;
    assert_eq!(order.line_items.len(), MAX_LINE_ITEMS);
    Ok(())
}

#[test]
fn a_zero_or_excessive_quantity_is_invalid_with_its_field_path() {
    let w = World::plain();
    let e = error_of(w.checkout(&[("TSHIRT", 1), ("MUG", 0)], None));
    assert_eq!(
        (e.code, field(&e)),
        (ErrorCode::InvalidInput, vec!["items", "1", "quantity"])
    );
    assert_eq!(e.message, "Order quantity must be greater than zero.");
    let mut w = World::plain();
    w.products[0].stock = i64::from(MAX_QUANTITY) + 10;
    let e = error_of(w.checkout(&[("TSHIRT", MAX_QUANTITY + 1)], None));
    assert_eq!(
        (e.code, field(&e)),
        (ErrorCode::InvalidInput, vec!["items", "0", "quantity"])
    );
}

#[test]
fn the_maximum_quantity_is_accepted() -> TestResult {
    let mut w = World::plain();
    w.products[0].stock = i64::from(MAX_QUANTITY);
    let (order, _) = w.checkout(&[("TSHIRT", MAX_QUANTITY)], None)?;
    assert_eq!(order.line_items[0].quantity, MAX_QUANTITY);
    Ok(())
}

#[test]
fn an_inactive_product_is_unavailable() {
    let e = error_of(World::plain().checkout(&[("TSHIRT", 1), ("RETIRED", 1)], None));
    assert_eq!(
        (e.code, field(&e)),
        (ErrorCode::ProductUnavailable, vec!["items", "1", "sku"])
    );
    assert_eq!(e.message, "Product RETIRED is not available.");
}

#[test]
fn another_vendors_product_is_unavailable() {
    let e = error_of(World::plain().checkout(&[("OTHER-VENDOR", 1)], None));
    assert_eq!(
        (e.code, field(&e)),
        (ErrorCode::ProductUnavailable, vec!["items", "0", "sku"])
    );
    assert_eq!(e.message, "Vendor mismatch between order and line item.");
}

#[test]
fn more_than_the_stock_is_out_of_stock_with_the_original_message() {
    let e = error_of(World::plain().checkout(&[("TSHIRT", 1), ("MUG", 6)], None));
    assert_eq!(
        (e.code, field(&e)),
        (ErrorCode::OutOfStock, vec!["items", "1", "quantity"])
    );
    assert_eq!(e.message, "Product MUG has only 5 remaining stock/s.");
}

#[test]
fn exactly_the_stock_is_enough() -> TestResult {
    let (order, _) = World::plain().checkout(&[("MUG", 5)], None)?;
    assert_eq!(order.line_items[0].quantity, 5);
    Ok(())
}

#[test]
fn a_sku_listed_twice_is_a_duplicate_line_item() {
    let e = error_of(World::plain().checkout(&[("TSHIRT", 1), ("MUG", 1), ("TSHIRT", 2)], None));
    assert_eq!(
        (e.code, field(&e)),
        (ErrorCode::DuplicateLineItem, vec!["items", "2", "sku"])
    );
}

#[test]
fn products_in_different_currencies_cannot_share_an_order() {
    let e = error_of(World::plain().checkout(&[("TSHIRT", 1), ("USD-ITEM", 1)], None));
    assert_eq!(
        (e.code, field(&e)),
        (ErrorCode::CurrencyMismatch, vec!["items", "1", "sku"])
    );
    assert_eq!(e.message, "Currency mismatch between order and line item.");
}

#[test]
fn checkout_keeps_the_given_identity_and_tenant() -> TestResult {
    let w = World::plain();
    let (order, events) = Order::checkout(
        order_id("ORD-X"),
        tenant(),
        customer(),
        &w.vendor,
        &w.items(&[("CAP", 1)]),
        None,
        &w.ctx(at(7)),
        at(7),
    )?;
    assert_eq!((order.id.as_str(), order.tenant.as_str()), ("ORD-X", "t-1"));
    assert_stamped(&events, &order, at(7));
    Ok(())
}
