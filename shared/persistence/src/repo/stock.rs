//! Stock items the hot paths found missing (rare paths only): products stored before holds were
//! counted apart, and releases or shipments of a product whose SKU was renamed after the hold.
//!
//! **Migration rule** (docs/data-model.md "Stock"): a product item without a stock item was
//! written before holds were counted apart; its `stock` attribute is the last snapshot's on-hand
//! minus what placements took since. Its stock item starts with `on_hand` = that `stock`, `held` =
//! the units its vendor's PENDING and CONFIRMED orders reserved (read from GSI4), `shipped` = 0,
//! so `available` = `stock − held`. That never sells a held unit (it may sell fewer units than
//! exist until the product's next snapshot sets the true on-hand), and every later release or
//! shipment of those orders finds its units counted in `held`. While the stock item is missing,
//! no hold, release or shipment of the SKU can commit (each requires the item), so the orders
//! read cannot change underneath the migration.

use std::collections::BTreeMap;

use oms_application::ports::{CommitError, StockChange, StockMove, StoreFault};
use oms_domain::ids::{ProductId, Sku, TenantId, VendorId};
use oms_domain::order::OrderStatus;
use oms_store::{Cond, Index, Item, Key, QueryRequest, SkCondition, StoreError, Value};

use super::{fault, Repository};
use crate::codec::{self, from_body, number, string, IS_ACTIVE, STOCK};
use crate::keys;
use crate::stock::StockCounters;

impl Repository {
    /// The stock counters under `(vendor, sku)`: the stock item, else the migrated counters of a
    /// product stored before holds were counted apart (written now, unless another writer created
    /// the item first), else `None` (no such product).
    pub(crate) async fn migrate_stock(
        &self,
        tenant: &TenantId,
        vendor: &VendorId,
        sku: &Sku,
    ) -> Result<Option<StockCounters>, StoreFault> {
        let key = keys::stock(tenant, vendor, sku);
        if let Some(item) = self.store.get(&key, true).await.map_err(fault)? {
            return StockCounters::from_item(&item).map(Some);
        }
        let product = self
            .store
            .get(&keys::product(tenant, vendor, sku), true)
            .await
            .map_err(fault)?;
        let Some(product) = product else {
            return Ok(None);
        };
        let counters = self.legacy_counters(tenant, vendor, sku, &product).await?;
        match self
            .store
            .put(counters.item(&key), Some(Cond::NotExists))
            .await
        {
            Ok(()) => {
                tracing::info!(tenant = %tenant, vendor = %vendor, sku = %sku, held = counters.held,
                    "stock item created for a product stored before holds were counted apart");
                Ok(Some(counters))
            }
            Err(StoreError::ConditionFailed) => {
                let item = self.store.get(&key, true).await.map_err(fault)?;
                item.map(|i| StockCounters::from_item(&i)).transpose()
            }
            Err(e) => Err(fault(e)),
        }
    }

    /// The migrated counters of `product` (an item without a stock item; see the module
    /// documentation). Reads the vendor's PENDING and CONFIRMED orders.
    pub(crate) async fn legacy_counters(
        &self,
        tenant: &TenantId,
        vendor: &VendorId,
        sku: &Sku,
        product: &Item,
    ) -> Result<StockCounters, StoreFault> {
        let on_hand = match number(product, STOCK) {
            Some(stock) => stock,
            None => from_body::<oms_domain::catalog::Product>(product)?.stock,
        };
        Ok(StockCounters {
            on_hand,
            held: self.open_holds(tenant, vendor, sku).await?,
            shipped: 0,
            last_shipped_at: None,
            is_active: matches!(product.get(IS_ACTIVE), Some(Value::Bool(true))),
            rev: 0,
        })
    }

    /// Units of `sku` reserved by the vendor's PENDING and CONFIRMED orders (GSI4, every page,
    /// keys only; the orders themselves read from the table). An order seen under both statuses
    /// (it was confirmed between the two queries) counts once.
    async fn open_holds(
        &self,
        tenant: &TenantId,
        vendor: &VendorId,
        sku: &Sku,
    ) -> Result<i64, StoreFault> {
        let mut holders = std::collections::BTreeMap::new();
        for status in [OrderStatus::Pending, OrderStatus::Confirmed] {
            let mut start_after = None;
            loop {
                let request = QueryRequest {
                    index: Index::Gsi4,
                    pk: keys::vendor_orders_by_status(tenant, vendor, status),
                    sk: SkCondition::Any,
                    forward: true,
                    limit: 100,
                    start_after,
                    consistent: false,
                };
                let page = self.store.query(request).await.map_err(fault)?;
                let order_keys = page
                    .items
                    .iter()
                    .map(Key::of)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(fault)?;
                let orders = self
                    .store
                    .batch_get(&order_keys, true)
                    .await
                    .map_err(fault)?;
                for item in &orders {
                    let Some(order) = codec::order_from_item(tenant, item)? else {
                        continue;
                    };
                    if !order.stock_reserved
                        || !matches!(order.status, OrderStatus::Pending | OrderStatus::Confirmed)
                    {
                        continue;
                    }
                    let reservations = order
                        .stock_reservations()
                        .map_err(|e| StoreFault::new(e.message))?;
                    let units: i64 = reservations
                        .iter()
                        .filter(|r| &r.sku == sku)
                        .map(|r| i64::from(r.quantity))
                        .sum();
                    holders.insert(order.id.to_string(), units);
                }
                match page.last_key {
                    Some(last) => start_after = Some(last),
                    None => break,
                }
            }
        }
        Ok(holders.values().sum())
    }

