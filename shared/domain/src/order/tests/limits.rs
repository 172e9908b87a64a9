//! The limits that keep an order's commands within DynamoDB's (crate::limits): refused before
//! anything changes, with INVALID_INPUT, the input's field and a message naming the limit.

use std::collections::BTreeMap;

use super::fixtures::*;
use crate::catalog::{GiftProduct, Offer, OfferConditions, OfferKind, Product, ShippingMethod};
use crate::error::ErrorCode;
use crate::ids::{OfferId, ProductId};
use crate::limits::{
    stored_size, MAX_GIFT_LINES, MAX_LINE_ITEMS, MAX_NAME_CHARS, MAX_OFFERS_PER_VENDOR,
    MAX_OPTIONS_PER_PRODUCT, MAX_OPTION_NAME_CHARS, MAX_OPTION_VALUE_CHARS, MAX_ORDER_BYTES,
    MAX_PRODUCTS_PER_ORDER,
};
use crate::pricing::AppliedOffer;

/// A product of `sku_text` whose name, category and options are all at their limits, each
/// character taking `ch`.
fn heavy_product(sku_text: &str, ch: char) -> Product {
    let text = |n: usize| std::iter::repeat_n(ch, n).collect::<String>();
    let mut p = product_of("v-1", sku_text, sgd(100), 1000);
    p.name = text(MAX_NAME_CHARS);
    p.category = Some(text(crate::limits::MAX_CATEGORY_CHARS));
    p.options = (0..MAX_OPTIONS_PER_PRODUCT)
        .map(|i| {
            let mut name = format!("{i:02}");
            name.push_str(&text(MAX_OPTION_NAME_CHARS - 2));
            (name, text(MAX_OPTION_VALUE_CHARS))
        })
        .collect::<BTreeMap<_, _>>();
    p
}

fn gift_offer(id: &str, skus: &[String]) -> Offer {
    Offer {
        offer_id: OfferId::new(id).unwrap_or_else(|_| unreachable!()),
        vendor_id: vendor_id("v-1"),
        name: format!("Gifts {id}"),
        kind: OfferKind::FreeGift,
        discount_value: dec("0"),
        conditions: OfferConditions {
            gift_products: skus
                .iter()
                .map(|s| GiftProduct {
                    sku: sku(s),
                    quantity: 1,
                    name: None,
                })
                .collect(),
            ..OfferConditions::default()
        },
        required_coupon: false,
        stackable: true,
        priority: 10,
        starts_at: None,
        ends_at: None,
        is_active: true,
    }
}

/// Every text and list of an order at its limit, in Latin text (one byte per character), plus
/// as many gift lines and applied offers as an order can have: the stored order stays under
/// MAX_ORDER_BYTES, so the per-field limits alone keep such orders storable.
#[test]
fn an_order_with_every_latin_field_at_its_limit_fits() -> TestResult {
    let w = World::plain();
    let mut order = w.draft()?;
    let line = order.line_items[0].clone();
    let heavy = heavy_product("HEAVY", 'x');
    order.line_items = (0..MAX_LINE_ITEMS)
        .map(|i| {
            let mut l = line.clone();
            l.sku = sku(&format!("SKU-{i:03}-{}", "x".repeat(110)));
            l.product_id = ProductId::new(&format!("P-{i:03}-{}", "x".repeat(110)))
                .unwrap_or_else(|_| unreachable!());
            l.product_name = heavy.name.clone();
            l.product_category = heavy.category.clone();
            l.options = heavy.options.clone();
            l
        })
        .collect();
    order.pricing.gift_lines = order.line_items[..MAX_GIFT_LINES].to_vec();
    order.pricing.applied_offers = (0..MAX_OFFERS_PER_VENDOR)
        .map(|i| AppliedOffer {
            offer_id: OfferId::new(&format!("O-{i:03}-{}", "x".repeat(110)))
                .unwrap_or_else(|_| unreachable!()),
            name: "x".repeat(MAX_NAME_CHARS),
            kind: "percentage_discount".into(),
            discount: sgd(123_456),
        })
        .collect();
    order.cancellation_reason = Some("x".repeat(crate::limits::MAX_REASON_CHARS));
    order.tracking_reference = Some(format!(
        "https://t.example.com/{}",
        "x".repeat(crate::limits::MAX_TRACKING_REFERENCE_CHARS - 23)
    ));
    let size = stored_size(&order);
    assert!(size < MAX_ORDER_BYTES, "{size} bytes");
    let mut wide = order.clone();
    for l in wide
        .line_items
        .iter_mut()
        .chain(wide.pricing.gift_lines.iter_mut())
    {
        l.product_name = "𝄞".repeat(MAX_NAME_CHARS);
        l.product_category = Some("𝄞".repeat(crate::limits::MAX_CATEGORY_CHARS));
        l.options = heavy_product("W", '𝄞').options;
    }
    // The same in four-byte characters would not fit: what the order-size check is for.
    assert!(
        stored_size(&wide) > MAX_ORDER_BYTES * 2,
        "{}",
        stored_size(&wide)
    );
    Ok(())
}

