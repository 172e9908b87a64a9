//! Offers: validity, applicability, selection (stacking) and effects.
//!
//! # Validity
//! An offer is considered only when it belongs to the priced vendor, is active, and
//! `starts_at ≤ now ≤ ends_at` (a missing bound is open-ended, both bounds inclusive). Its shape
//! must make sense for its kind: percentage kinds need `0 < discount_value ≤ 100`, a fixed discount
//! needs `discount_value > 0`, a free gift needs at least one gift with a quantity > 0, a bundle
//! needs a bundle rule (`buy ≥ 1` and `get ≥ 1`, or `quantity ≥ 1` and `price ≥ 0`). Invalid offers
//! are skipped, never an error ([`check_offer`] says why).
//!
//! # Applicability
//! All conditions are evaluated on the order BEFORE any discount:
//! * `eligible_products`: the lines the offer looks at (empty = every customer line); at least
//!   one eligible line must be on the order;
//! * `minimum_subtotal` and `minimum_order_total`: subtotal ≥ threshold (the latter is the
//!   original's free-shipping threshold; it is honoured for every kind);
//! * `minimum_quantity`: Σ quantities of the customer lines ≥ threshold;
//! * `required_coupon` (always for [`OfferKind::CouponDiscount`]): an attached code whose coupon
//!   snapshot has this `offer_id` and currently applies ([`coupon_currently_applies`]).
//!
//! # Selection (stacking)
//! Only valid AND applicable offers compete (the original let an ineligible top offer consume the
//! slot). They are ordered by `priority` descending, ties by `offer_id` ascending, and taken in that
//! order up to and including the first non-stackable one: a non-stackable top offer excludes all
//! others, a stackable top offer lets the next ones apply until a non-stackable one closes the walk.
//!
//! # Effects (all amounts in the order currency)
//! * percentage / coupon discount: Σ eligible line totals × value / 100, rounded half-up ONCE per offer;
//! * fixed discount: `discount_value` (major units, rounded half-up) capped at the eligible lines' total;
//! * bundle buy N get M: per eligible line, `(qty / (N+M)) × M` units free at the line's unit price;
//! * bundle price: per eligible line, `(qty / Q)` groups each saving `max(0, Q × unit − price)`;
//!   the offer's sum is rounded half-up once;
//! * free gift: zero-priced, non-taxable gift lines (discount 0); at most
//!   [`crate::limits::MAX_GIFT_LINES`] in all: an offer whose new gift SKUs would pass it does not
//!   apply;
//! * free shipping: the customer pays no shipping; the amount waived is filled in by
//!   [`super::price`] once shipping is known, and is NOT part of `discount_total`.
//!
//! Discounts of the applied offers add up; the sum is clamped to the subtotal by reducing the
//! discounts of the last applied offers, so the `AppliedOffer` amounts always add up to
//! `discount_total` exactly.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::catalog::{BundleRule, Coupon, GiftProduct, Offer, OfferKind, Package};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::ids::{CouponCode, ProductId, VendorId};
use crate::money::{round_minor, Currency, Money};
use crate::order::LineItem;

use super::coupons::coupon_currently_applies;
use super::AppliedOffer;

/// What offers are decided from: the order before any discount.
#[derive(Debug, Clone, Copy)]
pub struct OfferScope<'a> {
    /// The vendor being priced; offers and coupons of other vendors never apply.
    pub vendor_id: &'a VendorId,
    pub currency: Currency,
    /// The order's lines; lines flagged `is_free_gift` are ignored (they are not the customer's).
    pub lines: &'a [LineItem],
    /// Σ customer line totals, before discounts.
    pub subtotal: Money,
    /// Codes attached to the order.
    pub coupons: &'a [CouponCode],
    /// Coupon snapshots of the vendor (at least those attached).
    pub coupon_snapshots: &'a [Coupon],
    pub now: DateTime<Utc>,
}

impl OfferScope<'_> {
    fn customer_lines(&self) -> impl Iterator<Item = &LineItem> {
        self.lines.iter().filter(|l| !l.is_free_gift)
    }
}

/// The result of applying the selected offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferOutcome {
    /// In application order. Free-gift offers carry 0; free-shipping offers carry 0 until
    /// [`super::price`] fills in the shipping cost waived (see `free_shipping`).
    pub applied: Vec<AppliedOffer>,
    /// Σ discounts of `applied` except free shipping, ≤ subtotal.
    pub discount_total: Money,
    /// Gift lines, one per gift SKU (quantities of the same SKU merged), in order of appearance.
    pub gift_lines: Vec<LineItem>,
    /// Index in `applied` of every applied free-shipping offer.
    pub free_shipping: Vec<usize>,
}

impl OfferOutcome {
    /// Whether an applied offer makes shipping free.
    pub fn waives_shipping(&self) -> bool {
        !self.free_shipping.is_empty()
    }
}

