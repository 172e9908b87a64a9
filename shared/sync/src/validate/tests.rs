//! Rule-by-rule tests of the one validation path. Each failing case asserts the field path.

use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

use oms_domain::auth::Role;
use oms_domain::catalog::{AddressType, BundleRule, OfferKind, ShippingMethod};
use oms_domain::ids::TenantId;
use oms_domain::money::Currency;
use oms_domain::order::PaymentMethod;

use super::*;
use crate::error::SyncErrorCode;
use crate::event::PaymentEventStatus;
use crate::golden::{TENANT, VECTORS};
use crate::schema::{example_data, fields, Presence};

fn tenant() -> TenantId {
    TenantId::new("t1").unwrap_or_else(|_| unreachable!())
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap_or_else(|_| unreachable!())
}

/// The kind's example data with `changes` applied (`null` removes a key).
fn data(kind: Kind, changes: Value) -> Map<String, Value> {
    let mut d = example_data(kind);
    if let Some(ch) = changes.as_object() {
        for (k, v) in ch {
            if v.is_null() {
                d.remove(k);
            } else {
                d.insert(k.clone(), v.clone());
            }
        }
    }
    d
}

fn event_type(kind: Kind) -> EventType {
    kind.event_types()
        .first()
        .copied()
        .unwrap_or(EventType::PaymentSucceeded)
}

fn run(kind: Kind, changes: Value) -> Result<SyncEvent, SyncError> {
    validate_event(event_type(kind), &data(kind, changes), &tenant())
}

fn snapshot(kind: Kind, changes: Value) -> Option<Snapshot> {
    match run(kind, changes) {
        Ok(SyncEvent::Snapshot(s)) => Some(s),
        _ => None,
    }
}

/// The field path of the (INVALID_PAYLOAD) error, or "ok".
fn fails_at(kind: Kind, changes: Value) -> String {
    match run(kind, changes) {
        Ok(_) => "ok".into(),
        Err(e) if e.code == SyncErrorCode::InvalidPayload => {
            e.field.unwrap_or_else(|| "<none>".into())
        }
        Err(e) => format!("<{}>", e.code),
    }
}

macro_rules! get {
    ($snap:expr, $variant:ident) => {
        match $snap {
            Some(Snapshot::$variant(x)) => x,
            other => panic!("expected {}, got {other:?}", stringify!($variant)),
        }
    };
}

// ---------- schema agreement ----------

#[test]
fn every_kinds_example_validates() {
    for kind in Kind::ALL {
        assert!(
            run(kind, json!({})).is_ok(),
            "{kind}: {:?}",
            run(kind, json!({}))
        );
    }
}

#[test]
fn required_fields_are_required_and_optional_ones_are_not() {
    for kind in Kind::ALL {
        for spec in fields(kind) {
            let without = json!({ spec.name: null });
            match spec.presence {
                Presence::Required => assert_eq!(
                    fails_at(kind, without),
                    format!("data.{}", spec.name),
                    "{kind}"
                ),
                Presence::Optional => {
                    assert_eq!(fails_at(kind, without), "ok", "{kind} {}", spec.name)
                }
                Presence::Conditional => {}
            }
        }
    }
}

#[test]
fn null_counts_as_absent_and_wrong_json_types_name_the_field() {
    assert_eq!(
        fails_at(Kind::VendorProducts, json!({"product_category": null})),
        "ok"
    );
    assert_eq!(
        fails_at(Kind::VendorProducts, json!({"product_name": 5})),
        "data.product_name"
    );
    assert_eq!(
        fails_at(Kind::VendorProducts, json!({"vendor_id": true})),
        "data.vendor_id"
    );
    assert_eq!(
        fails_at(Kind::VendorProducts, json!({"options": "Size=L"})),
        "data.options"
    );
    assert_eq!(
        fails_at(Kind::VendorOffers, json!({"conditions": []})),
        "data.conditions"
    );
}

#[test]
fn error_messages_start_with_the_field_name() {
    let e = run(Kind::VendorProducts, json!({"stock": -1})).err();
    assert_eq!(
        e.as_ref().and_then(|e| e.field.clone()).as_deref(),
        Some("data.stock")
    );
    assert!(e
        .map(|e| e.message)
        .unwrap_or_default()
        .starts_with("stock "));
    let e = run(
        Kind::VendorShippingOptions,
        json!({"conditions": {"max_weight": "heavy"}}),
    )
    .err();
    assert!(e
        .map(|e| e.message)
        .unwrap_or_default()
        .starts_with("conditions.max_weight "));
}

#[test]
fn unknown_top_level_fields_are_ignored() {
    assert_eq!(
        fails_at(
            Kind::VendorProducts,
            json!({"is_free_gift": false, "extra": {"x": 1}})
        ),
        "ok"
    );
}

// ---------- tenant ----------

#[test]
fn data_tenant_id_must_match_when_present() {
    assert_eq!(
        fails_at(Kind::VendorDetails, json!({"tenant_id": "t1"})),
        "ok"
    );
    for kind in Kind::ALL {
        let r = run(kind, json!({"tenant_id": "t2"}));
        assert_eq!(
            r.err().map(|e| (e.code, e.field)),
            Some((SyncErrorCode::TenantMismatch, Some("data.tenant_id".into()))),
            "{kind}"
        );
    }
    assert_eq!(
        fails_at(Kind::VendorDetails, json!({"tenant_id": 1})),
        "data.tenant_id"
    );
}

// ---------- golden vectors ----------

