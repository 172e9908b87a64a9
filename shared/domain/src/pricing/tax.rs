//! Tax: tax lines from a tenant's [`TaxTable`], exclusive (added on top of the prices) or
//! inclusive (extracted from prices that already contain it).
//!
//! * A rule matches when its country equals the destination's country (ISO codes) and its region
//!   is absent or equals the destination's state (trimmed, case-insensitive). Every matching rule
//!   gives one [`TaxLine`], in table order (e.g. a federal and a state rule). Rules with a negative
//!   rate are ignored. No destination → no tax lines.
//! * Taxable base of a rule = discounted goods × (taxable lines' total / subtotal) + the shipping
//!   the customer pays (after free-shipping offers) when the rule taxes shipping. The discount is
//!   thereby allocated proportionally to taxable and non-taxable lines. The share is computed in
//!   exact decimals; a zero subtotal has no goods base (no division by zero).
//! * Exclusive ([`compute_tax`]): amount = base × rate / 100.
//! * Inclusive ([`compute_included_tax`]): the base already contains the tax of every matching
//!   rule; amount = base × rate / (100 + Σ rates of the matching rules that tax that part), so a
//!   single rule gives base × rate / (100 + rate).
//! * Either way the amount is rounded half-up ONCE per tax line; the tax total is the sum of the
//!   lines, never rounded again.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::address::{Address, Country};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::money::{round_minor, Money};

use super::TaxLine;

/// One tax rule: country, optional region (state), a named rate in percent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxRule {
    pub country: Country,
    pub region: Option<String>,
    pub name: String,
    /// Percent, e.g. 9 for 9 %.
    pub rate: Decimal,
    pub shipping_taxable: bool,
}

impl TaxRule {
    /// Whether the rule applies to a destination.
    pub fn matches(&self, destination: &Address) -> bool {
        self.country == destination.country
            && self.region.as_deref().is_none_or(|region| {
                destination
                    .state
                    .as_deref()
                    .is_some_and(|state| state.trim().eq_ignore_ascii_case(region.trim()))
            })
    }
}

/// A tenant's tax rules.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxTable {
    pub rules: Vec<TaxRule>,
}

impl TaxTable {
    /// The original OMS's hard-coded rates: Singapore GST 9 %; US California 7.5 %, New York 4 %,
    /// Texas 6.25 %. Shipping is taxable in all of them (the original taxed a subtotal that
    /// included shipping).
    pub fn default_rules() -> TaxTable {
        let seed: [(&str, Option<&str>, &str, Decimal); 4] = [
            ("SG", None, "GST", Decimal::new(9, 0)),
            ("US", Some("CA"), "CA State Tax", Decimal::new(75, 1)),
            ("US", Some("NY"), "NY State Tax", Decimal::new(4, 0)),
            ("US", Some("TX"), "TX State Tax", Decimal::new(625, 2)),
        ];
        let rules = seed
            .into_iter()
            .filter_map(|(country, region, name, rate)| {
                Some(TaxRule {
                    country: Country::parse(country).ok()?,
                    region: region.map(str::to_string),
                    name: name.to_string(),
                    rate,
                    shipping_taxable: true,
                })
            })
            .collect();
        TaxTable { rules }
    }

    /// The rules that apply to a destination, in table order.
    pub fn matching<'a>(
        &'a self,
        destination: &'a Address,
    ) -> impl Iterator<Item = &'a TaxRule> + 'a {
        self.rules
            .iter()
            .filter(move |r| r.rate >= Decimal::ZERO && r.matches(destination))
    }
}

/// The amounts tax is computed from, all in the order currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaxBase {
    /// Σ customer line totals, before discounts.
    pub subtotal: Money,
    /// Σ totals of the taxable customer lines, before discounts (≤ subtotal).
    pub taxable_subtotal: Money,
    /// Goods discounts (≤ subtotal).
    pub discount_total: Money,
    /// What the customer pays for shipping (0 under a free-shipping offer).
    pub shipping_cost: Money,
}

fn overflow() -> DomainError {
    DomainError::new(ErrorCode::InvalidInput, "Amount is too large.")
}

