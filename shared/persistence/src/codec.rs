//! Item encodings: each entity in one function pair. The entity itself travels as a JSON `body`
//! (exact: money as integer minor units, decimals as strings); attributes that conditions or
//! indexes need (version, status, stock, counters, GSI keys) are top-level.

use chrono::{DateTime, Utc};
use oms_application::ports::StoreFault;
use oms_domain::ids::TenantId;
use oms_domain::order::{Order, OrderStatus};
use oms_store::{Item, Key, Value};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::keys;

pub const ENTITY: &str = "entity";
pub const BODY: &str = "body";
pub const VERSION: &str = "version";
pub const STATUS: &str = "status";
pub const STOCK: &str = "stock";
pub const IS_ACTIVE: &str = "is_active";
pub const USED: &str = "used";
pub const CLAIMED_BY: &str = "claimed_by";
pub const REV: &str = "rev";
pub const OFFERS: &str = "offers";

/// A fresh item holding `key` and its entity type.
pub fn base(key: &Key, entity: &str) -> Item {
    let mut item = key.to_item();
    item.insert(ENTITY.into(), Value::S(entity.into()));
    item
}

pub fn to_body<T: Serialize>(value: &T) -> Result<Value, StoreFault> {
    serde_json::to_string(value)
        .map(Value::S)
        .map_err(|e| StoreFault::with_source("cannot encode item body", e))
}

pub fn from_body<T: DeserializeOwned>(item: &Item) -> Result<T, StoreFault> {
    let body = item
        .get(BODY)
        .and_then(Value::as_s)
        .ok_or_else(|| StoreFault::new("item has no body"))?;
    serde_json::from_str(body).map_err(|e| StoreFault::with_source("cannot decode item body", e))
}

pub fn number(item: &Item, attr: &str) -> Option<i64> {
    item.get(attr).and_then(Value::as_n)
}

pub fn string<'a>(item: &'a Item, attr: &str) -> Option<&'a str> {
    item.get(attr).and_then(Value::as_s)
}

pub fn version_of(version: u64) -> Value {
    Value::N(i64::try_from(version).unwrap_or(i64::MAX))
}

pub fn unix(at: DateTime<Utc>) -> Value {
    Value::N(at.timestamp())
}

/// The order item: body + version + status + the list-index keys: the customer's lists (GSI1,
/// GSI3) always, the vendor's (GSI2, GSI4) from placement on. A DRAFT (a cart) is not on the
/// vendor's lists: every cart edit would otherwise rewrite the vendor's index partitions too.
pub fn order_item(order: &Order) -> Result<Item, StoreFault> {
    let t: &TenantId = &order.tenant;
    let mut item = base(&keys::order(t, &order.id), "Order");
    let sort = keys::order_list_sort(order.created_at, &order.id);
    let customer = &order.customer.customer_id;
    let vendor = &order.vendor.vendor_id;
    let mut pairs = vec![
        ("gsi1pk", keys::customer_orders(t, customer)),
        (
            "gsi3pk",
            keys::customer_orders_by_status(t, customer, order.status),
        ),
    ];
    if order.status != OrderStatus::Draft {
        pairs.push(("gsi2pk", keys::vendor_orders(t, vendor)));
        pairs.push((
            "gsi4pk",
            keys::vendor_orders_by_status(t, vendor, order.status),
        ));
    }
    for (pk_attr, pk) in pairs {
        item.insert(pk_attr.into(), Value::S(pk));
        item.insert(pk_attr.replace("pk", "sk"), Value::S(sort.clone()));
    }
    item.insert(VERSION.into(), version_of(order.version));
    item.insert(STATUS.into(), Value::S(order.status.as_str().into()));
    item.insert(BODY.into(), to_body(order)?);
    Ok(item)
}

/// Decodes an order item, refusing one that belongs to another tenant (defence in depth: keys
/// already carry the tenant).
pub fn order_from_item(tenant: &TenantId, item: &Item) -> Result<Option<Order>, StoreFault> {
    let order: Order = from_body(item)?;
    Ok((&order.tenant == tenant).then_some(order))
}

