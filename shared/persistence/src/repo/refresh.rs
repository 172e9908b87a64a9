//! The OMS's own refreshes of snapshot items (checkout's customer details and saved address,
//! syncUser and `user.logged_in`): conditional on the item as read, so a concurrent newer upstream
//! snapshot or refresh is never overwritten and a retired item is never revived.
//!
//! An item's stamp is its upstream `version` (absent on items only the OMS wrote) and `rev`, the
//! count of the OMS's refreshes (+1 on each; an upstream snapshot's Put replaces the item without
//! it). Both together identify the state read: an upstream snapshot always raises `version`, a
//! refresh always raises `rev`, so neither can slip in between unseen.

use oms_application::ports::{Contention, CustomerRefresh, SnapshotStamp, StoreFault};
use oms_domain::catalog::Customer;
use oms_domain::ids::{CustomerId, TenantId};
use oms_store::{Cond, Item, Key, StoreError, Update, Value, WriteOp};

use super::{fault, Repository};
use crate::codec::{self, from_body, number, to_body, BODY, IS_ACTIVE, REV, VERSION};
use crate::keys;

/// Reads and conditional writes of one refresh before it gives up (the item kept changing):
/// the caller then answers TRY_AGAIN.
pub(crate) const REFRESH_ATTEMPTS: usize = 5;

/// Where a stored snapshot item stands.
pub(crate) fn stamp_of(item: &Item) -> SnapshotStamp {
    SnapshotStamp {
        version: number(item, VERSION),
        rev: number(item, REV),
        active: item.get(IS_ACTIVE) != Some(&Value::Bool(false)),
    }
}

/// The item is still as read: absent if it was, else the same `version` and `rev`, and active.
pub(crate) fn as_read(read: Option<&SnapshotStamp>) -> Cond {
    let Some(stamp) = read else {
        return Cond::NotExists;
    };
    let same = |attr: &str, value: Option<i64>| match value {
        Some(v) => Cond::Eq(attr.into(), Value::N(v)),
        None => Cond::AttrNotExists(attr.into()),
    };
    Cond::And(vec![
        Cond::Exists,
        Cond::Eq(IS_ACTIVE.into(), Value::Bool(true)),
        same(VERSION, stamp.version),
        same(REV, stamp.rev),
    ])
}

/// The refresh of the item under `key` read at `read`: body and flag set, `version` kept, `rev`
/// raised; conditional on the item being as read.
pub(crate) fn refresh_op(
    key: Key,
    entity: &str,
    body: Value,
    active: bool,
    read: Option<&SnapshotStamp>,
) -> WriteOp {
    let rev = read.and_then(|s| s.rev).unwrap_or(0) + 1;
    WriteOp::Update {
        key,
        updates: vec![
            Update::Set(codec::ENTITY.into(), Value::S(entity.into())),
            Update::Set(BODY.into(), body),
            Update::Set(IS_ACTIVE.into(), Value::Bool(active)),
            Update::Set(REV.into(), Value::N(rev)),
        ],
        cond: Some(as_read(read)),
    }
}

impl Repository {
    /// See [`oms_application::ports::SyncRepository::refresh_customer`].
    pub(crate) async fn refresh_customer_item(
        &self,
        tenant: &TenantId,
        customer: &CustomerId,
        refresh: &(dyn for<'c> Fn(Option<&'c Customer>) -> Customer + Send + Sync),
    ) -> Result<CustomerRefresh, StoreFault> {
        let key = keys::customer(tenant, customer);
        for _ in 0..REFRESH_ATTEMPTS {
            let item = self.store.get(&key, true).await.map_err(fault)?;
            let stored = item.as_ref().map(from_body::<Customer>).transpose()?;
            let read = item.as_ref().map(stamp_of);
            if read.is_some_and(|s| !s.active) || stored.as_ref().is_some_and(|c| !c.is_active) {
                return Ok(CustomerRefresh::Retired);
            }
            let mut next = refresh(stored.as_ref());
            next.customer_id = customer.clone();
            next.is_active = true;
            let op = refresh_op(
                key.clone(),
                "Customer",
                to_body(&next)?,
                true,
                read.as_ref(),
            );
            match self.store.write(op).await {
                Ok(()) => return Ok(CustomerRefresh::Refreshed(next)),
                // Another write came first (an upstream snapshot, another refresh): read again.
                Err(StoreError::ConditionFailed) => continue,
                Err(e) => return Err(fault(e)),
            }
        }
        Err(
            StoreFault::new("the customer's item kept changing during the refresh")
                .on("UpdateItem", "Customer")
                .contended(Contention::Conflict),
        )
    }
}
