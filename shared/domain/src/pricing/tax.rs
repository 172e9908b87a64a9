//! Tax: tax lines from a tenant's [`TaxTable`], exclusive (added on top of the prices) or
//! inclusive (extracted from prices that already contain it).
//!
//! * A rule matches when its country equals the destination's country (ISO codes) and its region
//!   is absent or equals the destination's state (trimmed, case-insensitive). Every matching rule
//!   gives one [`TaxLine`], in table order (e.g. a federal and a state rule). Rules with a negative
//!   rate are ignored. No destination → no tax lines.
//! * Exclusive ([`compute_tax`]): taxable base of a rule = discounted goods × (taxable lines'
//!   total / subtotal) + the shipping the customer pays (after free-shipping offers) when the rule
//!   taxes shipping (the discount is thereby allocated proportionally to taxable and non-taxable
//!   lines, in exact decimals; a zero subtotal has no goods base, no division by zero);
//!   amount = base × rate / 100, rounded half-up ONCE per tax line.
//! * Inclusive ([`compute_included_tax`]): the tax is extracted ONCE PER ORDER LINE. Each
//!   customer line's gross amount after its share of the discount (the discount spread over the
//!   lines in proportion to their totals, in whole minor units by largest remainder) contains the
//!   tax of every matching rule: tax = gross × R / (100 + R), R = Σ the matching rates, rounded
//!   half-up once for the line, then split across the rules in proportion to their rates by
//!   largest remainder (the parts add up to the line's tax exactly). The shipping the customer
//!   pays is one more line, taxed by the rules that tax shipping. A rule's tax line is the sum of
//!   its parts ([`extract_included_tax`] is one line).
//! * Either way the tax total is the sum of the tax lines, never rounded again.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::address::{Address, Country};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::money::{round_minor, Currency, Money};

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

/// One customer line as tax sees it (free-gift lines are not the customer's and are left out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GoodsLine {
    /// `unit_price × quantity`, before discounts.
    pub total: Money,
    pub taxable: bool,
}

/// The amounts tax is computed from, all in the order currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxBase {
    /// The customer lines, in order.
    pub lines: Vec<GoodsLine>,
    /// Goods discounts (≤ the lines' total).
    pub discount_total: Money,
    /// What the customer pays for shipping (0 under a free-shipping offer).
    pub shipping_cost: Money,
}

impl TaxBase {
    fn currency(&self) -> Currency {
        self.discount_total.currency()
    }

    /// Σ customer line totals, before discounts.
    pub fn subtotal(&self) -> DomainResult<Money> {
        Money::sum(self.currency(), self.lines.iter().map(|l| &l.total))
    }

    /// Σ totals of the taxable customer lines, before discounts.
    pub fn taxable_subtotal(&self) -> DomainResult<Money> {
        Money::sum(
            self.currency(),
            self.lines.iter().filter(|l| l.taxable).map(|l| &l.total),
        )
    }
}

fn overflow() -> DomainError {
    DomainError::new(ErrorCode::InvalidInput, "Amount is too large.")
}