/// The golden order item: exactly which attributes an order is stored with, and their values.
#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::str::FromStr;

    use chrono::TimeZone;
    use oms_domain::address::Address;
    use oms_domain::catalog::{Package, ShippingMethod};
    use oms_domain::ids::{CustomerId, OrderId, ProductId, Sku, VendorId};
    use oms_domain::money::{Currency, Money};
    use oms_domain::order::{CustomerDetails, LineItem, VendorDetails};
    use oms_domain::pricing::PriceBreakdown;
    use rust_decimal::Decimal;

    use super::*;

    fn sgd(minor: i64) -> Money {
        Money::from_minor(minor, Currency::SGD)
    }

    fn fixed_order() -> Order {
        let created = Utc.with_ymd_and_hms(2025, 6, 2, 10, 0, 0).unwrap()
            + chrono::Duration::microseconds(123_456);
        let address = Address::new("1 Main St", "Singapore", None, "018956", "SG").unwrap();
        let mut pricing = PriceBreakdown::zero(Currency::SGD);
        pricing.subtotal = sgd(2550);
        pricing.total = sgd(2550);
        Order {
            id: OrderId::new("ORD-1").unwrap(),
            tenant: TenantId::new("acme").unwrap(),
            version: 7,
            status: OrderStatus::Pending,
            customer: CustomerDetails {
                customer_id: CustomerId::new("c-1").unwrap(),
                first_name: Some("Ada".into()),
                last_name: None,
                email: Some("ada@example.com".into()),
            },
            vendor: VendorDetails {
                vendor_id: VendorId::new("v-1").unwrap(),
                name: "Vendor One".into(),
                country: address.country,
            },
            currency: Currency::SGD,
            line_items: vec![LineItem {
                sku: Sku::new("TSHIRT").unwrap(),
                product_id: ProductId::new("p-TSHIRT").unwrap(),
                product_name: "T-shirt".into(),
                product_category: None,
                options: BTreeMap::new(),
                quantity: 2,
                unit_price: sgd(1275),
                is_free_gift: false,
                is_taxable: true,
                package: Package {
                    weight_kg: Decimal::from_str("0.25").unwrap(),
                    dimensions_cm: [10, 10, 2],
                },
            }],
            destination: Some(address),
            shipping_method: Some(ShippingMethod::Standard),
            shipping_notice: None,
            coupons: vec![],
            pricing,
            payment: None,
            tracking_reference: None,
            cancellation_reason: None,
            stock_reserved: true,
            hold_expires_at: None,
            created_at: created,
            updated_at: created + chrono::Duration::minutes(5),
        }
    }

    fn s(v: &str) -> Value {
        Value::S(v.to_string())
    }

    #[test]
    fn the_order_item_has_exactly_the_documented_attributes_and_values() {
        let order = fixed_order();
        let item = order_item(&order).unwrap();
        let names: Vec<&str> = item.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "body", "entity", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "gsi3pk", "gsi3sk",
                "gsi4pk", "gsi4sk", "pk", "sk", "status", "version"
            ]
        );
        let sort = "2025-06-02T10:00:00.123456Z#ORD-1";
        let expected = [
            ("pk", s("T#acme#ORDER#ORD-1")),
            ("sk", s("ORDER")),
            ("entity", s("Order")),
            ("version", Value::N(7)),
            ("status", s("PENDING")),
            ("gsi1pk", s("T#acme#CUST#c-1")),
            ("gsi1sk", s(sort)),
            ("gsi2pk", s("T#acme#VENDOR#v-1")),
            ("gsi2sk", s(sort)),
            ("gsi3pk", s("T#acme#CUST#c-1#STATUS#PENDING")),
            ("gsi3sk", s(sort)),
            ("gsi4pk", s("T#acme#VENDOR#v-1#STATUS#PENDING")),
            ("gsi4sk", s(sort)),
        ];
        for (name, value) in expected {
            assert_eq!(item.get(name), Some(&value), "{name}");
        }
        // Every partition key of the item (base and GSIs) is in the tenant's key space.
        for name in ["pk", "gsi1pk", "gsi2pk", "gsi3pk", "gsi4pk"] {
            assert!(
                string(&item, name).is_some_and(|v| v.starts_with("T#acme#")),
                "{name}"
            );
        }
    }

    #[test]
    fn the_order_body_round_trips_exactly_with_money_as_integer_minor_units() {
        let order = fixed_order();
        let item = order_item(&order).unwrap();
        let tenant = TenantId::new("acme").unwrap();
        assert_eq!(order_from_item(&tenant, &item).unwrap(), Some(order));

        let body: serde_json::Value = serde_json::from_str(string(&item, BODY).unwrap()).unwrap();
        assert_eq!(
            body["pricing"]["total"],
            serde_json::json!({"minor": 2550, "currency": "SGD"})
        );
        assert_eq!(
            body["line_items"][0]["unit_price"],
            serde_json::json!({"minor": 1275, "currency": "SGD"})
        );
        assert_eq!(body["line_items"][0]["package"]["weight_kg"], "0.25");
        fn no_floats(v: &serde_json::Value, path: &str) {
            match v {
                serde_json::Value::Number(n) => {
                    assert!(n.is_i64() || n.is_u64(), "float at {path}: {n}")
                }
                serde_json::Value::Array(a) => a
                    .iter()
                    .enumerate()
                    .for_each(|(i, x)| no_floats(x, &format!("{path}[{i}]"))),
                serde_json::Value::Object(o) => o
                    .iter()
                    .for_each(|(k, x)| no_floats(x, &format!("{path}.{k}"))),
                _ => {}
            }
        }
        no_floats(&body, "body");
    }

    #[test]
    fn a_status_change_moves_the_order_between_the_status_indexes_only() {
        let mut order = fixed_order();
        let before = order_item(&order).unwrap();
        order.status = OrderStatus::Confirmed;
        order.version = 8;
        let after = order_item(&order).unwrap();
        assert_eq!(
            string(&after, "gsi3pk"),
            Some("T#acme#CUST#c-1#STATUS#CONFIRMED")
        );
        assert_eq!(
            string(&after, "gsi4pk"),
            Some("T#acme#VENDOR#v-1#STATUS#CONFIRMED")
        );
        for same in [
            "pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "gsi3sk", "gsi4sk",
        ] {
            assert_eq!(before.get(same), after.get(same), "{same}");
        }
    }

    #[test]
    fn a_draft_is_on_the_customers_lists_only_and_joins_the_vendors_when_placed() {
        let mut order = fixed_order();
        order.status = OrderStatus::Draft;
        let draft = order_item(&order).unwrap();
        let names: Vec<&str> = draft.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "body", "entity", "gsi1pk", "gsi1sk", "gsi3pk", "gsi3sk", "pk", "sk", "status",
                "version"
            ]
        );
        assert_eq!(
            string(&draft, "gsi3pk"),
            Some("T#acme#CUST#c-1#STATUS#DRAFT")
        );
        order.status = OrderStatus::Pending;
        let placed = order_item(&order).unwrap();
        assert_eq!(string(&placed, "gsi2pk"), Some("T#acme#VENDOR#v-1"));
        assert_eq!(
            string(&placed, "gsi4pk"),
            Some("T#acme#VENDOR#v-1#STATUS#PENDING")
        );
        assert_eq!(placed.get("gsi2sk"), draft.get("gsi1sk"));
    }

    #[test]
    fn an_order_item_of_another_tenant_is_not_decoded() {
        let item = order_item(&fixed_order()).unwrap();
        let other = TenantId::new("other").unwrap();
        assert_eq!(order_from_item(&other, &item).unwrap(), None);
        let mut no_body = item.clone();
        no_body.remove(BODY);
        assert!(order_from_item(&TenantId::new("acme").unwrap(), &no_body).is_err());
    }
}
