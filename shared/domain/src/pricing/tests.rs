//! Pipeline tests of [`super::price`] and [`super::list_shipping_options`].

use proptest::prelude::*;

use super::test_support::*;
use super::*;
use crate::catalog::{BundleRule, GiftProduct, OfferKind, ShippingMethod};
use crate::error::ErrorCode;

/// Everything `price` needs, owned, with sensible defaults (SG vendor and destination, the
/// original's tax rules, no offers, no shipping options).
struct World {
    vendor: Vendor,
    offers: Vec<Offer>,
    coupon_snapshots: Vec<Coupon>,
    shipping_options: Vec<ShippingOptionRule>,
    tax_table: TaxTable,
    prices_include_tax: bool,
    now: DateTime<Utc>,
    currency: Currency,
    lines: Vec<LineItem>,
    destination: Option<Address>,
    coupons: Vec<CouponCode>,
    selected: Option<ShippingMethod>,
}

impl World {
    fn new(lines: Vec<LineItem>) -> Self {
        World {
            vendor: vendor(),
            offers: vec![],
            coupon_snapshots: vec![],
            shipping_options: vec![],
            tax_table: TaxTable::default_rules(),
            prices_include_tax: false,
            now: now(),
            currency: Currency::SGD,
            lines,
            destination: Some(sg_address()),
            coupons: vec![],
            selected: None,
        }
    }

    fn input(&self) -> PricingInput<'_> {
        PricingInput {
            currency: self.currency,
            lines: &self.lines,
            destination: self.destination.as_ref(),
            coupons: &self.coupons,
            selected_shipping: self.selected,
        }
    }

    fn ctx(&self) -> PricingContext<'_> {
        PricingContext {
            vendor: &self.vendor,
            offers: &self.offers,
            coupons: &self.coupon_snapshots,
            shipping_options: &self.shipping_options,
            tax_table: &self.tax_table,
            prices_include_tax: self.prices_include_tax,
            now: self.now,
        }
    }

    fn try_price(&self) -> DomainResult<Priced> {
        price(&self.input(), &self.ctx())
    }

    fn price(&self) -> Priced {
        match self.try_price() {
            Ok(p) => p,
            Err(e) => panic!("price failed: {e}"),
        }
    }

    fn breakdown(&self) -> PriceBreakdown {
        self.price().breakdown
    }

    fn options(&self) -> DomainResult<Vec<ShippingQuote>> {
        list_shipping_options(&self.input(), &self.ctx())
    }
}

fn amounts(b: &PriceBreakdown) -> [i64; 5] {
    [
        b.subtotal.minor(),
        b.discount_total.minor(),
        b.shipping_cost.minor(),
        b.tax_total.minor(),
        b.total.minor(),
    ]
}

/// docs/pricing.md "Worked example".
fn worked_example() -> World {
    let mut w = World::new(vec![line("T-SHIRT-L", 1000, 2, "1.0")]);
    let mut ten = offer("o-10", OfferKind::PercentageDiscount, "10");
    ten.name = "10% Off".into();
    ten.conditions.eligible_products = vec![sku("T-SHIRT-L")];
    ten.stackable = true;
    ten.priority = 2;
    let mut ship = offer("o-ship", OfferKind::FreeShipping, "0");
    ship.name = "Free ship ≥ 15".into();
    ship.conditions.minimum_order_total = Some(dec("15"));
    ship.stackable = false;
    ship.priority = 1;
    w.offers = vec![ship, ten];
    w.shipping_options = vec![rule(ShippingMethod::Standard, 500, 150)];
    w.selected = Some(ShippingMethod::Standard);
    w
}

