//! Versioned snapshot writes (webhooks, queue updaters, CSV import), webhook dedupe, payments.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use oms_application::ports::{
    ApplyOutcome, CustomerRefresh, SnapshotWrite, StoreFault, SyncRepository,
};
use oms_application::records::PaymentRecord;
use oms_domain::catalog::{Customer, Product, UserAuthorization};
use oms_domain::ids::{CustomerId, TenantId};
use oms_store::{Cond, Item, Key, StoreError, Update, Value, WriteOp};

use super::orders::payment_item;
use super::stock::ref_location;
use super::{fault, Repository};
use crate::codec::{
    self, base, number, to_body, unix, version_of, BODY, IS_ACTIVE, OFFERS, REV, STOCK, VERSION,
};
use crate::keys;
use crate::stock::StockCounters;

/// The size one offer takes in its vendor's item, as [`oms_domain::limits::offer_stored_size`]
/// counts it: its body, its id and its version.
fn stored_offer_size(id: &str, entry: &Value) -> usize {
    let body = match entry {
        Value::M(fields) => fields.get(BODY).and_then(Value::as_s).map_or(0, str::len),
        _ => 0,
    };
    body + id.len() + 32
}
/// Optimistic retries of the offers item's read-modify-write.
const OFFER_RETRIES: usize = 8;
/// Optimistic retries of a product snapshot's stock item read-modify-write (placements of the
/// product between its read and its write).
pub const STOCK_RETRIES: usize = 8;

/// `attribute_not_exists(version) OR version < :v`: only newer snapshots apply.
fn newer(version: u64) -> Cond {
    Cond::Or(vec![
        Cond::AttrNotExists(VERSION.into()),
        Cond::Lt(VERSION.into(), i64::try_from(version).unwrap_or(i64::MAX)),
    ])
}

fn snapshot_item(key: &Key, entity: &str, body: Value, version: u64, active: bool) -> Item {
    let mut item = base(key, entity);
    item.insert(BODY.into(), body);
    item.insert(VERSION.into(), version_of(version));
    item.insert(IS_ACTIVE.into(), Value::Bool(active));
    item
}

fn outcome(result: Result<(), StoreError>) -> Result<ApplyOutcome, StoreFault> {
    match result {
        Ok(()) => Ok(ApplyOutcome::Applied),
        Err(StoreError::ConditionFailed) | Err(StoreError::TransactionCanceled { .. }) => {
            Ok(ApplyOutcome::Stale)
        }
        Err(e) => Err(fault(e)),
    }
}

#[async_trait]
impl SyncRepository for Repository {
    async fn apply_snapshot(
        &self,
        tenant: &TenantId,
        write: SnapshotWrite,
        version: u64,
    ) -> Result<ApplyOutcome, StoreFault> {
        let t = tenant;
        match write {
            SnapshotWrite::Product(p) => self.apply_product(t, p, version, None).await,
            SnapshotWrite::Offer(offer) => self.apply_offer(t, offer, version).await,
            SnapshotWrite::Coupon(c) => {
                // An update, not a put: the redemption counter `used` must survive.
                let key = keys::coupon(t, &c.vendor_id, &c.code);
                let updates = vec![
                    Update::Set(codec::ENTITY.into(), Value::S("Coupon".into())),
                    Update::Set(BODY.into(), to_body(&c)?),
                    Update::Set(VERSION.into(), version_of(version)),
                    Update::Set(IS_ACTIVE.into(), Value::Bool(c.is_active)),
                ];
                outcome(
                    self.store
                        .write(WriteOp::Update {
                            key,
                            updates,
                            cond: Some(newer(version)),
                        })
                        .await,
                )
            }
            SnapshotWrite::Vendor(v) => {
                let item = snapshot_item(
                    &keys::vendor(t, &v.vendor_id),
                    "Vendor",
                    to_body(&v)?,
                    version,
                    v.is_active,
                );
                outcome(self.store.put(item, Some(newer(version))).await)
            }
            SnapshotWrite::ShippingOption(s) => {
                let key = keys::shipping_option(t, &s.vendor_id, s.method);
                let item =
                    snapshot_item(&key, "ShippingOption", to_body(&s)?, version, s.is_active);
                outcome(self.store.put(item, Some(newer(version))).await)
            }
            SnapshotWrite::Customer(c) => {
                let item = snapshot_item(
                    &keys::customer(t, &c.customer_id),
                    "Customer",
                    to_body(&c)?,
                    version,
                    c.is_active,
                );
                outcome(self.store.put(item, Some(newer(version))).await)
            }
            SnapshotWrite::CustomerAddress(a) => {
                let key = keys::customer_address(t, &a.customer_id, &a.address_id);
                let item =
                    snapshot_item(&key, "CustomerAddress", to_body(&a)?, version, a.is_active);
                outcome(self.store.put(item, Some(newer(version))).await)
            }
            SnapshotWrite::UserAuthorization(u) => {
                let key = keys::user_authorization(t, &u.user_id);
                let item = snapshot_item(
                    &key,
                    "UserAuthorization",
                    to_body(&u)?,
                    version,
                    u.is_active,
                );
                outcome(self.store.put(item, Some(newer(version))).await)
            }
        }
    }

