//! Every storage key of the OMS, built in ONE place (docs/data-model.md lists the access patterns).
//! Every partition key and every GSI partition key starts with `T#<tenant>#`; ids cannot contain
//! `#` (validated by the domain), so no id can reach into another tenant's key space.

use chrono::{DateTime, SecondsFormat, Utc};
use oms_domain::catalog::ShippingMethod;
use oms_domain::ids::{
    AddressId, CouponCode, CustomerId, OrderId, ProductId, Sku, TenantId, UserId, VendorId,
};
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
pub fn customer_orders_by_status(
    tenant: &TenantId,
    customer: &CustomerId,
    status: OrderStatus,
) -> String {
    format!("{}#CUST#{customer}#STATUS#{}", t(tenant), status.as_str())
}

/// GSI2: a vendor's orders.
pub fn vendor_orders(tenant: &TenantId, vendor: &VendorId) -> String {
    format!("{}#VENDOR#{vendor}", t(tenant))
}

/// GSI4: a vendor's orders with one status.
pub fn vendor_orders_by_status(
    tenant: &TenantId,
    vendor: &VendorId,
    status: OrderStatus,
) -> String {
    format!("{}#VENDOR#{vendor}#STATUS#{}", t(tenant), status.as_str())
}

/// Sort key of an order in the list indexes: creation time (fixed-width RFC 3339, so string order
/// is time order) then id (ties).
pub fn order_list_sort(created_at: DateTime<Utc>, id: &OrderId) -> String {
    format!(
        "{}#{id}",
        created_at.to_rfc3339_opts(SecondsFormat::Micros, true)
    )
}

fn product_pk(tenant: &TenantId, vendor: &VendorId, sku: &Sku) -> String {
    format!("{}#VENDOR#{vendor}#SKU#{sku}", t(tenant))
}

pub fn product(tenant: &TenantId, vendor: &VendorId, sku: &Sku) -> Key {
    Key::new(product_pk(tenant, vendor, sku), "PRODUCT")
}

/// A product's stock counters (`on_hand`, `held`, `shipped`, `available`), in the product's
/// partition next to its item: placements update this small item, never the product body, and a
/// product snapshot never overwrites what orders hold (docs/data-model.md "Stock").
pub fn stock(tenant: &TenantId, vendor: &VendorId, sku: &Sku) -> Key {
    Key::new(product_pk(tenant, vendor, sku), "STOCK")
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
    Key::new(
        vendor_pk(tenant, vendor),
        format!("SHIP#{}", method.as_str()),
    )
}

pub fn coupon(tenant: &TenantId, vendor: &VendorId, code: &CouponCode) -> Key {
    Key::new(vendor_pk(tenant, vendor), format!("COUPON#{code}"))
}