/// The same order in four-byte characters would not fit: checkout refuses it at `items`,
/// naming the limit, and addLineItems refuses the line that would take an order past it,
/// leaving the order as it was.
#[test]
fn an_order_past_the_size_limit_is_refused_naming_it() -> TestResult {
    let mut w = World::plain();
    for i in 0..MAX_LINE_ITEMS {
        w.products.push(heavy_product(&format!("H{i:02}"), '𝄞'));
    }
    let all: Vec<(String, u32)> = (0..MAX_LINE_ITEMS)
        .map(|i| (format!("H{i:02}"), 1))
        .collect();
    let items: Vec<(&str, u32)> = all.iter().map(|(s, q)| (s.as_str(), *q)).collect();
    let e = w
        .checkout(&items, Some(address("SG")))
        .err()
        .ok_or("checkout past the size limit")?;
    assert_eq!(e.code, ErrorCode::InvalidInput);
    assert_eq!(e.field, Some(vec!["items".to_string()]));
    assert!(
        e.message
            .contains(&format!("at most {} KB", MAX_ORDER_BYTES / 1024)),
        "{}",
        e.message
    );

    // As many as fit, then one line more.
    let mut order = w.checkout(&items[..1], Some(address("SG")))?.0;
    let mut added = 1;
    loop {
        let before = order.clone();
        match order.add_line_items(&w.items(&items[added..=added]), &w.ctx(at(1)), at(1)) {
            Ok(_) => added += 1,
            Err(e) => {
                assert_eq!(e.code, ErrorCode::InvalidInput);
                assert_eq!(e.field, Some(vec!["items".to_string()]));
                assert!(e.message.contains("KB"), "{}", e.message);
                assert_eq!(order, before, "refused edits change nothing");
                break;
            }
        }
        assert!(added < MAX_LINE_ITEMS, "the limit was never reached");
    }
    assert!(stored_size(&order) <= MAX_ORDER_BYTES);
    Ok(())
}

/// Stackable free-gift offers add at most MAX_GIFT_LINES gift lines: an offer whose gifts would
/// take the order past it does not apply (whole); a later offer whose gifts are already there,
/// or fit, still does.
#[test]
fn free_gift_offers_add_at_most_twenty_gift_lines() -> TestResult {
    let mut w = World::plain();
    let skus = |from: usize, n: usize| -> Vec<String> {
        (from..from + n).map(|i| format!("G{i:02}")).collect()
    };
    for s in skus(0, 30) {
        w.products.push(product_of("v-1", &s, sgd(100), 100));
    }
    w.offers = vec![
        gift_offer("o-a", &skus(0, 10)),
        gift_offer("o-b", &skus(10, 8)),
        gift_offer("o-c", &skus(18, 5)),
        gift_offer("o-d", &skus(0, 2)),
        gift_offer("o-e", &skus(18, 2)),
    ];
    let order = w.draft()?;
    let gifts: Vec<&str> = order
        .pricing
        .gift_lines
        .iter()
        .map(|l| l.sku.as_str())
        .collect();
    assert_eq!(gifts.len(), MAX_GIFT_LINES, "{gifts:?}");
    let applied: Vec<&str> = order
        .pricing
        .applied_offers
        .iter()
        .map(|o| o.offer_id.as_str())
        .collect();
    assert_eq!(
        applied,
        ["o-a", "o-b", "o-d", "o-e"],
        "o-c's 5 gifts do not fit after 18"
    );
    // Placement then holds at most MAX_PRODUCTS_PER_ORDER products.
    let mut ready = order.clone();
    ready.select_shipping_option(ShippingMethod::Standard, &w.ctx(at(1)), at(1))?;
    let placement = w.place(&mut ready, 2)?;
    assert_eq!(placement.stock.len(), 1 + MAX_GIFT_LINES);
    Ok(())
}

/// An order holding more products than its transactions allow (only reachable with data stored
/// before the limits) is refused at placement, naming the limit, and left as it was.
#[test]
fn placement_refuses_an_order_past_the_products_limit() -> TestResult {
    let mut w = World::plain();
    let mut order = w.ready()?;
    let line = order.line_items[0].clone();
    for i in 0..MAX_PRODUCTS_PER_ORDER {
        let s = format!("X{i:03}");
        w.products.push(product_of("v-1", &s, sgd(100), 100));
        let mut l = line.clone();
        l.sku = sku(&s);
        l.unit_price = sgd(100);
        l.package.weight_kg = dec("0.1");
        order.line_items.push(l);
    }
    let before = order.clone();
    let e = w
        .place(&mut order, 2)
        .err()
        .ok_or("an order of 71 products was placed")?;
    assert_eq!(e.code, ErrorCode::InvalidInput, "{e:?}");
    assert_eq!(e.field, Some(vec!["lineItems".to_string()]));
    assert!(
        e.message
            .contains(&format!("at most {MAX_PRODUCTS_PER_ORDER} products")),
        "{}",
        e.message
    );
    assert_eq!(order, before);
    Ok(())
}