    /// Where the product `id` is stored now (vendor, SKU), from its ref item.
    pub(crate) async fn product_location(
        &self,
        tenant: &TenantId,
        id: &ProductId,
    ) -> Result<Option<(VendorId, Sku)>, StoreFault> {
        let item = self
            .store
            .get(&keys::product_ref(tenant, id), true)
            .await
            .map_err(fault)?;
        Ok(item.as_ref().and_then(ref_location))
    }
}

/// One stock op of a commit, as the repository writes it: the change, mended on the rare paths
/// of [`Repository::fix_stock`].
#[derive(Debug, Clone)]
pub(super) struct StockOp {
    pub(super) change: StockChange,
    /// A later shipment's time is recorded already: this shipment leaves it.
    pub(super) keep_later_shipment: bool,
    /// No stock item to apply the release or shipment to: left out.
    pub(super) dropped: bool,
}

/// Two changes of one SKU become one op (a transaction may touch an item once); one SKU moving
/// two ways in one commit is a fault.
pub(super) fn merge_stock(changes: &[StockChange]) -> Result<Vec<StockOp>, CommitError> {
    let mut merged: BTreeMap<(VendorId, Sku), StockChange> = BTreeMap::new();
    for c in changes {
        match merged.get_mut(&(c.vendor_id.clone(), c.sku.clone())) {
            Some(m) if m.movement == c.movement => {
                m.quantity = m.quantity.checked_add(c.quantity).ok_or_else(|| {
                    CommitError::Fault(StoreFault::new("stock quantity overflow"))
                })?;
            }
            Some(_) => {
                return Err(CommitError::Fault(StoreFault::new(format!(
                    "SKU {} moves two ways in one commit",
                    c.sku
                ))))
            }
            None => {
                merged.insert((c.vendor_id.clone(), c.sku.clone()), c.clone());
            }
        }
    }
    Ok(merged
        .into_values()
        .filter(|c| c.quantity > 0)
        .map(|change| StockOp {
            change,
            keep_later_shipment: false,
            dropped: false,
        })
        .collect())
}

impl Repository {
    /// Mends a stock op whose condition failed, so the commit can be tried again; or the reason
    /// it cannot commit. Rare paths only (each costs reads):
    /// - a hold on a missing stock item: a product stored before holds were counted apart gets
    ///   its stock item (the migration rule above); no product: PRODUCT_UNAVAILABLE. A hold on a
    ///   stock item: not enough units, or the product inactive (nothing to mend);
    /// - a release or shipment on a missing stock item: the product's SKU was renamed after the
    ///   hold (the op follows the product id to its stock item), or the product was stored before
    ///   holds were counted apart (migrated); with no product left at all, the op is left out
    ///   (logged): there is nothing its units could be sold from;
    /// - a shipment finding a later shipment's time recorded: it leaves that time.
    pub(super) async fn fix_stock(
        &self,
        tenant: &TenantId,
        op: &mut StockOp,
    ) -> Result<(), CommitError> {
        let change = &op.change;
        let key = keys::stock(tenant, &change.vendor_id, &change.sku);
        let stored = self.store.get(&key, true).await.map_err(fault)?;
        match (change.movement, stored) {
            (StockMove::Hold, Some(item)) => Err(refusal(&item, &change.sku)),
            (StockMove::Hold, None) => {
                match self
                    .migrate_stock(tenant, &change.vendor_id, &change.sku)
                    .await?
                {
                    Some(_) => Ok(()),
                    None => Err(CommitError::ProductUnavailable(change.sku.clone())),
                }
            }
            (StockMove::Ship { at }, Some(item)) => {
                let last = StockCounters::from_item(&item)?.last_shipped_at;
                if last.is_some_and(|l| l > at.timestamp_millis()) {
                    op.keep_later_shipment = true;
                }
                Ok(())
            }
            // Created meanwhile: try again.
            (StockMove::Release, Some(_)) => Ok(()),
            (StockMove::Release | StockMove::Ship { .. }, None) => {
                if let Some((vendor, sku)) =
                    self.product_location(tenant, &change.product_id).await?
                {
                    if vendor != change.vendor_id || sku != change.sku {
                        op.change.vendor_id = vendor;
                        op.change.sku = sku;
                        return Ok(());
                    }
                }
                let migrated = self
                    .migrate_stock(tenant, &change.vendor_id, &change.sku)
                    .await?;
                if migrated.is_none() {
                    tracing::warn!(tenant = %tenant, vendor = %change.vendor_id, sku = %change.sku,
                        units = change.quantity, "no stock item for a release or shipment: left out");
                    op.dropped = true;
                }
                Ok(())
            }
        }
    }

    /// Why a hold was refused (failure path only: one read).
    pub(super) async fn hold_refusal(
        &self,
        tenant: &TenantId,
        change: &StockChange,
    ) -> Result<CommitError, CommitError> {
        let key = keys::stock(tenant, &change.vendor_id, &change.sku);
        Ok(match self.store.get(&key, true).await.map_err(fault)? {
            Some(item) => refusal(&item, &change.sku),
            None => CommitError::ProductUnavailable(change.sku.clone()),
        })
    }
}

/// OUT_OF_STOCK, or PRODUCT_UNAVAILABLE when the stock item says the product is inactive.
fn refusal(stock_item: &Item, sku: &Sku) -> CommitError {
    if matches!(stock_item.get(IS_ACTIVE), Some(Value::Bool(true))) {
        CommitError::OutOfStock(sku.clone())
    } else {
        CommitError::ProductUnavailable(sku.clone())
    }
}

/// The vendor and SKU a product ref item points at.
pub(crate) fn ref_location(item: &Item) -> Option<(VendorId, Sku)> {
    let vendor = VendorId::new(string(item, "vendor_id")?).ok()?;
    let sku = Sku::new(string(item, "sku")?).ok()?;
    Some((vendor, sku))
}