/// `base × rate / 100` in major units (exclusive tax). Exact when all or none of the goods are
/// taxable; otherwise exact up to Decimal's 28 significant digits, computed with a single
/// division: `(discounted × taxable + shipping × subtotal) × rate / (subtotal × 100)`.
fn exact_tax(rule: &TaxRule, base: &TaxBase) -> DomainResult<Decimal> {
    let subtotal = base.subtotal()?;
    let discounted = subtotal.checked_sub(&base.discount_total)?.to_decimal();
    let subtotal = subtotal.to_decimal();
    let taxable = base.taxable_subtotal()?.to_decimal();
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

/// What exclusive and inclusive tax share: no destination → no lines; the amounts must all be
/// in one currency; one line per matching rule, in table order, with the amount `amounts` gives
/// it (one amount per rule, in the same order).
fn tax_lines(
    table: &TaxTable,
    destination: Option<&Address>,
    base: &TaxBase,
    included: bool,
    amounts: impl FnOnce(&[&TaxRule]) -> DomainResult<Vec<Money>>,
) -> DomainResult<Vec<TaxLine>> {
    let Some(destination) = destination else {
        return Ok(Vec::new());
    };
    for m in base
        .lines
        .iter()
        .map(|l| &l.total)
        .chain([&base.shipping_cost])
    {
        m.cmp_same(&base.discount_total)?;
    }
    let rules: Vec<&TaxRule> = table.matching(destination).collect();
    let amounts = amounts(&rules)?;
    Ok(rules
        .into_iter()
        .zip(amounts)
        .map(|(rule, amount)| TaxLine {
            name: rule.name.clone(),
            rate: rule.rate,
            amount,
            included,
        })
        .collect())
}

/// Exclusive tax: one tax line per matching rule, in table order, rounded half-up once per tax
/// line; none without a destination.
///
/// # Errors
/// `CURRENCY_MISMATCH` when the amounts are not all in one currency; `INVALID_INPUT` on overflow.
pub fn compute_tax(
    table: &TaxTable,
    destination: Option<&Address>,
    base: &TaxBase,
) -> DomainResult<Vec<TaxLine>> {
    let currency = base.currency();
    tax_lines(table, destination, base, false, |rules| {
        rules
            .iter()
            .map(|rule| {
                Ok(Money::from_minor(
                    round_minor(exact_tax(rule, base)?, currency)?,
                    currency,
                ))
            })
            .collect()
    })
}

/// `amount` split in proportion to `weights` (≥ 0) in whole minor units, by largest remainder:
/// each part is the floor of its exact share `amount × weight / Σ weights`, and the units left
/// over go one each to the parts with the largest remainders (the earlier part first on a tie).
/// So the parts add up to `amount` exactly and each is less than one unit from its exact share.
/// All weights zero: every part is zero (the callers never split a non-zero amount then).
fn split(amount: i64, weights: &[i128]) -> DomainResult<Vec<i64>> {
    let total = weights
        .iter()
        .try_fold(0i128, |acc, w| acc.checked_add(*w))
        .ok_or_else(overflow)?;
    if total <= 0 || amount <= 0 {
        return Ok(vec![0; weights.len()]);
    }
    // (floor of the exact share, remainder of the division) per weight.
    let shares = weights
        .iter()
        .map(|w| {
            let exact = i128::from(amount).checked_mul(*w).ok_or_else(overflow)?;
            let floor = i64::try_from(exact / total).map_err(|_| overflow())?;
            Ok((floor, exact % total))
        })
        .collect::<DomainResult<Vec<(i64, i128)>>>()?;
    let left = amount - shares.iter().map(|(floor, _)| floor).sum::<i64>();
    let mut by_remainder: Vec<(std::cmp::Reverse<i128>, usize)> = shares
        .iter()
        .enumerate()
        .map(|(i, (_, remainder))| (std::cmp::Reverse(*remainder), i))
        .collect();
    by_remainder.sort_unstable();
    let mut parts: Vec<i64> = shares.into_iter().map(|(floor, _)| floor).collect();
    for (_, i) in by_remainder
        .into_iter()
        .take(usize::try_from(left).unwrap_or(0))
    {
        if let Some(part) = parts.get_mut(i) {
            *part += 1;
        }
    }
    Ok(parts)
}

/// Rates (percent, ≥ 0) as integers of one common scale, so that they can be split exactly.
fn rate_weights(rates: &[Decimal]) -> DomainResult<Vec<i128>> {
    let rates: Vec<Decimal> = rates.iter().map(|r| r.normalize()).collect();
    let scale = rates.iter().map(Decimal::scale).max().unwrap_or(0);
    rates
        .iter()
        .map(|r| {
            10i128
                .checked_pow(scale - r.scale())
                .and_then(|f| r.mantissa().checked_mul(f))
                .ok_or_else(overflow)
        })
        .collect()
}

/// The tax contained in one gross amount: an order line after its share of the discount, or the
/// shipping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncludedTax {
    /// The amount the tax is extracted from (tax included).
    pub gross: Money,
    /// The tax it contains: `gross × R / (100 + R)` with R = Σ rates, rounded half-up once.
    pub tax: Money,
    /// `gross − tax`, exactly.
    pub net: Money,
    /// `tax` split across the rates in proportion to them (largest remainder), in their order:
    /// the parts add up to `tax` exactly, each within one minor unit of `tax × rate / R`.
    pub parts: Vec<Money>,
}

