//! Coupon rules.
//!
//! A coupon is a code that unlocks one offer (`Coupon::offer_id`). Two checks exist:
//!
//! * [`validate_coupon`]: the full check run by `addCoupon` (and again at `placeOrder`), which
//!   also checks the usage counters and explains every refusal with a stable error code;
//! * [`coupon_currently_applies`]: the cheap check the pricing engine runs on every repricing to
//!   decide whether an attached coupon still unlocks its offer (active, in its window, minimum
//!   met). Usage limits are deliberately NOT re-checked there: they are checked when the coupon is
//!   attached and atomically when the order is placed.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::catalog::Coupon;
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::ids::{CouponCode, VendorId};
use crate::money::{Currency, Money};

use super::CouponUsage;

/// Where a coupon stands relative to its validity window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Window {
    NotStarted,
    Open,
    Ended,
}

/// `starts_at ≤ now ≤ ends_at`, each bound optional (None = open-ended), both inclusive.
fn window(coupon: &Coupon, now: DateTime<Utc>) -> Window {
    if coupon.starts_at.is_some_and(|start| now < start) {
        Window::NotStarted
    } else if coupon.ends_at.is_some_and(|end| now > end) {
        Window::Ended
    } else {
        Window::Open
    }
}

/// Whether `subtotal` (order currency, before discounts) reaches the coupon's minimum.
fn minimum_met(coupon: &Coupon, subtotal: Money) -> bool {
    coupon
        .minimum_subtotal
        .is_none_or(|min| subtotal.to_decimal() >= min)
}

/// The coupon snapshot belongs to `vendor_id`, carries `code` and is active.
fn offered_by(coupon: &Coupon, code: &CouponCode, vendor_id: &VendorId) -> bool {
    coupon.is_active && &coupon.vendor_id == vendor_id && &coupon.code == code
}

/// Formats a threshold in major units with its currency ("50.00 SGD"); a threshold with more
/// decimals than the currency has is shown as written.
fn format_threshold(min: Decimal, currency: Currency) -> String {
    match Money::from_decimal_exact(min, currency) {
        Ok(m) => m.to_string(),
        Err(_) => format!("{} {currency}", min.normalize()),
    }
}

/// The `addCoupon` check. `coupon` is the vendor's snapshot for `code` (None when there is none),
/// `subtotal` the order's subtotal before discounts, `usage` the redemption counters.
///
/// # Errors
/// All errors carry the field path `["code"]`; checks run in this order:
/// * `COUPON_INVALID` "Coupon {code} is not offered by vendor {vendor}": no snapshot, a snapshot of
///   another vendor or code, or an inactive coupon;
/// * `COUPON_EXPIRED` "Coupon code {code} no longer valid." after `ends_at`, or
///   "Coupon code {code} is not valid yet." before `starts_at`;
/// * `COUPON_MINIMUM_NOT_MET` when `subtotal` < `minimum_subtotal` (the message names the minimum
///   with its currency);
/// * `COUPON_USAGE_LIMIT_REACHED` when `total_used ≥ usage_limit` or
///   `customer_used ≥ per_customer_limit`.
pub fn validate_coupon(
    coupon: Option<&Coupon>,
    code: &CouponCode,
    vendor_id: &VendorId,
    subtotal: Money,
    usage: CouponUsage,
    now: DateTime<Utc>,
) -> DomainResult<()> {
    let err = |code: ErrorCode, message: String| Err(DomainError::new(code, message).at(["code"]));
    let Some(coupon) = coupon.filter(|c| offered_by(c, code, vendor_id)) else {
        return err(
            ErrorCode::CouponInvalid,
            format!("Coupon {code} is not offered by vendor {vendor_id}"),
        );
    };
    match window(coupon, now) {
        Window::Open => {}
        Window::Ended => {
            return err(
                ErrorCode::CouponExpired,
                format!("Coupon code {code} no longer valid."),
            )
        }
        Window::NotStarted => {
            return err(
                ErrorCode::CouponExpired,
                format!("Coupon code {code} is not valid yet."),
            );
        }
    }
    if let Some(min) = coupon
        .minimum_subtotal
        .filter(|_| !minimum_met(coupon, subtotal))
    {
        return err(
            ErrorCode::CouponMinimumNotMet,
            format!(
                "Coupon {code} requires a minimum subtotal of {}; the order subtotal is {subtotal}.",
                format_threshold(min, subtotal.currency())
            ),
        );
    }
    if coupon
        .usage_limit
        .is_some_and(|limit| usage.total_used >= limit)
    {
        return err(
            ErrorCode::CouponUsageLimitReached,
            format!("Coupon {code} has reached its usage limit."),
        );
    }
    if coupon
        .per_customer_limit
        .is_some_and(|limit| usage.customer_used >= limit)
    {
        return err(
            ErrorCode::CouponUsageLimitReached,
            format!(
                "Coupon {code} has already been used the maximum number of times by this customer."
            ),
        );
    }
    Ok(())
}