fn in_window(offer: &Offer, now: DateTime<Utc>) -> bool {
    offer.starts_at.is_none_or(|s| s <= now) && offer.ends_at.is_none_or(|e| now <= e)
}

/// Whether the offer is well-formed and live now; `Err` explains why it is skipped.
pub fn check_offer(offer: &Offer, now: DateTime<Utc>) -> Result<(), String> {
    let name = &offer.name;
    if !offer.is_active {
        return Err(format!("Offer {name} is not active."));
    }
    if !in_window(offer, now) {
        return Err(format!("Offer {name} is outside its validity period."));
    }
    let value = offer.discount_value;
    match offer.kind {
        OfferKind::PercentageDiscount | OfferKind::CouponDiscount => {
            if value <= Decimal::ZERO || value > Decimal::ONE_HUNDRED {
                return Err(format!(
                    "Offer {name}: a percentage must be above 0 and at most 100, got {value}."
                ));
            }
        }
        OfferKind::FixedDiscount => {
            if value <= Decimal::ZERO {
                return Err(format!(
                    "Offer {name}: a fixed discount must be above 0, got {value}."
                ));
            }
        }
        OfferKind::FreeGift => {
            let gifts = &offer.conditions.gift_products;
            if gifts.is_empty() || gifts.iter().any(|g| g.quantity == 0) {
                return Err(format!(
                    "Offer {name}: a free gift offer needs gift products with a quantity above 0."
                ));
            }
        }
        OfferKind::Bundle => match &offer.conditions.bundle {
            None => return Err(format!("Offer {name}: a bundle offer needs a bundle rule.")),
            Some(BundleRule::BuyGet { buy, get }) if *buy == 0 || *get == 0 => {
                return Err(format!(
                    "Offer {name}: buy and get must both be at least 1."
                ));
            }
            Some(BundleRule::BundlePrice { quantity, price })
                if *quantity == 0 || price.is_sign_negative() =>
            {
                return Err(format!("Offer {name}: a bundle price needs a quantity of at least 1 and a price of at least 0."));
            }
            Some(_) => {}
        },
        OfferKind::FreeShipping => {}
    }
    Ok(())
}

/// The customer lines the offer looks at: those whose SKU is in `eligible_products`, or every
/// customer line when the list is empty.
pub fn eligible_lines<'l>(offer: &Offer, lines: &'l [LineItem]) -> Vec<&'l LineItem> {
    let skus = &offer.conditions.eligible_products;
    lines
        .iter()
        .filter(|l| !l.is_free_gift && (skus.is_empty() || skus.contains(&l.sku)))
        .collect()
}

fn at_least(amount: Money, threshold: Option<Decimal>) -> bool {
    threshold.is_none_or(|min| amount.to_decimal() >= min)
}

/// Whether one of the attached coupons unlocks this offer now.
fn unlocked_by_coupon(offer: &Offer, scope: &OfferScope<'_>) -> bool {
    scope.coupons.iter().any(|code| {
        scope.coupon_snapshots.iter().any(|c| {
            &c.code == code
                && c.offer_id == offer.offer_id
                && coupon_currently_applies(c, scope.vendor_id, scope.subtotal, scope.now)
        })
    })
}

/// Whether the (valid) offer's conditions hold for the order, before any discount.
pub fn offer_applies(offer: &Offer, scope: &OfferScope<'_>) -> bool {
    let cond = &offer.conditions;
    let quantity: u64 = scope.customer_lines().map(|l| u64::from(l.quantity)).sum();
    let needs_coupon = offer.required_coupon || offer.kind == OfferKind::CouponDiscount;
    !eligible_lines(offer, scope.lines).is_empty()
        && at_least(scope.subtotal, cond.minimum_subtotal)
        && at_least(scope.subtotal, cond.minimum_order_total)
        && cond
            .minimum_quantity
            .is_none_or(|min| quantity >= u64::from(min))
        && (!needs_coupon || unlocked_by_coupon(offer, scope))
}

/// Highest priority first; ties by `offer_id` ascending.
fn by_priority(a: &&Offer, b: &&Offer) -> Ordering {
    b.priority
        .cmp(&a.priority)
        .then_with(|| a.offer_id.cmp(&b.offer_id))
}

/// The offers that apply, in application order (see the module documentation for the rules).
/// A repeated `offer_id` is considered once.
pub fn select_offers<'o>(offers: &'o [Offer], scope: &OfferScope<'_>) -> Vec<&'o Offer> {
    let mut candidates: Vec<&Offer> = offers
        .iter()
        .filter(|o| &o.vendor_id == scope.vendor_id)
        .filter(|o| check_offer(o, scope.now).is_ok())
        .filter(|o| offer_applies(o, scope))
        .collect();
    candidates.sort_by(by_priority);
    candidates.dedup_by(|b, a| a.offer_id == b.offer_id);
    let mut selected = Vec::with_capacity(candidates.len());
    for offer in candidates {
        selected.push(offer);
        if !offer.stackable {
            break;
        }
    }
    selected
}