/// Extracts the tax of `rates` (percent; a negative rate counts as 0) from one tax-inclusive
/// amount, rounding once: see [`IncludedTax`]. A zero or negative amount, or no positive rate,
/// contains no tax.
///
/// # Errors
/// `INVALID_INPUT` on overflow.
pub fn extract_included_tax(gross: Money, rates: &[Decimal]) -> DomainResult<IncludedTax> {
    let currency = gross.currency();
    let rates: Vec<Decimal> = rates.iter().map(|r| (*r).max(Decimal::ZERO)).collect();
    let combined = rates
        .iter()
        .try_fold(Decimal::ZERO, |acc, r| acc.checked_add(*r))
        .ok_or_else(overflow)?;
    let tax = if gross.minor() <= 0 || combined <= Decimal::ZERO {
        0
    } else {
        let divisor = Decimal::ONE_HUNDRED
            .checked_add(combined)
            .ok_or_else(overflow)?;
        let exact = gross
            .to_decimal()
            .checked_mul(combined)
            .and_then(|x| x.checked_div(divisor))
            .ok_or_else(overflow)?;
        round_minor(exact, currency)?
    };
    let parts = split(tax, &rate_weights(&rates)?)?;
    let tax = Money::from_minor(tax, currency);
    Ok(IncludedTax {
        gross,
        tax,
        net: gross.checked_sub(&tax)?,
        parts: parts
            .into_iter()
            .map(|p| Money::from_minor(p, currency))
            .collect(),
    })
}

/// The customer lines' gross amounts after the discount, with whether each is taxable: the
/// discount spread over the lines in proportion to their totals (largest remainder), so the
/// amounts add up to subtotal − discount exactly and none is negative. A discount over the
/// subtotal (which pricing rules out) takes the lines to zero.
fn discounted_lines(base: &TaxBase) -> DomainResult<Vec<(Money, bool)>> {
    let subtotal = base.subtotal()?;
    let discount = base.discount_total.min(subtotal)?.minor();
    let weights: Vec<i128> = base
        .lines
        .iter()
        .map(|l| i128::from(l.total.minor().max(0)))
        .collect();
    let shares = split(discount, &weights)?;
    base.lines
        .iter()
        .zip(shares)
        .map(|(l, share)| {
            let share = Money::from_minor(share, l.total.currency());
            Ok((l.total.checked_sub(&share)?, l.taxable))
        })
        .collect()
}