#[test]
fn original_worked_example_9_7_totals_19_62_sgd() {
    let w = worked_example();
    let p = w.price();
    let b = &p.breakdown;
    assert_eq!(p.shipping_cleared, None);
    assert_eq!(b.subtotal.to_string(), "20.00 SGD");
    assert_eq!(b.discount_total.to_string(), "2.00 SGD");
    assert_eq!(
        b.shipping.as_ref().map(|q| q.cost.to_string()),
        Some("8.00 SGD".to_string()),
        "quote 5 + 1.5 × 2"
    );
    assert_eq!(
        b.shipping.as_ref().map(|q| q.name.as_str()),
        Some("Standard")
    );
    assert_eq!(b.shipping_cost.to_string(), "0.00 SGD");
    let offers: Vec<(&str, &str, String)> = b
        .applied_offers
        .iter()
        .map(|o| (o.name.as_str(), o.kind.as_str(), o.discount.to_string()))
        .collect();
    assert_eq!(
        offers,
        vec![
            ("10% Off", "percentage_discount", "2.00 SGD".to_string()),
            ("Free ship ≥ 15", "free_shipping", "8.00 SGD".to_string()),
        ]
    );
    let taxes: Vec<(&str, String, String)> = b
        .tax_lines
        .iter()
        .map(|t| (t.name.as_str(), t.rate.to_string(), t.amount.to_string()))
        .collect();
    assert_eq!(
        taxes,
        vec![("GST", "9".to_string(), "1.62 SGD".to_string())]
    );
    assert_eq!(b.tax_total.to_string(), "1.62 SGD");
    assert_eq!(b.total.to_string(), "19.62 SGD");
    assert!(b.gift_lines.is_empty());
}

/// docs/pricing.md "Worked example: tax-inclusive prices".
fn inclusive_worked_example() -> World {
    let mut w = World::new(vec![line("T-SHIRT-L", 1090, 2, "1.0")]);
    let mut ten = offer("o-10", OfferKind::PercentageDiscount, "10");
    ten.name = "10% Off".into();
    w.offers = vec![ten];
    w.shipping_options = vec![rule(ShippingMethod::Standard, 500, 150)];
    w.selected = Some(ShippingMethod::Standard);
    w.prices_include_tax = true;
    w
}

#[test]
fn inclusive_worked_example_totals_27_62_sgd_incl_gst_2_28() {
    let w = inclusive_worked_example();
    let b = w.breakdown();
    assert_eq!(b.subtotal.to_string(), "21.80 SGD");
    assert_eq!(b.discount_total.to_string(), "2.18 SGD");
    assert_eq!(b.shipping_cost.to_string(), "8.00 SGD");
    let taxes: Vec<(&str, String, String, bool)> = b
        .tax_lines
        .iter()
        .map(|t| {
            (
                t.name.as_str(),
                t.rate.to_string(),
                t.amount.to_string(),
                t.included,
            )
        })
        .collect();
    // Once per line: the goods 21.80 − 2.18 = 19.62 × 9 / 109 = 1.62, the shipping
    // 8.00 × 9 / 109 = 0.6605… → 0.66; 2.28 in all.
    assert_eq!(
        taxes,
        vec![("GST", "9".to_string(), "2.28 SGD".to_string(), true)]
    );
    assert_eq!(b.tax_total.to_string(), "2.28 SGD");
    assert_eq!(b.total.to_string(), "27.62 SGD", "the tax is not added");
    assert!(b.prices_include_tax);
    // The same order with exclusive prices: 27.62 + 9 % = 27.62 + 2.49.
    let mut exclusive = w;
    exclusive.prices_include_tax = false;
    let e = exclusive.breakdown();
    assert!(!e.prices_include_tax);
    assert!(e.tax_lines.iter().all(|t| !t.included));
    assert_eq!(amounts(&e), [2180, 218, 800, 249, 3011]);
}

