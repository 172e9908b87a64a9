//! The limits that keep every command within DynamoDB's: at most 100 items in one transaction
//! and at most 400 KB in one item. They are business rules, checked here (pure, no I/O) before
//! anything is written, and a command past one is refused with `INVALID_INPUT`, the input's
//! `field` and a message naming the limit. How each number is derived: docs/data-model.md
//! "Limits".
//!
//! - **Transaction items.** The largest order transaction (placeOrder; cancelOrder and expiry
//!   give the same back) writes the order, its hold index entry, one stock item per distinct
//!   product (customer lines and free-gift lines), per coupon its coupon item and at most one
//!   counter, the idempotency record and the outbox events: [`MAX_ORDER_TRANSACTION_ITEMS`], at
//!   most 100 (checked at compile time).
//! - **Item size.** The order item is the one item that gathers many snapshots (every line
//!   copies its product's name, category and options): its stored body is measured after every
//!   change that builds it (checkout, the DRAFT edits, placement) and kept under
//!   [`MAX_ORDER_BYTES`], far enough under 400 KB for what later commands add
//!   ([`MAX_GROWTH_AFTER_PLACEMENT_BYTES`]) and for the keys. The vendor's offers share one item:
//!   [`check_vendor_offers`]. Every other item holds one snapshot whose texts and lists are
//!   bounded by the limits below.

use serde::Serialize;

use crate::catalog::{Offer, Product};
use crate::error::{DomainError, DomainResult, ErrorCode};

/// DynamoDB: most items (actions) in one `TransactWriteItems`.
pub const DYNAMODB_MAX_TRANSACTION_ITEMS: usize = 100;
/// DynamoDB: largest item, attribute names included (400 KB).
pub const DYNAMODB_MAX_ITEM_BYTES: usize = 400 * 1024;

/// Most lines (distinct SKUs) a customer puts on one order.
pub const MAX_LINE_ITEMS: usize = 50;
/// Most free-gift lines offers add to one order: a free-gift offer whose gifts would take the
/// order past it does not apply (the offers before it keep their gifts).
pub const MAX_GIFT_LINES: usize = 20;
/// Most distinct products one order holds stock of (one stock item each in its transactions).
pub const MAX_PRODUCTS_PER_ORDER: usize = MAX_LINE_ITEMS + MAX_GIFT_LINES;
/// Most coupons on one order.
pub const MAX_COUPONS: usize = 5;
/// Largest quantity of one line.
pub const MAX_QUANTITY: u32 = 10_000;
/// Most events one order command emits (placeOrder: prices refreshed, order placed; a DRAFT
/// edit: its own event and a shipping selection cleared): one outbox item each.
pub const MAX_EVENTS_PER_CHANGE: usize = 4;

/// Items of the largest order transaction: the order, the hold index (an entry removed and one
/// added), one stock item per product, per coupon its item and one counter, a payment claim, the
/// idempotency record, the outbox events, and the two snapshots checkout refreshes (customer,
/// saved address). No command writes all of these at once; the sum bounds every one of them.
pub const MAX_ORDER_TRANSACTION_ITEMS: usize =
    1 + 2 + MAX_PRODUCTS_PER_ORDER + 2 * MAX_COUPONS + 1 + 1 + MAX_EVENTS_PER_CHANGE + 2;
const _: () = assert!(MAX_ORDER_TRANSACTION_ITEMS <= DYNAMODB_MAX_TRANSACTION_ITEMS);

/// Largest stored order body (its JSON, in bytes) a command that builds the order may leave:
/// checkout, the DRAFT edits and placement are refused past it.
pub const MAX_ORDER_BYTES: usize = 256 * 1024;
/// What the commands after placement may still add to an order (cancellation reason, tracking
/// reference, payment and refund details, at their limits and escaped): they are never refused
/// for the order's size, so [`MAX_ORDER_BYTES`] keeps room for them.
pub const MAX_GROWTH_AFTER_PLACEMENT_BYTES: usize = 16 * 1024;
/// Room for the order item's keys and attributes besides the body (eight key attributes of at
/// most ~300 bytes with 128-character ids, version, status, TTL) and for the idempotency record's
/// fields around its copy of the order.
pub const ORDER_ITEM_OVERHEAD_BYTES: usize = 8 * 1024;
const _: () = assert!(
    MAX_ORDER_BYTES + MAX_GROWTH_AFTER_PLACEMENT_BYTES + ORDER_ITEM_OVERHEAD_BYTES
        <= DYNAMODB_MAX_ITEM_BYTES * 3 / 4
);

