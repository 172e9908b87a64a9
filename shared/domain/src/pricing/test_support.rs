//! Fixtures shared by the pricing tests (compiled only for tests).

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, TimeZone, Utc};
use rust_decimal::Decimal;

use crate::address::{Address, Country};
use crate::catalog::{
    Coupon, Offer, OfferConditions, OfferKind, Package, ShippingConditions, ShippingMethod,
    ShippingOptionRule, Vendor,
};
use crate::ids::{CouponCode, OfferId, ProductId, Sku, VendorId};
use crate::money::{Currency, Money};
use crate::order::LineItem;

/// 2025-06-02 10:00:00 UTC (a Monday), the clock of every test unless stated otherwise.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 2, 10, 0, 0)
        .single()
        .unwrap_or_default()
}

/// `now()` at another UTC time of the same day.
pub fn at(hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 2, hour, minute, 0)
        .single()
        .unwrap_or_default()
}

pub fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or_default()
}

pub fn sgd(minor: i64) -> Money {
    Money::from_minor(minor, Currency::SGD)
}

pub fn vendor_id() -> VendorId {
    VendorId::new("v-1").unwrap_or_else(|_| unreachable!())
}

pub fn country(code: &str) -> Country {
    Country::parse(code).unwrap_or_else(|_| unreachable!())
}

pub fn vendor() -> Vendor {
    Vendor {
        vendor_id: vendor_id(),
        name: "Vendor One".into(),
        country: country("SG"),
        is_active: true,
    }
}

pub fn sku(s: &str) -> Sku {
    Sku::new(s).unwrap_or_else(|_| unreachable!())
}

pub fn offer_id(s: &str) -> OfferId {
    OfferId::new(s).unwrap_or_else(|_| unreachable!())
}

pub fn code(s: &str) -> CouponCode {
    CouponCode::new(s).unwrap_or_else(|_| unreachable!())
}

pub fn address(country_code: &str, state: Option<&str>, city: &str) -> Address {
    Address::new("1 Main St", city, state, "018956", country_code)
        .unwrap_or_else(|_| unreachable!())
}

pub fn sg_address() -> Address {
    address("SG", None, "Singapore")
}

/// A taxable customer line priced in SGD.
pub fn line(sku_text: &str, unit_minor: i64, quantity: u32, weight_kg: &str) -> LineItem {
    line_in(Currency::SGD, sku_text, unit_minor, quantity, weight_kg)
}

pub fn line_in(
    currency: Currency,
    sku_text: &str,
    unit_minor: i64,
    quantity: u32,
    weight_kg: &str,
) -> LineItem {
    LineItem {
        sku: sku(sku_text),
        product_id: ProductId::new(sku_text).unwrap_or_else(|_| unreachable!()),
        product_name: sku_text.to_string(),
        product_category: None,
        options: BTreeMap::new(),
        quantity,
        unit_price: Money::from_minor(unit_minor, currency),
        is_free_gift: false,
        is_taxable: true,
        package: Package {
            weight_kg: dec(weight_kg),
            dimensions_cm: [10, 10, 10],
        },
    }
}

/// An active, open-ended, non-stackable offer of priority 0 with no conditions.
pub fn offer(id: &str, kind: OfferKind, value: &str) -> Offer {
    Offer {
        offer_id: offer_id(id),
        vendor_id: vendor_id(),
        name: id.to_string(),
        kind,
        discount_value: dec(value),
        conditions: OfferConditions::default(),
        required_coupon: false,
        stackable: false,
        priority: 0,
        starts_at: None,
        ends_at: None,
        is_active: true,
    }
}

/// An active, open-ended coupon of vendor `v-1` for `offer`.
pub fn coupon(code_text: &str, offer: &str) -> Coupon {
    Coupon {
        vendor_id: vendor_id(),
        code: code(code_text),
        offer_id: offer_id(offer),
        starts_at: None,
        ends_at: None,
        is_active: true,
        usage_limit: None,
        per_customer_limit: None,
        minimum_subtotal: None,
    }
}

/// An active shipping option of vendor `v-1` in SGD with no conditions.
pub fn rule(method: ShippingMethod, base_minor: i64, flat_minor: i64) -> ShippingOptionRule {
    ShippingOptionRule {
        vendor_id: vendor_id(),
        method,
        delivery_time: "2-3 Days".into(),
        base_cost: sgd(base_minor),
        flat_rate: sgd(flat_minor),
        conditions: ShippingConditions::default(),
        is_active: true,
    }
}