/// docs/pricing.md "Worked example: several lines and rules (tax-inclusive)".
#[test]
fn inclusive_tax_is_extracted_once_per_order_line_and_split_across_the_rules() {
    let usd = |minor| Money::from_minor(minor, Currency::USD);
    let mut w = World::new(vec![
        line_in(Currency::USD, "MUG", 535, 2, "0.5"),
        line_in(Currency::USD, "CARD", 310, 1, "0.1"),
    ]);
    w.currency = Currency::USD;
    w.destination = Some(address("US", Some("CA"), "Los Angeles"));
    w.tax_table = TaxTable {
        rules: vec![
            TaxRule {
                country: country("US"),
                region: None,
                name: "Sales Tax".into(),
                rate: dec("5"),
                shipping_taxable: true,
            },
            TaxRule {
                country: country("US"),
                region: Some("CA".into()),
                name: "CA State Tax".into(),
                rate: dec("7.5"),
                shipping_taxable: false,
            },
        ],
    };
    w.offers = vec![offer("o-1", OfferKind::FixedDiscount, "1")];
    let mut flat = rule(ShippingMethod::FlatRate, 0, 0);
    flat.base_cost = usd(420);
    flat.flat_rate = usd(0);
    w.shipping_options = vec![flat];
    w.selected = Some(ShippingMethod::FlatRate);
    w.prices_include_tax = true;
    let b = w.breakdown();
    // 10.70 + 3.10 = 13.80; 1.00 off spread 0.775… / 0.224… → 0.78 / 0.22: lines 9.92 and
    // 2.88. 9.92 × 12.5/112.5 = 1.1022… → 1.10, split 0.44 + 0.66; 2.88 × 12.5/112.5 = 0.32,
    // split 0.128 / 0.192 → 0.13 + 0.19; shipping 4.20 × 5/105 = 0.20 (Sales Tax only).
    assert_eq!(amounts(&b), [1380, 100, 420, 162, 1700]);
    let taxes: Vec<(&str, i64)> = b
        .tax_lines
        .iter()
        .map(|t| (t.name.as_str(), t.amount.minor()))
        .collect();
    assert_eq!(taxes, vec![("Sales Tax", 77), ("CA State Tax", 85)]);
    assert!(b
        .tax_lines
        .iter()
        .all(|t| t.included && t.amount.currency() == Currency::USD));
}

#[test]
fn inclusive_tax_is_rounded_per_order_line_not_per_order() {
    // Two lines of 1.05 incl. 9 % GST: 1.05 × 9/109 = 0.0866… → 0.09 each, 0.18 (rounding the
    // order's 2.10 × 9/109 = 0.1733… once would give 0.17).
    let mut w = World::new(vec![line("A", 105, 1, "1"), line("B", 105, 1, "1")]);
    w.prices_include_tax = true;
    assert_eq!(amounts(&w.breakdown()), [210, 0, 0, 18, 210]);
}

#[test]
fn inclusive_prices_keep_the_total_whatever_the_destination() {
    let mut w = inclusive_worked_example();
    w.selected = None;
    let sg = w.breakdown();
    assert_eq!(
        amounts(&sg),
        [2180, 218, 0, 162, 1962],
        "19.62 × 9/109 = 1.62"
    );
    w.destination = Some(address("US", Some("CA"), "Los Angeles"));
    // 19.62 × 7.5 / 107.5 = 1.3688… → 1.37; the total stays 19.62.
    assert_eq!(amounts(&w.breakdown()), [2180, 218, 0, 137, 1962]);
    w.destination = None;
    let none = w.breakdown();
    assert!(none.tax_lines.is_empty());
    assert_eq!(amounts(&none), [2180, 218, 0, 0, 1962]);
}

#[test]
fn inclusive_free_shipping_waives_the_gross_shipping_price() {
    let mut w = worked_example();
    w.prices_include_tax = true;
    // 20.00 − 2.00, shipping waived: 18.00 × 9 / 109 = 1.486… → 1.49; total 18.00.
    assert_eq!(amounts(&w.breakdown()), [2000, 200, 0, 149, 1800]);
}

#[test]
fn listed_quotes_ignore_free_shipping_offers() {
    let w = worked_example();
    let listed: Vec<(ShippingMethod, i64)> = w
        .options()
        .unwrap_or_default()
        .iter()
        .map(|q| (q.method, q.cost.minor()))
        .collect();
    assert_eq!(listed, vec![(ShippingMethod::Standard, 800)]);
}

#[test]
fn listing_options_needs_a_destination() {
    let mut w = worked_example();
    w.destination = None;
    assert_eq!(
        w.options().err().map(|e| e.code),
        Some(ErrorCode::DestinationRequired)
    );
}

