//! Snapshots of upstream data that checkout decides from (the OMS never calls the catalog).
//! Parsing from webhook/CSV payloads lives in the sync layer; these are the validated shapes.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::address::Country;
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::ids::{AddressId, CouponCode, CustomerId, OfferId, ProductId, Sku, UserId, VendorId};
use crate::money::{Currency, Money};

/// Physical package of one unit, used for shipping eligibility and cost by weight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    /// Kilograms, exact decimal, > 0.
    pub weight_kg: Decimal,
    /// Centimetres (length, width, height), each > 0.
    pub dimensions_cm: [u32; 3],
}

/// VendorProduct snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub product_id: ProductId,
    pub vendor_id: VendorId,
    pub sku: Sku,
    pub name: String,
    pub category: Option<String>,
    pub options: BTreeMap<String, String>,
    /// Unit price; its currency is the product's currency.
    pub price: Money,
    /// In a snapshot from the catalog: the upstream's units on hand. As read for a decision
    /// (checkout, cart edits, placeOrder): the units available to sell, i.e. on hand minus the
    /// units orders hold or shipped since the catalog last counted, never below 0 (storage keeps
    /// those counters apart from the snapshot: docs/data-model.md "Stock").
    pub stock: i64,
    pub package: Package,
    pub is_active: bool,
    /// Taxable unless the catalog says otherwise.
    pub is_taxable: bool,
}

/// VendorDetails snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vendor {
    pub vendor_id: VendorId,
    pub name: String,
    pub country: Country,
    pub is_active: bool,
}

/// VendorCoupon snapshot: a code that unlocks one offer (`offer_id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coupon {
    pub vendor_id: VendorId,
    pub code: CouponCode,
    pub offer_id: OfferId,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub is_active: bool,
    /// Total redemptions allowed across all customers (None = unlimited).
    pub usage_limit: Option<u32>,
    /// Redemptions allowed per customer (None = unlimited).
    pub per_customer_limit: Option<u32>,
    /// Minimum order subtotal (before discounts, order currency) for the coupon to apply.
    pub minimum_subtotal: Option<Decimal>,
}

/// Kinds of offer (VendorOffer `offer_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OfferKind {
    /// `discount_value` percent off eligible lines.
    PercentageDiscount,
    /// `discount_value` (order currency, major units) off eligible lines, clamped to their total.
    FixedDiscount,
    /// The original's `coupon_discount`: a percentage discount that always needs a coupon.
    CouponDiscount,
    /// Buy N get M free, or N units for a bundle price (see [`BundleRule`]).
    Bundle,
    /// Adds zero-priced, non-taxable gift lines.
    FreeGift,
    /// Shipping cost becomes zero.
    FreeShipping,
}

impl OfferKind {
    /// Wire name used in `AppliedOffer.kind` (the original's `offer_type` values).
    pub fn as_str(&self) -> &'static str {
        match self {
            OfferKind::PercentageDiscount => "percentage_discount",
            OfferKind::FixedDiscount => "fixed_discount",
            OfferKind::CouponDiscount => "coupon_discount",
            OfferKind::Bundle => "bundle",
            OfferKind::FreeGift => "free_gift",
            OfferKind::FreeShipping => "free_shipping",
        }
    }
}

/// A gift granted by a free-gift offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GiftProduct {
    pub sku: Sku,
    pub quantity: u32,
    /// Display name; the SKU is shown when absent.
    pub name: Option<String>,
}

/// Bundle rules: exactly one of the two shapes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum BundleRule {
    /// For every `buy + get` units of one eligible line, `get` units are free.
    BuyGet { buy: u32, get: u32 },
    /// Every `quantity` units of one eligible line cost `price` (major units, order currency).
    BundlePrice { quantity: u32, price: Decimal },
}

/// Offer conditions (the original's `conditions` JSON map), all optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferConditions {
    /// SKUs the discount applies to; empty = every (non-gift) line.
    pub eligible_products: Vec<Sku>,
    /// Minimum order subtotal (before discounts) for the offer to apply.
    pub minimum_subtotal: Option<Decimal>,
    /// Minimum total quantity of (non-gift) units, e.g. for free gifts.
    pub minimum_quantity: Option<u32>,
    /// Free shipping threshold (the original's `minimum_order_total`).
    pub minimum_order_total: Option<Decimal>,
    pub gift_products: Vec<GiftProduct>,
    pub bundle: Option<BundleRule>,
}

