//! The demo tenant (docs/runtime.md): tenant `demo`, vendor `v-demo` (SG), products in SGD with
//! stock, coupon WELCOME10 (10 % off), Standard and Express shipping, customer `c-demo` with one
//! address. Seeding goes through the same versioned snapshot writes as webhooks, so running it
//! again changes nothing.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use oms_application::ports::{SnapshotWrite, Store};
use oms_application::records::{TenantConfig, TenantSecrets};
use oms_domain::address::{Address, Country};
use oms_domain::auth::Role;
use oms_domain::catalog::{
    AddressType, Coupon, Customer, CustomerAddress, Offer, OfferConditions, OfferKind, Package,
    Product, ShippingConditions, ShippingMethod, ShippingOptionRule, UserAuthorization, Vendor,
};
use oms_domain::ids::{
    AddressId, CouponCode, CustomerId, OfferId, ProductId, Sku, TenantId, UserId, VendorId,
};
use oms_domain::money::{Currency, Money};
use rust_decimal::Decimal;

pub const TENANT: &str = "demo";
pub const VENDOR: &str = "v-demo";
pub const CUSTOMER: &str = "c-demo";
/// The vendor's staff user (its token carries `vendor_id: v-demo`).
pub const VENDOR_USER: &str = "u-vendor-demo";
pub const WEBHOOK_SECRET: &str = "demo-webhook-secret";
/// Snapshot version of the seed (later upstream events with higher versions replace it).
const VERSION: u64 = 1;

fn sgd(amount: &str) -> Result<Money> {
    Money::parse(amount, Currency::SGD).context("demo money")
}

fn dec(s: &str) -> Result<Decimal> {
    s.parse::<Decimal>().context("demo decimal")
}

/// (sku, name, category, price, stock, weight kg, options).
type DemoProduct = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    i64,
    &'static str,
    &'static [(&'static str, &'static str)],
);

/// The demo products.
const PRODUCTS: &[DemoProduct] = &[
    (
        "T-SHIRT-L",
        "T Shirt Large",
        "Men's T-Shirts",
        "10.00",
        100,
        "1.0",
        &[("Size", "L"), ("Color", "Red")],
    ),
    (
        "MUG-01",
        "Ceramic Mug",
        "Kitchen",
        "12.50",
        50,
        "0.5",
        &[("Color", "White")],
    ),
    (
        "CAP-01",
        "Baseball Cap",
        "Accessories",
        "18.90",
        25,
        "0.2",
        &[("Size", "One size")],
    ),
    (
        "HOODIE-M",
        "Hoodie Medium",
        "Men's Hoodies",
        "45.00",
        10,
        "0.8",
        &[("Size", "M")],
    ),
];

/// Every snapshot of the demo tenant.
pub fn snapshots() -> Result<Vec<SnapshotWrite>> {
    let vendor_id = VendorId::new(VENDOR)?;
    let sg = Country::parse("SG")?;
    let mut out = vec![SnapshotWrite::Vendor(Vendor {
        vendor_id: vendor_id.clone(),
        name: "Demo Vendor".into(),
        country: sg,
        is_active: true,
    })];
    for (sku, name, category, price, stock, weight, options) in PRODUCTS {
        out.push(SnapshotWrite::Product(Product {
            product_id: ProductId::new(&format!("p-{}", sku.to_lowercase()))?,
            vendor_id: vendor_id.clone(),
            sku: Sku::new(sku)?,
            name: (*name).into(),
            category: Some((*category).into()),
            options: options
                .iter()
                .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
                .collect::<BTreeMap<_, _>>(),
            price: sgd(price)?,
            stock: *stock,
            package: Package {
                weight_kg: dec(weight)?,
                dimensions_cm: [30, 20, 5],
            },
            is_active: true,
            is_taxable: true,
        }));
    }
    out.push(SnapshotWrite::Offer(Offer {
        offer_id: OfferId::new("o-welcome10")?,
        vendor_id: vendor_id.clone(),
        name: "Welcome 10% off".into(),
        kind: OfferKind::CouponDiscount,
        discount_value: dec("10")?,
        conditions: OfferConditions::default(),
        required_coupon: true,
        stackable: true,
        priority: 10,
        starts_at: None,
        ends_at: None,
        is_active: true,
    }));
    out.push(SnapshotWrite::Coupon(Coupon {
        vendor_id: vendor_id.clone(),
        code: CouponCode::new("WELCOME10")?,
        offer_id: OfferId::new("o-welcome10")?,
        starts_at: None,
        ends_at: None,
        is_active: true,
        usage_limit: Some(1000),
        per_customer_limit: Some(1),
        minimum_subtotal: None,
    }));
    out.push(SnapshotWrite::ShippingOption(ShippingOptionRule {
        vendor_id: vendor_id.clone(),
        method: ShippingMethod::Standard,
        delivery_time: "2-3 Days".into(),
        base_cost: sgd("5.00")?,
        flat_rate: sgd("1.50")?,
        conditions: ShippingConditions {
            max_weight: Some(dec("30")?),
            ..ShippingConditions::default()
        },
        is_active: true,
    }));
    out.push(SnapshotWrite::ShippingOption(ShippingOptionRule {
        vendor_id: vendor_id.clone(),
        method: ShippingMethod::Express,
        delivery_time: "Next day".into(),
        base_cost: sgd("12.00")?,
        flat_rate: sgd("2.00")?,
        conditions: ShippingConditions {
            max_weight: Some(dec("20")?),
            ..ShippingConditions::default()
        },
        is_active: true,
    }));
    let customer = CustomerId::new(CUSTOMER)?;
    out.push(SnapshotWrite::Customer(Customer {
        customer_id: customer.clone(),
        first_name: Some("Casey".into()),
        last_name: Some("Demo".into()),
        email: Some("casey@example.com".into()),
        is_active: true,
    }));
    out.push(SnapshotWrite::CustomerAddress(CustomerAddress {
        customer_id: customer,
        address_id: AddressId::new("addr-home")?,
        address_type: AddressType::Shipping,
        address: Address::new("1 Raffles Place", "Singapore", None, "048616", "SG")?,
        is_default: true,
        is_active: true,
    }));
    out.push(SnapshotWrite::UserAuthorization(UserAuthorization {
        user_id: UserId::new(VENDOR_USER)?,
        roles: vec![Role::Vendor],
        vendor_id: Some(vendor_id),
        is_active: true,
    }));
    Ok(out)
}

/// Seeds the demo tenant (idempotent).
pub async fn seed(store: &dyn Store) -> Result<()> {
    let tenant = TenantId::new(TENANT)?;
    if store.get_tenant_config(&tenant).await?.is_none() {
        let mut secrets = TenantSecrets::new(tenant.clone());
        secrets.webhook_secrets = vec![WEBHOOK_SECRET.to_string()];
        store.put_tenant_secrets(&secrets).await?;
        store
            .put_tenant_config(&TenantConfig::new(tenant.clone()))
            .await?;
    }
    for write in snapshots()? {
        store.apply_snapshot(&tenant, write, VERSION).await?;
    }
    Ok(())
}