    async fn apply_product_snapshot(
        &self,
        tenant: &TenantId,
        product: Product,
        version: u64,
        observed_at: DateTime<Utc>,
    ) -> Result<ApplyOutcome, StoreFault> {
        let observed = observed_at.timestamp_millis();
        self.apply_product(tenant, product, version, Some(observed))
            .await
    }

    async fn record_event_id(
        &self,
        tenant: &TenantId,
        event_id: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<bool, StoreFault> {
        let mut item = base(&keys::webhook_event(tenant, event_id), "WebhookEvent");
        item.insert("expires_at".into(), unix(expires_at));
        match self.store.put(item, Some(Cond::NotExists)).await {
            Ok(()) => Ok(true),
            Err(StoreError::ConditionFailed) => Ok(false),
            Err(e) => Err(fault(e)),
        }
    }

    async fn refresh_customer(
        &self,
        tenant: &TenantId,
        customer: &CustomerId,
        refresh: &(dyn for<'c> Fn(Option<&'c Customer>) -> Customer + Send + Sync),
    ) -> Result<CustomerRefresh, StoreFault> {
        self.refresh_customer_item(tenant, customer, refresh).await
    }

    async fn ensure_user_authorization(
        &self,
        tenant: &TenantId,
        authorization: UserAuthorization,
    ) -> Result<UserAuthorization, StoreFault> {
        let authz_key = keys::user_authorization(tenant, &authorization.user_id);
        let mut item = base(&authz_key, "UserAuthorization");
        item.insert(BODY.into(), to_body(&authorization)?);
        item.insert(IS_ACTIVE.into(), Value::Bool(authorization.is_active));
        match self.store.put(item, Some(Cond::NotExists)).await {
            Ok(()) => Ok(authorization),
            Err(StoreError::ConditionFailed) => {
                let stored = self.store.get(&authz_key, true).await.map_err(fault)?;
                match stored {
                    Some(i) => codec::from_body(&i),
                    None => Ok(authorization),
                }
            }
            Err(e) => Err(fault(e)),
        }
    }

    async fn record_payment(
        &self,
        tenant: &TenantId,
        payment: PaymentRecord,
        version: u64,
    ) -> Result<ApplyOutcome, StoreFault> {
        // An update keeps `claimed_by` (the order this transaction already confirmed).
        let item = payment_item(tenant, &payment)?;
        let key = Key::of(&item).map_err(fault)?;
        let updates = vec![
            Update::Set(codec::ENTITY.into(), Value::S("Payment".into())),
            Update::Set(BODY.into(), item.get(BODY).cloned().unwrap_or(Value::Null)),
            Update::Set(VERSION.into(), version_of(version)),
        ];
        outcome(
            self.store
                .write(WriteOp::Update {
                    key,
                    updates,
                    cond: Some(newer(version)),
                })
                .await,
        )
    }
}