#[test]
fn listing_checks_free_shipping_against_the_discounted_subtotal() {
    let mut w = worked_example();
    let mut free = rule(ShippingMethod::FreeShipping, 0, 0);
    free.conditions.min_order_amount = Some(dec("19"));
    w.shipping_options.push(free);
    // Subtotal 20.00 but 18.00 after the 10 % offer: not enough for a 19.00 minimum.
    let methods: Vec<ShippingMethod> = w
        .options()
        .unwrap_or_default()
        .iter()
        .map(|q| q.method)
        .collect();
    assert_eq!(methods, vec![ShippingMethod::Standard]);
    w.offers.clear();
    let methods: Vec<ShippingMethod> = w
        .options()
        .unwrap_or_default()
        .iter()
        .map(|q| q.method)
        .collect();
    assert_eq!(
        methods,
        vec![ShippingMethod::FreeShipping, ShippingMethod::Standard]
    );
}

#[test]
fn without_offers_shipping_is_charged_and_taxed() {
    let mut w = worked_example();
    w.offers.clear();
    // 20.00 + 8.00 shipping; GST 9 % of 28.00 = 2.52.
    assert_eq!(amounts(&w.breakdown()), [2000, 0, 800, 252, 3052]);
}

#[test]
fn a_free_shipping_offer_without_a_selected_method_waives_nothing() {
    let mut w = worked_example();
    w.selected = None;
    let b = w.breakdown();
    assert_eq!(
        b.applied_offers
            .iter()
            .map(|o| o.discount.minor())
            .collect::<Vec<_>>(),
        vec![200, 0]
    );
    assert_eq!(amounts(&b), [2000, 200, 0, 162, 1962]);
    assert_eq!(b.shipping, None);
}

#[test]
fn a_second_free_shipping_offer_waives_nothing_more() {
    let mut w = worked_example();
    w.offers = vec![
        offer_stackable("s1", OfferKind::FreeShipping, "0", 2),
        offer("s2", OfferKind::FreeShipping, "0"),
    ];
    let b = w.breakdown();
    assert_eq!(
        b.applied_offers
            .iter()
            .map(|o| o.discount.minor())
            .collect::<Vec<_>>(),
        vec![800, 0]
    );
    assert_eq!(b.shipping_cost.minor(), 0);
    assert_eq!(
        b.discount_total.minor(),
        0,
        "waived shipping is not a goods discount"
    );
}

fn offer_stackable(id: &str, kind: OfferKind, value: &str, priority: i32) -> Offer {
    let mut o = offer(id, kind, value);
    o.stackable = true;
    o.priority = priority;
    o
}

#[test]
fn a_selected_method_that_became_ineligible_is_cleared_with_its_reason() {
    let mut w = worked_example();
    w.offers.clear();
    w.destination = Some(address("US", Some("CA"), "Los Angeles"));
    let p = w.price();
    assert_eq!(
        p.shipping_cleared.as_deref(),
        Some("Standard shipping is domestic only: vendor ships from SG, destination is US.")
    );
    assert_eq!(p.breakdown.shipping, None);
    // 20.00 + 7.5 % CA tax on goods only (shipping cleared) = 1.50.
    assert_eq!(amounts(&p.breakdown), [2000, 0, 0, 150, 2150]);
}

#[test]
fn a_selected_method_without_destination_is_cleared() {
    let mut w = worked_example();
    w.destination = None;
    let p = w.price();
    assert_eq!(p.shipping_cleared.as_deref(), Some(NO_DESTINATION_REASON));
    assert_eq!(p.breakdown.shipping, None);
    assert!(p.breakdown.tax_lines.is_empty(), "no destination, no tax");
    assert_eq!(amounts(&p.breakdown), [2000, 200, 0, 0, 1800]);
}

#[test]
fn a_selected_method_the_vendor_no_longer_offers_is_cleared() {
    let mut w = worked_example();
    w.selected = Some(ShippingMethod::Express);
    let p = w.price();
    assert_eq!(
        p.shipping_cleared.as_deref(),
        Some("Express shipping is not offered by vendor v-1.")
    );
}

#[test]
fn the_shipping_cost_follows_the_current_weight() {
    let mut w = worked_example();
    w.offers.clear();
    if let Some(l) = w.lines.first_mut() {
        l.quantity = 3;
    }
    let b = w.breakdown();
    assert_eq!(b.shipping_cost.minor(), 950, "5 + 1.5 × 3");
}