/// Inclusive tax: the prices (lines, shipping) already contain the tax, which is extracted once
/// per order line ([`extract_included_tax`]): from each taxable customer line after its share of
/// the discount with every matching rule, and from the shipping with the rules that tax it. One
/// tax line per matching rule, in table order, the sum of its parts, marked `included`; none
/// without a destination. Each line's tax is at most its gross amount, so the tax never exceeds
/// subtotal − discounts + shipping.
///
/// # Errors
/// `CURRENCY_MISMATCH` when the amounts are not all in one currency; `INVALID_INPUT` on overflow.
pub fn compute_included_tax(
    table: &TaxTable,
    destination: Option<&Address>,
    base: &TaxBase,
) -> DomainResult<Vec<TaxLine>> {
    tax_lines(table, destination, base, true, |rules| {
        let mut sums = vec![Money::zero(base.currency()); rules.len()];
        let mut add = |parts: Vec<Money>| {
            sums.iter_mut()
                .zip(parts)
                .try_for_each(|(sum, part)| -> DomainResult<()> {
                    *sum = sum.checked_add(&part)?;
                    Ok(())
                })
        };
        let goods_rates: Vec<Decimal> = rules.iter().map(|r| r.rate).collect();
        for (gross, taxable) in discounted_lines(base)? {
            if taxable {
                add(extract_included_tax(gross, &goods_rates)?.parts)?;
            }
        }
        // A rule that does not tax shipping weighs nothing in the shipping's tax.
        let shipping_rates: Vec<Decimal> = rules
            .iter()
            .map(|r| {
                if r.shipping_taxable {
                    r.rate
                } else {
                    Decimal::ZERO
                }
            })
            .collect();
        add(extract_included_tax(base.shipping_cost, &shipping_rates)?.parts)?;
        Ok(sums)
    })
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

    /// A taxable line of `taxable` and a non-taxable one of the rest of `subtotal` (each only
    /// when not zero).
    fn base(subtotal: i64, taxable: i64, discount: i64, shipping: i64) -> TaxBase {
        let lines = [(taxable, true), (subtotal - taxable, false)]
            .into_iter()
            .filter(|(total, _)| *total != 0)
            .map(|(total, taxable)| GoodsLine {
                total: sgd(total),
                taxable,
            })
            .collect();
        TaxBase {
            lines,
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
        // Three 100 % rules on 0.02: the line's tax is 0.02 × 300/400 = 0.015 → 0.02 (all of
        // it), split 0.01 + 0.01 + 0.00 (three equal remainders: the earlier rules take the
        // units). Rounding each rule on its own (0.005 → 0.01 each) would extract 0.03 from 0.02.
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

    fn goods(lines: &[(i64, bool)], discount: i64, shipping: i64) -> TaxBase {
        TaxBase {
            lines: lines
                .iter()
                .map(|(total, taxable)| GoodsLine {
                    total: sgd(*total),
                    taxable: *taxable,
                })
                .collect(),
            discount_total: sgd(discount),
            shipping_cost: sgd(shipping),
        }
    }

    #[test]
    fn inclusive_tax_is_rounded_once_per_order_line() {
        // Two lines of 0.05 under a 100 % rule: 0.025 → 0.03 each, 0.06 in all (rounding the
        // order's 0.10 once would give 0.05).
        let t = TaxTable {
            rules: vec![tax_rule("SG", None, "Double", "100", true)],
        };
        assert_eq!(
            included(
                &t,
                Some(&sg_address()),
                &goods(&[(5, true), (5, true)], 0, 0)
            ),
            vec![(s("Double"), s("100"), 6)]
        );
        // Shipping is a line of its own: 0.05 goods + 0.05 shipping → 0.03 + 0.03.
        assert_eq!(
            included(&t, Some(&sg_address()), &goods(&[(5, true)], 0, 5)),
            vec![(s("Double"), s("100"), 6)]
        );
    }

    #[test]
    fn a_lines_tax_is_split_across_the_rules_by_largest_remainder() {
        // Two 5 % rules on 1.00: 1.00 × 10/110 = 0.0909… → 0.09 for the line, split 0.045 each:
        // floors 0.04 + 0.04, and the unit left goes to the earlier rule on the tie. Rounding
        // each rule on its own (1.00 × 5/110 = 0.045… → 0.05) would extract 0.10.
        let t = TaxTable {
            rules: vec![
                tax_rule("US", None, "Federal", "5", false),
                tax_rule("US", Some("CA"), "State", "5", false),
            ],
        };
        let ca = address("US", Some("CA"), "LA");
        assert_eq!(
            included(&t, Some(&ca), &goods(&[(100, true)], 0, 0)),
            vec![(s("Federal"), s("5"), 5), (s("State"), s("5"), 4)]
        );
        // 10 % + 2.5 % on 2.00: 2.00 × 12.5/112.5 = 0.2222… → 0.22; shares 0.176 and 0.044:
        // floors 0.17 + 0.04, the unit left to the larger remainder (the federal rule's 0.6).
        let t = TaxTable {
            rules: vec![
                tax_rule("US", None, "Federal", "10", false),
                tax_rule("US", Some("CA"), "State", "2.5", false),
            ],
        };
        assert_eq!(
            included(&t, Some(&ca), &goods(&[(200, true)], 0, 0)),
            vec![(s("Federal"), s("10"), 18), (s("State"), s("2.5"), 4)]
        );
    }

    #[test]
    fn the_discount_is_spread_over_the_lines_in_whole_units() {
        // 1.00 off lines of 1.00 (taxable) and 2.00 (not): exact shares 0.333… and 0.666…, floors
        // 0.33 and 0.66, the unit left to the larger remainder: the taxable line keeps 0.67, whose
        // 10 % GST is 0.67 × 10/110 = 0.0609… → 0.06.
        let t = TaxTable {
            rules: vec![tax_rule("SG", None, "GST", "10", false)],
        };
        assert_eq!(
            included(
                &t,
                Some(&sg_address()),
                &goods(&[(100, true), (200, false)], 100, 0)
            ),
            vec![(s("GST"), s("10"), 6)]
        );
        let b = goods(&[(100, true), (200, false)], 100, 0);
        let lines = discounted_lines(&b).unwrap_or_default();
        assert_eq!(lines, vec![(sgd(67), true), (sgd(133), false)]);
    }

    #[test]
    fn one_extraction_gives_gross_tax_net_and_parts() {
        let line = extract_included_tax(sgd(1150), &[dec("10"), dec("5")]);
        assert_eq!(
            line.ok(),
            Some(IncludedTax {
                gross: sgd(1150),
                tax: sgd(150),
                net: sgd(1000),
                parts: vec![sgd(100), sgd(50)],
            })
        );
        let none = extract_included_tax(sgd(1000), &[]).ok();
        assert_eq!(none.map(|l| (l.tax, l.net)), Some((sgd(0), sgd(1000))));
        let negative = extract_included_tax(sgd(1000), &[dec("-5"), dec("10")]).ok();
        assert_eq!(
            negative.map(|l| l.parts),
            Some(vec![sgd(0), sgd(91)]),
            "a negative rate counts as 0: 10.00 × 10/110 = 0.909… → 0.91"
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1024))]

        /// One line, any rates: the tax is round_half_up(gross × R / (100 + R)) with R the sum of
        /// the rates, net + tax is the gross exactly, the parts add up to the tax exactly and
        /// each is within one minor unit of its exact share tax × rate / R.
        #[test]
        fn one_line_extracts_its_tax_once_and_splits_it_exactly(
            gross in 0i64..100_000_000_000,
            rates in proptest::collection::vec(0i64..30_000, 0..5),
        ) {
            let rates: Vec<Decimal> = rates.into_iter().map(|r| Decimal::new(r, 2)).collect();
            let line = extract_included_tax(sgd(gross), &rates);
            proptest::prop_assert!(line.is_ok(), "{:?}", line.as_ref().err());
            let Ok(line) = line else { return Ok(()) };
            let (tax, net) = (line.tax.minor(), line.net.minor());
            proptest::prop_assert_eq!(line.gross, sgd(gross));
            proptest::prop_assert_eq!(net + tax, gross, "net + tax is the gross");
            let combined: Decimal = rates.iter().sum();
            let expected = round_minor(
                Decimal::from(gross) * combined / (Decimal::ONE_HUNDRED + combined) / Decimal::ONE_HUNDRED,
                crate::money::Currency::SGD,
            ).unwrap_or(-1);
            proptest::prop_assert_eq!(tax, expected, "rounded once, half-up");
            proptest::prop_assert!(0 <= tax && tax <= gross);
            proptest::prop_assert_eq!(line.parts.len(), rates.len());
            let parts: i64 = line.parts.iter().map(Money::minor).sum();
            proptest::prop_assert_eq!(parts, tax, "the split adds up to the line's tax");
            for (part, rate) in line.parts.iter().zip(&rates) {
                proptest::prop_assert!(part.minor() >= 0);
                if combined > Decimal::ZERO {
                    // |part − tax × rate / R| < 1, without a division: |part × R − tax × rate| < R.
                    let off = (Decimal::from(part.minor()) * combined - Decimal::from(tax) * rate).abs();
                    proptest::prop_assert!(off < combined, "part {} of {} at {}/{}", part.minor(), tax, rate, combined);
                } else {
                    proptest::prop_assert_eq!(part.minor(), 0);
                }
            }
        }

        /// One rule on one line and the shipping: each part's tax is at most the exclusive tax
        /// of that part, and adding the exclusive tax back to a part's net amount restores its
        /// gross within one minor unit.
        #[test]
        fn one_inclusive_rule_extracts_per_line_what_exclusive_adds(
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
            let parts: &[i64] = if taxes_shipping { &[gross, shipping] } else { &[gross] };
            let mut expected = 0;
            for part in parts {
                let extracted = round_minor(
                    Decimal::from(*part) * rate / (Decimal::ONE_HUNDRED + rate) / Decimal::ONE_HUNDRED,
                    crate::money::Currency::SGD,
                ).unwrap_or(-2);
                let exclusive = round_minor(
                    Decimal::from(*part) * rate / Decimal::ONE_HUNDRED / Decimal::ONE_HUNDRED,
                    crate::money::Currency::SGD,
                ).unwrap_or(-2);
                proptest::prop_assert!(0 <= extracted && extracted <= exclusive && extracted <= *part);
                let net = part - extracted;
                let readded = round_minor(
                    Decimal::from(net) * rate / Decimal::ONE_HUNDRED / Decimal::ONE_HUNDRED,
                    crate::money::Currency::SGD,
                ).unwrap_or(-2);
                proptest::prop_assert!((net + readded - part).abs() <= 1, "net {} + {} vs {}", net, readded, part);
                expected += extracted;
            }
            proptest::prop_assert_eq!(tax, expected, "one rounding per line");
        }

        /// Any rules, any split: the lines never add up to more than the amount they are
        /// extracted from, all are marked included, and each rule's line is close to its exact
        /// share G × rate / (100 + Rg) + S × rate / (100 + Rs) (G the taxable share of the
        /// discounted goods, S the shipping if the rule taxes it, Rg and Rs the sums of the
        /// matching rates that tax goods and shipping): each of the two extractions (the
        /// taxable line, the shipping) is off by at most half a unit of rounding plus one unit of
        /// the split, and the taxable line's share of the discount by less than one unit.
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
            proptest::prop_assert_eq!(inc.len(), rates.len());
            let sum: i64 = inc.iter().map(|l| l.amount.minor()).sum();
            proptest::prop_assert!(sum <= subtotal - discount + shipping);
            let hundred = Decimal::ONE_HUNDRED;
            let goods = if subtotal == 0 {
                Decimal::ZERO
            } else {
                Decimal::from(subtotal - discount) * Decimal::from(taxable) / Decimal::from(subtotal)
            };
            let rg: Decimal = t.rules.iter().map(|r| r.rate).sum();
            let rs: Decimal = t.rules.iter().filter(|r| r.shipping_taxable).map(|r| r.rate).sum();
            for (line, rule) in inc.iter().zip(&t.rules) {
                proptest::prop_assert!(line.included && line.amount.minor() >= 0);
                let mut exact = goods * rule.rate / (hundred + rg);
                if rule.shipping_taxable {
                    exact += Decimal::from(shipping) * rule.rate / (hundred + rs);
                }
                let off = (Decimal::from(line.amount.minor()) - exact).abs();
                proptest::prop_assert!(off < Decimal::from(4), "{} vs {}", line.amount.minor(), exact);
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
