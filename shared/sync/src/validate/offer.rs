//! `vendor-offers` → [`Offer`].
//!
//! Every offer kind is either fully specified here or rejected at ingest, so pricing never meets
//! an offer it cannot evaluate (the original silently skipped or crashed on such offers).

use rust_decimal::Decimal;

use oms_domain::catalog::{BundleRule, GiftProduct, Offer, OfferConditions, OfferKind};
use oms_domain::ids::{OfferId, Sku, VendorId};

use super::fields::{err_at, join, limit_error, Obj, Res};
use crate::error::SyncError;

const CONDITION_KEYS: [&str; 6] = [
    "eligible_products",
    "minimum_subtotal",
    "minimum_quantity",
    "minimum_order_total",
    "gift_products",
    "bundle",
];

/// Case-insensitive, ignoring separators: `percentage_discount`, `PERCENTAGE_DISCOUNT`,
/// `Percentage Discount`.
pub fn parse_offer_kind(raw: &str) -> Option<OfferKind> {
    let norm: String = raw
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    match norm.as_str() {
        "PERCENTAGEDISCOUNT" => Some(OfferKind::PercentageDiscount),
        "FIXEDDISCOUNT" => Some(OfferKind::FixedDiscount),
        "COUPONDISCOUNT" => Some(OfferKind::CouponDiscount),
        "BUNDLE" => Some(OfferKind::Bundle),
        "FREEGIFT" => Some(OfferKind::FreeGift),
        "FREESHIPPING" => Some(OfferKind::FreeShipping),
        _ => None,
    }
}

pub(super) fn offer(d: &Obj) -> Res<Offer> {
    let vendor_id = d.id("vendor_id", VendorId::new)?;
    let offer_id = d.id("offer_id", OfferId::new)?;
    let name = d.text("name")?;
    let kind = parse_offer_kind(&d.text("offer_type")?).ok_or_else(|| {
        d.err(
            "offer_type",
            "must be one of percentage_discount, fixed_discount, coupon_discount, bundle, free_gift, free_shipping.",
        )
    })?;
    let discount_value = d
        .opt_non_negative("discount_value")?
        .unwrap_or(Decimal::ZERO);
    let conditions = conditions(d)?;
    check_kind_rules(d, kind, discount_value, &conditions)?;
    let (starts_at, ends_at) = d.date_range()?;
    let offer = Offer {
        offer_id,
        vendor_id,
        name,
        kind,
        discount_value,
        conditions,
        // A coupon_discount always needs its coupon, whatever the flag says.
        required_coupon: d.bool_or("required_coupon", false)? || kind == OfferKind::CouponDiscount,
        stackable: d.bool_or("stackable", false)?,
        priority: d
            .opt_int("priority", 0, i64::from(i32::MAX))?
            .and_then(|p| i32::try_from(p).ok())
            .unwrap_or(0),
        starts_at,
        ends_at,
        is_active: d.bool_or("is_active", false)?,
    };
    // Its name and lists within the domain's limits (the vendor's offers share one item, and
    // each gift is a line, and a stock item, of the orders it applies to).
    oms_domain::limits::check_offer(&offer).map_err(limit_error)?;
    Ok(offer)
}

fn check_kind_rules(d: &Obj, kind: OfferKind, value: Decimal, c: &OfferConditions) -> Res<()> {
    match kind {
        OfferKind::PercentageDiscount | OfferKind::CouponDiscount => {
            if value <= Decimal::ZERO || value > Decimal::ONE_HUNDRED {
                return Err(d.err(
                    "discount_value",
                    "must be greater than 0 and at most 100 for a percentage offer.",
                ));
            }
        }
        OfferKind::FixedDiscount => {
            if value <= Decimal::ZERO {
                return Err(d.err(
                    "discount_value",
                    "must be greater than 0 for a fixed discount.",
                ));
            }
        }
        OfferKind::Bundle => {
            if c.bundle.is_none() {
                return Err(err_at(
                    &join(&d.path("conditions"), "bundle"),
                    "is required for a bundle offer.",
                ));
            }
        }
        OfferKind::FreeGift => {
            if c.gift_products.is_empty() {
                return Err(err_at(
                    &join(&d.path("conditions"), "gift_products"),
                    "must list at least one gift.",
                ));
            }
        }
        OfferKind::FreeShipping => {}
    }
    Ok(())
}

fn conditions(d: &Obj) -> Res<OfferConditions> {
    let Some(map) = d.opt_object("conditions")? else {
        return Ok(OfferConditions::default());
    };
    let path = d.path("conditions");
    let c = Obj::new(map, &path);
    c.reject_unknown(&CONDITION_KEYS)?;
    Ok(OfferConditions {
        eligible_products: c.string_list("eligible_products", sku)?,
        minimum_subtotal: c.opt_non_negative("minimum_subtotal")?,
        minimum_quantity: c.opt_u32("minimum_quantity", 0)?,
        minimum_order_total: c.opt_non_negative("minimum_order_total")?,
        gift_products: gifts(&c)?,
        bundle: bundle(&c)?,
    })
}

fn sku(path: &str, raw: &str) -> Res<Sku> {
    Sku::new(raw).map_err(|e| SyncError::from_domain(path, e))
}

/// `gift_products: [{sku, quantity > 0, name?}]`.
fn gifts(c: &Obj) -> Res<Vec<GiftProduct>> {
    let Some(items) = c.opt_array("gift_products")? else {
        return Ok(Vec::new());
    };
    let base = c.path("gift_products");
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let path = join(&base, &i.to_string());
        let map = item
            .as_object()
            .ok_or_else(|| err_at(&path, "must be an object {sku, quantity, name?}."))?;
        let g = Obj::new(map, &path);
        g.reject_unknown(&["sku", "quantity", "name"])?;
        out.push(GiftProduct {
            sku: g.id("sku", Sku::new)?,
            quantity: g.u32("quantity", 1)?,
            name: g.opt_text("name")?,
        });
    }
    Ok(out)
}

/// `bundle: {buy, get}` (buy N get M free) or `{quantity, price}` (N for a price).
fn bundle(c: &Obj) -> Res<Option<BundleRule>> {
    let Some(map) = c.opt_object("bundle")? else {
        return Ok(None);
    };
    let path = c.path("bundle");
    let b = Obj::new(map, &path);
    let buy_get = b.has("buy") || b.has("get");
    let priced = b.has("quantity") || b.has("price");
    match (buy_get, priced) {
        (true, false) => {
            b.reject_unknown(&["buy", "get"])?;
            Ok(Some(BundleRule::BuyGet {
                buy: b.u32("buy", 1)?,
                get: b.u32("get", 1)?,
            }))
        }
        (false, true) => {
            b.reject_unknown(&["quantity", "price"])?;
            let quantity = b.u32("quantity", 1)?;
            let price = b
                .opt_non_negative("price")?
                .ok_or_else(|| b.err("price", "is required."))?;
            Ok(Some(BundleRule::BundlePrice { quantity, price }))
        }
        _ => Err(err_at(
            &path,
            "must be either {buy, get} or {quantity, price}.",
        )),
    }
}
