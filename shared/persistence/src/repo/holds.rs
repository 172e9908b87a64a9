//! The hold index (keys::hold): one small item per PENDING order, written and removed by the
//! order commits, read by the hold sweep shard by shard; and the tenant registry it walks.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use oms_application::ports::{Hold, HoldRepository, StoreFault};
use oms_domain::ids::{OrderId, TenantId};
use oms_store::{Index, Item, QueryRequest, SkCondition, Value, WriteOp};

use super::{fault, Repository};
use crate::codec::base;
use crate::keys;

/// `entity` of hold index items.
pub const HOLD_ENTITY: &str = "Hold";
const ORDER_ID: &str = "order_id";
const HOLD_EXPIRES_AT: &str = "hold_expires_at";

/// The index item of `order`'s hold lapsing at `expires_at`.
pub(crate) fn hold_item(tenant: &TenantId, order: &OrderId, expires_at: DateTime<Utc>) -> Item {
    let mut item = base(&keys::hold(tenant, expires_at, order), HOLD_ENTITY);
    item.insert(ORDER_ID.into(), Value::S(order.to_string()));
    item.insert(
        HOLD_EXPIRES_AT.into(),
        Value::S(expires_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
    );
    item
}

fn hold_of(item: &Item) -> Option<Hold> {
    let order_id = OrderId::new(item.get(ORDER_ID)?.as_s()?).ok()?;
    let expires_at = DateTime::parse_from_rfc3339(item.get(HOLD_EXPIRES_AT)?.as_s()?)
        .ok()?
        .with_timezone(&Utc);
    Some(Hold {
        order_id,
        expires_at,
    })
}

#[async_trait]
impl HoldRepository for Repository {
    async fn lapsed_holds(
        &self,
        tenant: &TenantId,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Hold>, StoreFault> {
        let per_call = u32::try_from(limit.clamp(1, 1000)).unwrap_or(1000);
        let mut holds = Vec::new();
        for shard in 0..keys::HOLD_SHARDS {
            let mut req = QueryRequest::new(Index::Primary, keys::holds_partition(tenant, shard));
            req.sk = SkCondition::Lt(keys::holds_lapsed_before(now));
            req.limit = per_call;
            let page = self.store.query(req).await.map_err(fault)?;
            holds.extend(page.items.iter().filter_map(hold_of));
        }
        holds.sort_by(|a, b| (a.expires_at, &a.order_id).cmp(&(b.expires_at, &b.order_id)));
        holds.truncate(limit);
        Ok(holds)
    }

    async fn drop_hold(&self, tenant: &TenantId, hold: &Hold) -> Result<(), StoreFault> {
        self.store
            .write(WriteOp::Delete {
                key: keys::hold(tenant, hold.expires_at, &hold.order_id),
                cond: None,
            })
            .await
            .map_err(fault)
    }

    async fn tenants(&self) -> Result<Vec<TenantId>, StoreFault> {
        let mut tenants = Vec::new();
        let mut start_after = None;
        loop {
            let mut req = QueryRequest::new(Index::Primary, keys::TENANTS_PK);
            req.start_after = start_after;
            let page = self.store.query(req).await.map_err(fault)?;
            tenants.extend(
                page.items
                    .iter()
                    .filter_map(|i| i.get(oms_store::attr::SK)?.as_s())
                    .filter_map(|id| TenantId::new(id).ok()),
            );
            match page.last_key {
                Some(last) => start_after = Some(last),
                None => return Ok(tenants),
            }
        }
    }
}