/// Whether an attached coupon still unlocks its offer now: it belongs to `vendor_id`, is active,
/// `now` is inside its window and `subtotal` (before discounts) meets its minimum.
/// Usage limits are not checked here (see the module documentation).
pub fn coupon_currently_applies(
    coupon: &Coupon,
    vendor_id: &VendorId,
    subtotal: Money,
    now: DateTime<Utc>,
) -> bool {
    coupon.is_active
        && &coupon.vendor_id == vendor_id
        && window(coupon, now) == Window::Open
        && minimum_met(coupon, subtotal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pricing::test_support::*;

    fn check(
        coupon: Option<&Coupon>,
        subtotal_minor: i64,
        usage: CouponUsage,
    ) -> Result<(), (ErrorCode, String)> {
        let code = code("SAVE10");
        validate_coupon(
            coupon,
            &code,
            &vendor_id(),
            sgd(subtotal_minor),
            usage,
            now(),
        )
        .map_err(|e| {
            assert_eq!(
                e.field,
                Some(vec!["code".to_string()]),
                "every coupon error points at the code"
            );
            (e.code, e.message)
        })
    }

    #[test]
    fn a_valid_coupon_passes() {
        let c = coupon("SAVE10", "o-1");
        assert_eq!(check(Some(&c), 1000, CouponUsage::default()), Ok(()));
    }

    #[test]
    fn a_missing_coupon_is_invalid_with_the_original_message() {
        let r = check(None, 1000, CouponUsage::default());
        assert_eq!(
            r,
            Err((
                ErrorCode::CouponInvalid,
                "Coupon SAVE10 is not offered by vendor v-1".to_string()
            ))
        );
    }

    #[test]
    fn an_inactive_coupon_is_invalid() {
        let mut c = coupon("SAVE10", "o-1");
        c.is_active = false;
        assert_eq!(
            check(Some(&c), 1000, CouponUsage::default()).map_err(|e| e.0),
            Err(ErrorCode::CouponInvalid)
        );
    }

    #[test]
    fn a_coupon_of_another_vendor_or_code_is_invalid() {
        let mut c = coupon("SAVE10", "o-1");
        c.vendor_id = VendorId::new("v-2").unwrap_or_else(|_| vendor_id());
        assert_eq!(
            check(Some(&c), 1000, CouponUsage::default()).map_err(|e| e.0),
            Err(ErrorCode::CouponInvalid)
        );
        let other = coupon("OTHER", "o-1");
        assert_eq!(
            check(Some(&other), 1000, CouponUsage::default()).map_err(|e| e.0),
            Err(ErrorCode::CouponInvalid)
        );
    }

    #[test]
    fn an_ended_coupon_is_expired_with_the_original_message() {
        let mut c = coupon("SAVE10", "o-1");
        c.ends_at = Some(now() - chrono::Duration::seconds(1));
        let r = check(Some(&c), 1000, CouponUsage::default());
        assert_eq!(
            r,
            Err((
                ErrorCode::CouponExpired,
                "Coupon code SAVE10 no longer valid.".to_string()
            ))
        );
    }

    #[test]
    fn a_coupon_not_started_yet_is_refused_as_expired() {
        let mut c = coupon("SAVE10", "o-1");
        c.starts_at = Some(now() + chrono::Duration::seconds(1));
        let r = check(Some(&c), 1000, CouponUsage::default());
        assert_eq!(
            r,
            Err((
                ErrorCode::CouponExpired,
                "Coupon code SAVE10 is not valid yet.".to_string()
            ))
        );
    }

    #[test]
    fn window_bounds_are_inclusive() {
        let mut c = coupon("SAVE10", "o-1");
        c.starts_at = Some(now());
        c.ends_at = Some(now());
        assert_eq!(check(Some(&c), 1000, CouponUsage::default()), Ok(()));
    }

    #[test]
    fn a_subtotal_below_the_minimum_is_refused_naming_the_minimum() {
        let mut c = coupon("SAVE10", "o-1");
        c.minimum_subtotal = Some(dec("50"));
        let r = check(Some(&c), 4999, CouponUsage::default());
        let (code, message) = r.err().unwrap_or((ErrorCode::InvalidInput, String::new()));
        assert_eq!(code, ErrorCode::CouponMinimumNotMet);
        assert!(message.contains("50.00 SGD"), "{message}");
        // Exactly the minimum is enough.
        assert_eq!(check(Some(&c), 5000, CouponUsage::default()), Ok(()));
    }

    #[test]
    fn the_global_usage_limit_is_enforced() {
        let mut c = coupon("SAVE10", "o-1");
        c.usage_limit = Some(3);
        let used = |n| CouponUsage {
            total_used: n,
            customer_used: 0,
        };
        assert_eq!(check(Some(&c), 1000, used(2)), Ok(()));
        assert_eq!(
            check(Some(&c), 1000, used(3)).map_err(|e| e.0),
            Err(ErrorCode::CouponUsageLimitReached)
        );
    }

    #[test]
    fn the_per_customer_limit_is_enforced() {
        let mut c = coupon("SAVE10", "o-1");
        c.per_customer_limit = Some(1);
        let used = |n| CouponUsage {
            total_used: 10,
            customer_used: n,
        };
        assert_eq!(check(Some(&c), 1000, used(0)), Ok(()));
        assert_eq!(
            check(Some(&c), 1000, used(1)).map_err(|e| e.0),
            Err(ErrorCode::CouponUsageLimitReached)
        );
    }

    #[test]
    fn currently_applies_checks_active_window_minimum_and_vendor_but_not_usage() {
        let mut c = coupon("SAVE10", "o-1");
        c.usage_limit = Some(0);
        assert!(
            coupon_currently_applies(&c, &vendor_id(), sgd(1000), now()),
            "usage is not re-checked"
        );
        let mut inactive = c.clone();
        inactive.is_active = false;
        assert!(!coupon_currently_applies(
            &inactive,
            &vendor_id(),
            sgd(1000),
            now()
        ));
        let mut ended = c.clone();
        ended.ends_at = Some(now() - chrono::Duration::minutes(1));
        assert!(!coupon_currently_applies(
            &ended,
            &vendor_id(),
            sgd(1000),
            now()
        ));
        let mut minimum = c.clone();
        minimum.minimum_subtotal = Some(dec("10.01"));
        assert!(!coupon_currently_applies(
            &minimum,
            &vendor_id(),
            sgd(1000),
            now()
        ));
        let other_vendor = VendorId::new("v-2").unwrap_or_else(|_| vendor_id());
        assert!(!coupon_currently_applies(
            &c,
            &other_vendor,
            sgd(1000),
            now()
        ));
    }
}