pub fn coupon_use(
    tenant: &TenantId,
    vendor: &VendorId,
    code: &CouponCode,
    customer: &CustomerId,
) -> Key {
    Key::new(
        vendor_pk(tenant, vendor),
        format!("COUPONUSE#{code}#{customer}"),
    )
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

/// Shards of a tenant's hold index: a burst of placements spreads over this many partitions.
pub const HOLD_SHARDS: u32 = 4;

/// The hold index entry of a PENDING order: in shard `order id mod HOLD_SHARDS` of the tenant's
/// hold index, sorted by when the hold lapses (fixed-width UTC time, then the order id).
pub fn hold(tenant: &TenantId, expires_at: DateTime<Utc>, order: &OrderId) -> Key {
    Key::new(
        holds_partition(tenant, hold_shard(order)),
        format!("{}#{order}", hold_time(expires_at)),
    )
}

/// A shard of the tenant's hold index.
pub fn holds_partition(tenant: &TenantId, shard: u32) -> String {
    format!("{}#HOLDS#{shard}", t(tenant))
}

/// Sort keys of holds lapsed at `now` are below this bound.
pub fn holds_lapsed_before(now: DateTime<Utc>) -> String {
    // '$' sorts right after '#': every entry whose time equals `now` is included.
    format!("{}$", hold_time(now))
}

fn hold_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A stable shard (FNV-1a of the id): the same order always lands in the same shard.
fn hold_shard(order: &OrderId) -> u32 {
    let hash = order.as_str().bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    hash % HOLD_SHARDS
}

/// The registry of tenants (the hold sweep's list): the one partition without a tenant prefix.
/// It holds tenant ids only, is written by `put_tenant_config` and read only by the sweep.
pub const TENANTS_PK: &str = "TENANTS";

pub fn tenant_registry(tenant: &TenantId) -> Key {
    Key::new(TENANTS_PK, tenant.as_str())
}

pub fn tenant_config(tenant: &TenantId) -> Key {
    Key::new(format!("{}#TENANT", t(tenant)), "CONFIG")
}

/// The tenant's secrets: next to its configuration, never in the same read (order requests read
/// the configuration only).
pub fn tenant_secrets(tenant: &TenantId) -> Key {
    Key::new(format!("{}#TENANT", t(tenant)), "SECRETS")
}

pub fn idempotency(tenant: &TenantId, key: &IdempotencyKey) -> Key {
    Key::new(
        format!(
            "{}#IDEMP#{}#{}#{}",
            t(tenant),
            key.sub,
            key.operation,
            key.key_hash
        ),
        "IDEMP",
    )
}

pub fn webhook_event(tenant: &TenantId, event_id: &str) -> Key {
    Key::new(format!("{}#EVENT#{}", t(tenant), escape(event_id)), "EVENT")
}

/// An outbound event of an order, in the order's own partition: the stream delivers one
/// partition's records in one shard, in write order, so the relay sees an order's events in
/// version order. Fixed-width numbers keep the sort key in (version, index) order.
pub fn outbox(tenant: &TenantId, order: &OrderId, version: u64, index: usize) -> Key {
    Key::new(
        format!("{}#ORDER#{order}", t(tenant)),
        format!("OUTBOX#{version:012}#{index:03}"),
    )
}

pub fn payment(tenant: &TenantId, transaction_id: &str) -> Key {
    Key::new(
        format!("{}#PAYMENT#{}", t(tenant), escape(transaction_id)),
        "PAYMENT",
    )
}

/// The kind of item a key addresses (`Order`, `Stock`, `Coupon`…), as the data model names
/// it: what logs say about a store call instead of the key, whose values (customer, tenant,
/// payment ids) stay out of the logs.
pub fn kind(key: &Key) -> &'static str {
    let sk = key.sk.as_str();
    match sk {
        "ORDER" => "Order",
        "PRODUCT" => "Product",
        "STOCK" => "Stock",
        "REF" => "ProductRef",
        "OFFERS" => "VendorOffers",
        "AUTHZ" => "UserAuthorization",
        "CONFIG" => "TenantConfig",
        "SECRETS" => "TenantSecrets",
        "IDEMP" => "Idempotency",
        "EVENT" => "WebhookEvent",
        "PAYMENT" => "Payment",
        "DETAILS" if key.pk.contains("#CUST#") => "Customer",
        "DETAILS" => "Vendor",
        _ if sk.starts_with("OUTBOX#") => "Outbox",
        _ if sk.starts_with("SHIP#") => "ShippingOption",
        _ if sk.starts_with("COUPONUSE#") => "CouponUse",
        _ if sk.starts_with("COUPON#") => "Coupon",
        _ if sk.starts_with("ADDR#") => "CustomerAddress",
        _ if key.pk == TENANTS_PK => "Tenant",
        _ if key.pk.contains("#HOLDS#") => "Hold",
        _ => "Unknown",
    }
}

/// The kind of item a Query of `pk` on `index` reads: orders on the list indexes; on the table,
/// the address book, the hold index or the tenant registry.
pub fn query_kind(index: oms_store::Index, pk: &str) -> &'static str {
    if index != oms_store::Index::Primary {
        "Order"
    } else if pk == TENANTS_PK {
        "Tenant"
    } else if pk.contains("#HOLDS#") {
        "Hold"
    } else if pk.contains("#CUST#") {
        "CustomerAddress"
    } else {
        "Unknown"
    }
}

/// The kinds of `keys`, each once in order of appearance with its count past one, e.g.
/// `Product×2,Stock×2,Vendor`.
pub fn kinds<'a>(keys: impl IntoIterator<Item = &'a Key>) -> String {
    let mut counted: Vec<(&'static str, usize)> = Vec::new();
    for key in keys {
        let kind = kind(key);
        match counted.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, n)) => *n += 1,
            None => counted.push((kind, 1)),
        }
    }
    counts_text(&counted)
}

