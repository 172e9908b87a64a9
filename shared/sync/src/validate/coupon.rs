//! `vendor-coupons` → [`Coupon`].

use oms_domain::catalog::Coupon;
use oms_domain::ids::{CouponCode, OfferId, VendorId};

use super::fields::{Obj, Res};

pub(super) fn coupon(d: &Obj) -> Res<Coupon> {
    let vendor_id = d.id("vendor_id", VendorId::new)?;
    let code = d.id("coupon_code", CouponCode::new)?;
    let offer_id = d.id("offer_id", OfferId::new)?;
    let (starts_at, ends_at) = d.date_range()?;
    Ok(Coupon {
        vendor_id,
        code,
        offer_id,
        starts_at,
        ends_at,
        // The original's default: a coupon is inactive unless the sender says otherwise.
        is_active: d.bool_or("is_active", false)?,
        usage_limit: d.opt_u32("usage_limit", 0)?,
        per_customer_limit: d.opt_u32("per_customer_limit", 0)?,
        minimum_subtotal: d.opt_non_negative("minimum_subtotal")?,
    })
}
