//! Shipping: which of the vendor's options an order is eligible for, and what each costs.
//!
//! Every rule is checked in this order; the first failure is the (human) reason:
//!
//! | check | applies to | rule |
//! |---|---|---|
//! | vendor, active | all | the option belongs to the priced vendor and is active |
//! | currency | all | `base_cost` and `flat_rate` are in the order currency |
//! | domestic | STANDARD, SAME_DAY, LOCAL_PICKUP | destination country = vendor country (codes) |
//! | weight | all | total weight ≤ `max_weight` when set |
//! | cutoff | EXPRESS, SAME_DAY | local time ≤ `cutoff_time` when set |
//! | cities | SAME_DAY (when the list is non-empty), LOCAL_PICKUP (list required) | destination city in `near_by_cities`, case-insensitive |
//! | pickup window | LOCAL_PICKUP | local time within `[pickup_time_from, pickup_time_to]` (each bound when set; a window with from > to spans midnight) |
//! | minimum | FREE_SHIPPING | subtotal − discounts ≥ `min_order_amount` when set |
//!
//! Cost: STANDARD, EXPRESS, SAME_DAY `base_cost + flat_rate × weight`, rounded half-up once;
//! FLAT_RATE `base_cost` when above zero, else `flat_rate` (no weight factor); LOCAL_PICKUP and
//! FREE_SHIPPING zero (in the order currency).
//!
//! Total weight = Σ `weight_kg × quantity` of the customer's lines; gift lines never count.
//! Local time = `now` (UTC) + the option's `utc_offset_minutes` (0 when absent), compared as
//! minutes of the day (seconds are ignored, so 17:00:59 is still "17:00").

use chrono::{DateTime, Timelike, Utc};
use rust_decimal::Decimal;

use crate::address::Address;
use crate::catalog::{LocalTime, ShippingMethod, ShippingOptionRule, Vendor};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::money::{Currency, Money};
use crate::order::LineItem;

use super::ShippingQuote;

/// What shipping eligibility is decided from.
#[derive(Debug, Clone, Copy)]
pub struct ShippingScope<'a> {
    pub vendor: &'a Vendor,
    pub destination: &'a Address,
    /// The order currency.
    pub currency: Currency,
    /// Total weight of the customer's lines in kg ([`total_weight`]).
    pub weight_kg: Decimal,
    /// Subtotal − discount total (goods only, no shipping, no tax).
    pub discounted_subtotal: Money,
    pub now: DateTime<Utc>,
}

/// Σ `weight_kg × quantity` over the customer lines (lines flagged `is_free_gift` excluded).
///
/// # Errors
/// `INVALID_INPUT` when the sum overflows.
pub fn total_weight(lines: &[LineItem]) -> DomainResult<Decimal> {
    lines
        .iter()
        .filter(|l| !l.is_free_gift)
        .try_fold(Decimal::ZERO, |acc, l| {
            l.package
                .weight_kg
                .checked_mul(Decimal::from(l.quantity))
                .and_then(|w| acc.checked_add(w))
                .ok_or_else(|| {
                    DomainError::new(ErrorCode::InvalidInput, "Total weight is too large.")
                })
        })
}

/// How the method is called in reasons: "Standard shipping", "Local Pickup", …
fn label(method: ShippingMethod) -> String {
    match method {
        ShippingMethod::Standard | ShippingMethod::Express | ShippingMethod::FlatRate => {
            format!("{} shipping", method.display_name())
        }
        ShippingMethod::SameDay | ShippingMethod::LocalPickup | ShippingMethod::FreeShipping => {
            method.display_name().to_string()
        }
    }
}

fn hhmm(t: LocalTime) -> String {
    format!("{:02}:{:02}", t.hour, t.minute)
}

fn minutes_text(m: u32) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

/// Minutes since local midnight for a UTC offset in minutes.
fn local_minutes(now: DateTime<Utc>, utc_offset_minutes: Option<i32>) -> u32 {
    let utc = i64::from(now.hour()) * 60 + i64::from(now.minute());
    let local = (utc + i64::from(utc_offset_minutes.unwrap_or(0))).rem_euclid(24 * 60);
    u32::try_from(local).unwrap_or(0)
}