/// Longest product, vendor, offer and gift name, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest product category, in characters.
pub const MAX_CATEGORY_CHARS: usize = 100;
/// Most options (size, colour…) one product has.
pub const MAX_OPTIONS_PER_PRODUCT: usize = 10;
/// Longest option name, in characters.
pub const MAX_OPTION_NAME_CHARS: usize = 50;
/// Longest option value, in characters.
pub const MAX_OPTION_VALUE_CHARS: usize = 100;
/// Longest first or last name of a customer, in characters.
pub const MAX_PERSON_NAME_CHARS: usize = 100;
/// Longest e-mail address (RFC 5321's path limit), in characters.
pub const MAX_EMAIL_CHARS: usize = 254;
/// Longest address field (street, city, state, postal code), in characters.
pub const MAX_ADDRESS_FIELD_CHARS: usize = 200;
/// Longest delivery time text of a shipping option, in characters.
pub const MAX_DELIVERY_TIME_CHARS: usize = 100;
/// Longest cancellation reason, in characters.
pub const MAX_REASON_CHARS: usize = 1000;
/// Longest tracking reference (an http(s) URL), in characters.
pub const MAX_TRACKING_REFERENCE_CHARS: usize = 2048;

/// Most offers one vendor has (they share one item, read with every order change).
pub const MAX_OFFERS_PER_VENDOR: usize = 100;
/// Most gift products one free-gift offer lists.
pub const MAX_GIFTS_PER_OFFER: usize = 10;
/// Most eligible products one offer lists.
pub const MAX_ELIGIBLE_PRODUCTS_PER_OFFER: usize = 100;
/// Largest size of one vendor's offers together (their stored JSON plus each one's id and
/// version), under the 400 KB of the item they share.
pub const MAX_VENDOR_OFFERS_BYTES: usize = 300 * 1024;
const _: () =
    assert!(MAX_VENDOR_OFFERS_BYTES + ORDER_ITEM_OVERHEAD_BYTES <= DYNAMODB_MAX_ITEM_BYTES);

fn invalid(message: String) -> DomainError {
    DomainError::new(ErrorCode::InvalidInput, message)
}

/// `text` has at most `max` characters; `what` names it in the message ("Customer first name
/// must be at most 100 characters.").
///
/// # Errors
/// `INVALID_INPUT`, without a field (the caller attaches the input's path).
pub fn check_chars(what: &str, text: &str, max: usize) -> DomainResult<()> {
    if text.chars().count() > max {
        return Err(invalid(format!("{what} must be at most {max} characters.")));
    }
    Ok(())
}

/// The size of `value` stored as JSON (the order body, an offer), in bytes, without building it.
pub fn stored_size<T: Serialize + ?Sized>(value: &T) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    match serde_json::to_writer(&mut count, value) {
        Ok(()) => count.0,
        // Not representable as JSON: it could not be stored either.
        Err(_) => usize::MAX,
    }
}

/// Refuses an order body over [`MAX_ORDER_BYTES`] (`size`, from [`stored_size`]).
///
/// # Errors
/// `INVALID_INPUT` at `field`, naming the limit.
pub fn check_order_size(size: usize, field: &[&str]) -> DomainResult<()> {
    if size > MAX_ORDER_BYTES {
        return Err(invalid(format!(
            "An order can hold at most {} KB of data (its lines with their product names and options, destination, offers); this change would make it {} KB. Remove line items.",
            MAX_ORDER_BYTES / 1024,
            size.div_ceil(1024)
        ))
        .at(field.iter().copied()));
    }
    Ok(())
}