fn overflow() -> DomainError {
    DomainError::new(ErrorCode::InvalidInput, "Amount is too large.")
}

fn line_totals(lines: &[&LineItem], currency: Currency) -> DomainResult<Money> {
    lines.iter().try_fold(Money::zero(currency), |acc, l| {
        acc.checked_add(&l.line_total()?)
    })
}

/// The offer's own discount before the order-level clamp (0 for gifts and free shipping).
pub fn offer_discount(
    offer: &Offer,
    lines: &[LineItem],
    currency: Currency,
) -> DomainResult<Money> {
    let eligible = eligible_lines(offer, lines);
    let eligible_total = line_totals(&eligible, currency)?;
    match offer.kind {
        OfferKind::PercentageDiscount | OfferKind::CouponDiscount => {
            let factor = offer
                .discount_value
                .checked_div(Decimal::ONE_HUNDRED)
                .ok_or_else(overflow)?;
            eligible_total.mul_decimal_rounded(factor)
        }
        OfferKind::FixedDiscount => {
            let fixed = Money::from_minor(round_minor(offer.discount_value, currency)?, currency);
            fixed.min(eligible_total)
        }
        OfferKind::Bundle => match &offer.conditions.bundle {
            Some(BundleRule::BuyGet { buy, get }) => {
                let group = buy.checked_add(*get).ok_or_else(overflow)?;
                eligible.iter().try_fold(Money::zero(currency), |acc, l| {
                    let free_units = l
                        .quantity
                        .checked_div(group)
                        .unwrap_or(0)
                        .saturating_mul(*get);
                    acc.checked_add(&l.unit_price.checked_mul_qty(free_units)?)
                })
            }
            Some(BundleRule::BundlePrice { quantity, price }) => {
                let mut saving = Decimal::ZERO;
                for l in &eligible {
                    let groups = Decimal::from(l.quantity.checked_div(*quantity).unwrap_or(0));
                    let regular = l
                        .unit_price
                        .to_decimal()
                        .checked_mul(Decimal::from(*quantity))
                        .ok_or_else(overflow)?;
                    let per_group = regular
                        .checked_sub(*price)
                        .ok_or_else(overflow)?
                        .max(Decimal::ZERO);
                    let line_saving = per_group.checked_mul(groups).ok_or_else(overflow)?;
                    saving = saving.checked_add(line_saving).ok_or_else(overflow)?;
                }
                Ok(Money::from_minor(round_minor(saving, currency)?, currency))
            }
            None => Ok(Money::zero(currency)),
        },
        OfferKind::FreeGift | OfferKind::FreeShipping => Ok(Money::zero(currency)),
    }
}

/// A zero-priced, non-taxable line for a gift. The offer snapshot carries no package, and gift
/// weight never counts toward shipping, so the package is recorded as zero weight and size.
fn gift_line(gift: &GiftProduct, currency: Currency) -> DomainResult<LineItem> {
    Ok(LineItem {
        sku: gift.sku.clone(),
        product_id: ProductId::new(gift.sku.as_str())?,
        product_name: gift
            .name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| gift.sku.to_string()),
        product_category: None,
        options: BTreeMap::new(),
        quantity: gift.quantity,
        unit_price: Money::zero(currency),
        is_free_gift: true,
        is_taxable: false,
        package: Package {
            weight_kg: Decimal::ZERO,
            dimensions_cm: [0, 0, 0],
        },
    })
}

fn add_gift(
    gift_lines: &mut Vec<LineItem>,
    gift: &GiftProduct,
    currency: Currency,
) -> DomainResult<()> {
    match gift_lines.iter_mut().find(|l| l.sku == gift.sku) {
        Some(existing) => existing.quantity = existing.quantity.saturating_add(gift.quantity),
        None => gift_lines.push(gift_line(gift, currency)?),
    }
    Ok(())
}

/// Whether `offer`'s gifts, merged into `gift_lines` by SKU, stay within
/// [`crate::limits::MAX_GIFT_LINES`] lines.
fn gifts_fit(gift_lines: &[LineItem], offer: &Offer) -> bool {
    let mut new_skus: Vec<&crate::ids::Sku> = Vec::new();
    for gift in &offer.conditions.gift_products {
        if !gift_lines.iter().any(|l| l.sku == gift.sku) && !new_skus.contains(&&gift.sku) {
            new_skus.push(&gift.sku);
        }
    }
    gift_lines.len() + new_skus.len() <= crate::limits::MAX_GIFT_LINES
}