#[test]
fn gift_lines_are_free_untaxed_and_weightless() {
    let mut w = worked_example();
    let mut gift = offer_stackable("g", OfferKind::FreeGift, "0", 5);
    gift.conditions.gift_products = vec![GiftProduct {
        sku: sku("MUG"),
        quantity: 2,
        name: Some("Mug".into()),
    }];
    w.offers = vec![gift];
    let b = w.breakdown();
    assert_eq!(b.gift_lines.len(), 1);
    assert_eq!(
        b.gift_lines
            .first()
            .map(|l| (l.product_name.as_str(), l.quantity)),
        Some(("Mug", 2))
    );
    // Subtotal, shipping (weight 2 kg) and tax are exactly as without the gift.
    assert_eq!(amounts(&b), [2000, 0, 800, 252, 3052]);
}

#[test]
fn gift_lines_in_the_input_do_not_count() {
    let mut w = World::new(vec![line("A", 1000, 1, "1")]);
    let mut gift = line("GIFT", 500, 3, "4");
    gift.is_free_gift = true;
    w.lines.push(gift);
    w.shipping_options = vec![rule(ShippingMethod::Standard, 0, 100)];
    w.selected = Some(ShippingMethod::Standard);
    // Subtotal 10.00, weight 1 kg → 1.00 shipping, GST 9 % of 11.00 = 0.99.
    assert_eq!(amounts(&w.breakdown()), [1000, 0, 100, 99, 1199]);
}

#[test]
fn tax_uses_the_taxable_share_of_discounted_goods() {
    let mut exempt = line("BOOK", 1000, 1, "1");
    exempt.is_taxable = false;
    let mut w = World::new(vec![line("A", 3000, 1, "1"), exempt]);
    w.offers = vec![offer("f", OfferKind::FixedDiscount, "8")];
    // Goods 40.00, discount 8.00 → 32.00; taxable share 30/40 → 24.00; GST 2.16.
    assert_eq!(amounts(&w.breakdown()), [4000, 800, 0, 216, 3416]);
}

#[test]
fn shipping_is_untaxed_when_the_rule_says_so() {
    let mut w = worked_example();
    w.offers.clear();
    if let Some(r) = w.tax_table.rules.first_mut() {
        r.shipping_taxable = false;
    }
    // GST on 20.00 only = 1.80.
    assert_eq!(amounts(&w.breakdown()), [2000, 0, 800, 180, 2980]);
}

#[test]
fn stacked_discounts_sum_and_are_clamped_to_the_subtotal() {
    let mut w = World::new(vec![line("A", 1000, 1, "1")]);
    w.offers = vec![
        offer_stackable("a", OfferKind::PercentageDiscount, "60", 3),
        offer_stackable("b", OfferKind::FixedDiscount, "3", 2),
        offer_stackable("c", OfferKind::FixedDiscount, "5", 1),
    ];
    let b = w.breakdown();
    assert_eq!(
        b.applied_offers
            .iter()
            .map(|o| o.discount.minor())
            .collect::<Vec<_>>(),
        vec![600, 300, 100]
    );
    assert_eq!(amounts(&b), [1000, 1000, 0, 0, 0]);
}

#[test]
fn a_bundle_offer_prices_through_the_pipeline() {
    let mut w = World::new(vec![line("A", 1000, 3, "1")]);
    let mut b = offer("b", OfferKind::Bundle, "0");
    b.conditions.bundle = Some(BundleRule::BuyGet { buy: 2, get: 1 });
    w.offers = vec![b];
    // 30.00 − 10.00 = 20.00; GST 1.80.
    assert_eq!(amounts(&w.breakdown()), [3000, 1000, 0, 180, 2180]);
}

#[test]
fn a_coupon_unlocks_its_offer_only_while_attached() {
    let mut w = World::new(vec![line("A", 1000, 1, "1")]);
    let mut o = offer("o-c", OfferKind::CouponDiscount, "10");
    o.required_coupon = true;
    w.offers = vec![o];
    w.coupon_snapshots = vec![coupon("WELCOME10", "o-c")];
    assert_eq!(w.breakdown().discount_total.minor(), 0);
    w.coupons = vec![code("welcome10")];
    assert_eq!(w.breakdown().discount_total.minor(), 100);
}

