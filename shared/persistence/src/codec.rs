//! Item encodings: each entity in one function pair. The entity itself travels as a JSON `body`
//! (exact: money as integer minor units, decimals as strings); attributes that conditions or
//! indexes need (version, status, stock, counters, GSI keys) are top-level.

use chrono::{DateTime, Utc};
use oms_application::ports::StoreFault;
use oms_domain::ids::TenantId;
use oms_domain::order::Order;
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

/// The order item: body + version + status + the four list-index keys.
pub fn order_item(order: &Order) -> Result<Item, StoreFault> {
    let t: &TenantId = &order.tenant;
    let mut item = base(&keys::order(t, &order.id), "Order");
    let sort = keys::order_list_sort(order.created_at, &order.id);
    let customer = &order.customer.customer_id;
    let vendor = &order.vendor.vendor_id;
    let pairs = [
        ("gsi1pk", keys::customer_orders(t, customer)),
        ("gsi2pk", keys::vendor_orders(t, vendor)),
        ("gsi3pk", keys::customer_orders_by_status(t, customer, order.status)),
        ("gsi4pk", keys::vendor_orders_by_status(t, vendor, order.status)),
    ];
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