/// A product snapshot within the limits of what an order copies from it: name, category and
/// options. Fields are the snapshot's own names (`product_name`, `product_category`, `options`,
/// `options.<name>`); the sync layer puts its `data.` prefix in front.
///
/// # Errors
/// `INVALID_INPUT` at the offending field, naming the limit.
pub fn check_product(product: &Product) -> DomainResult<()> {
    check_chars("Product name", &product.name, MAX_NAME_CHARS)
        .map_err(|e| e.at(["product_name"]))?;
    if let Some(category) = &product.category {
        check_chars("Product category", category, MAX_CATEGORY_CHARS)
            .map_err(|e| e.at(["product_category"]))?;
    }
    if product.options.len() > MAX_OPTIONS_PER_PRODUCT {
        return Err(invalid(format!(
            "A product can have at most {MAX_OPTIONS_PER_PRODUCT} options; this one has {}.",
            product.options.len()
        ))
        .at(["options"]));
    }
    for (name, value) in &product.options {
        let at = || ["options".to_string(), name.clone()];
        check_chars("An option name", name, MAX_OPTION_NAME_CHARS).map_err(|e| e.at(at()))?;
        check_chars("An option value", value, MAX_OPTION_VALUE_CHARS).map_err(|e| e.at(at()))?;
    }
    Ok(())
}

/// An offer snapshot within the limits: its name, its lists of eligible products and gifts, and
/// the gifts' names. Fields as the snapshot names them (`name`,
/// `conditions.eligible_products`, `conditions.gift_products`, `conditions.gift_products.<i>`).
///
/// # Errors
/// `INVALID_INPUT` at the offending field, naming the limit.
pub fn check_offer(offer: &Offer) -> DomainResult<()> {
    check_chars("An offer name", &offer.name, MAX_NAME_CHARS).map_err(|e| e.at(["name"]))?;
    let c = &offer.conditions;
    if c.eligible_products.len() > MAX_ELIGIBLE_PRODUCTS_PER_OFFER {
        return Err(invalid(format!(
            "An offer can list at most {MAX_ELIGIBLE_PRODUCTS_PER_OFFER} eligible products; this one lists {}.",
            c.eligible_products.len()
        ))
        .at(["conditions", "eligible_products"]));
    }
    if c.gift_products.len() > MAX_GIFTS_PER_OFFER {
        return Err(invalid(format!(
            "A free-gift offer can give at most {MAX_GIFTS_PER_OFFER} gift products; this one lists {}.",
            c.gift_products.len()
        ))
        .at(["conditions", "gift_products"]));
    }
    for (i, gift) in c.gift_products.iter().enumerate() {
        if let Some(name) = &gift.name {
            check_chars("A gift name", name, MAX_NAME_CHARS).map_err(|e| {
                e.at([
                    "conditions".to_string(),
                    "gift_products".to_string(),
                    i.to_string(),
                    "name".to_string(),
                ])
            })?;
        }
        if gift.quantity > MAX_QUANTITY {
            return Err(
                invalid(format!("A gift quantity must be at most {MAX_QUANTITY}.")).at([
                    "conditions".to_string(),
                    "gift_products".to_string(),
                    i.to_string(),
                    "quantity".to_string(),
                ]),
            );
        }
    }
    Ok(())
}

/// A limit a snapshot would take the stored data past, found only when it is applied (it
/// depends on what is stored already): the snapshot is rejected, nothing written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotLimit {
    /// The vendor would have more than [`MAX_OFFERS_PER_VENDOR`] offers.
    OffersPerVendor,
    /// The vendor's offers would take more than [`MAX_VENDOR_OFFERS_BYTES`].
    VendorOffersSize,
}

impl SnapshotLimit {
    /// What the refusal says (the limit, by name and number).
    pub fn message(&self) -> String {
        match self {
            SnapshotLimit::OffersPerVendor => format!(
                "A vendor can have at most {MAX_OFFERS_PER_VENDOR} offers; this offer would be one more."
            ),
            SnapshotLimit::VendorOffersSize => format!(
                "A vendor's offers can take at most {} KB together; this offer would take them past it.",
                MAX_VENDOR_OFFERS_BYTES / 1024
            ),
        }
    }
}

/// Stored size of one offer in its vendor's item: its JSON, its id (the map key) and its version.
pub fn offer_stored_size(offer: &Offer) -> usize {
    stored_size(offer).saturating_add(offer.offer_id.as_str().len() + 32)
}

