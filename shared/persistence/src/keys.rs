//! Every storage key of the OMS, built in ONE place (docs/data-model.md lists the access patterns).
//! Every partition key and every GSI partition key starts with `T#<tenant>#`; ids cannot contain
//! `#` (validated by the domain), so no id can reach into another tenant's key space.

use chrono::{DateTime, SecondsFormat, Utc};
use oms_domain::catalog::ShippingMethod;
use oms_domain::ids::{AddressId, CouponCode, CustomerId, OrderId, ProductId, Sku, TenantId, UserId, VendorId};
use oms_domain::order::OrderStatus;
use oms_store::Key;

use oms_application::records::IdempotencyKey;

/// Free-text ids from outside (event ids, payment transaction ids) are escaped so that they can
/// never contain the key separator.
fn escape(raw: &str) -> String {
    raw.replace('%', "%25").replace('#', "%23")
}

fn t(tenant: &TenantId) -> String {
    format!("T#{tenant}")
}

pub fn order(tenant: &TenantId, id: &OrderId) -> Key {
    Key::new(format!("{}#ORDER#{id}", t(tenant)), "ORDER")
}

/// GSI1: a customer's orders.
pub fn customer_orders(tenant: &TenantId, customer: &CustomerId) -> String {
    format!("{}#CUST#{customer}", t(tenant))
}

/// GSI3: a customer's orders with one status.
pub fn customer_orders_by_status(tenant: &TenantId, customer: &CustomerId, status: OrderStatus) -> String {
    format!("{}#CUST#{customer}#STATUS#{}", t(tenant), status.as_str())
}

/// GSI2: a vendor's orders.
pub fn vendor_orders(tenant: &TenantId, vendor: &VendorId) -> String {
    format!("{}#VENDOR#{vendor}", t(tenant))
}

/// GSI4: a vendor's orders with one status.
pub fn vendor_orders_by_status(tenant: &TenantId, vendor: &VendorId, status: OrderStatus) -> String {
    format!("{}#VENDOR#{vendor}#STATUS#{}", t(tenant), status.as_str())
}

/// Sort key of an order in the list indexes: creation time (fixed-width RFC 3339, so string order
/// is time order) then id (ties).
pub fn order_list_sort(created_at: DateTime<Utc>, id: &OrderId) -> String {
    format!("{}#{id}", created_at.to_rfc3339_opts(SecondsFormat::Micros, true))
}

pub fn product(tenant: &TenantId, vendor: &VendorId, sku: &Sku) -> Key {
    Key::new(format!("{}#VENDOR#{vendor}#SKU#{sku}", t(tenant)), "PRODUCT")
}

/// Points from a product id (the sync entity key) to the product's vendor + SKU item.
pub fn product_ref(tenant: &TenantId, product: &ProductId) -> Key {
    Key::new(format!("{}#PRODUCT#{product}", t(tenant)), "REF")
}

fn vendor_pk(tenant: &TenantId, vendor: &VendorId) -> String {
    format!("{}#VENDOR#{vendor}", t(tenant))
}

pub fn vendor(tenant: &TenantId, vendor: &VendorId) -> Key {
    Key::new(vendor_pk(tenant, vendor), "DETAILS")
}

pub fn vendor_offers(tenant: &TenantId, vendor: &VendorId) -> Key {
    Key::new(vendor_pk(tenant, vendor), "OFFERS")
}

pub fn shipping_option(tenant: &TenantId, vendor: &VendorId, method: ShippingMethod) -> Key {
    Key::new(vendor_pk(tenant, vendor), format!("SHIP#{}", method.as_str()))
}

pub fn coupon(tenant: &TenantId, vendor: &VendorId, code: &CouponCode) -> Key {
    Key::new(vendor_pk(tenant, vendor), format!("COUPON#{code}"))
}

pub fn coupon_use(tenant: &TenantId, vendor: &VendorId, code: &CouponCode, customer: &CustomerId) -> Key {
    Key::new(vendor_pk(tenant, vendor), format!("COUPONUSE#{code}#{customer}"))
}

fn customer_pk(tenant: &TenantId, customer: &CustomerId) -> String {
    format!("{}#CUST#{customer}", t(tenant))
}

pub fn customer(tenant: &TenantId, customer: &CustomerId) -> Key {
    Key::new(customer_pk(tenant, customer), "DETAILS")
}

pub fn customer_address(tenant: &TenantId, customer: &CustomerId, address: &AddressId) -> Key {
    Key::new(customer_pk(tenant, customer), format!("ADDR#{address}"))
}

/// Partition + sort-key prefix of a customer's address book.
pub fn customer_addresses(tenant: &TenantId, customer: &CustomerId) -> (String, &'static str) {
    (customer_pk(tenant, customer), "ADDR#")
}

pub fn user_authorization(tenant: &TenantId, user: &UserId) -> Key {
    Key::new(format!("{}#USER#{user}", t(tenant)), "AUTHZ")
}

pub fn tenant_config(tenant: &TenantId) -> Key {
    Key::new(format!("{}#TENANT", t(tenant)), "CONFIG")
}

pub fn idempotency(tenant: &TenantId, key: &IdempotencyKey) -> Key {
    Key::new(format!("{}#IDEMP#{}#{}#{}", t(tenant), key.sub, key.operation, key.key_hash), "IDEMP")
}

pub fn webhook_event(tenant: &TenantId, event_id: &str) -> Key {
    Key::new(format!("{}#EVENT#{}", t(tenant), escape(event_id)), "EVENT")
}

pub fn outbox(tenant: &TenantId, event_id: &str) -> Key {
    Key::new(format!("{}#OUTBOX#{}", t(tenant), escape(event_id)), "OUTBOX")
}

pub fn payment(tenant: &TenantId, transaction_id: &str) -> Key {
    Key::new(format!("{}#PAYMENT#{}", t(tenant), escape(transaction_id)), "PAYMENT")
}