/// `kind×count` entries joined by commas, the count left out when it is one (`Stock×2,Vendor`).
pub fn counts_text(counted: &[(&str, usize)]) -> String {
    counted
        .iter()
        .map(|(k, n)| {
            if *n == 1 {
                (*k).to_owned()
            } else {
                format!("{k}×{n}")
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Golden keys: every key of docs/data-model.md, pinned character for character. A change here is
/// a data migration, never a refactoring.
#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn tenant() -> TenantId {
        TenantId::new("acme").unwrap()
    }

    fn v() -> VendorId {
        VendorId::new("v-1").unwrap()
    }

    fn c() -> CustomerId {
        CustomerId::new("c-1").unwrap()
    }

    fn all_keys(t: &TenantId) -> Vec<(&'static str, Key, &'static str, &'static str)> {
        let code = CouponCode::new("save10").unwrap();
        let idem = IdempotencyKey {
            sub: "c-1".into(),
            operation: "placeOrder".into(),
            key_hash: "ab12".into(),
        };
        vec![
            (
                "order",
                order(t, &OrderId::new("ORD-1").unwrap()),
                "T#acme#ORDER#ORD-1",
                "ORDER",
            ),
            (
                "product",
                product(t, &v(), &Sku::new("TSHIRT").unwrap()),
                "T#acme#VENDOR#v-1#SKU#TSHIRT",
                "PRODUCT",
            ),
            (
                "stock",
                stock(t, &v(), &Sku::new("TSHIRT").unwrap()),
                "T#acme#VENDOR#v-1#SKU#TSHIRT",
                "STOCK",
            ),
            (
                "product ref",
                product_ref(t, &ProductId::new("p-1").unwrap()),
                "T#acme#PRODUCT#p-1",
                "REF",
            ),
            ("vendor", vendor(t, &v()), "T#acme#VENDOR#v-1", "DETAILS"),
            (
                "offers",
                vendor_offers(t, &v()),
                "T#acme#VENDOR#v-1",
                "OFFERS",
            ),
            (
                "shipping option",
                shipping_option(t, &v(), ShippingMethod::LocalPickup),
                "T#acme#VENDOR#v-1",
                "SHIP#LOCAL_PICKUP",
            ),
            (
                "coupon",
                coupon(t, &v(), &code),
                "T#acme#VENDOR#v-1",
                "COUPON#SAVE10",
            ),
            (
                "coupon use",
                coupon_use(t, &v(), &code, &c()),
                "T#acme#VENDOR#v-1",
                "COUPONUSE#SAVE10#c-1",
            ),
            ("customer", customer(t, &c()), "T#acme#CUST#c-1", "DETAILS"),
            (
                "customer address",
                customer_address(t, &c(), &AddressId::new("addr-1").unwrap()),
                "T#acme#CUST#c-1",
                "ADDR#addr-1",
            ),
            (
                "user authorization",
                user_authorization(t, &UserId::new("u-1").unwrap()),
                "T#acme#USER#u-1",
                "AUTHZ",
            ),
            ("tenant config", tenant_config(t), "T#acme#TENANT", "CONFIG"),
            (
                "tenant secrets",
                tenant_secrets(t),
                "T#acme#TENANT",
                "SECRETS",
            ),
            (
                "idempotency",
                idempotency(t, &idem),
                "T#acme#IDEMP#c-1#placeOrder#ab12",
                "IDEMP",
            ),
            (
                "webhook event",
                webhook_event(t, "evt-1"),
                "T#acme#EVENT#evt-1",
                "EVENT",
            ),
            (
                "outbox",
                outbox(t, &OrderId::new("ORD-1").unwrap(), 2, 0),
                "T#acme#ORDER#ORD-1",
                "OUTBOX#000000000002#000",
            ),
            (
                "payment",
                payment(t, "PAY-1"),
                "T#acme#PAYMENT#PAY-1",
                "PAYMENT",
            ),
        ]
    }

    #[test]
    fn every_entity_key_is_pinned() {
        for (entity, key, pk, sk) in all_keys(&tenant()) {
            assert_eq!(key, Key::new(pk, sk), "{entity}");
        }
    }

    #[test]
    fn every_partition_key_starts_with_the_tenant() {
        let t = tenant();
        let s = OrderStatus::Pending;
        let gsi_pks = [
            customer_orders(&t, &c()),
            vendor_orders(&t, &v()),
            customer_orders_by_status(&t, &c(), s),
            vendor_orders_by_status(&t, &v(), s),
            customer_addresses(&t, &c()).0,
        ];
        let pks = all_keys(&t).into_iter().map(|(_, k, _, _)| k.pk);
        for pk in pks.chain(gsi_pks) {
            assert!(pk.starts_with("T#acme#"), "{pk}");
        }
        // A tenant whose id extends another's never shares its prefix: the `#` closes the tenant.
        let other = TenantId::new("acme-2").unwrap();
        for (entity, key, _, _) in all_keys(&other) {
            assert!(key.pk.starts_with("T#acme-2#"), "{entity}");
            assert!(!key.pk.starts_with("T#acme#"), "{entity}");
        }
    }

    #[test]
    fn hold_index_keys_are_pinned_sharded_and_ordered_by_time() {
        use chrono::TimeZone;
        let t = tenant();
        let at = |m| Utc.with_ymd_and_hms(2026, 3, 3, 12, m, 0).single().unwrap();
        let order = OrderId::new("ORD-1").unwrap();
        let key = hold(&t, at(30), &order);
        assert_eq!(key.sk, "2026-03-03T12:30:00.000Z#ORD-1");
        assert!(key.pk.starts_with("T#acme#HOLDS#"), "{}", key.pk);
        assert_eq!(key.pk, hold(&t, at(45), &order).pk, "one shard per order");
        // Lapsed at 12:30 exactly: included; at 12:29: not yet.
        assert!(key.sk < holds_lapsed_before(at(30)));
        assert!(key.sk > holds_lapsed_before(at(29)));
        let shards: std::collections::BTreeSet<String> = (0..64)
            .map(|i| hold(&t, at(0), &OrderId::new(&format!("ORD-{i}")).unwrap()).pk)
            .collect();
        assert_eq!(
            shards.len(),
            HOLD_SHARDS as usize,
            "ids spread over every shard"
        );
        assert_eq!(tenant_registry(&t), Key::new("TENANTS", "acme"));
    }

    #[test]
    fn list_index_keys_are_pinned() {
        let t = tenant();
        assert_eq!(customer_orders(&t, &c()), "T#acme#CUST#c-1");
        assert_eq!(vendor_orders(&t, &v()), "T#acme#VENDOR#v-1");
        let expected = [
            (OrderStatus::Draft, "DRAFT"),
            (OrderStatus::Pending, "PENDING"),
            (OrderStatus::Confirmed, "CONFIRMED"),
            (OrderStatus::Shipped, "SHIPPED"),
            (OrderStatus::Completed, "COMPLETED"),
            (OrderStatus::Cancelled, "CANCELLED"),
        ];
        for (status, name) in expected {
            assert_eq!(
                customer_orders_by_status(&t, &c(), status),
                format!("T#acme#CUST#c-1#STATUS#{name}")
            );
            assert_eq!(
                vendor_orders_by_status(&t, &v(), status),
                format!("T#acme#VENDOR#v-1#STATUS#{name}")
            );
        }
        assert_eq!(
            customer_addresses(&t, &c()),
            ("T#acme#CUST#c-1".to_string(), "ADDR#")
        );
        let address = customer_address(&t, &c(), &AddressId::new("addr-9").unwrap());
        assert!(address.sk.starts_with(customer_addresses(&t, &c()).1));
    }

    #[test]
    fn the_list_sort_key_is_fixed_width_so_string_order_is_time_order() {
        let id = OrderId::new("ORD-1").unwrap();
        let at = |h, m, s, micros| {
            Utc.with_ymd_and_hms(2025, 6, 2, h, m, s).unwrap()
                + chrono::Duration::microseconds(micros)
        };
        assert_eq!(
            order_list_sort(at(10, 0, 0, 0), &id),
            "2025-06-02T10:00:00.000000Z#ORD-1"
        );
        assert_eq!(
            order_list_sort(at(9, 5, 7, 120), &id),
            "2025-06-02T09:05:07.000120Z#ORD-1"
        );
        let times = [
            at(9, 59, 59, 999_999),
            at(10, 0, 0, 0),
            at(10, 0, 0, 1),
            at(10, 0, 1, 0),
            at(23, 0, 0, 0),
        ];
        let keys: Vec<String> = times.iter().map(|t| order_list_sort(*t, &id)).collect();
        assert!(keys.iter().all(|k| k.len() == keys[0].len()), "{keys:?}");
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(sorted, keys);
        // Same instant: the id breaks the tie.
        let a = order_list_sort(at(10, 0, 0, 0), &OrderId::new("ORD-A").unwrap());
        let b = order_list_sort(at(10, 0, 0, 0), &OrderId::new("ORD-B").unwrap());
        assert!(a < b);
    }

    #[test]
    fn the_six_shipping_method_keys_are_distinct() {
        let t = tenant();
        let sks: Vec<String> = ShippingMethod::ALL
            .iter()
            .map(|m| shipping_option(&t, &v(), *m).sk)
            .collect();
        assert_eq!(
            sks,
            [
                "SHIP#STANDARD",
                "SHIP#EXPRESS",
                "SHIP#SAME_DAY",
                "SHIP#LOCAL_PICKUP",
                "SHIP#FREE_SHIPPING",
                "SHIP#FLAT_RATE"
            ]
        );
    }

    #[test]
    fn free_text_ids_are_escaped_so_they_cannot_forge_a_key() {
        let t = tenant();
        let forged = "x#T#other#ORDER#1";
        assert_eq!(
            webhook_event(&t, forged).pk,
            "T#acme#EVENT#x%23T%23other%23ORDER%231"
        );
        assert_eq!(payment(&t, "50%#off").pk, "T#acme#PAYMENT#50%25%23off");
        // Injective: the escape of `#` cannot collide with a literal `%23`.
        assert_ne!(payment(&t, "a#b"), payment(&t, "a%23b"));
        assert_ne!(webhook_event(&t, "a%b"), webhook_event(&t, "a%25b"));
        for raw in ["a#b", "a%23b", "#", "%", "%%23##"] {
            for key in [webhook_event(&t, raw), payment(&t, raw)] {
                let id = key.pk.splitn(4, '#').nth(3).unwrap_or_default();
                assert!(!id.contains('#'), "{raw} → {}", key.pk);
            }
        }
    }

    /// Logs name the kind of every key of the data model, never its values.
    #[test]
    fn every_key_has_its_kind_for_the_logs() {
        let t = TenantId::new("acme").unwrap();
        let v = VendorId::new("v-1").unwrap();
        let c = CustomerId::new("c-secret").unwrap();
        let s = Sku::new("SKU-1").unwrap();
        let o = OrderId::new("ORD-1").unwrap();
        let code = CouponCode::new("save10").unwrap();
        let at = chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let idem = IdempotencyKey::new("c-secret", "placeOrder", "k");
        let cases = [
            (order(&t, &o), "Order"),
            (outbox(&t, &o, 2, 0), "Outbox"),
            (product(&t, &v, &s), "Product"),
            (stock(&t, &v, &s), "Stock"),
            (
                product_ref(&t, &ProductId::new("p-1").unwrap()),
                "ProductRef",
            ),
            (vendor(&t, &v), "Vendor"),
            (vendor_offers(&t, &v), "VendorOffers"),
            (
                shipping_option(&t, &v, ShippingMethod::Express),
                "ShippingOption",
            ),
            (coupon(&t, &v, &code), "Coupon"),
            (coupon_use(&t, &v, &code, &c), "CouponUse"),
            (customer(&t, &c), "Customer"),
            (
                customer_address(&t, &c, &AddressId::new("a-1").unwrap()),
                "CustomerAddress",
            ),
            (
                user_authorization(&t, &UserId::new("u-1").unwrap()),
                "UserAuthorization",
            ),
            (hold(&t, at, &o), "Hold"),
            (tenant_registry(&t), "Tenant"),
            (tenant_config(&t), "TenantConfig"),
            (tenant_secrets(&t), "TenantSecrets"),
            (idempotency(&t, &idem), "Idempotency"),
            (webhook_event(&t, "evt-1"), "WebhookEvent"),
            (payment(&t, "txn-1"), "Payment"),
        ];
        for (key, expected) in &cases {
            assert_eq!(kind(key), *expected, "{key:?}");
        }
        let all: Vec<Key> = cases.iter().map(|(k, _)| k.clone()).collect();
        let listed = kinds(&all);
        assert!(
            !listed.contains("secret") && !listed.contains("acme"),
            "{listed}"
        );
        assert_eq!(
            kinds(&[stock(&t, &v, &s), product(&t, &v, &s), stock(&t, &v, &s)]),
            "Stock×2,Product"
        );
        let (pk, _) = customer_addresses(&t, &c);
        assert_eq!(
            query_kind(oms_store::Index::Primary, &pk),
            "CustomerAddress"
        );
        assert_eq!(
            query_kind(oms_store::Index::Primary, &holds_partition(&t, 1)),
            "Hold"
        );
        assert_eq!(query_kind(oms_store::Index::Primary, TENANTS_PK), "Tenant");
        assert_eq!(
            query_kind(oms_store::Index::Gsi1, &customer_orders(&t, &c)),
            "Order"
        );
    }
}