/// VendorOffer snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    pub offer_id: OfferId,
    pub vendor_id: VendorId,
    pub name: String,
    pub kind: OfferKind,
    /// Percent (0 < v ≤ 100) for percentage kinds; amount in major units for fixed discounts.
    pub discount_value: Decimal,
    pub conditions: OfferConditions,
    /// Applies only when a valid coupon with this `offer_id` is on the order.
    pub required_coupon: bool,
    /// Whether lower-priority offers may still apply after this one.
    pub stackable: bool,
    /// Higher first.
    pub priority: i32,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub is_active: bool,
}

/// The GraphQL `ShippingMethod` enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ShippingMethod {
    Standard,
    Express,
    SameDay,
    LocalPickup,
    FreeShipping,
    FlatRate,
}

impl ShippingMethod {
    pub const ALL: [ShippingMethod; 6] = [
        ShippingMethod::Standard,
        ShippingMethod::Express,
        ShippingMethod::SameDay,
        ShippingMethod::LocalPickup,
        ShippingMethod::FreeShipping,
        ShippingMethod::FlatRate,
    ];

    /// Enum name, e.g. `LOCAL_PICKUP`.
    pub fn as_str(&self) -> &'static str {
        match self {
            ShippingMethod::Standard => "STANDARD",
            ShippingMethod::Express => "EXPRESS",
            ShippingMethod::SameDay => "SAME_DAY",
            ShippingMethod::LocalPickup => "LOCAL_PICKUP",
            ShippingMethod::FreeShipping => "FREE_SHIPPING",
            ShippingMethod::FlatRate => "FLAT_RATE",
        }
    }

    /// The original's display value, e.g. `Local Pickup`.
    pub fn display_name(&self) -> &'static str {
        match self {
            ShippingMethod::Standard => "Standard",
            ShippingMethod::Express => "Express",
            ShippingMethod::SameDay => "Same Day Delivery",
            ShippingMethod::LocalPickup => "Local Pickup",
            ShippingMethod::FreeShipping => "Free Shipping",
            ShippingMethod::FlatRate => "Flat Rate",
        }
    }

    /// Case-insensitive; accepts `LOCAL_PICKUP`, `Local Pickup`, `local-pickup`, `Same Day`.
    pub fn parse(raw: &str) -> Option<ShippingMethod> {
        let norm: String = raw
            .trim()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        match norm.as_str() {
            "STANDARD" => Some(ShippingMethod::Standard),
            "EXPRESS" => Some(ShippingMethod::Express),
            "SAMEDAY" | "SAMEDAYDELIVERY" => Some(ShippingMethod::SameDay),
            "LOCALPICKUP" => Some(ShippingMethod::LocalPickup),
            "FREESHIPPING" => Some(ShippingMethod::FreeShipping),
            "FLATRATE" => Some(ShippingMethod::FlatRate),
            _ => None,
        }
    }
}

/// A wall-clock time "HH:MM" in the vendor's local time (`utc_offset_minutes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LocalTime {
    pub hour: u8,
    pub minute: u8,
}

impl LocalTime {
    /// Parses "HH:MM" (24 h).
    pub fn parse(raw: &str) -> Option<LocalTime> {
        let (h, m) = raw.trim().split_once(':')?;
        let hour: u8 = h.parse().ok()?;
        let minute: u8 = m.parse().ok()?;
        (hour < 24 && minute < 60 && m.len() == 2).then_some(LocalTime { hour, minute })
    }

    pub fn minutes(&self) -> u32 {
        u32::from(self.hour) * 60 + u32::from(self.minute)
    }
}

/// Shipping option conditions (the original's `conditions` map), all optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippingConditions {
    /// Maximum total package weight in kg.
    pub max_weight: Option<Decimal>,
    /// Latest local order time for Express / Same Day.
    pub cutoff_time: Option<LocalTime>,
    /// Cities served by Local Pickup / Same Day (case-insensitive).
    pub near_by_cities: Vec<String>,
    pub pickup_time_from: Option<LocalTime>,
    pub pickup_time_to: Option<LocalTime>,
    /// Free Shipping threshold on the discounted subtotal.
    pub min_order_amount: Option<Decimal>,
    /// The vendor's UTC offset for the time windows above (e.g. +480 for SGT); 0 when absent.
    pub utc_offset_minutes: Option<i32>,
}

