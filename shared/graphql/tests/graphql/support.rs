//! Test fixtures: the real `Oms` over the embedded in-memory store, seeded through the same
//! versioned snapshot writes as webhooks, with a pinned clock.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_graphql::Request;
use chrono::{DateTime, TimeZone, Utc};
use oms_application::caller::Caller;
use oms_application::ports::{ManualClock, NoPaymentGateway, SnapshotWrite, Store};
use oms_application::records::TenantConfig;
use oms_application::Oms;
use oms_domain::address::{Address, Country};
use oms_domain::auth::Role;
use oms_domain::catalog::{
    AddressType, Coupon, CustomerAddress, GiftProduct, Offer, OfferConditions, OfferKind, Package,
    Product, ShippingConditions, ShippingMethod, ShippingOptionRule, Vendor,
};
use oms_domain::ids::{
    AddressId, CouponCode, CustomerId, OfferId, ProductId, Sku, TenantId, VendorId,
};
use oms_domain::money::{Currency, Money};
use oms_graphql::{build_schema, AnySchema, OmsSchema, SchemaOptions};
use oms_persistence::Repository;
use oms_store::SqliteStore;
use rust_decimal::Decimal;
use serde_json::Value;

#[allow(dead_code)]
pub const TENANT: &str = "t1";
#[allow(dead_code)]
pub const OTHER_TENANT: &str = "t2";
#[allow(dead_code)]
pub const VENDOR: &str = "v-1";
#[allow(dead_code)]
pub const CUSTOMER: &str = "c-1";
#[allow(dead_code)]
pub const OTHER_CUSTOMER: &str = "c-2";

/// 2026-11-25T02:00:00Z (10:00 in Singapore).
#[allow(dead_code)]
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 2, 0, 0)
        .single()
        .unwrap_or_default()
}

fn sgd(amount: &str) -> Money {
    Money::parse(amount, Currency::SGD).unwrap_or_else(|e| panic!("money {amount}: {e}"))
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap_or_else(|e| panic!("decimal {s}: {e}"))
}

fn product(sku: &str, name: &str, price: &str, stock: i64, weight: &str) -> SnapshotWrite {
    SnapshotWrite::Product(Product {
        product_id: ProductId::new(&format!("p-{}", sku.to_lowercase()))
            .unwrap_or_else(|e| panic!("{e}")),
        vendor_id: VendorId::new(VENDOR).unwrap_or_else(|e| panic!("{e}")),
        sku: Sku::new(sku).unwrap_or_else(|e| panic!("{e}")),
        name: name.into(),
        category: Some("Kitchen".into()),
        options: BTreeMap::from([("Color".to_string(), "White".to_string())]),
        price: sgd(price),
        stock,
        package: Package {
            weight_kg: dec(weight),
            dimensions_cm: [10, 10, 10],
        },
        is_active: true,
        is_taxable: true,
    })
}

/// Vendor v-1 (SG) with MUG-01 (12.50, 0.5 kg) and CAP-01 (18.90, 0.2 kg), coupon WELCOME10
/// (10 % off), a free coaster from 5 units, STANDARD shipping (5.00 + 1.50/kg) and one address for c-1.
#[allow(dead_code)]
pub fn snapshots() -> Vec<SnapshotWrite> {
    let vendor = VendorId::new(VENDOR).unwrap_or_else(|e| panic!("{e}"));
    let sg = Country::parse("SG").unwrap_or_else(|e| panic!("{e}"));
    vec![
        SnapshotWrite::Vendor(Vendor {
            vendor_id: vendor.clone(),
            name: "Vendor One".into(),
            country: sg,
            is_active: true,
        }),
        product("MUG-01", "Ceramic Mug", "12.50", 50, "0.5"),
        product("CAP-01", "Baseball Cap", "18.90", 25, "0.2"),
        SnapshotWrite::Offer(Offer {
            offer_id: OfferId::new("o-welcome10").unwrap_or_else(|e| panic!("{e}")),
            vendor_id: vendor.clone(),
            name: "Welcome 10% off".into(),
            kind: OfferKind::CouponDiscount,
            discount_value: dec("10"),
            conditions: OfferConditions::default(),
            required_coupon: true,
            stackable: true,
            priority: 10,
            starts_at: None,
            ends_at: None,
            is_active: true,
        }),
        SnapshotWrite::Offer(Offer {
            offer_id: OfferId::new("o-gift").unwrap_or_else(|e| panic!("{e}")),
            vendor_id: vendor.clone(),
            name: "Free coaster from 5 units".into(),
            kind: OfferKind::FreeGift,
            discount_value: Decimal::ZERO,
            conditions: OfferConditions {
                minimum_quantity: Some(5),
                gift_products: vec![GiftProduct {
                    sku: Sku::new("COASTER").unwrap_or_else(|e| panic!("{e}")),
                    quantity: 1,
                    name: Some("Coaster".into()),
                }],
                ..OfferConditions::default()
            },
            required_coupon: false,
            stackable: true,
            priority: 1,
            starts_at: None,
            ends_at: None,
            is_active: true,
        }),
        SnapshotWrite::Coupon(Coupon {
            vendor_id: vendor.clone(),
            code: CouponCode::new("WELCOME10").unwrap_or_else(|e| panic!("{e}")),
            offer_id: OfferId::new("o-welcome10").unwrap_or_else(|e| panic!("{e}")),
            starts_at: None,
            ends_at: None,
            is_active: true,
            usage_limit: Some(100),
            per_customer_limit: Some(1),
            minimum_subtotal: None,
        }),
        SnapshotWrite::ShippingOption(ShippingOptionRule {
            vendor_id: vendor,
            method: ShippingMethod::Standard,
            delivery_time: "2-3 Days".into(),
            base_cost: sgd("5.00"),
            flat_rate: sgd("1.50"),
            conditions: ShippingConditions {
                max_weight: Some(dec("30")),
                ..ShippingConditions::default()
            },
            is_active: true,
        }),
        SnapshotWrite::CustomerAddress(CustomerAddress {
            customer_id: CustomerId::new(CUSTOMER).unwrap_or_else(|e| panic!("{e}")),
            address_id: AddressId::new("addr-home").unwrap_or_else(|e| panic!("{e}")),
            address_type: AddressType::Shipping,
            address: Address::new("1 Raffles Place", "Singapore", None, "048616", "SG")
                .unwrap_or_else(|e| panic!("{e}")),
            is_default: true,
            is_active: true,
        }),
        // Synced from upstream with the invoices' address: stored, never a destination.
        SnapshotWrite::CustomerAddress(CustomerAddress {
            customer_id: CustomerId::new(CUSTOMER).unwrap_or_else(|e| panic!("{e}")),
            address_id: AddressId::new("addr-billing").unwrap_or_else(|e| panic!("{e}")),
            address_type: AddressType::Billing,
            address: Address::new("9 Invoice Lane", "Singapore", None, "018989", "SG")
                .unwrap_or_else(|e| panic!("{e}")),
            is_default: true,
            is_active: true,
        }),
    ]
}