#[test]
fn an_empty_order_prices_to_zero() {
    let mut w = worked_example();
    w.lines.clear();
    let p = w.price();
    // Standard still quotes 5.00 for 0 kg; no offer applies without an eligible line.
    assert!(p.breakdown.applied_offers.is_empty());
    assert_eq!(amounts(&p.breakdown), [0, 0, 500, 45, 545]);
    w.selected = None;
    assert_eq!(amounts(&w.breakdown()), [0, 0, 0, 0, 0]);
}

#[test]
fn a_line_in_another_currency_is_an_error() {
    let mut w = World::new(vec![line("A", 1000, 1, "1")]);
    w.lines.push(line_in(Currency::USD, "B", 1000, 1, "1"));
    assert_eq!(
        w.try_price().err().map(|e| e.code),
        Some(ErrorCode::CurrencyMismatch)
    );
}

#[test]
fn amounts_follow_the_currency_exponent() {
    let mut w = World::new(vec![line_in(Currency::JPY, "A", 1005, 1, "1")]);
    w.currency = Currency::JPY;
    w.tax_table = TaxTable { rules: vec![] };
    w.offers = vec![offer("p", OfferKind::PercentageDiscount, "10")];
    // 10 % of ¥1005 = 100.5 → ¥101 (half-up, no minor unit).
    assert_eq!(amounts(&w.breakdown()), [1005, 101, 0, 0, 904]);
}

// ---- properties ----

const SKUS: [&str; 4] = ["A", "B", "C", "D"];

fn arb_line() -> impl Strategy<Value = LineItem> {
    (
        0usize..SKUS.len(),
        0i64..50_000,
        1u32..50,
        1u32..5_000,
        any::<bool>(),
    )
        .prop_map(|(s, price, qty, grams, taxable)| {
            let mut l = line(SKUS.get(s).copied().unwrap_or("A"), price, qty, "1");
            l.package.weight_kg = rust_decimal::Decimal::new(i64::from(grams), 3);
            l.is_taxable = taxable;
            l
        })
}

fn arb_lines() -> impl Strategy<Value = Vec<LineItem>> {
    proptest::collection::vec(arb_line(), 0..5).prop_map(|mut lines| {
        // One line per SKU, as on a real order.
        let mut seen = std::collections::BTreeSet::new();
        lines.retain(|l| seen.insert(l.sku.clone()));
        lines
    })
}

fn arb_kind() -> impl Strategy<Value = OfferKind> {
    prop_oneof![
        Just(OfferKind::PercentageDiscount),
        Just(OfferKind::FixedDiscount),
        Just(OfferKind::CouponDiscount),
        Just(OfferKind::Bundle),
        Just(OfferKind::FreeGift),
        Just(OfferKind::FreeShipping),
    ]
}

fn arb_offer() -> impl Strategy<Value = Offer> {
    (
        (
            0u32..20,
            arb_kind(),
            -1000i64..15_000,
            -2i32..4,
            any::<bool>(),
            any::<bool>(),
        ),
        (
            proptest::collection::vec(0usize..SKUS.len(), 0..3),
            proptest::option::of(0i64..60_000),
        ),
        (
            proptest::option::of(0u32..6),
            0u32..4,
            0u32..4,
            0i64..10_000,
            any::<bool>(),
        ),
    )
        .prop_map(
            |(
                (id, kind, value_cents, priority, stackable, needs_coupon),
                (eligible, minimum),
                (min_qty, a, b, bundle_cents, buy_get),
            )| {
                let mut o = offer(&format!("o-{id}"), kind, "0");
                o.discount_value = rust_decimal::Decimal::new(value_cents, 2);
                o.priority = priority;
                o.stackable = stackable;
                o.required_coupon = needs_coupon;
                o.conditions.eligible_products = eligible
                    .into_iter()
                    .map(|i| sku(SKUS.get(i).copied().unwrap_or("A")))
                    .collect();
                o.conditions.minimum_subtotal = minimum.map(|m| rust_decimal::Decimal::new(m, 2));
                o.conditions.minimum_quantity = min_qty;
                o.conditions.gift_products = (0..a)
                    .map(|i| GiftProduct {
                        sku: sku(&format!("G{i}")),
                        quantity: b,
                        name: None,
                    })
                    .collect();
                o.conditions.bundle = Some(if buy_get {
                    BundleRule::BuyGet { buy: a, get: b }
                } else {
                    BundleRule::BundlePrice {
                        quantity: a,
                        price: rust_decimal::Decimal::new(bundle_cents, 2),
                    }
                });
                o
            },
        )
}