/// `base × rate / 100` in major units. Exact when all or none of the goods are taxable; otherwise
/// exact up to Decimal's 28 significant digits, computed with a single division:
/// `(discounted × taxable + shipping × subtotal) × rate / (subtotal × 100)`.
fn exact_tax(rule: &TaxRule, base: &TaxBase) -> DomainResult<Decimal> {
    let subtotal = base.subtotal.to_decimal();
    let discounted = base
        .subtotal
        .checked_sub(&base.discount_total)?
        .to_decimal();
    let taxable = base.taxable_subtotal.to_decimal();
    let shipping = if rule.shipping_taxable {
        base.shipping_cost.to_decimal()
    } else {
        Decimal::ZERO
    };
    let mul = |a: Decimal, b: Decimal| a.checked_mul(b).ok_or_else(overflow);
    if subtotal.is_zero() || taxable.is_zero() || taxable == subtotal {
        // No division needed: none of the goods are taxable, or all of them are.
        let goods = if taxable == subtotal {
            discounted
        } else {
            Decimal::ZERO
        };
        let base = goods.checked_add(shipping).ok_or_else(overflow)?;
        return mul(base, rule.rate)?
            .checked_div(Decimal::ONE_HUNDRED)
            .ok_or_else(overflow);
    }
    let numerator = mul(discounted, taxable)?
        .checked_add(mul(shipping, subtotal)?)
        .ok_or_else(overflow)?;
    let denominator = mul(subtotal, Decimal::ONE_HUNDRED)?;
    mul(numerator, rule.rate)?
        .checked_div(denominator)
        .ok_or_else(overflow)
}

/// One tax line per matching rule, in table order; none without a destination.
///
/// # Errors
/// `CURRENCY_MISMATCH` when the amounts are not all in one currency; `INVALID_INPUT` on overflow.
pub fn compute_tax(
    table: &TaxTable,
    destination: Option<&Address>,
    base: &TaxBase,
) -> DomainResult<Vec<TaxLine>> {
    let Some(destination) = destination else {
        return Ok(Vec::new());
    };
    let currency = base.subtotal.currency();
    for m in [
        base.taxable_subtotal,
        base.discount_total,
        base.shipping_cost,
    ] {
        m.cmp_same(&base.subtotal)?;
    }
    table
        .matching(destination)
        .map(|rule| {
            let amount =
                Money::from_minor(round_minor(exact_tax(rule, base)?, currency)?, currency);
            Ok(TaxLine {
                name: rule.name.clone(),
                rate: rule.rate,
                amount,
                included: false,
            })
        })
        .collect()
}

/// The inclusive tax of `rule` in major units: the part of the tax-inclusive base that is this
/// rule's tax. With G = the taxable share of the discounted goods (as in [`exact_tax`]), S = the
/// shipping the customer pays (when this rule taxes it), Rg = Σ rates of the matching rules and
/// Rs = Σ rates of the matching rules that tax shipping:
///
/// `tax = G × rate / (100 + Rg) + S × rate / (100 + Rs)`
///
/// computed in exact decimals with a single division. One rule gives `base × rate / (100 + rate)`.
fn included_tax(
    rule: &TaxRule,
    base: &TaxBase,
    goods_rates: Decimal,
    shipping_rates: Decimal,
) -> DomainResult<Decimal> {
    let subtotal = base.subtotal.to_decimal();
    let discounted = base
        .subtotal
        .checked_sub(&base.discount_total)?
        .to_decimal();
    let taxable = base.taxable_subtotal.to_decimal();
    let shipping = if rule.shipping_taxable {
        base.shipping_cost.to_decimal()
    } else {
        Decimal::ZERO
    };
    let mul = |a: Decimal, b: Decimal| a.checked_mul(b).ok_or_else(overflow);
    let add = |a: Decimal, b: Decimal| a.checked_add(b).ok_or_else(overflow);
    // G = goods_num / goods_den, without a division (and without a product of two amounts when
    // all or none of the goods are taxable).
    let (goods_num, goods_den) = if subtotal.is_zero() || taxable.is_zero() {
        (Decimal::ZERO, Decimal::ONE)
    } else if taxable == subtotal {
        (discounted, Decimal::ONE)
    } else {
        (mul(discounted, taxable)?, subtotal)
    };
    let goods_divisor = add(Decimal::ONE_HUNDRED, goods_rates)?;
    let shipping_divisor = add(Decimal::ONE_HUNDRED, shipping_rates)?;
    // rate × (goods_num × (100 + Rs) + S × goods_den × (100 + Rg)) / (goods_den × (100 + Rg) × (100 + Rs))
    let numerator = add(
        mul(goods_num, shipping_divisor)?,
        mul(mul(shipping, goods_den)?, goods_divisor)?,
    )?;
    let denominator = mul(mul(goods_den, goods_divisor)?, shipping_divisor)?;
    mul(numerator, rule.rate)?
        .checked_div(denominator)
        .ok_or_else(overflow)
}