fn golden_data(i: usize) -> Map<String, Value> {
    let body: Value = serde_json::from_str(VECTORS[i].2).unwrap_or_default();
    body.get("data")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

fn golden(i: usize, kind: Kind) -> Option<Snapshot> {
    let t = TenantId::new(TENANT).ok()?;
    validate_snapshot(kind, &golden_data(i), &t).ok()
}

#[test]
fn golden_product_validates_with_exact_money_and_package() {
    let p = get!(golden(0, Kind::VendorProducts), Product);
    assert_eq!(
        (p.product_id.as_str(), p.vendor_id.as_str(), p.sku.as_str()),
        ("p-234", "v-234", "T-SHIRT-L")
    );
    assert_eq!((p.price.minor(), p.price.currency()), (150, Currency::SGD));
    assert_eq!(p.stock, 10);
    assert_eq!(p.package.weight_kg, dec("2.1"));
    assert_eq!(p.package.dimensions_cm, [10, 10, 10]);
    assert_eq!(p.options.get("Size").map(String::as_str), Some("M"));
    assert_eq!(p.category.as_deref(), Some("Men's T-Shirts"));
    assert!(p.is_active && p.is_taxable);
}

#[test]
fn golden_coupon_validates_without_usage_fields() {
    let c = get!(golden(1, Kind::VendorCoupons), Coupon);
    assert_eq!(
        (c.code.as_str(), c.offer_id.as_str()),
        ("WELCOME25", "o-123")
    );
    assert_eq!(
        c.starts_at.map(|d| d.to_rfc3339()),
        Some("2025-08-13T14:30:29+00:00".into())
    );
    assert_eq!(
        (c.usage_limit, c.per_customer_limit, c.minimum_subtotal),
        (None, None, None)
    );
    assert!(c.is_active);
}

#[test]
fn golden_vendor_country_name_becomes_the_code() {
    let v = get!(golden(2, Kind::VendorDetails), Vendor);
    assert_eq!((v.name.as_str(), v.country.code()), ("Vendor1", "SG"));
}

#[test]
fn golden_offer_validates_with_no_coupon() {
    let o = get!(golden(3, Kind::VendorOffers), Offer);
    assert_eq!(o.kind, OfferKind::PercentageDiscount);
    assert_eq!(o.discount_value, dec("10"));
    assert_eq!(
        o.conditions
            .eligible_products
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>(),
        ["SKU1"]
    );
    assert_eq!(
        (o.required_coupon, o.stackable, o.priority, o.is_active),
        (false, true, 1, true)
    );
}

#[test]
fn golden_shipping_option_is_the_canonical_standard_option() {
    let s = get!(golden(4, Kind::VendorShippingOptions), ShippingOption);
    assert_eq!(s.method, ShippingMethod::Standard);
    assert_eq!(s.delivery_time, "2-3 Days");
    assert_eq!(s.conditions.max_weight, Some(dec("30")));
    assert_eq!(
        (s.base_cost.minor(), s.flat_rate.minor(), s.currency()),
        (500, 0, Currency::SGD)
    );
}

// ---------- products ----------

#[test]
fn product_price_is_exact_from_string_or_number() {
    for price in [json!("1.5"), json!(1.5), json!("1.50"), json!("1.500")] {
        let p = get!(
            snapshot(Kind::VendorProducts, json!({"product_price": price})),
            Product
        );
        assert_eq!(p.price.minor(), 150);
    }
    let p = get!(
        snapshot(
            Kind::VendorProducts,
            json!({"product_price": 1250, "product_currency": "jpy"})
        ),
        Product
    );
    assert_eq!((p.price.minor(), p.price.currency()), (1250, Currency::JPY));
}

#[test]
fn product_price_rejections_name_the_price() {
    for bad in [
        json!("abc"),
        json!("-1"),
        json!(-1),
        json!("1.005"),
        json!(true),
        json!({"amount": 1}),
    ] {
        assert_eq!(
            fails_at(Kind::VendorProducts, json!({"product_price": bad})),
            "data.product_price",
            "{bad}"
        );
    }
    assert_eq!(
        fails_at(
            Kind::VendorProducts,
            json!({"product_price": "12.5", "product_currency": "JPY"})
        ),
        "data.product_price"
    );
    assert_eq!(
        fails_at(Kind::VendorProducts, json!({"product_currency": "XYZ"})),
        "data.product_currency"
    );
}

#[test]
fn stock_is_a_whole_number_at_least_zero() {
    assert_eq!(
        get!(snapshot(Kind::VendorProducts, json!({"stock": 0})), Product).stock,
        0
    );
    for bad in [json!(-1), json!(1.5), json!("10"), json!(false)] {
        assert_eq!(
            fails_at(Kind::VendorProducts, json!({"stock": bad})),
            "data.stock",
            "{bad}"
        );
    }
}

#[test]
fn package_weight_and_dimensions_must_be_positive() {
    for bad in [json!(0), json!("-0.5"), json!("heavy")] {
        assert_eq!(
            fails_at(Kind::VendorProducts, json!({"package_weight": bad})),
            "data.package_weight"
        );
    }
    for dim in ["package_length", "package_width", "package_height"] {
        assert_eq!(
            fails_at(Kind::VendorProducts, json!({ dim: 0 })),
            format!("data.{dim}")
        );
        assert_eq!(
            fails_at(Kind::VendorProducts, json!({ dim: 2.5 })),
            format!("data.{dim}")
        );
    }
    let p = get!(
        snapshot(Kind::VendorProducts, json!({"package_weight": 0.25})),
        Product
    );
    assert_eq!(p.package.weight_kg, dec("0.25"));
}

#[test]
fn product_ids_follow_the_domain_rules() {
    assert_eq!(
        fails_at(Kind::VendorProducts, json!({"product_sku": "A#B"})),
        "data.product_sku"
    );
    assert_eq!(
        fails_at(Kind::VendorProducts, json!({"product_id": "  "})),
        "data.product_id"
    );
    assert_eq!(
        fails_at(Kind::VendorProducts, json!({"product_name": " "})),
        "data.product_name"
    );
    let p = get!(
        snapshot(Kind::VendorProducts, json!({"product_id": 1234})),
        Product
    );
    assert_eq!(p.product_id.as_str(), "1234");
    assert_eq!(
        fails_at(
            Kind::VendorProducts,
            json!({"product_name": "x".repeat(1001)})
        ),
        "data.product_name"
    );
}

#[test]
fn product_options_are_a_flat_map_of_text() {
    let p = get!(
        snapshot(
            Kind::VendorProducts,
            json!({"options": {"Size": 42, "Organic": true}})
        ),
        Product
    );
    assert_eq!(p.options.get("Size").map(String::as_str), Some("42"));
    assert_eq!(p.options.get("Organic").map(String::as_str), Some("true"));
    assert_eq!(
        fails_at(
            Kind::VendorProducts,
            json!({"options": {"Size": {"eu": 42}}})
        ),
        "data.options.Size"
    );
    assert_eq!(
        fails_at(Kind::VendorProducts, json!({"options": {" ": "x"}})),
        "data.options. "
    );
}

#[test]
fn product_flags_default_to_true_and_must_be_booleans() {
    let p = get!(
        snapshot(
            Kind::VendorProducts,
            json!({"is_active": null, "is_taxable": null})
        ),
        Product
    );
    assert!(p.is_active && p.is_taxable);
    let p = get!(
        snapshot(
            Kind::VendorProducts,
            json!({"is_active": false, "is_taxable": false})
        ),
        Product
    );
    assert!(!p.is_active && !p.is_taxable);
    assert_eq!(
        fails_at(Kind::VendorProducts, json!({"is_active": "yes"})),
        "data.is_active"
    );
}

// ---------- vendors ----------

#[test]
fn vendor_country_accepts_codes_and_english_names() {
    for (raw, code) in [
        ("SG", "SG"),
        ("sg", "SG"),
        ("Singapore", "SG"),
        ("united states", "US"),
        ("USA", "US"),
    ] {
        let v = get!(
            snapshot(Kind::VendorDetails, json!({ "country": raw })),
            Vendor
        );
        assert_eq!(v.country.code(), code);
    }
    assert_eq!(
        fails_at(Kind::VendorDetails, json!({"country": "Narnia"})),
        "data.country"
    );
    assert!(
        get!(
            snapshot(Kind::VendorDetails, json!({"is_active": null})),
            Vendor
        )
        .is_active
    );
}

// ---------- coupons ----------

#[test]
fn coupon_codes_are_upper_cased_and_inactive_by_default() {
    let c = get!(
        snapshot(
            Kind::VendorCoupons,
            json!({"coupon_code": "welcome10", "is_active": null})
        ),
        Coupon
    );
    assert_eq!(c.code.as_str(), "WELCOME10");
    assert!(!c.is_active);
}

#[test]
fn coupon_limits_and_minimum_are_checked() {
    let c = get!(
        snapshot(
            Kind::VendorCoupons,
            json!({"usage_limit": 5, "per_customer_limit": 1, "minimum_subtotal": 20})
        ),
        Coupon
    );
    assert_eq!(
        (c.usage_limit, c.per_customer_limit, c.minimum_subtotal),
        (Some(5), Some(1), Some(dec("20")))
    );
    assert_eq!(
        fails_at(Kind::VendorCoupons, json!({"usage_limit": -1})),
        "data.usage_limit"
    );
    assert_eq!(
        fails_at(Kind::VendorCoupons, json!({"per_customer_limit": 1.5})),
        "data.per_customer_limit"
    );
    assert_eq!(
        fails_at(
            Kind::VendorCoupons,
            json!({"usage_limit": 5_000_000_000u64})
        ),
        "data.usage_limit"
    );
    assert_eq!(
        fails_at(Kind::VendorCoupons, json!({"minimum_subtotal": "-1"})),
        "data.minimum_subtotal"
    );
}

#[test]
fn dates_are_rfc_3339_and_ordered() {
    let c = get!(
        snapshot(
            Kind::VendorCoupons,
            json!({"start_date": "2026-01-01T08:00:00+08:00"})
        ),
        Coupon
    );
    assert_eq!(
        c.starts_at.map(|d| d.to_rfc3339()),
        Some("2026-01-01T00:00:00+00:00".into())
    );
    assert_eq!(
        fails_at(
            Kind::VendorCoupons,
            json!({"start_date": "2026-13-01T00:00:00Z"})
        ),
        "data.start_date"
    );
    assert_eq!(
        fails_at(Kind::VendorCoupons, json!({"end_date": "2026-12-31"})),
        "data.end_date"
    );
    let swapped = json!({"start_date": "2026-12-31T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"});
    assert_eq!(
        fails_at(Kind::VendorCoupons, swapped.clone()),
        "data.end_date"
    );
    assert_eq!(fails_at(Kind::VendorOffers, swapped), "data.end_date");
}

// ---------- offers ----------

#[test]
fn offer_types_are_case_insensitive_with_the_originals_values() {
    let cases = [
        ("percentage_discount", OfferKind::PercentageDiscount),
        ("PERCENTAGE_DISCOUNT", OfferKind::PercentageDiscount),
        ("Percentage Discount", OfferKind::PercentageDiscount),
        ("fixed_discount", OfferKind::FixedDiscount),
        ("Coupon_Discount", OfferKind::CouponDiscount),
        ("free_shipping", OfferKind::FreeShipping),
    ];
    for (raw, kind) in cases {
        assert_eq!(
            get!(
                snapshot(Kind::VendorOffers, json!({ "offer_type": raw })),
                Offer
            )
            .kind,
            kind,
            "{raw}"
        );
    }
    assert_eq!(
        fails_at(Kind::VendorOffers, json!({"offer_type": "bogo"})),
        "data.offer_type"
    );
}

#[test]
fn percentage_offers_need_a_value_in_0_to_100() {
    let pct = |v: Value| json!({"offer_type": "percentage_discount", "discount_value": v});
    assert_eq!(
        get!(snapshot(Kind::VendorOffers, pct(json!("12.5"))), Offer).discount_value,
        dec("12.5")
    );
    assert_eq!(
        get!(snapshot(Kind::VendorOffers, pct(json!(12.5))), Offer).discount_value,
        dec("12.5")
    );
    assert_eq!(
        get!(snapshot(Kind::VendorOffers, pct(json!(100))), Offer).discount_value,
        dec("100")
    );
    for bad in [
        json!(0),
        json!(100.01),
        json!("-5"),
        json!(null),
        json!("ten"),
    ] {
        assert_eq!(
            fails_at(Kind::VendorOffers, pct(bad.clone())),
            "data.discount_value",
            "{bad}"
        );
    }
}

#[test]
fn fixed_discounts_need_a_positive_value() {
    let o = get!(
        snapshot(
            Kind::VendorOffers,
            json!({"offer_type": "fixed_discount", "discount_value": "250"})
        ),
        Offer
    );
    assert_eq!(o.discount_value, dec("250"));
    assert_eq!(
        fails_at(
            Kind::VendorOffers,
            json!({"offer_type": "fixed_discount", "discount_value": 0})
        ),
        "data.discount_value"
    );
}

#[test]
fn coupon_discounts_always_require_a_coupon() {
    let o = get!(
        snapshot(
            Kind::VendorOffers,
            json!({"offer_type": "coupon_discount", "required_coupon": false})
        ),
        Offer
    );
    assert!(o.required_coupon);
    let o = get!(
        snapshot(
            Kind::VendorOffers,
            json!({"offer_type": "percentage_discount", "required_coupon": null})
        ),
        Offer
    );
    assert!(!o.required_coupon);
}

#[test]
fn offer_defaults_follow_the_original() {
    let o = get!(
        snapshot(
            Kind::VendorOffers,
            json!({"stackable": null, "priority": null, "is_active": null, "required_coupon": null, "offer_type": "free_shipping", "discount_value": null, "conditions": null})
        ),
        Offer
    );
    assert_eq!(
        (o.stackable, o.priority, o.is_active, o.required_coupon),
        (false, 0, false, false)
    );
    assert_eq!(o.discount_value, Decimal::ZERO);
    assert_eq!(o.conditions, Default::default());
    assert_eq!(
        fails_at(Kind::VendorOffers, json!({"priority": -1})),
        "data.priority"
    );
    assert_eq!(
        fails_at(Kind::VendorOffers, json!({"priority": 3_000_000_000u64})),
        "data.priority"
    );
}

#[test]
fn offer_conditions_are_parsed_and_checked() {
    let conditions = json!({
        "eligible_products": ["SKU1", " SKU2 "], "minimum_subtotal": "20", "minimum_quantity": 2,
        "minimum_order_total": 15
    });
    let o = get!(
        snapshot(Kind::VendorOffers, json!({ "conditions": conditions })),
        Offer
    );
    assert_eq!(
        o.conditions
            .eligible_products
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>(),
        ["SKU1", "SKU2"]
    );
    assert_eq!(o.conditions.minimum_subtotal, Some(dec("20")));
    assert_eq!(o.conditions.minimum_quantity, Some(2));
    assert_eq!(o.conditions.minimum_order_total, Some(dec("15")));
    let at = |c: Value| fails_at(Kind::VendorOffers, json!({ "conditions": c }));
    assert_eq!(
        at(json!({"eligible_products": ["SKU1", ""]})),
        "data.conditions.eligible_products.1"
    );
    assert_eq!(
        at(json!({"eligible_products": "SKU1"})),
        "data.conditions.eligible_products"
    );
    assert_eq!(
        at(json!({"minimum_subtotal": "-1"})),
        "data.conditions.minimum_subtotal"
    );
    assert_eq!(
        at(json!({"minimum_quantity": 1.5})),
        "data.conditions.minimum_quantity"
    );
    assert_eq!(
        at(json!({"minimum_order_total": "lots"})),
        "data.conditions.minimum_order_total"
    );
    assert_eq!(
        at(json!({"minimum_subtottal": "20"})),
        "data.conditions.minimum_subtottal"
    );
}

#[test]
fn free_gift_offers_need_gifts_with_positive_quantities() {
    let gift = |g: Value| json!({"offer_type": "free_gift", "discount_value": null, "conditions": {"gift_products": g, "minimum_quantity": 2}});
    let o = get!(
        snapshot(
            Kind::VendorOffers,
            gift(
                json!([{"sku": "MUG", "quantity": 1, "name": "Mug"}, {"sku": "PEN", "quantity": 2}])
            )
        ),
        Offer
    );
    assert_eq!(o.conditions.gift_products.len(), 2);
    assert_eq!(
        o.conditions
            .gift_products
            .first()
            .and_then(|g| g.name.clone())
            .as_deref(),
        Some("Mug")
    );
    assert_eq!(
        o.conditions.gift_products.get(1).map(|g| g.quantity),
        Some(2)
    );
    assert_eq!(
        fails_at(Kind::VendorOffers, gift(json!([]))),
        "data.conditions.gift_products"
    );
    assert_eq!(
        fails_at(
            Kind::VendorOffers,
            gift(json!([{"sku": "MUG", "quantity": 0}]))
        ),
        "data.conditions.gift_products.0.quantity"
    );
    assert_eq!(
        fails_at(
            Kind::VendorOffers,
            gift(json!([{"sku": "MUG", "quantity": 1}, {"quantity": 1}]))
        ),
        "data.conditions.gift_products.1.sku"
    );
    assert_eq!(
        fails_at(
            Kind::VendorOffers,
            gift(json!([{"sku": "MUG", "quantity": 1, "qty": 1}]))
        ),
        "data.conditions.gift_products.0.qty"
    );
    assert_eq!(
        fails_at(Kind::VendorOffers, gift(json!(["MUG"]))),
        "data.conditions.gift_products.0"
    );
}

#[test]
fn bundle_offers_need_exactly_one_bundle_shape() {
    let bundle = |b: Value| json!({"offer_type": "bundle", "discount_value": null, "conditions": {"bundle": b}});
    let o = get!(
        snapshot(Kind::VendorOffers, bundle(json!({"buy": 2, "get": 1}))),
        Offer
    );
    assert_eq!(
        o.conditions.bundle,
        Some(BundleRule::BuyGet { buy: 2, get: 1 })
    );
    let o = get!(
        snapshot(
            Kind::VendorOffers,
            bundle(json!({"quantity": 3, "price": "10.00"}))
        ),
        Offer
    );
    assert_eq!(
        o.conditions.bundle,
        Some(BundleRule::BundlePrice {
            quantity: 3,
            price: dec("10.00")
        })
    );
    assert_eq!(
        fails_at(Kind::VendorOffers, bundle(json!({"buy": 2, "price": 1}))),
        "data.conditions.bundle"
    );
    assert_eq!(
        fails_at(Kind::VendorOffers, bundle(json!({}))),
        "data.conditions.bundle"
    );
    assert_eq!(
        fails_at(Kind::VendorOffers, bundle(json!({"buy": 0, "get": 1}))),
        "data.conditions.bundle.buy"
    );
    assert_eq!(
        fails_at(Kind::VendorOffers, bundle(json!({"buy": 2}))),
        "data.conditions.bundle.get"
    );
    assert_eq!(
        fails_at(Kind::VendorOffers, bundle(json!({"quantity": 3}))),
        "data.conditions.bundle.price"
    );
    let none = json!({"offer_type": "bundle", "conditions": {}});
    assert_eq!(fails_at(Kind::VendorOffers, none), "data.conditions.bundle");
}

// ---------- shipping options ----------

#[test]
fn shipping_methods_accept_enum_and_display_names_in_any_case() {
    let cases = [
        ("STANDARD", ShippingMethod::Standard),
        ("standard", ShippingMethod::Standard),
        ("Express", ShippingMethod::Express),
        ("Same Day Delivery", ShippingMethod::SameDay),
        ("SAME_DAY", ShippingMethod::SameDay),
        ("Flat Rate", ShippingMethod::FlatRate),
    ];
    for (raw, method) in cases {
        let c = json!({"name": raw, "conditions": {"max_weight": 30, "cutoff_time": "15:00"}});
        assert_eq!(
            get!(snapshot(Kind::VendorShippingOptions, c), ShippingOption).method,
            method,
            "{raw}"
        );
    }
    let pickup = json!({"near_by_cities": ["Singapore"], "pickup_time_from": "09:00", "pickup_time_to": "18:00"});
    for raw in ["Local Pickup", "LOCAL_PICKUP", "local-pickup"] {
        let s = get!(
            snapshot(
                Kind::VendorShippingOptions,
                json!({"name": raw, "conditions": pickup})
            ),
            ShippingOption
        );
        assert_eq!(s.method, ShippingMethod::LocalPickup);
    }
    let free = json!({"name": "free shipping", "conditions": {"min_order_amount": "50"}});
    let s = get!(snapshot(Kind::VendorShippingOptions, free), ShippingOption);
    assert_eq!(
        (s.method, s.conditions.min_order_amount),
        (ShippingMethod::FreeShipping, Some(dec("50")))
    );
    assert_eq!(
        fails_at(Kind::VendorShippingOptions, json!({"name": "Teleport"})),
        "data.name"
    );
}

#[test]
fn each_method_requires_its_conditions() {
    let at = |name: &str, c: Value| {
        fails_at(
            Kind::VendorShippingOptions,
            json!({"name": name, "conditions": c}),
        )
    };
    assert_eq!(at("Standard", json!({})), "data.conditions.max_weight");
    assert_eq!(
        at("Express", json!({"max_weight": 5})),
        "data.conditions.cutoff_time"
    );
    assert_eq!(
        at("Express", json!({"cutoff_time": "15:00"})),
        "data.conditions.max_weight"
    );
    assert_eq!(
        at(
            "Local Pickup",
            json!({"pickup_time_from": "09:00", "pickup_time_to": "18:00"})
        ),
        "data.conditions.near_by_cities"
    );
    assert_eq!(
        at(
            "Local Pickup",
            json!({"near_by_cities": ["SG"], "pickup_time_to": "18:00"})
        ),
        "data.conditions.pickup_time_from"
    );
    assert_eq!(
        at(
            "Local Pickup",
            json!({"near_by_cities": ["SG"], "pickup_time_from": "09:00"})
        ),
        "data.conditions.pickup_time_to"
    );
    assert_eq!(
        at("Free Shipping", json!({})),
        "data.conditions.min_order_amount"
    );
    assert_eq!(at("Same Day", json!({})), "ok");
    assert_eq!(at("Flat Rate", json!({})), "ok");
    assert_eq!(
        fails_at(
            Kind::VendorShippingOptions,
            json!({"name": "Standard", "conditions": null})
        ),
        "data.conditions.max_weight"
    );
}

#[test]
fn shipping_conditions_are_typed_and_closed() {
    let at = |c: Value| {
        fails_at(
            Kind::VendorShippingOptions,
            json!({"name": "Flat Rate", "conditions": c}),
        )
    };
    assert_eq!(at(json!({"max_weight": 0})), "data.conditions.max_weight");
    assert_eq!(
        at(json!({"cutoff_time": "25:00"})),
        "data.conditions.cutoff_time"
    );
    assert_eq!(
        at(json!({"cutoff_time": "3pm"})),
        "data.conditions.cutoff_time"
    );
    assert_eq!(
        at(json!({"pickup_time_from": "9:5"})),
        "data.conditions.pickup_time_from"
    );
    assert_eq!(
        at(json!({"near_by_cities": ["Singapore", 5]})),
        "data.conditions.near_by_cities.1"
    );
    assert_eq!(
        at(json!({"min_order_amount": "-1"})),
        "data.conditions.min_order_amount"
    );
    assert_eq!(at(json!({"utc_offset": "8"})), "data.conditions.utc_offset");
    assert_eq!(
        at(json!({"utc_offset": "+15:00"})),
        "data.conditions.utc_offset"
    );
    assert_eq!(at(json!({"max_weigth": 30})), "data.conditions.max_weigth");
    let s = get!(
        snapshot(
            Kind::VendorShippingOptions,
            json!({"name": "Express", "conditions": {"max_weight": "12.5", "cutoff_time": "15:30", "utc_offset": "+08:00"}})
        ),
        ShippingOption
    );
    assert_eq!(s.conditions.max_weight, Some(dec("12.5")));
    assert_eq!(
        s.conditions.cutoff_time.map(|t| t.minutes()),
        Some(15 * 60 + 30)
    );
    assert_eq!(s.conditions.utc_offset_minutes, Some(480));
}

#[test]
fn utc_offsets_parse_to_minutes() {
    assert_eq!(parse_utc_offset("+08:00"), Some(480));
    assert_eq!(parse_utc_offset("-05:30"), Some(-330));
    assert_eq!(parse_utc_offset("Z"), Some(0));
    assert_eq!(parse_utc_offset("+14:00"), Some(840));
    assert_eq!(parse_utc_offset("+14:01"), None);
    assert_eq!(parse_utc_offset("+08:60"), None);
    assert_eq!(parse_utc_offset("08:00"), None);
    assert_eq!(parse_utc_offset("+8:00"), None);
}

#[test]
fn shipping_costs_use_the_option_currency_default_sgd() {
    let s = get!(
        snapshot(
            Kind::VendorShippingOptions,
            json!({"base_cost": null, "flat_rate": null, "currency": null})
        ),
        ShippingOption
    );
    assert_eq!(
        (s.base_cost.minor(), s.flat_rate.minor(), s.currency()),
        (0, 0, Currency::SGD)
    );
    let s = get!(
        snapshot(
            Kind::VendorShippingOptions,
            json!({"base_cost": 5, "flat_rate": "1.5", "currency": "usd"})
        ),
        ShippingOption
    );
    assert_eq!(
        (
            s.base_cost.minor(),
            s.flat_rate.minor(),
            s.flat_rate.currency()
        ),
        (500, 150, Currency::USD)
    );
    assert_eq!(
        fails_at(
            Kind::VendorShippingOptions,
            json!({"currency": "JPY", "flat_rate": "0.5"})
        ),
        "data.flat_rate"
    );
    assert_eq!(
        fails_at(Kind::VendorShippingOptions, json!({"base_cost": "-5"})),
        "data.base_cost"
    );
    assert_eq!(
        fails_at(Kind::VendorShippingOptions, json!({"currency": "ABC"})),
        "data.currency"
    );
    assert!(
        !get!(
            snapshot(Kind::VendorShippingOptions, json!({"is_active": null})),
            ShippingOption
        )
        .is_active
    );
    assert_eq!(
        fails_at(Kind::VendorShippingOptions, json!({"delivery_time": ""})),
        "data.delivery_time"
    );
}

// ---------- customers and addresses ----------

#[test]
fn customer_details_are_optional_but_checked() {
    let c = get!(
        snapshot(
            Kind::CustomerDetails,
            json!({"first_name": null, "last_name": "", "email": null, "is_active": null})
        ),
        Customer
    );
    assert_eq!(
        (c.first_name, c.last_name, c.email, c.is_active),
        (None, None, None, true)
    );
    for bad in ["not-an-email", "a@b", "a b@c.co", "@c.co", "a@@c.co"] {
        assert_eq!(
            fails_at(Kind::CustomerDetails, json!({ "email": bad })),
            "data.email",
            "{bad}"
        );
    }
}

#[test]
fn postal_codes_stay_strings_and_numbers_become_strings() {
    let a = get!(
        snapshot(Kind::CustomerAddresses, json!({"postal": "018956"})),
        CustomerAddress
    );
    assert_eq!(a.address.postal, "018956");
    let a = get!(
        snapshot(Kind::CustomerAddresses, json!({"postal": 18956})),
        CustomerAddress
    );
    assert_eq!(a.address.postal, "18956");
    assert_eq!(
        fails_at(Kind::CustomerAddresses, json!({"postal": 1.5})),
        "data.postal"
    );
    assert_eq!(
        fails_at(Kind::CustomerAddresses, json!({"postal": -1})),
        "data.postal"
    );
    assert_eq!(
        fails_at(Kind::CustomerAddresses, json!({"postal": " "})),
        "data.postal"
    );
}

#[test]
fn addresses_are_shipping_or_billing_with_country_codes() {
    let a = get!(
        snapshot(
            Kind::CustomerAddresses,
            json!({"address_type": "SHIPPING", "country": "Malaysia", "state": " "})
        ),
        CustomerAddress
    );
    assert_eq!(
        (a.address.country.code(), a.address.state.clone()),
        ("MY", None)
    );
    assert!(a.is_default && a.is_active);
    assert_eq!(a.address_type, AddressType::Shipping);
    let a = get!(
        snapshot(
            Kind::CustomerAddresses,
            json!({"address_type": null, "is_default": null})
        ),
        CustomerAddress
    );
    assert!(!a.is_default);
    assert_eq!(
        a.address_type,
        AddressType::Shipping,
        "absent means shipping"
    );
    let a = get!(
        snapshot(
            Kind::CustomerAddresses,
            json!({"address_type": " Billing "})
        ),
        CustomerAddress
    );
    assert_eq!(a.address_type, AddressType::Billing, "stored with its type");
    assert_eq!(a.address.city, "Singapore");
    assert_eq!(
        fails_at(Kind::CustomerAddresses, json!({"address_type": "home"})),
        "data.address_type"
    );
    assert_eq!(
        fails_at(Kind::CustomerAddresses, json!({"address_type": 1})),
        "data.address_type"
    );
    assert_eq!(
        fails_at(Kind::CustomerAddresses, json!({"country": "Atlantis"})),
        "data.country"
    );
    assert_eq!(
        fails_at(Kind::CustomerAddresses, json!({"street": "  "})),
        "data.street"
    );
    assert_eq!(
        fails_at(Kind::CustomerAddresses, json!({"city": "x".repeat(201)})),
        "data.city"
    );
    assert_eq!(
        fails_at(Kind::CustomerAddresses, json!({"address_id": "a#1"})),
        "data.address_id"
    );
}

// ---------- user authorizations and identity ----------

#[test]
fn user_authorizations_take_roles_and_vendor() {
    let u = get!(
        snapshot(
            Kind::UserAuthorizations,
            json!({"roles": ["Vendor", "customer", "vendor"], "scope": null})
        ),
        UserAuthorization
    );
    assert_eq!(u.roles, vec![Role::Customer, Role::Vendor]);
    assert_eq!(u.vendor_id.map(|v| v.to_string()).as_deref(), Some("v-1"));
    let u = get!(
        snapshot(
            Kind::UserAuthorizations,
            json!({"roles": "vendor, customer", "scope": null})
        ),
        UserAuthorization
    );
    assert_eq!(u.roles, vec![Role::Customer, Role::Vendor]);
    let u = get!(
        snapshot(
            Kind::UserAuthorizations,
            json!({"roles": "[\"customer\"]", "scope": null, "vendor_id": null})
        ),
        UserAuthorization
    );
    assert_eq!((u.roles, u.vendor_id), (vec![Role::Customer], None));
    assert_eq!(
        fails_at(
            Kind::UserAuthorizations,
            json!({"roles": ["vendor", "admin"]})
        ),
        "data.roles.1"
    );
    assert_eq!(
        fails_at(Kind::UserAuthorizations, json!({"roles": 5})),
        "data.roles"
    );
    assert!(
        !get!(
            snapshot(Kind::UserAuthorizations, json!({"is_active": false})),
            UserAuthorization
        )
        .is_active
    );
}

#[test]
fn the_originals_scope_map_implies_role_and_vendor() {
    let u = get!(
        snapshot(
            Kind::UserAuthorizations,
            json!({"roles": null, "vendor_id": null, "scope": {"vendor_id": "v-9"}, "permission_codename": "mark_as_shipped"})
        ),
        UserAuthorization
    );
    assert_eq!(
        (u.roles, u.vendor_id.map(|v| v.to_string())),
        (vec![Role::Vendor], Some("v-9".into()))
    );
    let u = get!(
        snapshot(
            Kind::UserAuthorizations,
            json!({"roles": null, "vendor_id": null, "scope": {"customer_id": "u-1"}})
        ),
        UserAuthorization
    );
    assert_eq!((u.roles, u.vendor_id), (vec![Role::Customer], None));
    assert_eq!(
        fails_at(
            Kind::UserAuthorizations,
            json!({"roles": null, "scope": null})
        ),
        "data.roles"
    );
    assert_eq!(
        fails_at(
            Kind::UserAuthorizations,
            json!({"roles": null, "scope": {}})
        ),
        "data.roles"
    );
    assert_eq!(
        fails_at(
            Kind::UserAuthorizations,
            json!({"vendor_id": "v-1", "scope": {"vendor_id": "v-2"}})
        ),
        "data.scope.vendor_id"
    );
}

#[test]
fn identity_events_keep_known_roles_only() {
    let e = run(
        Kind::Identity,
        json!({"roles": ["customer", "offline_access", "VENDOR"], "name": "Ada"}),
    );
    match e {
        Ok(SyncEvent::Identity(i)) => {
            assert_eq!(i.roles, vec![Role::Customer, Role::Vendor]);
            assert_eq!(
                (i.sub.as_str(), i.name.as_deref(), i.email.as_deref()),
                ("u-1", Some("Ada"), Some("ada@example.com"))
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    let e = run(Kind::Identity, json!({"roles": null}));
    assert!(matches!(e, Ok(SyncEvent::Identity(ref i)) if i.roles.is_empty()));
    assert_eq!(fails_at(Kind::Identity, json!({"sub": ""})), "data.sub");
}

// ---------- payments ----------

#[test]
fn payments_parse_method_amount_and_status() {
    let ok = |changes: Value, t: EventType| match validate_event(
        t,
        &data(Kind::Payments, changes),
        &tenant(),
    ) {
        Ok(SyncEvent::Payment(p)) => Some(p),
        _ => None,
    };
    let p = ok(
        json!({"method": "Cash On Delivery", "amount": 19.62}),
        EventType::PaymentSucceeded,
    );
    assert_eq!(
        p.as_ref().map(|p| (p.method, p.amount.minor(), p.status)),
        Some((
            PaymentMethod::CashOnDelivery,
            1962,
            PaymentEventStatus::Succeeded
        ))
    );
    let p = ok(json!({"method": "paypal"}), EventType::PaymentRefunded);
    assert_eq!(
        p.as_ref().map(|p| (p.method, p.status)),
        Some((PaymentMethod::Paypal, PaymentEventStatus::Refunded))
    );
    assert_eq!(p.map(|p| p.transaction_id), Some("txn_1".into()));
    assert_eq!(
        fails_at(Kind::Payments, json!({"method": "bitcoin"})),
        "data.method"
    );
    assert_eq!(
        fails_at(Kind::Payments, json!({"amount": 0})),
        "data.amount"
    );
    assert_eq!(
        fails_at(Kind::Payments, json!({"amount": "1.001"})),
        "data.amount"
    );
    assert_eq!(
        fails_at(Kind::Payments, json!({"currency": null})),
        "data.currency"
    );
    assert_eq!(
        fails_at(Kind::Payments, json!({"transaction_id": "tx#1"})),
        "data.transaction_id"
    );
    assert_eq!(
        fails_at(Kind::Payments, json!({"transaction_id": "t".repeat(129)})),
        "data.transaction_id"
    );
}

// ---------- keys ----------

#[test]
fn entity_keys_are_tenant_free_and_unique_per_kind() {
    let mut keys = Vec::new();
    for kind in Kind::ALL {
        let key = run(kind, json!({}))
            .map(|e| e.entity_key())
            .unwrap_or_default();
        keys.push(key);
    }
    assert_eq!(
        keys,
        [
            "PRODUCT#p-1001",
            "VENDOR#v-1",
            "COUPON#v-1#WELCOME10",
            "OFFER#v-1#o-1",
            "SHIPPING#v-1#STANDARD",
            "CUSTOMER#c-1",
            "ADDRESS#c-1#home",
            "USERAUTH#u-1",
            "IDENTITY#u-1",
            "PAYMENT#txn_1"
        ]
    );
    // The shipping key uses the canonical method, whatever spelling was sent.
    let key = run(Kind::VendorShippingOptions, json!({"name": "STANDARD"})).map(|e| e.entity_key());
    assert_eq!(key.ok().as_deref(), Some("SHIPPING#v-1#STANDARD"));
}

#[test]
fn identity_and_payments_are_not_snapshots() {
    let r = validate_snapshot(Kind::Payments, &data(Kind::Payments, json!({})), &tenant());
    assert_eq!(r.err().map(|e| e.code), Some(SyncErrorCode::NotFound));
}

/// The domain's limits (docs/data-model.md "Limits") refuse a snapshot at its field, naming the
/// limit: a product's options, name and category; an offer's gifts, eligible products and
/// name; a vendor's name; a customer's names; a shipping option's delivery time.
#[test]
fn snapshots_past_the_domain_limits_are_refused_naming_the_limit() {
    let message = |kind: Kind, changes: Value| match run(kind, changes) {
        Err(e) if e.code == SyncErrorCode::InvalidPayload => {
            (e.field.unwrap_or_default(), e.message)
        }
        other => (format!("{other:?}"), String::new()),
    };
    let options: Map<String, Value> = (0..11).map(|i| (format!("o{i}"), json!("v"))).collect();
    assert_eq!(
        message(Kind::VendorProducts, json!({ "options": options })),
        (
            "data.options".to_string(),
            "options: A product can have at most 10 options; this one has 11.".to_string()
        )
    );
    let ten: Map<String, Value> = (0..10).map(|i| (format!("o{i}"), json!("v"))).collect();
    assert_eq!(
        fails_at(Kind::VendorProducts, json!({ "options": ten })),
        "ok"
    );
    assert_eq!(
        fails_at(
            Kind::VendorProducts,
            json!({"options": {"Engraving": "x".repeat(101)}})
        ),
        "data.options.Engraving"
    );
    assert_eq!(
        fails_at(
            Kind::VendorProducts,
            json!({"options": {"n".repeat(51): "x"}})
        ),
        format!("data.options.{}", "n".repeat(51))
    );
    let (field, text) = message(
        Kind::VendorProducts,
        json!({"product_name": "é".repeat(201)}),
    );
    assert_eq!(field, "data.product_name");
    assert!(text.contains("at most 200 characters"), "{text}");
    assert_eq!(
        fails_at(
            Kind::VendorProducts,
            json!({"product_name": "é".repeat(200)})
        ),
        "ok"
    );
    assert_eq!(
        fails_at(
            Kind::VendorProducts,
            json!({"product_category": "c".repeat(101)})
        ),
        "data.product_category"
    );

    let gifts: Vec<Value> = (0..11)
        .map(|i| json!({"sku": format!("G{i}"), "quantity": 1}))
        .collect();
    assert_eq!(
        message(
            Kind::VendorOffers,
            json!({"offer_type": "free_gift", "conditions": {"gift_products": gifts}})
        ),
        (
            "data.conditions.gift_products".to_string(),
            "conditions.gift_products: A free-gift offer can give at most 10 gift products; this one lists 11."
                .to_string()
        )
    );
    let eligible: Vec<Value> = (0..101).map(|i| json!(format!("E{i}"))).collect();
    assert_eq!(
        fails_at(
            Kind::VendorOffers,
            json!({"conditions": {"eligible_products": eligible}})
        ),
        "data.conditions.eligible_products"
    );
    assert_eq!(
        fails_at(Kind::VendorOffers, json!({"name": "n".repeat(201)})),
        "data.name"
    );
    assert_eq!(
        fails_at(Kind::VendorDetails, json!({"name": "n".repeat(201)})),
        "data.name"
    );
    assert_eq!(
        fails_at(
            Kind::CustomerDetails,
            json!({"first_name": "n".repeat(101)})
        ),
        "data.first_name"
    );
    assert_eq!(
        fails_at(
            Kind::VendorShippingOptions,
            json!({"delivery_time": "d".repeat(101)})
        ),
        "data.delivery_time"
    );
}