/// VendorShippingOption snapshot: one per method per vendor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippingOptionRule {
    pub vendor_id: VendorId,
    pub method: ShippingMethod,
    pub delivery_time: String,
    pub base_cost: Money,
    /// Per kg for weight-based methods; the fee itself for FLAT_RATE when base_cost is zero.
    pub flat_rate: Money,
    pub conditions: ShippingConditions,
    pub is_active: bool,
}

impl ShippingOptionRule {
    pub fn currency(&self) -> Currency {
        self.base_cost.currency()
    }
}

/// CustomerDetails snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub customer_id: CustomerId,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub is_active: bool,
}

/// What an address-book entry is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AddressType {
    /// Where orders may be delivered (the default: entries stored before types existed).
    #[default]
    Shipping,
    /// Where invoices go: never an order's destination.
    Billing,
}

impl AddressType {
    pub fn as_str(&self) -> &'static str {
        match self {
            AddressType::Shipping => "shipping",
            AddressType::Billing => "billing",
        }
    }
}

/// CustomerAddress snapshot (an address-book entry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerAddress {
    pub customer_id: CustomerId,
    pub address_id: AddressId,
    /// Items stored before address types existed are shipping addresses.
    #[serde(default)]
    pub address_type: AddressType,
    pub address: crate::address::Address,
    pub is_default: bool,
    pub is_active: bool,
}

impl CustomerAddress {
    /// The entry as an order destination: only a shipping address can be one.
    ///
    /// # Errors
    /// `INVALID_INPUT` at `addressId` for a billing address.
    pub fn destination(&self) -> DomainResult<&crate::address::Address> {
        match self.address_type {
            AddressType::Shipping => Ok(&self.address),
            AddressType::Billing => Err(DomainError::new(
                ErrorCode::InvalidInput,
                format!(
                    "Address {} is a billing address; choose a shipping address or enter a destination.",
                    self.address_id
                ),
            )
            .at(["addressId"])),
        }
    }
}

/// UserAuthorization snapshot: what roles a user holds in this tenant and for which vendor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserAuthorization {
    pub user_id: UserId,
    pub roles: Vec<crate::auth::Role>,
    /// Vendor the user acts for (vendor role).
    pub vendor_id: Option<VendorId>,
    pub is_active: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::Address;

    fn entry(address_type: AddressType) -> CustomerAddress {
        CustomerAddress {
            customer_id: CustomerId::new("c-1").unwrap_or_else(|e| panic!("{e}")),
            address_id: AddressId::new("bill").unwrap_or_else(|e| panic!("{e}")),
            address_type,
            address: Address::new("1 Raffles Place", "Singapore", None, "048616", "SG")
                .unwrap_or_else(|e| panic!("{e}")),
            is_default: false,
            is_active: true,
        }
    }

    #[test]
    fn only_a_shipping_address_is_a_destination() {
        let shipping = entry(AddressType::Shipping);
        assert_eq!(shipping.destination().ok(), Some(&shipping.address));
        let err = entry(AddressType::Billing).destination().err();
        assert_eq!(err.as_ref().map(|e| e.code), Some(ErrorCode::InvalidInput));
        assert_eq!(
            err.as_ref().and_then(|e| e.field.clone()),
            Some(vec!["addressId".to_string()])
        );
        assert_eq!(
            err.map(|e| e.message),
            Some(
                "Address bill is a billing address; choose a shipping address or enter a destination."
                    .to_string()
            )
        );
    }

    #[test]
    fn entries_stored_without_a_type_are_shipping_addresses() {
        let mut stored =
            serde_json::to_value(entry(AddressType::Billing)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(stored["address_type"], "billing");
        if let Some(o) = stored.as_object_mut() {
            o.remove("address_type");
        }
        let read: CustomerAddress =
            serde_json::from_value(stored).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(read.address_type, AddressType::Shipping);
    }
}