fn city_listed(cities: &[String], city: &str) -> bool {
    let wanted = city.trim().to_lowercase();
    cities.iter().any(|c| c.trim().to_lowercase() == wanted)
}

fn within_window(now: u32, from: Option<LocalTime>, to: Option<LocalTime>) -> bool {
    match (from.map(|t| t.minutes()), to.map(|t| t.minutes())) {
        (Some(f), Some(t)) if f <= t => f <= now && now <= t,
        // A window such as 22:00–02:00 spans midnight.
        (Some(f), Some(t)) => now >= f || now <= t,
        (Some(f), None) => now >= f,
        (None, Some(t)) => now <= t,
        (None, None) => true,
    }
}

fn is_domestic(method: ShippingMethod) -> bool {
    matches!(
        method,
        ShippingMethod::Standard | ShippingMethod::SameDay | ShippingMethod::LocalPickup
    )
}

/// `base + rate × weight`, the weight product rounded half-up once.
fn by_weight(rule: &ShippingOptionRule, weight_kg: Decimal) -> DomainResult<Money> {
    rule.base_cost
        .checked_add(&rule.flat_rate.mul_decimal_rounded(weight_kg)?)
}

fn cost(rule: &ShippingOptionRule, scope: &ShippingScope<'_>) -> DomainResult<Money> {
    match rule.method {
        ShippingMethod::Standard | ShippingMethod::Express | ShippingMethod::SameDay => {
            by_weight(rule, scope.weight_kg)
        }
        ShippingMethod::FlatRate if rule.base_cost.minor() > 0 => Ok(rule.base_cost),
        ShippingMethod::FlatRate => Ok(rule.flat_rate),
        ShippingMethod::LocalPickup | ShippingMethod::FreeShipping => {
            Ok(Money::zero(scope.currency))
        }
    }
}

/// Whether one shipping option is eligible for the order now: `Ok(quote)` with its cost, or
/// `Err(reason)` explaining to the customer why not. Never fails otherwise (a cost that overflows
/// makes the option ineligible).
pub fn quote_rule(
    rule: &ShippingOptionRule,
    scope: &ShippingScope<'_>,
) -> Result<ShippingQuote, String> {
    let method = rule.method;
    let name = label(method);
    let cond = &rule.conditions;
    let dest = scope.destination;
    if rule.vendor_id != scope.vendor.vendor_id {
        return Err(format!(
            "{name} is not offered by vendor {}.",
            scope.vendor.vendor_id
        ));
    }
    if !rule.is_active {
        return Err(format!("{name} is currently unavailable."));
    }
    for price in [rule.base_cost, rule.flat_rate] {
        if price.currency() != scope.currency {
            return Err(format!(
                "{name} is priced in {}, but the order is in {}.",
                price.currency(),
                scope.currency
            ));
        }
    }
    if is_domestic(method) && dest.country != scope.vendor.country {
        return Err(format!(
            "{name} is domestic only: vendor ships from {}, destination is {}.",
            scope.vendor.country, dest.country
        ));
    }
    if let Some(max) = cond.max_weight.filter(|max| scope.weight_kg > *max) {
        return Err(format!(
            "{name} allows at most {} kg; the order weighs {} kg.",
            max.normalize(),
            scope.weight_kg.normalize()
        ));
    }
    let local_now = local_minutes(scope.now, cond.utc_offset_minutes);
    if matches!(method, ShippingMethod::Express | ShippingMethod::SameDay) {
        if let Some(cutoff) = cond.cutoff_time.filter(|c| local_now > c.minutes()) {
            return Err(format!(
                "{name} must be ordered by {} (vendor local time); it is now {}.",
                hhmm(cutoff),
                minutes_text(local_now)
            ));
        }
    }
    let cities = &cond.near_by_cities;
    let city_required = method == ShippingMethod::LocalPickup
        || (method == ShippingMethod::SameDay && !cities.is_empty());
    if city_required && !city_listed(cities, &dest.city) {
        return Err(format!("{name} is not available in {}.", dest.city.trim()));
    }
    if method == ShippingMethod::LocalPickup
        && !within_window(local_now, cond.pickup_time_from, cond.pickup_time_to)
    {
        let bound = |t: Option<LocalTime>| t.map_or_else(|| "any time".to_string(), hhmm);
        return Err(format!(
            "{name} is available from {} to {} (vendor local time); it is now {}.",
            bound(cond.pickup_time_from),
            bound(cond.pickup_time_to),
            minutes_text(local_now)
        ));
    }
    if method == ShippingMethod::FreeShipping {
        if let Some(min) = cond
            .min_order_amount
            .filter(|min| scope.discounted_subtotal.to_decimal() < *min)
        {
            let min_text = Money::from_decimal_exact(min, scope.currency).map_or_else(
                |_| format!("{} {}", min.normalize(), scope.currency),
                |m| m.to_string(),
            );
            return Err(format!(
                "{name} needs a subtotal after discounts of at least {min_text}; the order has {}.",
                scope.discounted_subtotal
            ));
        }
    }
    let cost = cost(rule, scope)
        .map_err(|e| format!("{name} cost could not be computed: {}", e.message))?;
    Ok(ShippingQuote {
        method,
        name: method.display_name().to_string(),
        delivery_time: rule.delivery_time.clone(),
        cost,
    })
}

