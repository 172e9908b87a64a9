//! `vendor-shipping-options` → [`ShippingOptionRule`].
//!
//! The conditions each method needs (docs/sync.md §4) are required here, so an option that
//! could never be offered is rejected at ingest instead of being skipped silently at checkout.

use oms_domain::catalog::{LocalTime, ShippingConditions, ShippingMethod, ShippingOptionRule};
use oms_domain::ids::VendorId;
use oms_domain::money::{Currency, Money};

use super::fields::{Obj, Res};

const CONDITION_KEYS: [&str; 7] = [
    "max_weight",
    "cutoff_time",
    "near_by_cities",
    "pickup_time_from",
    "pickup_time_to",
    "min_order_amount",
    "utc_offset",
];

/// Largest real UTC offset (+14:00, Line Islands), in minutes.
const MAX_OFFSET_MINUTES: i32 = 14 * 60;

pub(super) fn shipping_option(d: &Obj) -> Res<ShippingOptionRule> {
    let vendor_id = d.id("vendor_id", VendorId::new)?;
    let method = ShippingMethod::parse(&d.text("name")?).ok_or_else(|| {
        d.err(
            "name",
            "must be a shipping method: STANDARD, EXPRESS, SAME_DAY, LOCAL_PICKUP, FREE_SHIPPING, FLAT_RATE \
             (or the display names Standard, Express, Same Day Delivery, Local Pickup, Free Shipping, Flat Rate).",
        )
    })?;
    let delivery_time =
        d.text_within("delivery_time", oms_domain::limits::MAX_DELIVERY_TIME_CHARS)?;
    // The original's default currency.
    let currency = d.currency("currency", Some(Currency::SGD))?;
    let base_cost = d
        .opt_money("base_cost", currency)?
        .unwrap_or(Money::zero(currency));
    let flat_rate = d
        .opt_money("flat_rate", currency)?
        .unwrap_or(Money::zero(currency));
    let conditions = conditions(d)?;
    check_method_rules(d, method, &conditions)?;
    Ok(ShippingOptionRule {
        vendor_id,
        method,
        delivery_time,
        base_cost,
        flat_rate,
        conditions,
        is_active: d.bool_or("is_active", false)?,
    })
}

fn check_method_rules(d: &Obj, method: ShippingMethod, c: &ShippingConditions) -> Res<()> {
    let path = d.path("conditions");
    let cond = |key: &str, present: bool| -> Res<()> {
        if present {
            Ok(())
        } else {
            Err(super::fields::err_at(
                &super::fields::join(&path, key),
                &format!("is required for {} shipping.", method.display_name()),
            ))
        }
    };
    match method {
        ShippingMethod::Standard => cond("max_weight", c.max_weight.is_some()),
        ShippingMethod::Express => {
            cond("max_weight", c.max_weight.is_some())?;
            cond("cutoff_time", c.cutoff_time.is_some())
        }
        ShippingMethod::LocalPickup => {
            cond("near_by_cities", !c.near_by_cities.is_empty())?;
            cond("pickup_time_from", c.pickup_time_from.is_some())?;
            cond("pickup_time_to", c.pickup_time_to.is_some())
        }
        ShippingMethod::FreeShipping => cond("min_order_amount", c.min_order_amount.is_some()),
        ShippingMethod::SameDay | ShippingMethod::FlatRate => Ok(()),
    }
}

fn conditions(d: &Obj) -> Res<ShippingConditions> {
    let Some(map) = d.opt_object("conditions")? else {
        return Ok(ShippingConditions::default());
    };
    let path = d.path("conditions");
    let c = Obj::new(map, &path);
    c.reject_unknown(&CONDITION_KEYS)?;
    Ok(ShippingConditions {
        max_weight: c.opt_positive("max_weight")?,
        cutoff_time: time(&c, "cutoff_time")?,
        near_by_cities: c.string_list("near_by_cities", |_, s| Ok(s.to_string()))?,
        pickup_time_from: time(&c, "pickup_time_from")?,
        pickup_time_to: time(&c, "pickup_time_to")?,
        min_order_amount: c.opt_non_negative("min_order_amount")?,
        utc_offset_minutes: utc_offset(&c)?,
    })
}

fn time(c: &Obj, key: &str) -> Res<Option<LocalTime>> {
    match c.opt_text(key)? {
        None => Ok(None),
        Some(raw) => LocalTime::parse(&raw)
            .map(Some)
            .ok_or_else(|| c.err(key, "must be a time \"HH:MM\" (24 h).")),
    }
}

/// `"+08:00"`, `"-05:30"`, `"Z"` → minutes east of UTC.
pub fn parse_utc_offset(raw: &str) -> Option<i32> {
    let raw = raw.trim();
    if raw.eq_ignore_ascii_case("z") {
        return Some(0);
    }
    let (sign, rest) = match raw.as_bytes().first() {
        Some(b'+') => (1, raw.get(1..)?),
        Some(b'-') => (-1, raw.get(1..)?),
        _ => return None,
    };
    let (h, m) = rest.split_once(':')?;
    if h.len() != 2 || m.len() != 2 || !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    let minutes = h * 60 + m;
    (m < 60 && minutes <= MAX_OFFSET_MINUTES).then_some(sign * minutes)
}

fn utc_offset(c: &Obj) -> Res<Option<i32>> {
    match c.opt_text("utc_offset")? {
        None => Ok(None),
        Some(raw) => parse_utc_offset(&raw).map(Some).ok_or_else(|| {
            c.err(
                "utc_offset",
                "must be an offset such as \"+08:00\" or \"-05:30\" (at most ±14:00).",
            )
        }),
    }
}
