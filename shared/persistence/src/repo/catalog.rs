//! Snapshot reads for checkout, in one BatchGetItem (each product with its stock item).

use async_trait::async_trait;
use oms_application::ports::{CatalogRepository, CatalogRequest, CatalogView, StoreFault};
use oms_application::records::{IdempotencyRecord, TenantConfig};
use oms_domain::catalog::{
    Coupon, Customer, CustomerAddress, Offer, Product, ShippingMethod, ShippingOptionRule,
    UserAuthorization, Vendor,
};
use oms_domain::ids::{CustomerId, Sku, TenantId, UserId};
use oms_domain::pricing::CouponUsage;
use oms_store::{Index, Item, Key, QueryRequest, SkCondition, Value};

use super::{fault, Repository};
use crate::codec::{self, from_body, number, IS_ACTIVE, OFFERS, STOCK, USED};
use crate::keys;
use crate::stock::StockCounters;

/// What a key of the batch stands for.
enum Slot {
    Vendor,
    Offers,
    Shipping,
    Product,
    Stock(Sku),
    Coupon,
    CouponUse(oms_domain::ids::CouponCode),
    Customer,
    Idempotency,
    TenantConfig,
    Authorization,
    Address,
}

#[async_trait]
impl CatalogRepository for Repository {
    async fn load_catalog(
        &self,
        tenant: &TenantId,
        request: &CatalogRequest,
    ) -> Result<CatalogView, StoreFault> {
        let mut slots: Vec<(Key, Slot)> = Vec::new();
        if let Some(vendor) = &request.vendor_id {
            slots.push((keys::vendor(tenant, vendor), Slot::Vendor));
            slots.push((keys::vendor_offers(tenant, vendor), Slot::Offers));
            for method in ShippingMethod::ALL {
                slots.push((
                    keys::shipping_option(tenant, vendor, method),
                    Slot::Shipping,
                ));
            }
            for sku in &request.skus {
                slots.push((keys::product(tenant, vendor, sku), Slot::Product));
                slots.push((keys::stock(tenant, vendor, sku), Slot::Stock(sku.clone())));
            }
            for code in &request.coupon_codes {
                slots.push((keys::coupon(tenant, vendor, code), Slot::Coupon));
                if let Some(customer) = &request.customer_id {
                    slots.push((
                        keys::coupon_use(tenant, vendor, code, customer),
                        Slot::CouponUse(code.clone()),
                    ));
                }
            }
        }
        if let Some(customer) = &request.customer_id {
            slots.push((keys::customer(tenant, customer), Slot::Customer));
            if let Some(address) = &request.address_id {
                slots.push((
                    keys::customer_address(tenant, customer, address),
                    Slot::Address,
                ));
            }
        }
        if let Some(idem) = &request.idempotency {
            slots.push((keys::idempotency(tenant, idem), Slot::Idempotency));
        }
        let cached_config = if request.tenant_config {
            self.cached_config(tenant)
        } else {
            None
        };
        if request.tenant_config && cached_config.is_none() {
            slots.push((keys::tenant_config(tenant), Slot::TenantConfig));
        }
        if let Some(user) = &request.user {
            slots.push((keys::user_authorization(tenant, user), Slot::Authorization));
        }
        let mut view = CatalogView::default();
        if let Some(config) = cached_config.clone() {
            view.tenant_config = config;
        }
        if slots.is_empty() {
            return Ok(view);
        }
        let wanted: Vec<Key> = slots.iter().map(|(k, _)| k.clone()).collect();
        // Eventually consistent (half the read units): whatever a command decides from these
        // snapshots is re-checked by its transaction's conditions on the stored items (stock,
        // coupon counters, the order's version), so a read a moment stale can only make the
        // commit fail and retry, never commit on stale data.
        let items = self.store.batch_get(&wanted, false).await.map_err(fault)?;
        let mut customer_uses: Vec<(oms_domain::ids::CouponCode, u32)> = Vec::new();
        let mut global_uses: Vec<(oms_domain::ids::CouponCode, u32)> = Vec::new();
        let mut stock: Vec<(Sku, StockCounters)> = Vec::new();
        for item in &items {
            let key = Key::of(item).map_err(fault)?;
            let Some((_, slot)) = slots.iter().find(|(k, _)| *k == key) else {
                continue;
            };
            match slot {
                Slot::Vendor => view.vendor = Some(from_body::<Vendor>(item)?),
                Slot::Offers => view.offers = offers_from_item(item)?,
                Slot::Shipping => view
                    .shipping_options
                    .push(from_body::<ShippingOptionRule>(item)?),
                Slot::Product => view.products.push(product_from_item(item)?),
                Slot::Stock(sku) => stock.push((sku.clone(), StockCounters::from_item(item)?)),
                Slot::Coupon => {
                    let coupon: Coupon = from_body(item)?;
                    global_uses.push((coupon.code.clone(), used(item)));
                    view.coupons.push(coupon);
                }
                Slot::CouponUse(code) => customer_uses.push((code.clone(), used(item))),
                Slot::Customer => {
                    view.customer = Some(from_body::<Customer>(item)?);
                    view.customer_stamp = Some(super::refresh::stamp_of(item));
                }
                Slot::Idempotency => view.idempotency = Some(from_body::<IdempotencyRecord>(item)?),
                Slot::TenantConfig => view.tenant_config = Some(from_body::<TenantConfig>(item)?),
                Slot::Authorization => {
                    view.authorization = Some(from_body::<UserAuthorization>(item)?)
                }
                Slot::Address => {
                    let address: CustomerAddress = from_body(item)?;
                    let mut stamp = super::refresh::stamp_of(item);
                    stamp.active &= address.is_active;
                    view.address_stamp = Some(stamp);
                    view.address = address.is_active.then_some(address);
                }
            }
        }
        view.shipping_options.sort_by_key(|o| o.method);
        // Decisions see the units available to sell. A product stored before holds were counted
        // apart (no stock item yet) shows its stored `stock` until its stock item is created.
        for product in &mut view.products {
            product.stock = match stock.iter().find(|(s, _)| *s == product.sku) {
                Some((_, counters)) => counters.to_sell(),
                None => product.stock.max(0),
            };
        }
        for (code, total_used) in global_uses {
            let customer_used = customer_uses
                .iter()
                .find(|(c, _)| *c == code)
                .map_or(0, |(_, n)| *n);
            view.coupon_usage.push((
                code,
                CouponUsage {
                    total_used,
                    customer_used,
                },
            ));
        }
        if request.tenant_config && cached_config.is_none() {
            self.remember_config(tenant, view.tenant_config.as_ref());
        }
        Ok(view)
    }