/// Inclusive tax: the prices (lines, shipping) already contain the tax, which is extracted. One
/// tax line per matching rule, in table order, each rounded half-up once and marked `included`;
/// none without a destination. The lines never add up to more than the amount they are
/// extracted from (subtotal − discounts + shipping): each takes at most what the lines before it
/// left, a clamp realistic rates never reach (it needs several rules whose rounding ups add up to
/// more than the amount, e.g. three 100 % rules on 0.02).
///
/// # Errors
/// `CURRENCY_MISMATCH` when the amounts are not all in one currency; `INVALID_INPUT` on overflow.
pub fn compute_included_tax(
    table: &TaxTable,
    destination: Option<&Address>,
    base: &TaxBase,
) -> DomainResult<Vec<TaxLine>> {
    let Some(destination) = destination else {
        return Ok(Vec::new());
    };
    let currency = base.subtotal.currency();
    for m in [
        base.taxable_subtotal,
        base.discount_total,
        base.shipping_cost,
    ] {
        m.cmp_same(&base.subtotal)?;
    }
    let rules: Vec<&TaxRule> = table.matching(destination).collect();
    let sum_rates = |shipping_only: bool| {
        rules
            .iter()
            .filter(|r| !shipping_only || r.shipping_taxable)
            .try_fold(Decimal::ZERO, |acc, r| {
                acc.checked_add(r.rate).ok_or_else(overflow)
            })
    };
    let goods_rates = sum_rates(false)?;
    let shipping_rates = sum_rates(true)?;
    let zero = Money::zero(currency);
    let mut left = base
        .subtotal
        .checked_sub(&base.discount_total)?
        .checked_add(&base.shipping_cost)?;
    if left.minor() < 0 {
        left = zero;
    }
    rules
        .into_iter()
        .map(|rule| {
            let exact = included_tax(rule, base, goods_rates, shipping_rates)?;
            let amount = Money::from_minor(round_minor(exact, currency)?, currency).min(left)?;
            left = left.checked_sub(&amount)?;
            Ok(TaxLine {
                name: rule.name.clone(),
                rate: rule.rate,
                amount,
                included: true,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pricing::test_support::*;

    fn tax_rule(
        country_code: &str,
        region: Option<&str>,
        name: &str,
        rate: &str,
        shipping_taxable: bool,
    ) -> TaxRule {
        TaxRule {
            country: country(country_code),
            region: region.map(str::to_string),
            name: name.into(),
            rate: dec(rate),
            shipping_taxable,
        }
    }

    fn base(subtotal: i64, taxable: i64, discount: i64, shipping: i64) -> TaxBase {
        TaxBase {
            subtotal: sgd(subtotal),
            taxable_subtotal: sgd(taxable),
            discount_total: sgd(discount),
            shipping_cost: sgd(shipping),
        }
    }

    fn lines(table: &TaxTable, dest: Option<&Address>, b: &TaxBase) -> Vec<(String, String, i64)> {
        match compute_tax(table, dest, b) {
            Ok(v) => v
                .into_iter()
                .map(|l| (l.name, l.rate.to_string(), l.amount.minor()))
                .collect(),
            Err(e) => panic!("compute_tax failed: {e}"),
        }
    }

    #[test]
    fn default_rules_are_the_originals() {
        let t = TaxTable::default_rules();
        let summary: Vec<(String, Option<String>, String, String, bool)> = t
            .rules
            .iter()
            .map(|r| {
                (
                    r.country.to_string(),
                    r.region.clone(),
                    r.name.clone(),
                    r.rate.to_string(),
                    r.shipping_taxable,
                )
            })
            .collect();
        let s = |x: &str| x.to_string();
        assert_eq!(
            summary,
            vec![
                (s("SG"), None, s("GST"), s("9"), true),
                (s("US"), Some(s("CA")), s("CA State Tax"), s("7.5"), true),
                (s("US"), Some(s("NY")), s("NY State Tax"), s("4"), true),
                (s("US"), Some(s("TX")), s("TX State Tax"), s("6.25"), true),
            ]
        );
    }

    #[test]
    fn singapore_gst_is_nine_percent_of_goods_and_shipping() {
        let t = TaxTable::default_rules();
        assert_eq!(
            lines(&t, Some(&sg_address()), &base(2000, 2000, 200, 800)),
            vec![(s("GST"), s("9"), 234)]
        );
    }

    fn s(x: &str) -> String {
        x.to_string()
    }

    #[test]
    fn us_rules_match_by_state_case_insensitively() {
        let t = TaxTable::default_rules();
        let b = base(10000, 10000, 0, 0);
        let ca = address("US", Some(" ca "), "Los Angeles");
        assert_eq!(
            lines(&t, Some(&ca), &b),
            vec![(s("CA State Tax"), s("7.5"), 750)]
        );
        let ny = address("US", Some("NY"), "New York");
        assert_eq!(
            lines(&t, Some(&ny), &b),
            vec![(s("NY State Tax"), s("4"), 400)]
        );
        let tx = address("US", Some("tx"), "Austin");
        assert_eq!(
            lines(&t, Some(&tx), &b),
            vec![(s("TX State Tax"), s("6.25"), 625)]
        );
        let other = address("US", Some("OR"), "Portland");
        assert!(
            lines(&t, Some(&other), &b).is_empty(),
            "no zero line for untaxed states"
        );
        let no_state = address("US", None, "Somewhere");
        assert!(
            lines(&t, Some(&no_state), &b).is_empty(),
            "a regional rule needs a state"
        );
        assert!(lines(&t, Some(&address("MY", None, "Johor Bahru")), &b).is_empty());
    }

    #[test]
    fn country_and_region_rules_both_apply_each_rounded_once() {
        let t = TaxTable {
            rules: vec![
                tax_rule("US", None, "Federal", "0.5", false),
                tax_rule("US", Some("CA"), "State", "0.5", false),
            ],
        };
        // 1.00 × 0.5 % = 0.005 → 0.01 per line; total 0.02 (rounding the sum would give 0.01).
        let ca = address("US", Some("CA"), "LA");
        assert_eq!(
            lines(&t, Some(&ca), &base(100, 100, 0, 0)),
            vec![(s("Federal"), s("0.5"), 1), (s("State"), s("0.5"), 1)]
        );
    }

    #[test]
    fn tax_is_rounded_half_up_exactly() {
        // 0.50 × 9 % = 0.045 → 0.05 (the original's float rounded it down to 0.04).
        let t = TaxTable::default_rules();
        assert_eq!(
            lines(&t, Some(&sg_address()), &base(50, 50, 0, 0)),
            vec![(s("GST"), s("9"), 5)]
        );
    }

    #[test]
    fn only_the_taxable_share_of_the_discounted_goods_is_taxed() {
        let t = TaxTable {
            rules: vec![tax_rule("SG", None, "GST", "10", false)],
        };
        // Goods 30.00 of which 10.00 taxable; discount 6.00 allocated proportionally:
        // base = 24.00 × 10/30 = 8.00 → 0.80.
        assert_eq!(
            lines(&t, Some(&sg_address()), &base(3000, 1000, 600, 500)),
            vec![(s("GST"), s("10"), 80)]
        );
        // A non-terminating share is exact until the single rounding: 10.00 × 1/3 × 10 % = 0.3333… → 0.33.
        assert_eq!(
            lines(&t, Some(&sg_address()), &base(3000, 1000, 2000, 0)),
            vec![(s("GST"), s("10"), 33)]
        );
    }

    #[test]
    fn shipping_is_taxed_only_when_the_rule_says_so() {
        let b = base(1000, 1000, 0, 500);
        let taxed = TaxTable {
            rules: vec![tax_rule("SG", None, "GST", "10", true)],
        };
        assert_eq!(
            lines(&taxed, Some(&sg_address()), &b),
            vec![(s("GST"), s("10"), 150)]
        );
        let untaxed = TaxTable {
            rules: vec![tax_rule("SG", None, "GST", "10", false)],
        };
        assert_eq!(
            lines(&untaxed, Some(&sg_address()), &b),
            vec![(s("GST"), s("10"), 100)]
        );
    }

    #[test]
    fn no_destination_means_no_tax() {
        assert!(lines(&TaxTable::default_rules(), None, &base(1000, 1000, 0, 0)).is_empty());
    }

    #[test]
    fn a_zero_subtotal_or_nothing_taxable_does_not_crash() {
        let t = TaxTable::default_rules();
        let sg = sg_address();
        assert_eq!(
            lines(&t, Some(&sg), &base(0, 0, 0, 0)),
            vec![(s("GST"), s("9"), 0)]
        );
        assert_eq!(
            lines(&t, Some(&sg), &base(0, 0, 0, 1000)),
            vec![(s("GST"), s("9"), 90)],
            "shipping only"
        );
        assert_eq!(
            lines(&t, Some(&sg), &base(1000, 0, 0, 0)),
            vec![(s("GST"), s("9"), 0)],
            "non-taxable goods"
        );
        assert_eq!(
            lines(&t, Some(&sg), &base(1000, 1000, 1000, 0)),
            vec![(s("GST"), s("9"), 0)],
            "fully discounted"
        );
    }

    #[test]
    fn a_very_large_fully_taxable_order_does_not_overflow() {
        // 10^15 SGD: the proportional formula's product would exceed Decimal's range, so fully
        // taxable orders take the exact path without a product of two amounts.
        let huge = 100_000_000_000_000_000;
        let t = TaxTable::default_rules();
        let b = base(huge, huge, 0, 0);
        assert_eq!(
            lines(&t, Some(&sg_address()), &b),
            vec![(s("GST"), s("9"), huge / 100 * 9)]
        );
    }

    #[test]
    fn negative_rates_are_ignored() {
        let t = TaxTable {
            rules: vec![tax_rule("SG", None, "Bad", "-5", true)],
        };
        assert!(lines(&t, Some(&sg_address()), &base(1000, 1000, 0, 0)).is_empty());
    }

    fn included(
        table: &TaxTable,
        dest: Option<&Address>,
        b: &TaxBase,
    ) -> Vec<(String, String, i64)> {
        match compute_included_tax(table, dest, b) {
            Ok(v) => {
                assert!(v.iter().all(|l| l.included), "inclusive lines say so");
                v.into_iter()
                    .map(|l| (l.name, l.rate.to_string(), l.amount.minor()))
                    .collect()
            }
            Err(e) => panic!("compute_included_tax failed: {e}"),
        }
    }

    #[test]
    fn exclusive_lines_are_not_marked_included() {
        let lines = compute_tax(
            &TaxTable::default_rules(),
            Some(&sg_address()),
            &base(1000, 1000, 0, 0),
        )
        .unwrap_or_default();
        assert_eq!(lines.len(), 1);
        assert!(lines.iter().all(|l| !l.included));
    }

    #[test]
    fn inclusive_gst_is_extracted_from_goods_and_shipping() {
        // (19.62 goods + 8.00 shipping) × 9 / 109 = 2.2805… → 2.28.
        let t = TaxTable::default_rules();
        assert_eq!(
            included(&t, Some(&sg_address()), &base(2180, 2180, 218, 800)),
            vec![(s("GST"), s("9"), 228)]
        );
        // 10.90 × 9 / 109 = 0.90 exactly: a 10.00 net price plus 9 %.
        assert_eq!(
            included(&t, Some(&sg_address()), &base(1090, 1090, 0, 0)),
            vec![(s("GST"), s("9"), 90)]
        );
    }

    #[test]
    fn inclusive_tax_is_rounded_half_up_once_per_line() {
        // 0.05 × 100 / 200 = 0.025 → 0.03 (a banker's rounding would give 0.02).
        let t = TaxTable {
            rules: vec![tax_rule("SG", None, "Double", "100", false)],
        };
        assert_eq!(
            included(&t, Some(&sg_address()), &base(5, 5, 0, 0)),
            vec![(s("Double"), s("100"), 3)]
        );
    }

    #[test]
    fn inclusive_tax_skips_untaxed_shipping_and_non_taxable_goods() {
        let t = TaxTable {
            rules: vec![tax_rule("SG", None, "GST", "10", false)],
        };
        // Goods 30.00 of which 11.00 taxable, no discount, shipping untaxed: 11.00 × 10/110 = 1.00.
        assert_eq!(
            included(&t, Some(&sg_address()), &base(3000, 1100, 0, 500)),
            vec![(s("GST"), s("10"), 100)]
        );
        // A 6.00 discount is allocated proportionally: 24.00 × 11/30 = 8.80 → 0.80.
        assert_eq!(
            included(&t, Some(&sg_address()), &base(3000, 1100, 600, 500)),
            vec![(s("GST"), s("10"), 80)]
        );
        // A rule taxing shipping extracts from it too: (11.00 + 5.50) × 10/110 = 1.50.
        let t = TaxTable {
            rules: vec![tax_rule("SG", None, "GST", "10", true)],
        };
        assert_eq!(
            included(&t, Some(&sg_address()), &base(3000, 1100, 0, 550)),
            vec![(s("GST"), s("10"), 150)]
        );
    }

    #[test]
    fn several_inclusive_rules_share_one_gross_amount() {
        // 11.50 contains 10.00 net + 10 % federal + 5 % state: each rule's share is rate / 115.
        let t = TaxTable {
            rules: vec![
                tax_rule("US", None, "Federal", "10", true),
                tax_rule("US", Some("CA"), "State", "5", false),
            ],
        };
        let ca = address("US", Some("CA"), "LA");
        assert_eq!(
            included(&t, Some(&ca), &base(1150, 1150, 0, 0)),
            vec![(s("Federal"), s("10"), 100), (s("State"), s("5"), 50)]
        );
        // Shipping 2.20 is taxed by the federal rule only: 2.20 × 10 / 110 = 0.20 more.
        assert_eq!(
            included(&t, Some(&ca), &base(1150, 1150, 0, 220)),
            vec![(s("Federal"), s("10"), 120), (s("State"), s("5"), 50)]
        );
    }

    #[test]
    fn inclusive_lines_never_exceed_the_amount() {
        // Three 100 % rules on 0.02: each share is 0.02 × 100/400 = 0.005 → 0.01, which would
        // extract 0.03 from 0.02. The last line gets what is left.
        let t = TaxTable {
            rules: vec![
                tax_rule("SG", None, "A", "100", false),
                tax_rule("SG", None, "B", "100", false),
                tax_rule("SG", None, "C", "100", false),
            ],
        };
        assert_eq!(
            included(&t, Some(&sg_address()), &base(2, 2, 0, 0)),
            vec![
                (s("A"), s("100"), 1),
                (s("B"), s("100"), 1),
                (s("C"), s("100"), 0)
            ]
        );
    }

    #[test]
    fn inclusive_edge_cases_do_not_crash() {
        let t = TaxTable::default_rules();
        let sg = sg_address();
        assert!(included(&t, None, &base(1000, 1000, 0, 0)).is_empty());
        assert_eq!(
            included(&t, Some(&sg), &base(0, 0, 0, 0)),
            vec![(s("GST"), s("9"), 0)]
        );
        assert_eq!(
            included(&t, Some(&sg), &base(0, 0, 0, 109)),
            vec![(s("GST"), s("9"), 9)],
            "shipping only"
        );
        assert_eq!(
            included(&t, Some(&sg), &base(1000, 1000, 1000, 0)),
            vec![(s("GST"), s("9"), 0)],
            "fully discounted"
        );
        let huge = 100_000_000_000_000_000;
        assert_eq!(
            included(
                &t,
                Some(&sg),
                &base(huge / 100 * 109, huge / 100 * 109, 0, 0)
            ),
            vec![(s("GST"), s("9"), huge / 100 * 9)]
        );
        let mut b = base(1000, 1000, 0, 0);
        b.discount_total = Money::from_minor(100, crate::money::Currency::USD);
        assert_eq!(
            compute_included_tax(&t, Some(&sg), &b)
                .err()
                .map(|e| e.code),
            Some(ErrorCode::CurrencyMismatch)
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1024))]

        /// One rule: the extracted tax is round_half_up(amount × rate / (100 + rate)), never more
        /// than the amount, never more than the exclusive tax of the same amount, and adding the
        /// exclusive tax back to the net amount restores the gross within one minor unit.
        #[test]
        fn one_inclusive_rule_extracts_what_exclusive_adds(
            gross in 0i64..10_000_000,
            shipping in 0i64..100_000,
            rate_hundredths in 0i64..10_000,
            taxes_shipping in proptest::bool::ANY,
        ) {
            let rate = Decimal::new(rate_hundredths, 2);
            let t = TaxTable { rules: vec![TaxRule { rate, ..tax_rule("SG", None, "T", "0", taxes_shipping) }] };
            let b = base(gross, gross, 0, shipping);
            let tax = compute_included_tax(&t, Some(&sg_address()), &b).unwrap_or_default();
            proptest::prop_assert_eq!(tax.len(), 1);
            let tax = tax.first().map(|l| l.amount.minor()).unwrap_or(-1);
            let amount = gross + if taxes_shipping { shipping } else { 0 };
            let expected = round_minor(
                Decimal::from(amount) * rate / (Decimal::ONE_HUNDRED + rate) / Decimal::ONE_HUNDRED,
                crate::money::Currency::SGD,
            ).unwrap_or(-2);
            proptest::prop_assert_eq!(tax, expected);
            proptest::prop_assert!(0 <= tax && tax <= amount);
            let exclusive = compute_tax(&t, Some(&sg_address()), &b).unwrap_or_default();
            let exclusive_tax = exclusive.first().map(|l| l.amount.minor()).unwrap_or(-1);
            proptest::prop_assert!(tax <= exclusive_tax);
            let net = amount - tax;
            let readded = round_minor(
                Decimal::from(net) * rate / Decimal::ONE_HUNDRED / Decimal::ONE_HUNDRED,
                crate::money::Currency::SGD,
            ).unwrap_or(-2);
            proptest::prop_assert!((net + readded - amount).abs() <= 1, "net {} + {} vs {}", net, readded, amount);
        }

        /// Any rules, any split: the lines never add up to more than the amount, each is at most
        /// the exclusive line of the same rule, and all are marked included.
        #[test]
        fn inclusive_lines_are_bounded(
            subtotal in 0i64..1_000_000,
            taxable_permille in 0i64..=1000,
            discount_permille in 0i64..=1000,
            shipping in 0i64..50_000,
            rates in proptest::collection::vec((0i64..20_000, proptest::bool::ANY), 0..4),
        ) {
            let taxable = subtotal * taxable_permille / 1000;
            let discount = subtotal * discount_permille / 1000;
            let t = TaxTable {
                rules: rates
                    .iter()
                    .enumerate()
                    .map(|(i, (r, ship))| TaxRule {
                        rate: Decimal::new(*r, 2),
                        ..tax_rule("SG", None, &format!("T{i}"), "0", *ship)
                    })
                    .collect(),
            };
            let b = base(subtotal, taxable, discount, shipping);
            let inc = compute_included_tax(&t, Some(&sg_address()), &b);
            proptest::prop_assert!(inc.is_ok(), "{:?}", inc.as_ref().err());
            let inc = inc.unwrap_or_default();
            let exc = compute_tax(&t, Some(&sg_address()), &b).unwrap_or_default();
            proptest::prop_assert_eq!(inc.len(), rates.len());
            let sum: i64 = inc.iter().map(|l| l.amount.minor()).sum();
            proptest::prop_assert!(sum <= subtotal - discount + shipping);
            for (i, e) in inc.iter().zip(&exc) {
                proptest::prop_assert!(i.included && !e.included);
                proptest::prop_assert!(0 <= i.amount.minor() && i.amount.minor() <= e.amount.minor());
            }
        }
    }

    #[test]
    fn mixed_currencies_are_an_error() {
        let mut b = base(1000, 1000, 0, 0);
        b.shipping_cost = Money::from_minor(100, crate::money::Currency::USD);
        let err = compute_tax(&TaxTable::default_rules(), Some(&sg_address()), &b)
            .err()
            .map(|e| e.code);
        assert_eq!(err, Some(ErrorCode::CurrencyMismatch));
    }
}