fn arb_destination() -> impl Strategy<Value = Option<Address>> {
    prop_oneof![
        Just(None),
        Just(Some(sg_address())),
        Just(Some(address("SG", None, "Jurong"))),
        Just(Some(address("US", Some("CA"), "Los Angeles"))),
        Just(Some(address("US", Some("ny"), "New York"))),
        Just(Some(address("US", Some("OR"), "Portland"))),
        Just(Some(address("MY", None, "Johor Bahru"))),
    ]
}

fn arb_method() -> impl Strategy<Value = Option<ShippingMethod>> {
    proptest::option::of(proptest::sample::select(ShippingMethod::ALL.to_vec()))
}

fn shipping_menu() -> Vec<ShippingOptionRule> {
    let mut express = rule(ShippingMethod::Express, 1500, 125);
    express.conditions.cutoff_time = crate::catalog::LocalTime::parse("18:00");
    let mut same_day = rule(ShippingMethod::SameDay, 1200, 0);
    same_day.conditions.near_by_cities = vec!["Singapore".into()];
    let mut pickup = rule(ShippingMethod::LocalPickup, 0, 0);
    pickup.conditions.near_by_cities = vec!["singapore".into()];
    let mut free = rule(ShippingMethod::FreeShipping, 0, 0);
    free.conditions.min_order_amount = Some(dec("100"));
    let mut standard = rule(ShippingMethod::Standard, 500, 150);
    standard.conditions.max_weight = Some(dec("30"));
    vec![
        standard,
        express,
        same_day,
        pickup,
        free,
        rule(ShippingMethod::FlatRate, 0, 999),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn price_invariants_hold_for_random_orders(
        lines in arb_lines(),
        offers in proptest::collection::vec(arb_offer(), 0..6),
        destination in arb_destination(),
        selected in arb_method(),
        attach in any::<bool>(),
        hour in 0u32..24,
    ) {
        let mut w = World::new(lines);
        w.coupon_snapshots = offers.iter().map(|o| coupon(&format!("C-{}", o.offer_id), o.offer_id.as_str())).collect();
        if attach {
            w.coupons = offers.iter().take(2).map(|o| code(&format!("C-{}", o.offer_id))).collect();
        }
        w.offers = offers;
        w.destination = destination;
        w.selected = selected;
        w.shipping_options = shipping_menu();
        w.now = at(hour, 30);

        let first = w.try_price();
        prop_assert!(first.is_ok(), "price failed: {:?}", first.as_ref().err());
        let p = first.unwrap_or_else(|_| unreachable!());
        let b = &p.breakdown;
        let total = b.subtotal.minor() - b.discount_total.minor() + b.shipping_cost.minor() + b.tax_total.minor();
        prop_assert_eq!(b.total.minor(), total);
        prop_assert!(b.total.minor() >= 0);
        prop_assert!(b.discount_total.minor() >= 0);
        prop_assert!(b.discount_total.minor() <= b.subtotal.minor());
        let goods: i64 = b.applied_offers.iter().filter(|o| o.kind != "free_shipping").map(|o| o.discount.minor()).sum();
        prop_assert_eq!(goods, b.discount_total.minor());
        prop_assert!(b.applied_offers.iter().all(|o| o.discount.minor() >= 0));
        let tax: i64 = b.tax_lines.iter().map(|t| t.amount.minor()).sum();
        prop_assert_eq!(tax, b.tax_total.minor());
        let expected_subtotal: i64 = w.lines.iter().map(|l| l.unit_price.minor() * i64::from(l.quantity)).sum();
        prop_assert_eq!(b.subtotal.minor(), expected_subtotal);
        // Shipping: either a quote (and cleared is None) or, when a method was selected, a reason.
        prop_assert_eq!(b.shipping.is_some() || w.selected.is_none(), p.shipping_cleared.is_none());
        if b.shipping.is_none() {
            prop_assert_eq!(b.shipping_cost.minor(), 0);
        }
        if w.destination.is_none() {
            prop_assert!(b.tax_lines.is_empty());
        }
        for g in &b.gift_lines {
            prop_assert!(g.is_free_gift && !g.is_taxable && g.unit_price.is_zero());
        }
        // Deterministic.
        prop_assert_eq!(w.try_price().ok(), Some(p.clone()));
        // The listed options agree with the selected quote.
        if let (Some(dest_quote), Ok(listed)) = (b.shipping.as_ref(), w.options()) {
            prop_assert!(listed.contains(dest_quote));
        }
        prop_assert!(!b.prices_include_tax && b.tax_lines.iter().all(|t| !t.included));
    }

    /// Tax-inclusive prices: the total is what the customer sees on the shelf (subtotal −
    /// discounts + shipping) whatever the tax rates, the extracted tax never exceeds it, and
    /// every line is close to the exclusive line of the same rule (at most it, but for the
    /// per-line rounding). Everything but the tax is priced exactly as with exclusive prices.
    #[test]
    fn inclusive_totals_never_change_with_the_tax_rate(
        lines in arb_lines(),
        offers in proptest::collection::vec(arb_offer(), 0..6),
        destination in arb_destination(),
        selected in arb_method(),
        rates in proptest::collection::vec((0i64..30_000, any::<bool>(), any::<bool>()), 0..4),
        hour in 0u32..24,
    ) {
        let mut w = World::new(lines);
        w.offers = offers;
        w.destination = destination;
        w.selected = selected;
        w.shipping_options = shipping_menu();
        w.now = at(hour, 30);
        w.prices_include_tax = true;
        let Ok(with_defaults) = w.try_price() else {
            return Err(TestCaseError::fail("price failed"));
        };
        w.tax_table = TaxTable {
            rules: rates
                .iter()
                .enumerate()
                .map(|(i, (rate, regional, ship))| TaxRule {
                    country: country(if *regional { "US" } else { "SG" }),
                    region: regional.then(|| "CA".to_string()),
                    name: format!("T{i}"),
                    rate: rust_decimal::Decimal::new(*rate, 2),
                    shipping_taxable: *ship,
                })
                .collect(),
        };
        let Ok(inclusive) = w.try_price() else {
            return Err(TestCaseError::fail("price failed"));
        };
        w.prices_include_tax = false;
        let Ok(exclusive) = w.try_price() else {
            return Err(TestCaseError::fail("price failed"));
        };
        let (i, e, d) = (&inclusive.breakdown, &exclusive.breakdown, &with_defaults.breakdown);
        let shelf = i.subtotal.minor() - i.discount_total.minor() + i.shipping_cost.minor();
        prop_assert_eq!(i.total.minor(), shelf);
        prop_assert_eq!(d.total.minor(), shelf, "another tax table, the same total");
        prop_assert_eq!(e.total.minor() - e.tax_total.minor(), shelf);
        prop_assert!(i.prices_include_tax && i.tax_lines.iter().all(|t| t.included));
        let tax: i64 = i.tax_lines.iter().map(|t| t.amount.minor()).sum();
        prop_assert_eq!(tax, i.tax_total.minor());
        prop_assert!(0 <= i.tax_total.minor() && i.tax_total.minor() <= i.total.minor());
        prop_assert_eq!(i.tax_lines.len(), e.tax_lines.len());
        // Inclusive tax is rounded once per order line (each taxable line and the shipping), so
        // a rule's line may pass its exclusive line by the rounding, the split and the line's
        // share of the discount: less than 3 units per extraction.
        let extractions = w.lines.iter().filter(|l| l.is_taxable && !l.is_free_gift).count() as i64 + 1;
        for (a, b) in i.tax_lines.iter().zip(&e.tax_lines) {
            prop_assert_eq!(&a.name, &b.name);
            prop_assert!(a.amount.minor() <= b.amount.minor() + 3 * extractions);
        }
        // Only the tax differs.
        prop_assert_eq!(
            (i.subtotal, i.discount_total, i.shipping_cost, &i.applied_offers, &i.shipping),
            (e.subtotal, e.discount_total, e.shipping_cost, &e.applied_offers, &e.shipping)
        );
        prop_assert_eq!(&inclusive.shipping_cleared, &exclusive.shipping_cleared);
    }
}