    async fn list_customer_addresses(
        &self,
        tenant: &TenantId,
        customer: &CustomerId,
    ) -> Result<Vec<CustomerAddress>, StoreFault> {
        let (pk, prefix) = keys::customer_addresses(tenant, customer);
        let mut addresses = Vec::new();
        let mut start_after = None;
        loop {
            let request = QueryRequest {
                index: Index::Primary,
                pk: pk.clone(),
                sk: SkCondition::BeginsWith(prefix.to_string()),
                forward: true,
                limit: 100,
                start_after,
                consistent: true,
            };
            let page = self.store.query(request).await.map_err(fault)?;
            for item in &page.items {
                let address: CustomerAddress = from_body(item)?;
                if address.is_active && &address.customer_id == customer {
                    addresses.push(address);
                }
            }
            match page.last_key {
                Some(k) => start_after = Some(k),
                None => break,
            }
        }
        // Default first, then by id (stable).
        addresses.sort_by(|a, b| {
            b.is_default
                .cmp(&a.is_default)
                .then_with(|| a.address_id.cmp(&b.address_id))
        });
        Ok(addresses)
    }

    async fn get_user_authorization(
        &self,
        tenant: &TenantId,
        user: &UserId,
    ) -> Result<Option<UserAuthorization>, StoreFault> {
        let item = self
            .store
            .get(&keys::user_authorization(tenant, user), false)
            .await
            .map_err(fault)?;
        item.map(|i| from_body::<UserAuthorization>(&i)).transpose()
    }

    async fn get_customer(
        &self,
        tenant: &TenantId,
        customer: &CustomerId,
    ) -> Result<Option<Customer>, StoreFault> {
        let item = self
            .store
            .get(&keys::customer(tenant, customer), false)
            .await
            .map_err(fault)?;
        item.map(|i| from_body::<Customer>(&i)).transpose()
    }
}

fn used(item: &Item) -> u32 {
    number(item, USED).map_or(0, |n| u32::try_from(n.max(0)).unwrap_or(u32::MAX))
}

/// The product body with its `is_active` attribute, and the `stock` attribute of an item stored
/// before holds were counted apart (the units left to sell then).
pub(crate) fn product_from_item(item: &Item) -> Result<Product, StoreFault> {
    let mut product: Product = from_body(item)?;
    if let Some(stock) = number(item, STOCK) {
        product.stock = stock;
    }
    if let Some(Value::Bool(active)) = item.get(IS_ACTIVE) {
        product.is_active = *active;
    }
    Ok(product)
}

/// All offers of a vendor from the one OFFERS item (`offers`: offer id → {version, body}).
pub(crate) fn offers_from_item(item: &Item) -> Result<Vec<Offer>, StoreFault> {
    let Some(Value::M(map)) = item.get(OFFERS) else {
        return Ok(vec![]);
    };
    let mut offers = Vec::with_capacity(map.len());
    for entry in map.values() {
        let Value::M(fields) = entry else { continue };
        let body = fields
            .get(codec::BODY)
            .and_then(Value::as_s)
            .ok_or_else(|| StoreFault::new("offer without body"))?;
        let offer: Offer = serde_json::from_str(body)
            .map_err(|e| StoreFault::with_source("cannot decode offer", e))?;
        offers.push(offer);
    }
    Ok(offers)
}