/// A seeded `Oms` over a fresh in-memory store, its clock pinned at [`now`].
#[allow(dead_code)]
pub async fn oms() -> Oms {
    oms_with_clock().await.0
}

/// [`oms`] and its clock, for tests that let time pass.
#[allow(dead_code)]
pub async fn oms_with_clock() -> (Oms, Arc<ManualClock>) {
    seeded(None).await
}

/// [`oms`] with `config` stored as [`TENANT`]'s configuration.
#[allow(dead_code)]
pub async fn oms_with_tenant_config(config: TenantConfig) -> Oms {
    seeded(Some(config)).await.0
}

async fn seeded(config: Option<TenantConfig>) -> (Oms, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(now()));
    let store = SqliteStore::in_memory(clock.clone()).unwrap_or_else(|e| panic!("store: {e}"));
    let repo: Arc<dyn Store> = Arc::new(Repository::new(Arc::new(store)));
    let tenant = TenantId::new(TENANT).unwrap_or_else(|e| panic!("{e}"));
    for write in snapshots() {
        repo.apply_snapshot(&tenant, write, 1)
            .await
            .unwrap_or_else(|e| panic!("seed: {e}"));
    }
    if let Some(config) = config {
        repo.put_tenant_config(&config)
            .await
            .unwrap_or_else(|e| panic!("tenant config: {e}"));
    }
    let oms = Oms::new(repo, clock.clone(), Arc::new(NoPaymentGateway));
    (oms, clock)
}

#[allow(dead_code)]
pub async fn schema() -> OmsSchema {
    build_schema(oms().await, SchemaOptions::default())
}

#[allow(dead_code)]
pub fn caller(tenant: &str, sub: &str, roles: &[Role], vendor: Option<&str>) -> Caller {
    Caller {
        tenant: TenantId::new(tenant).unwrap_or_else(|e| panic!("{e}")),
        sub: CustomerId::new(sub).unwrap_or_else(|e| panic!("{e}")),
        roles: roles.to_vec(),
        vendor_id: vendor.map(|v| VendorId::new(v).unwrap_or_else(|e| panic!("{e}"))),
        email: Some(format!("{sub}@example.com")),
        given_name: Some("Casey".into()),
        family_name: Some("Doe".into()),
        name: None,
        request_id: format!("req-{sub}"),
    }
}

#[allow(dead_code)]
pub fn customer() -> Caller {
    caller(TENANT, CUSTOMER, &[Role::Customer], None)
}

#[allow(dead_code)]
pub fn vendor() -> Caller {
    caller(TENANT, "u-vendor", &[Role::Vendor], Some(VENDOR))
}

/// Executes `query` with `variables` as `caller` (none = unauthenticated) and returns the whole
/// response as JSON (`data`, `errors`, `extensions`).
#[allow(dead_code)]
pub async fn run(
    schema: &OmsSchema,
    caller: Option<Caller>,
    query: &str,
    variables: Value,
) -> Value {
    let mut request = Request::new(query).variables(async_graphql::Variables::from_json(variables));
    if let Some(c) = caller {
        request = request.data(c);
    }
    let response = schema.execute(request).await;
    serde_json::to_value(&response).unwrap_or_else(|e| panic!("response json: {e}"))
}

#[allow(dead_code)]
pub async fn run_any(schema: &AnySchema, caller: Option<Caller>, query: &str) -> Value {
    let mut request = Request::new(query);
    if let Some(c) = caller {
        request = request.data(c);
    }
    serde_json::to_value(&schema.execute(request).await)
        .unwrap_or_else(|e| panic!("response json: {e}"))
}

/// The codes (`extensions.code`) of the response's top-level errors.
#[allow(dead_code)]
pub fn error_codes(response: &Value) -> Vec<String> {
    response["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    e["extensions"]["code"]
                        .as_str()
                        .unwrap_or("<none>")
                        .to_string()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Panics with the response when it has top-level errors.
#[allow(dead_code)]
pub fn assert_no_errors(response: &Value) {
    assert!(
        response
            .get("errors")
            .is_none_or(|e| e.as_array().is_none_or(Vec::is_empty)),
        "unexpected errors: {response:#}"
    );
}