/// The quote for one method: the cheapest eligible option of that method (normally the vendor
/// has exactly one), or the reason the first option of that method is not eligible.
pub fn quote_method(
    method: ShippingMethod,
    rules: &[ShippingOptionRule],
    scope: &ShippingScope<'_>,
) -> Result<ShippingQuote, String> {
    let mut best: Option<ShippingQuote> = None;
    let mut first_reason: Option<String> = None;
    for rule in rules.iter().filter(|r| r.method == method) {
        match quote_rule(rule, scope) {
            Ok(q)
                if best
                    .as_ref()
                    .is_none_or(|b| q.cost.minor() < b.cost.minor()) =>
            {
                best = Some(q)
            }
            Ok(_) => {}
            Err(reason) => {
                first_reason.get_or_insert(reason);
            }
        }
    }
    best.ok_or_else(|| {
        first_reason.unwrap_or_else(|| {
            format!(
                "{} is not offered by vendor {}.",
                label(method),
                scope.vendor.vendor_id
            )
        })
    })
}

/// Every eligible method with its cost, sorted by cost, then method.
pub fn eligible_quotes(
    rules: &[ShippingOptionRule],
    scope: &ShippingScope<'_>,
) -> Vec<ShippingQuote> {
    let mut quotes: Vec<ShippingQuote> = ShippingMethod::ALL
        .into_iter()
        .filter_map(|m| quote_method(m, rules, scope).ok())
        .collect();
    quotes.sort_by(|a, b| {
        a.cost
            .minor()
            .cmp(&b.cost.minor())
            .then(a.method.cmp(&b.method))
    });
    quotes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::ShippingMethod::*;
    use crate::pricing::test_support::*;

    struct Env {
        vendor: Vendor,
        destination: Address,
        weight: Decimal,
        discounted: Money,
        now: DateTime<Utc>,
    }

    impl Env {
        fn sg() -> Self {
            Env {
                vendor: vendor(),
                destination: sg_address(),
                weight: dec("2"),
                discounted: sgd(2000),
                now: now(),
            }
        }

        fn to(mut self, destination: Address) -> Self {
            self.destination = destination;
            self
        }

        fn scope(&self) -> ShippingScope<'_> {
            ShippingScope {
                vendor: &self.vendor,
                destination: &self.destination,
                currency: Currency::SGD,
                weight_kg: self.weight,
                discounted_subtotal: self.discounted,
                now: self.now,
            }
        }

        fn quote(&self, rule: &ShippingOptionRule) -> Result<i64, String> {
            quote_rule(rule, &self.scope()).map(|q| q.cost.minor())
        }
    }

    fn us() -> Address {
        address("US", Some("CA"), "Los Angeles")
    }

    #[test]
    fn total_weight_counts_customer_lines_times_quantity_and_skips_gifts() {
        let mut gift = line("GIFT", 0, 5, "3");
        gift.is_free_gift = true;
        let lines = [line("A", 100, 2, "1.25"), line("B", 100, 3, "0.5"), gift];
        assert_eq!(total_weight(&lines).ok(), Some(dec("4.0")));
    }

    #[test]
    fn standard_costs_base_plus_rate_per_kg() {
        let env = Env::sg();
        assert_eq!(env.quote(&rule(Standard, 500, 150)), Ok(800)); // 5 + 1.5 × 2
    }

    #[test]
    fn standard_is_domestic_only() {
        let env = Env::sg().to(us());
        assert_eq!(
            env.quote(&rule(Standard, 500, 150)),
            Err(
                "Standard shipping is domestic only: vendor ships from SG, destination is US."
                    .to_string()
            )
        );
    }

    #[test]
    fn max_weight_is_inclusive() {
        let mut r = rule(Standard, 500, 0);
        r.conditions.max_weight = Some(dec("2"));
        assert_eq!(Env::sg().quote(&r), Ok(500));
        r.conditions.max_weight = Some(dec("1.99"));
        let reason = Env::sg().quote(&r).err().unwrap_or_default();
        assert!(
            reason.contains("at most 1.99 kg") && reason.contains("weighs 2 kg"),
            "{reason}"
        );
        for method in [Express, SameDay, FlatRate, FreeShipping] {
            let mut r = rule(method, 500, 0);
            r.conditions.max_weight = Some(dec("1"));
            assert!(
                Env::sg().quote(&r).is_err(),
                "{method:?} honours max_weight"
            );
        }
    }

    #[test]
    fn weight_cost_is_rounded_half_up_once() {
        let mut env = Env::sg();
        env.weight = dec("0.5");
        // 1.25 × 0.5 = 0.625 → 0.63 (half-even would give 0.62).
        assert_eq!(env.quote(&rule(Standard, 0, 125)), Ok(63));
        assert_eq!(env.quote(&rule(Express, 100, 125)), Ok(163));
    }

    #[test]
    fn express_ships_internationally_until_the_cutoff() {
        let mut r = rule(Express, 1000, 100);
        r.conditions.cutoff_time = LocalTime::parse("10:00");
        let mut env = Env::sg().to(us());
        assert_eq!(
            env.quote(&r),
            Ok(1200),
            "10:00 is still on time (inclusive)"
        );
        env.now = at(10, 1);
        let reason = env.quote(&r).err().unwrap_or_default();
        assert!(
            reason.contains("by 10:00") && reason.contains("now 10:01"),
            "{reason}"
        );
    }

    #[test]
    fn the_cutoff_is_compared_in_vendor_local_time() {
        let mut r = rule(Express, 1000, 0);
        r.conditions.cutoff_time = LocalTime::parse("17:00");
        r.conditions.utc_offset_minutes = Some(480); // SGT
        let mut env = Env::sg();
        env.now = at(8, 59); // 16:59 in Singapore
        assert!(env.quote(&r).is_ok());
        env.now = at(9, 1); // 17:01 in Singapore
        assert!(env.quote(&r).is_err());
        // A negative offset wraps to the previous day: 02:00 UTC − 5 h = 21:00.
        r.conditions.utc_offset_minutes = Some(-300);
        env.now = at(2, 0);
        assert!(env.quote(&r).is_err());
    }

    #[test]
    fn same_day_is_domestic_before_cutoff_and_in_listed_cities() {
        let mut r = rule(SameDay, 1000, 0);
        assert_eq!(
            Env::sg().quote(&r),
            Ok(1000),
            "no cities listed: any domestic city"
        );
        assert!(Env::sg().to(us()).quote(&r).is_err(), "domestic only");
        r.conditions.near_by_cities = vec!["  SINGAPORE ".into()];
        assert_eq!(
            Env::sg().quote(&r),
            Ok(1000),
            "city match is case-insensitive"
        );
        let elsewhere = Env::sg().to(address("SG", None, "Jurong"));
        assert_eq!(
            elsewhere.quote(&r),
            Err("Same Day Delivery is not available in Jurong.".to_string())
        );
        r.conditions.cutoff_time = LocalTime::parse("09:59");
        assert!(Env::sg().quote(&r).is_err(), "after cutoff");
    }

    #[test]
    fn same_day_costs_by_weight() {
        assert_eq!(Env::sg().quote(&rule(SameDay, 1000, 50)), Ok(1100));
    }

    #[test]
    fn local_pickup_needs_a_listed_city() {
        let mut r = rule(LocalPickup, 500, 100);
        assert!(
            Env::sg().quote(&r).is_err(),
            "an empty city list means nowhere"
        );
        r.conditions.near_by_cities = vec!["singapore".into()];
        assert_eq!(Env::sg().quote(&r), Ok(0), "pickup is free");
        assert!(Env::sg()
            .to(address("SG", None, "Woodlands"))
            .quote(&r)
            .is_err());
        let mut abroad = us();
        abroad.city = "Singapore".into();
        assert!(Env::sg().to(abroad).quote(&r).is_err(), "domestic only");
    }

    #[test]
    fn local_pickup_respects_its_window_in_local_time() {
        let mut r = rule(LocalPickup, 0, 0);
        r.conditions.near_by_cities = vec!["Singapore".into()];
        r.conditions.pickup_time_from = LocalTime::parse("09:00");
        r.conditions.pickup_time_to = LocalTime::parse("18:00");
        r.conditions.utc_offset_minutes = Some(480);
        let mut env = Env::sg();
        env.now = at(1, 0); // 09:00 SGT, inclusive
        assert!(env.quote(&r).is_ok());
        env.now = at(10, 0); // 18:00 SGT, inclusive
        assert!(env.quote(&r).is_ok());
        env.now = at(10, 1); // 18:01 SGT
        let reason = env.quote(&r).err().unwrap_or_default();
        assert!(
            reason.contains("from 09:00 to 18:00") && reason.contains("now 18:01"),
            "{reason}"
        );
        env.now = at(0, 59); // 08:59 SGT
        assert!(env.quote(&r).is_err());
    }

    #[test]
    fn a_pickup_window_may_span_midnight_or_have_one_bound() {
        assert!(within_window(
            23 * 60,
            LocalTime::parse("22:00"),
            LocalTime::parse("02:00")
        ));
        assert!(within_window(
            60,
            LocalTime::parse("22:00"),
            LocalTime::parse("02:00")
        ));
        assert!(!within_window(
            12 * 60,
            LocalTime::parse("22:00"),
            LocalTime::parse("02:00")
        ));
        assert!(within_window(12 * 60, LocalTime::parse("09:00"), None));
        assert!(!within_window(8 * 60, LocalTime::parse("09:00"), None));
        assert!(!within_window(19 * 60, None, LocalTime::parse("18:00")));
    }

    #[test]
    fn free_shipping_needs_the_discounted_subtotal_to_reach_the_minimum() {
        let mut r = rule(FreeShipping, 500, 100);
        r.conditions.min_order_amount = Some(dec("20"));
        let mut env = Env::sg().to(us());
        assert_eq!(
            env.quote(&r),
            Ok(0),
            "exactly the minimum is enough (the original used >); international allowed"
        );
        env.discounted = sgd(1999);
        let reason = env.quote(&r).err().unwrap_or_default();
        assert!(
            reason.contains("at least 20.00 SGD") && reason.contains("19.99 SGD"),
            "{reason}"
        );
    }

    #[test]
    fn flat_rate_ignores_weight() {
        let mut env = Env::sg().to(us());
        env.weight = dec("100");
        assert_eq!(
            env.quote(&rule(FlatRate, 700, 300)),
            Ok(700),
            "base cost when above zero"
        );
        assert_eq!(
            env.quote(&rule(FlatRate, 0, 300)),
            Ok(300),
            "else the flat rate"
        );
    }

    #[test]
    fn an_option_in_another_currency_is_not_eligible() {
        let mut r = rule(Standard, 500, 0);
        r.base_cost = Money::from_minor(500, Currency::USD);
        r.flat_rate = Money::from_minor(0, Currency::USD);
        assert_eq!(
            Env::sg().quote(&r),
            Err("Standard shipping is priced in USD, but the order is in SGD.".to_string())
        );
        let mut mixed = rule(Standard, 500, 0);
        mixed.flat_rate = Money::from_minor(0, Currency::USD);
        assert!(Env::sg().quote(&mixed).is_err());
    }

    #[test]
    fn inactive_options_and_other_vendors_options_are_not_eligible() {
        let mut r = rule(Standard, 500, 0);
        r.is_active = false;
        assert_eq!(
            Env::sg().quote(&r),
            Err("Standard shipping is currently unavailable.".to_string())
        );
        let mut other = rule(Standard, 500, 0);
        other.vendor_id = crate::ids::VendorId::new("v-2").unwrap_or_else(|_| vendor_id());
        assert!(Env::sg().quote(&other).is_err());
    }

    #[test]
    fn a_cost_that_overflows_makes_the_option_ineligible_instead_of_failing() {
        let mut r = rule(Standard, i64::MAX, 100);
        r.flat_rate = sgd(100);
        let reason = Env::sg().quote(&r).err().unwrap_or_default();
        assert!(
            reason.starts_with("Standard shipping cost could not be computed"),
            "{reason}"
        );
    }

    #[test]
    fn quotes_carry_display_name_and_delivery_time() {
        let q = quote_rule(&rule(SameDay, 100, 0), &Env::sg().scope());
        let q = q.ok();
        assert_eq!(
            q.as_ref().map(|q| q.name.as_str()),
            Some("Same Day Delivery")
        );
        assert_eq!(
            q.as_ref().map(|q| q.delivery_time.as_str()),
            Some("2-3 Days")
        );
        assert_eq!(q.map(|q| q.method), Some(SameDay));
    }

    #[test]
    fn a_method_without_an_option_is_explained() {
        let reason = quote_method(Express, &[rule(Standard, 0, 0)], &Env::sg().scope()).err();
        assert_eq!(
            reason,
            Some("Express shipping is not offered by vendor v-1.".to_string())
        );
    }

    #[test]
    fn the_cheapest_eligible_option_of_a_method_wins() {
        let mut inactive = rule(Standard, 100, 0);
        inactive.is_active = false;
        let rules = [rule(Standard, 900, 0), inactive, rule(Standard, 400, 0)];
        assert_eq!(
            quote_method(Standard, &rules, &Env::sg().scope()).map(|q| q.cost.minor()),
            Ok(400)
        );
    }

    #[test]
    fn eligible_quotes_are_sorted_by_cost_then_method() {
        let mut pickup = rule(LocalPickup, 0, 0);
        pickup.conditions.near_by_cities = vec!["Singapore".into()];
        let rules = [
            rule(Express, 1500, 0),
            rule(Standard, 500, 0),
            rule(FlatRate, 500, 0),
            pickup,
            rule(FreeShipping, 0, 0),
        ];
        let listed: Vec<(ShippingMethod, i64)> = eligible_quotes(&rules, &Env::sg().scope())
            .iter()
            .map(|q| (q.method, q.cost.minor()))
            .collect();
        assert_eq!(
            listed,
            vec![
                (LocalPickup, 0),
                (FreeShipping, 0),
                (Standard, 500),
                (FlatRate, 500),
                (Express, 1500)
            ]
        );
        let abroad: Vec<ShippingMethod> = eligible_quotes(&rules, &Env::sg().to(us()).scope())
            .iter()
            .map(|q| q.method)
            .collect();
        assert_eq!(abroad, vec![FreeShipping, FlatRate, Express]);
    }
}