/// Selects and applies the offers. Errors only on arithmetic overflow or mixed currencies.
/// Free-gift offers add at most [`crate::limits::MAX_GIFT_LINES`] gift lines in all: one whose
/// gifts would not fit does not apply.
pub fn apply_offers(offers: &[Offer], scope: &OfferScope<'_>) -> DomainResult<OfferOutcome> {
    let currency = scope.currency;
    let mut remaining = scope.subtotal;
    let mut outcome = OfferOutcome {
        applied: Vec::new(),
        discount_total: Money::zero(currency),
        gift_lines: Vec::new(),
        free_shipping: Vec::new(),
    };
    for offer in select_offers(offers, scope) {
        // A free-gift offer applies whole or not at all: one whose new gift lines would take the
        // order past MAX_GIFT_LINES does not apply (each gift line holds a stock item in the
        // placement's transaction: docs/data-model.md "Limits").
        if offer.kind == OfferKind::FreeGift && !gifts_fit(&outcome.gift_lines, offer) {
            continue;
        }
        let own = offer_discount(offer, scope.lines, currency)?;
        // Clamp: the running sum never exceeds the subtotal.
        let discount = own.min(remaining)?;
        remaining = remaining.checked_sub(&discount)?;
        outcome.discount_total = outcome.discount_total.checked_add(&discount)?;
        match offer.kind {
            OfferKind::FreeGift => {
                for gift in &offer.conditions.gift_products {
                    add_gift(&mut outcome.gift_lines, gift, currency)?;
                }
            }
            OfferKind::FreeShipping => outcome.free_shipping.push(outcome.applied.len()),
            _ => {}
        }
        outcome.applied.push(AppliedOffer {
            offer_id: offer.offer_id.clone(),
            name: offer.name.clone(),
            kind: offer.kind.as_str().to_string(),
            discount,
        });
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::GiftProduct;
    use crate::pricing::test_support::*;

    struct Fixture {
        lines: Vec<LineItem>,
        coupons: Vec<CouponCode>,
        snapshots: Vec<Coupon>,
        vendor: VendorId,
    }

    impl Fixture {
        fn new(lines: Vec<LineItem>) -> Self {
            Fixture {
                lines,
                coupons: vec![],
                snapshots: vec![],
                vendor: vendor_id(),
            }
        }

        fn scope(&self) -> OfferScope<'_> {
            let subtotal = self
                .lines
                .iter()
                .filter(|l| !l.is_free_gift)
                .try_fold(sgd(0), |acc, l| acc.checked_add(&l.line_total()?))
                .unwrap_or(sgd(0));
            OfferScope {
                vendor_id: &self.vendor,
                currency: Currency::SGD,
                lines: &self.lines,
                subtotal,
                coupons: &self.coupons,
                coupon_snapshots: &self.snapshots,
                now: now(),
            }
        }

        fn apply(&self, offers: &[Offer]) -> OfferOutcome {
            match apply_offers(offers, &self.scope()) {
                Ok(o) => o,
                Err(e) => panic!("apply_offers failed: {e}"),
            }
        }

        fn selected_ids(&self, offers: &[Offer]) -> Vec<String> {
            select_offers(offers, &self.scope())
                .iter()
                .map(|o| o.offer_id.to_string())
                .collect()
        }
    }

    fn discounts(outcome: &OfferOutcome) -> Vec<i64> {
        outcome.applied.iter().map(|a| a.discount.minor()).collect()
    }

    fn pct(id: &str, value: &str, priority: i32, stackable: bool) -> Offer {
        let mut o = offer(id, OfferKind::PercentageDiscount, value);
        o.priority = priority;
        o.stackable = stackable;
        o
    }

    fn two_lines() -> Fixture {
        Fixture::new(vec![line("A", 1000, 2, "1"), line("B", 500, 1, "1")])
    }

    // ---- validity ----

    #[test]
    fn inactive_offers_are_skipped() {
        let mut o = pct("o", "10", 0, false);
        o.is_active = false;
        assert!(check_offer(&o, now()).is_err());
        assert!(two_lines().apply(&[o]).applied.is_empty());
    }

    #[test]
    fn offers_outside_their_window_are_skipped_and_bounds_are_inclusive() {
        let mut future = pct("future", "10", 0, true);
        future.starts_at = Some(now() + chrono::Duration::seconds(1));
        let mut past = pct("past", "10", 0, true);
        past.ends_at = Some(now() - chrono::Duration::seconds(1));
        let mut exact = pct("exact", "10", 0, true);
        exact.starts_at = Some(now());
        exact.ends_at = Some(now());
        assert_eq!(
            two_lines().selected_ids(&[future, past, exact]),
            vec!["exact"]
        );
    }

    #[test]
    fn percentages_must_be_above_zero_and_at_most_one_hundred() {
        for bad in ["0", "-5", "100.01"] {
            assert!(
                check_offer(&pct("o", bad, 0, false), now()).is_err(),
                "{bad}"
            );
            let mut coupon_kind = offer("c", OfferKind::CouponDiscount, bad);
            coupon_kind.required_coupon = true;
            assert!(check_offer(&coupon_kind, now()).is_err(), "{bad}");
        }
        assert!(check_offer(&pct("o", "100", 0, false), now()).is_ok());
        assert!(check_offer(&pct("o", "0.5", 0, false), now()).is_ok());
    }

    #[test]
    fn fixed_discounts_must_be_positive() {
        assert!(check_offer(&offer("f", OfferKind::FixedDiscount, "0"), now()).is_err());
        assert!(check_offer(&offer("f", OfferKind::FixedDiscount, "-1"), now()).is_err());
        assert!(check_offer(&offer("f", OfferKind::FixedDiscount, "0.01"), now()).is_ok());
    }

    #[test]
    fn free_gifts_need_gift_products_with_a_quantity() {
        let mut g = offer("g", OfferKind::FreeGift, "0");
        assert!(check_offer(&g, now()).is_err());
        g.conditions.gift_products = vec![GiftProduct {
            sku: sku("GIFT"),
            quantity: 0,
            name: None,
        }];
        assert!(check_offer(&g, now()).is_err());
        g.conditions.gift_products = vec![GiftProduct {
            sku: sku("GIFT"),
            quantity: 1,
            name: None,
        }];
        assert!(check_offer(&g, now()).is_ok());
    }

    #[test]
    fn bundles_need_a_sensible_rule() {
        let mut b = offer("b", OfferKind::Bundle, "0");
        assert!(check_offer(&b, now()).is_err());
        b.conditions.bundle = Some(BundleRule::BuyGet { buy: 2, get: 0 });
        assert!(check_offer(&b, now()).is_err());
        b.conditions.bundle = Some(BundleRule::BuyGet { buy: 0, get: 1 });
        assert!(check_offer(&b, now()).is_err());
        b.conditions.bundle = Some(BundleRule::BundlePrice {
            quantity: 0,
            price: dec("5"),
        });
        assert!(
            check_offer(&b, now()).is_err(),
            "a zero bundle quantity would divide by zero"
        );
        b.conditions.bundle = Some(BundleRule::BundlePrice {
            quantity: 3,
            price: dec("-1"),
        });
        assert!(check_offer(&b, now()).is_err());
        b.conditions.bundle = Some(BundleRule::BuyGet { buy: 2, get: 1 });
        assert!(check_offer(&b, now()).is_ok());
    }

    #[test]
    fn offers_of_another_vendor_never_apply() {
        let mut o = pct("o", "10", 0, false);
        o.vendor_id = VendorId::new("v-2").unwrap_or_else(|_| vendor_id());
        assert!(two_lines().apply(&[o]).applied.is_empty());
    }

    // ---- applicability ----

    #[test]
    fn an_offer_needs_at_least_one_eligible_line() {
        let mut o = pct("o", "10", 0, false);
        o.conditions.eligible_products = vec![sku("Z")];
        assert!(two_lines().apply(&[o]).applied.is_empty());
    }

    #[test]
    fn gift_lines_of_the_order_are_never_eligible() {
        let mut gift = line("A", 0, 1, "1");
        gift.is_free_gift = true;
        let f = Fixture::new(vec![gift]);
        assert!(f.apply(&[pct("o", "10", 0, false)]).applied.is_empty());
    }

    #[test]
    fn gift_lines_of_the_order_do_not_count_toward_minimum_quantity() {
        let mut gift = line("GIFT", 0, 5, "1");
        gift.is_free_gift = true;
        let f = Fixture::new(vec![line("A", 1000, 1, "1"), gift]);
        let mut o = pct("o", "10", 0, false);
        o.conditions.minimum_quantity = Some(2);
        assert!(f.selected_ids(&[o]).is_empty());
    }

    #[test]
    fn minimum_subtotal_is_inclusive_and_before_discounts() {
        let mut big = pct("big", "50", 5, true);
        big.conditions.minimum_subtotal = Some(dec("25.00"));
        let mut over = pct("over", "10", 1, true);
        over.conditions.minimum_subtotal = Some(dec("25.01"));
        // Subtotal 25.00: `big` applies (≥), `over` does not, even though `big` applied first.
        let mut exact = pct("exact", "10", 0, true);
        exact.conditions.minimum_subtotal = Some(dec("25"));
        assert_eq!(
            two_lines().selected_ids(&[big, over, exact]),
            vec!["big", "exact"]
        );
    }

    #[test]
    fn minimum_order_total_is_a_pre_discount_subtotal_threshold() {
        let mut ship = offer("ship", OfferKind::FreeShipping, "0");
        ship.conditions.minimum_order_total = Some(dec("25"));
        assert_eq!(
            two_lines().selected_ids(std::slice::from_ref(&ship)),
            vec!["ship"]
        );
        ship.conditions.minimum_order_total = Some(dec("25.01"));
        assert!(two_lines().selected_ids(&[ship]).is_empty());
    }

    #[test]
    fn minimum_order_total_is_honoured_for_every_kind() {
        let mut o = pct("o", "10", 0, false);
        o.conditions.minimum_order_total = Some(dec("25.01"));
        assert!(two_lines().selected_ids(&[o]).is_empty());
    }

    #[test]
    fn minimum_quantity_counts_all_customer_units() {
        let mut o = pct("o", "10", 0, false);
        o.conditions.minimum_quantity = Some(3);
        assert_eq!(
            two_lines().selected_ids(std::slice::from_ref(&o)),
            vec!["o"]
        );
        o.conditions.minimum_quantity = Some(4);
        assert!(two_lines().selected_ids(&[o]).is_empty());
    }

    fn coupon_offer(kind: OfferKind) -> Offer {
        let mut o = offer("o-c", kind, "10");
        o.required_coupon = true;
        o
    }

    #[test]
    fn a_required_coupon_offer_needs_an_attached_valid_coupon_for_it() {
        for kind in [OfferKind::PercentageDiscount, OfferKind::CouponDiscount] {
            let o = coupon_offer(kind);
            let mut f = two_lines();
            assert!(
                f.selected_ids(std::slice::from_ref(&o)).is_empty(),
                "no coupon attached"
            );
            f.snapshots = vec![coupon("SAVE", "o-c")];
            assert!(
                f.selected_ids(std::slice::from_ref(&o)).is_empty(),
                "snapshot exists but not attached"
            );
            f.coupons = vec![code("SAVE")];
            assert_eq!(f.selected_ids(std::slice::from_ref(&o)), vec!["o-c"]);
            f.snapshots = vec![coupon("SAVE", "another-offer")];
            assert!(
                f.selected_ids(std::slice::from_ref(&o)).is_empty(),
                "coupon unlocks another offer"
            );
            let mut expired = coupon("SAVE", "o-c");
            expired.ends_at = Some(now() - chrono::Duration::hours(1));
            f.snapshots = vec![expired];
            assert!(
                f.selected_ids(std::slice::from_ref(&o)).is_empty(),
                "expired coupon"
            );
            let mut minimum = coupon("SAVE", "o-c");
            minimum.minimum_subtotal = Some(dec("100"));
            f.snapshots = vec![minimum];
            assert!(f.selected_ids(&[o]).is_empty(), "coupon minimum not met");
        }
    }

    #[test]
    fn a_coupon_discount_offer_always_needs_a_coupon() {
        let o = offer("o-c", OfferKind::CouponDiscount, "10"); // required_coupon = false
        let mut f = two_lines();
        assert!(f.selected_ids(std::slice::from_ref(&o)).is_empty());
        f.snapshots = vec![coupon("SAVE", "o-c")];
        f.coupons = vec![code("SAVE")];
        assert_eq!(f.selected_ids(&[o]), vec!["o-c"]);
    }

    #[test]
    fn coupon_usage_limits_are_not_rechecked_while_pricing() {
        let o = coupon_offer(OfferKind::CouponDiscount);
        let mut f = two_lines();
        let mut used_up = coupon("SAVE", "o-c");
        used_up.usage_limit = Some(0);
        f.snapshots = vec![used_up];
        f.coupons = vec![code("SAVE")];
        assert_eq!(f.selected_ids(&[o]), vec!["o-c"]);
    }

    // ---- selection ----

    #[test]
    fn a_non_stackable_top_offer_excludes_all_others() {
        let offers = [pct("low", "5", 1, true), pct("top", "10", 9, false)];
        assert_eq!(two_lines().selected_ids(&offers), vec!["top"]);
    }

    #[test]
    fn the_walk_stops_after_the_first_non_stackable_offer_inclusive() {
        let offers = [
            pct("a", "1", 4, true),
            pct("b", "1", 3, true),
            pct("c", "1", 2, false),
            pct("d", "1", 1, true),
        ];
        assert_eq!(two_lines().selected_ids(&offers), vec!["a", "b", "c"]);
    }

    #[test]
    fn priority_ties_are_broken_by_offer_id_ascending() {
        let offers = [
            pct("o-b", "1", 1, true),
            pct("o-c", "1", 1, true),
            pct("o-a", "1", 1, true),
        ];
        assert_eq!(two_lines().selected_ids(&offers), vec!["o-a", "o-b", "o-c"]);
        let stop = [pct("o-b", "1", 1, false), pct("o-a", "1", 1, false)];
        assert_eq!(two_lines().selected_ids(&stop), vec!["o-a"]);
    }

    #[test]
    fn an_inapplicable_top_offer_does_not_consume_the_slot() {
        // The original took the top offer regardless of eligibility, so a non-stackable offer for a
        // product not in the cart blocked every other offer.
        let mut top = pct("top", "50", 9, false);
        top.conditions.eligible_products = vec![sku("NOT-IN-CART")];
        let mut invalid = pct("invalid", "500", 8, false);
        invalid.discount_value = dec("500");
        let offers = [top, invalid, pct("next", "10", 1, false)];
        assert_eq!(two_lines().selected_ids(&offers), vec!["next"]);
    }

    #[test]
    fn duplicated_offer_ids_are_applied_once() {
        let offers = [pct("o", "10", 0, true), pct("o", "10", 0, true)];
        assert_eq!(two_lines().apply(&offers).applied.len(), 1);
    }

    // ---- effects ----

    #[test]
    fn percentage_discount_applies_to_eligible_lines_only() {
        let mut o = pct("o", "10", 0, false);
        o.conditions.eligible_products = vec![sku("A")];
        let out = two_lines().apply(&[o]);
        assert_eq!(discounts(&out), vec![200]); // 10 % of 20.00, B excluded
        assert_eq!(out.discount_total, sgd(200));
        assert_eq!(
            out.applied.first().map(|a| a.kind.as_str()),
            Some("percentage_discount")
        );
    }

    #[test]
    fn empty_eligible_products_means_every_customer_line() {
        let out = two_lines().apply(&[pct("o", "10", 0, false)]);
        assert_eq!(out.discount_total, sgd(250));
    }

    #[test]
    fn a_percentage_is_rounded_half_up_once_per_offer() {
        // 25 % of 0.10 = 0.025 → 0.03 (half-even would give 0.02).
        let f = Fixture::new(vec![line("A", 10, 1, "1")]);
        assert_eq!(f.apply(&[pct("o", "25", 0, false)]).discount_total, sgd(3));
        // Two lines of 0.05 at 10 %: once per offer 0.01 (per line it would be 0.01 + 0.01).
        let f = Fixture::new(vec![line("A", 5, 1, "1"), line("B", 5, 1, "1")]);
        assert_eq!(f.apply(&[pct("o", "10", 0, false)]).discount_total, sgd(1));
    }

    #[test]
    fn coupon_discount_is_a_percentage() {
        let mut f = two_lines();
        f.snapshots = vec![coupon("SAVE", "o-c")];
        f.coupons = vec![code("SAVE")];
        let out = f.apply(&[offer("o-c", OfferKind::CouponDiscount, "20")]);
        assert_eq!(out.discount_total, sgd(500));
        assert_eq!(
            out.applied.first().map(|a| a.kind.as_str()),
            Some("coupon_discount")
        );
    }

    #[test]
    fn a_fixed_discount_is_clamped_to_the_eligible_lines() {
        let mut o = offer("f", OfferKind::FixedDiscount, "7.50");
        assert_eq!(
            two_lines().apply(std::slice::from_ref(&o)).discount_total,
            sgd(750)
        );
        o.conditions.eligible_products = vec![sku("B")];
        assert_eq!(two_lines().apply(&[o]).discount_total, sgd(500));
    }

    #[test]
    fn a_fixed_discount_with_sub_minor_precision_is_rounded_half_up() {
        let o = offer("f", OfferKind::FixedDiscount, "1.005");
        assert_eq!(two_lines().apply(&[o]).discount_total, sgd(101));
    }

    #[test]
    fn buy_two_get_one_frees_one_unit_per_group_of_three() {
        let mut b = offer("b", OfferKind::Bundle, "0");
        b.conditions.bundle = Some(BundleRule::BuyGet { buy: 2, get: 1 });
        // A: 7 units → 2 groups → 2 free × 3.00; B: 2 units → none.
        let f = Fixture::new(vec![line("A", 300, 7, "1"), line("B", 400, 2, "1")]);
        assert_eq!(f.apply(&[b]).discount_total, sgd(600));
    }

    #[test]
    fn buy_three_get_two_frees_two_units_per_group_of_five() {
        let mut b = offer("b", OfferKind::Bundle, "0");
        b.conditions.bundle = Some(BundleRule::BuyGet { buy: 3, get: 2 });
        // 11 units → 2 full groups of 5 → 4 free × 2.50.
        let f = Fixture::new(vec![line("A", 250, 11, "1")]);
        assert_eq!(f.apply(&[b]).discount_total, sgd(1000));
    }

    #[test]
    fn bundle_price_saves_the_difference_per_full_group() {
        let mut b = offer("b", OfferKind::Bundle, "0");
        b.conditions.bundle = Some(BundleRule::BundlePrice {
            quantity: 3,
            price: dec("25"),
        });
        // A: 7 × 10.00 → 2 groups × (30 − 25) = 10.00. B: 3 × 5.00 → 15 < 25: no saving (never negative).
        let f = Fixture::new(vec![line("A", 1000, 7, "1"), line("B", 500, 3, "1")]);
        assert_eq!(f.apply(&[b]).discount_total, sgd(1000));
    }

    #[test]
    fn bundle_price_savings_are_rounded_once_per_offer() {
        let mut b = offer("b", OfferKind::Bundle, "0");
        b.conditions.bundle = Some(BundleRule::BundlePrice {
            quantity: 1,
            price: dec("0.995"),
        });
        // Two lines each saving 0.005: rounded once → 0.01 (per line it would be 0.02).
        let f = Fixture::new(vec![line("A", 100, 1, "1"), line("B", 100, 1, "1")]);
        assert_eq!(f.apply(&[b]).discount_total, sgd(1));
    }

    #[test]
    fn free_gifts_add_zero_priced_non_taxable_lines() {
        let mut g = offer("g", OfferKind::FreeGift, "0");
        g.stackable = true;
        g.conditions.minimum_quantity = Some(3);
        g.conditions.gift_products = vec![
            GiftProduct {
                sku: sku("TOTE"),
                quantity: 1,
                name: Some("Tote bag".into()),
            },
            GiftProduct {
                sku: sku("PIN"),
                quantity: 2,
                name: None,
            },
        ];
        let mut g2 = offer("g2", OfferKind::FreeGift, "0");
        g2.conditions.gift_products = vec![GiftProduct {
            sku: sku("PIN"),
            quantity: 1,
            name: None,
        }];
        let out = two_lines().apply(&[g, g2]);
        assert_eq!(discounts(&out), vec![0, 0]);
        assert_eq!(out.discount_total, sgd(0));
        let summary: Vec<(String, String, u32)> = out
            .gift_lines
            .iter()
            .map(|l| (l.sku.to_string(), l.product_name.clone(), l.quantity))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("TOTE".into(), "Tote bag".into(), 1),
                ("PIN".into(), "PIN".into(), 3)
            ],
            "same SKU merged"
        );
        for l in &out.gift_lines {
            assert!(l.is_free_gift && !l.is_taxable);
            assert_eq!(l.unit_price, sgd(0));
            assert_eq!(l.package.weight_kg, Decimal::ZERO);
            assert_eq!(l.product_id.as_str(), l.sku.as_str());
        }
    }

    #[test]
    fn free_shipping_is_recorded_but_adds_no_goods_discount() {
        let mut s = offer("s", OfferKind::FreeShipping, "0");
        s.stackable = true;
        let out = two_lines().apply(&[s, pct("p", "10", -1, false)]);
        assert!(out.waives_shipping());
        assert_eq!(out.free_shipping, vec![0]);
        assert_eq!(discounts(&out), vec![0, 250]);
        assert_eq!(out.discount_total, sgd(250));
    }

    #[test]
    fn stacked_discounts_sum() {
        // The original let the last offer overwrite the others.
        let out = two_lines().apply(&[
            pct("a", "10", 2, true),
            offer("f", OfferKind::FixedDiscount, "3"),
        ]);
        assert_eq!(discounts(&out), vec![250, 300]);
        assert_eq!(out.discount_total, sgd(550));
    }

    #[test]
    fn the_sum_is_clamped_to_the_subtotal_by_reducing_the_last_offers() {
        let offers = [
            pct("a", "80", 3, true),
            offer_with(OfferKind::FixedDiscount, "b", "4", 2, true),
            offer_with(OfferKind::FixedDiscount, "c", "5", 1, false),
        ];
        // Subtotal 25.00: 20.00 + 4.00 + (5.00 clamped to 1.00).
        let out = two_lines().apply(&offers);
        assert_eq!(discounts(&out), vec![2000, 400, 100]);
        assert_eq!(out.discount_total, sgd(2500));
        let sum: i64 = discounts(&out).iter().sum();
        assert_eq!(sum, out.discount_total.minor());
    }

    fn offer_with(kind: OfferKind, id: &str, value: &str, priority: i32, stackable: bool) -> Offer {
        let mut o = offer(id, kind, value);
        o.priority = priority;
        o.stackable = stackable;
        o
    }

    #[test]
    fn applied_offers_carry_id_name_and_kind_in_application_order() {
        let mut a = pct("a", "10", 1, true);
        a.name = "Ten off".into();
        let out = two_lines().apply(&[offer("b", OfferKind::FixedDiscount, "1"), a]);
        let names: Vec<(&str, &str, &str)> = out
            .applied
            .iter()
            .map(|o| (o.offer_id.as_str(), o.name.as_str(), o.kind.as_str()))
            .collect();
        assert_eq!(
            names,
            vec![
                ("a", "Ten off", "percentage_discount"),
                ("b", "b", "fixed_discount")
            ]
        );
    }
}