/// Whether a vendor's offers (after a snapshot is merged in) fit their shared item: `count`
/// offers taking `bytes` stored (each as [`offer_stored_size`]).
///
/// # Errors
/// The limit passed.
pub fn check_vendor_offers(count: usize, bytes: usize) -> Result<(), SnapshotLimit> {
    if count > MAX_OFFERS_PER_VENDOR {
        return Err(SnapshotLimit::OffersPerVendor);
    }
    if bytes > MAX_VENDOR_OFFERS_BYTES {
        return Err(SnapshotLimit::VendorOffersSize);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::catalog::{GiftProduct, OfferConditions, OfferKind, Package};
    use crate::ids::{OfferId, ProductId, Sku, VendorId};
    use crate::money::{Currency, Money};

    fn product() -> Product {
        Product {
            product_id: ProductId::new("p-1").unwrap_or_else(|_| unreachable!()),
            vendor_id: VendorId::new("v-1").unwrap_or_else(|_| unreachable!()),
            sku: Sku::new("SKU-1").unwrap_or_else(|_| unreachable!()),
            name: "Shirt".into(),
            category: Some("Clothes".into()),
            options: BTreeMap::from([("Size".to_string(), "M".to_string())]),
            price: Money::from_minor(1000, Currency::SGD),
            stock: 1,
            package: Package {
                weight_kg: rust_decimal::Decimal::ONE,
                dimensions_cm: [1, 1, 1],
            },
            is_active: true,
            is_taxable: true,
        }
    }

    fn offer() -> Offer {
        Offer {
            offer_id: OfferId::new("o-1").unwrap_or_else(|_| unreachable!()),
            vendor_id: VendorId::new("v-1").unwrap_or_else(|_| unreachable!()),
            name: "Gifts".into(),
            kind: OfferKind::FreeGift,
            discount_value: rust_decimal::Decimal::ZERO,
            conditions: OfferConditions::default(),
            required_coupon: false,
            stackable: true,
            priority: 1,
            starts_at: None,
            ends_at: None,
            is_active: true,
        }
    }

    fn field(e: &DomainError) -> Vec<&str> {
        e.field
            .iter()
            .flatten()
            .map(String::as_str)
            .collect::<Vec<_>>()
    }

    /// The budget of the largest order transaction, as derived in docs/data-model.md.
    #[test]
    fn the_largest_order_transaction_fits_in_100_items() {
        assert_eq!(MAX_PRODUCTS_PER_ORDER, 70);
        assert_eq!(MAX_ORDER_TRANSACTION_ITEMS, 91);
        const { assert!(MAX_ORDER_TRANSACTION_ITEMS <= DYNAMODB_MAX_TRANSACTION_ITEMS) };
    }

    #[test]
    fn a_product_past_its_limits_is_refused_at_the_field_naming_the_limit() {
        assert!(check_product(&product()).is_ok());

        let mut p = product();
        p.options = (0..=MAX_OPTIONS_PER_PRODUCT)
            .map(|i| (format!("o{i}"), "v".to_string()))
            .collect();
        let e = check_product(&p).err().unwrap_or_else(|| unreachable!());
        assert_eq!(
            (e.code, field(&e)),
            (ErrorCode::InvalidInput, vec!["options"])
        );
        assert_eq!(
            e.message,
            "A product can have at most 10 options; this one has 11."
        );

        let mut p = product();
        p.name = "é".repeat(MAX_NAME_CHARS + 1);
        let e = check_product(&p).err().unwrap_or_else(|| unreachable!());
        assert_eq!(field(&e), vec!["product_name"]);
        assert_eq!(e.message, "Product name must be at most 200 characters.");
        // Characters, not bytes: 200 two-byte characters are fine.
        p.name = "é".repeat(MAX_NAME_CHARS);
        assert!(check_product(&p).is_ok());

        let mut p = product();
        p.options = BTreeMap::from([("Engraving".to_string(), "x".repeat(101))]);
        let e = check_product(&p).err().unwrap_or_else(|| unreachable!());
        assert_eq!(field(&e), vec!["options", "Engraving"]);
        assert!(
            e.message.contains("at most 100 characters"),
            "{}",
            e.message
        );

        let mut p = product();
        p.category = Some("c".repeat(MAX_CATEGORY_CHARS + 1));
        let e = check_product(&p).err().unwrap_or_else(|| unreachable!());
        assert_eq!(field(&e), vec!["product_category"]);
    }

    #[test]
    fn an_offer_past_its_limits_is_refused_at_the_field_naming_the_limit() {
        let gift = |i: usize| GiftProduct {
            sku: Sku::new(&format!("G{i}")).unwrap_or_else(|_| unreachable!()),
            quantity: 1,
            name: None,
        };
        let mut o = offer();
        o.conditions.gift_products = (0..MAX_GIFTS_PER_OFFER).map(gift).collect();
        assert!(check_offer(&o).is_ok());
        o.conditions.gift_products.push(gift(99));
        let e = check_offer(&o).err().unwrap_or_else(|| unreachable!());
        assert_eq!(
            (e.code, field(&e)),
            (ErrorCode::InvalidInput, vec!["conditions", "gift_products"])
        );
        assert_eq!(
            e.message,
            "A free-gift offer can give at most 10 gift products; this one lists 11."
        );

        let mut o = offer();
        o.conditions.eligible_products = (0..=MAX_ELIGIBLE_PRODUCTS_PER_OFFER)
            .map(|i| Sku::new(&format!("E{i}")).unwrap_or_else(|_| unreachable!()))
            .collect();
        let e = check_offer(&o).err().unwrap_or_else(|| unreachable!());
        assert_eq!(field(&e), vec!["conditions", "eligible_products"]);
        assert!(
            e.message.contains("at most 100 eligible products"),
            "{}",
            e.message
        );

        let mut o = offer();
        o.name = "n".repeat(MAX_NAME_CHARS + 1);
        assert_eq!(
            check_offer(&o).err().map(|e| e.field),
            Some(Some(vec!["name".to_string()]))
        );
        let mut o = offer();
        o.conditions.gift_products = vec![GiftProduct {
            name: Some("g".repeat(MAX_NAME_CHARS + 1)),
            ..gift(1)
        }];
        let e = check_offer(&o).err().unwrap_or_else(|| unreachable!());
        assert_eq!(field(&e), vec!["conditions", "gift_products", "0", "name"]);
    }

    /// A vendor's offers share one item: at most 100, at most 300 KB together.
    #[test]
    fn a_vendors_offers_fit_their_item_or_say_which_limit() {
        let one = offer_stored_size(&offer());
        assert!(one > 100 && one < 1024, "{one}");
        assert_eq!(
            check_vendor_offers(MAX_OFFERS_PER_VENDOR, one * 100),
            Ok(())
        );
        assert_eq!(
            check_vendor_offers(MAX_OFFERS_PER_VENDOR + 1, one * 101),
            Err(SnapshotLimit::OffersPerVendor)
        );
        assert_eq!(
            check_vendor_offers(3, MAX_VENDOR_OFFERS_BYTES + 1),
            Err(SnapshotLimit::VendorOffersSize)
        );
        assert_eq!(
            SnapshotLimit::OffersPerVendor.message(),
            "A vendor can have at most 100 offers; this offer would be one more."
        );
        assert!(SnapshotLimit::VendorOffersSize.message().contains("300 KB"));
    }

    #[test]
    fn text_is_counted_in_characters_and_sizes_in_stored_bytes() {
        assert!(check_chars("Customer first name", &"ü".repeat(100), 100).is_ok());
        let e = check_chars("Customer first name", &"ü".repeat(101), 100)
            .err()
            .unwrap_or_else(|| unreachable!());
        assert_eq!(
            e.message,
            "Customer first name must be at most 100 characters."
        );
        assert_eq!(stored_size("é"), 4, "quotes and two UTF-8 bytes");
        assert_eq!(
            stored_size("\u{1}"),
            8,
            "a control character is escaped as \\u0001"
        );
        let e = check_order_size(MAX_ORDER_BYTES + 1, &["items"])
            .err()
            .unwrap_or_else(|| unreachable!());
        assert_eq!(field(&e), vec!["items"]);
        assert!(
            e.message.starts_with("An order can hold at most 256 KB"),
            "{}",
            e.message
        );
        assert!(check_order_size(MAX_ORDER_BYTES, &["items"]).is_ok());
    }
}