impl Repository {
    /// Products are keyed by vendor + SKU (checkout's lookup) and synced by product id: a ref item
    /// maps one to the other, so a SKU rename moves the product instead of leaving a ghost.
    ///
    /// The snapshot's `stock` is the on-hand count. The product item, the ref and the stock item
    /// are written in ONE transaction, conditional on the snapshot being newer (a stale one writes
    /// nothing) and on the stock item being the one read (`rev`): `on_hand` = the snapshot's,
    /// `held` kept, `shipped` reset only by a snapshot observed at or after the last shipment
    /// (`observed_at`, unix ms; `None` never resets), `available` recomputed. A placement,
    /// release or shipment that commits in between makes the stock condition fail: read again
    /// and retry (at most [`STOCK_RETRIES`] times). A rename carries `held` and `shipped` to the
    /// new SKU's stock item and deletes the old one: a rename never frees held units.
    async fn apply_product(
        &self,
        tenant: &TenantId,
        product: Product,
        version: u64,
        observed_at: Option<i64>,
    ) -> Result<ApplyOutcome, StoreFault> {
        let ref_key = keys::product_ref(tenant, &product.product_id);
        let key = keys::product(tenant, &product.vendor_id, &product.sku);
        let stock_key = keys::stock(tenant, &product.vendor_id, &product.sku);
        let mut item = snapshot_item(
            &key,
            "Product",
            to_body(&product)?,
            version,
            product.is_active,
        );
        item.remove(STOCK);
        let mut reference = base(&ref_key, "ProductRef");
        reference.insert(VERSION.into(), version_of(version));
        reference.insert("vendor_id".into(), Value::S(product.vendor_id.to_string()));
        reference.insert("sku".into(), Value::S(product.sku.to_string()));
        for _ in 0..STOCK_RETRIES {
            let wanted = [ref_key.clone(), key.clone(), stock_key.clone()];
            let items = self.store.batch_get(&wanted, true).await.map_err(fault)?;
            let find = |k: &Key| items.iter().find(|i| Key::of(i).is_ok_and(|ik| &ik == k));
            let previous = find(&ref_key);
            if previous
                .and_then(|r| number(r, VERSION))
                .is_some_and(|v| v >= i64::try_from(version).unwrap_or(i64::MAX))
            {
                return Ok(ApplyOutcome::Stale);
            }
            // What the stock write is conditional on (`rev`), and the counters the snapshot
            // builds on: this key's stock item, or the migrated counters of a product stored
            // here before holds were counted apart.
            let read = find(&stock_key).map(StockCounters::from_item).transpose()?;
            let mut base_counters = match (&read, find(&key)) {
                (Some(c), _) => Some(*c),
                (None, Some(old)) => Some(
                    self.legacy_counters(tenant, &product.vendor_id, &product.sku, old)
                        .await?,
                ),
                (None, None) => None,
            };
            let mut moves = Vec::new();
            let moved_from = previous
                .and_then(ref_location)
                .filter(|(v, s)| *v != product.vendor_id || *s != product.sku);
            if let Some((old_vendor, old_sku)) = &moved_from {
                let old_stock_key = keys::stock(tenant, old_vendor, old_sku);
                let old_stock = self.store.get(&old_stock_key, true).await.map_err(fault)?;
                let carried = match &old_stock {
                    Some(i) => Some(StockCounters::from_item(i)?),
                    None => {
                        let old_key = keys::product(tenant, old_vendor, old_sku);
                        match self.store.get(&old_key, true).await.map_err(fault)? {
                            Some(old) => Some(
                                self.legacy_counters(tenant, old_vendor, old_sku, &old)
                                    .await?,
                            ),
                            None => None,
                        }
                    }
                };
                if let Some(carried) = carried {
                    let zero = StockCounters::after_snapshot(None, 0, None, false);
                    base_counters = Some(base_counters.unwrap_or(zero).carrying(&carried));
                }
                moves.push(WriteOp::Delete {
                    key: keys::product(tenant, old_vendor, old_sku),
                    cond: None,
                });
                let old_cond = match old_stock.as_ref().map(StockCounters::from_item) {
                    Some(c) => Cond::Eq(REV.into(), Value::N(c?.rev)),
                    None => Cond::NotExists,
                };
                moves.push(WriteOp::Delete {
                    key: old_stock_key,
                    cond: Some(old_cond),
                });
            }
            let next = StockCounters::after_snapshot(
                base_counters.as_ref(),
                product.stock,
                observed_at,
                product.is_active,
            );
            let mut ops = vec![
                WriteOp::Put {
                    item: item.clone(),
                    cond: Some(newer(version)),
                },
                WriteOp::Put {
                    item: reference.clone(),
                    cond: Some(newer(version)),
                },
                crate::stock::snapshot_put(&stock_key, read.as_ref(), &next),
            ];
            ops.extend(moves);
            match self.store.transact_write(ops).await {
                Ok(()) => return Ok(ApplyOutcome::Applied),
                // Not newer than what is stored: nothing was written.
                Err(StoreError::TransactionCanceled { failed })
                    if failed.iter().any(|i| *i < 2) =>
                {
                    return Ok(ApplyOutcome::Stale)
                }
                // The stock item changed since it was read: read again.
                Err(StoreError::TransactionCanceled { .. }) => continue,
                Err(e) => return Err(fault(e)),
            }
        }
        Err(StoreFault::new(
            "the product's stock item kept changing; retry later",
        ))
    }

    /// One vendor's offers live in one item; each offer keeps its own version inside it.
    async fn apply_offer(
        &self,
        tenant: &TenantId,
        offer: oms_domain::catalog::Offer,
        version: u64,
    ) -> Result<ApplyOutcome, StoreFault> {
        let key = keys::vendor_offers(tenant, &offer.vendor_id);
        for _ in 0..OFFER_RETRIES {
            let current = self.store.get(&key, true).await.map_err(fault)?;
            let (mut offers, rev) = match &current {
                Some(item) => match item.get(OFFERS) {
                    Some(Value::M(m)) => (m.clone(), number(item, REV)),
                    _ => (Default::default(), number(item, REV)),
                },
                None => (Default::default(), None),
            };
            let id = offer.offer_id.to_string();
            let stored_version = match offers.get(&id) {
                Some(Value::M(fields)) => fields.get(VERSION).and_then(Value::as_n),
                _ => None,
            };
            if stored_version.is_some_and(|v| v >= i64::try_from(version).unwrap_or(i64::MAX)) {
                return Ok(ApplyOutcome::Stale);
            }
            let entry = [
                (VERSION.to_string(), version_of(version)),
                (BODY.to_string(), to_body(&offer)?),
            ];
            let size = |offers: &std::collections::BTreeMap<String, Value>| -> usize {
                offers.iter().map(|(id, e)| stored_offer_size(id, e)).sum()
            };
            let (count_before, bytes_before) = (offers.len(), size(&offers));
            offers.insert(id, Value::M(entry.into_iter().collect()));
            // The vendor's offers share this item: at most MAX_OFFERS_PER_VENDOR of them, at
            // most MAX_VENDOR_OFFERS_BYTES together (the domain's limits). A vendor stored past
            // them before they existed keeps its offers: a snapshot is rejected only when it
            // adds one or makes the item bigger.
            let (count, bytes) = (offers.len(), size(&offers));
            if let Err(limit) = oms_domain::limits::check_vendor_offers(count, bytes) {
                if count > count_before || bytes > bytes_before {
                    return Ok(ApplyOutcome::Rejected(limit));
                }
            }
            let mut item = base(&key, "VendorOffers");
            item.insert(OFFERS.into(), Value::M(offers));
            item.insert(REV.into(), Value::N(rev.unwrap_or(0) + 1));
            let cond = match rev {
                Some(r) => Cond::Eq(REV.into(), Value::N(r)),
                None => Cond::NotExists,
            };
            match self.store.put(item, Some(cond)).await {
                Ok(()) => return Ok(ApplyOutcome::Applied),
                Err(StoreError::ConditionFailed) => continue,
                Err(e) => return Err(fault(e)),
            }
        }
        Err(StoreFault::new("offers item kept changing; retry later"))
    }
}
