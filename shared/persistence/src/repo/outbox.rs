//! The outbox as the relay sees it: is an event still pending, and mark it relayed.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use oms_application::ports::{OutboxPosition, OutboxRepository, StoreFault};
use oms_domain::ids::TenantId;
use oms_store::{Cond, StoreError, Update, WriteOp};

use super::{fault, Repository};
use crate::codec::unix;
use crate::keys;

#[async_trait]
impl OutboxRepository for Repository {
    async fn outbox_event_pending(
        &self,
        tenant: &TenantId,
        position: &OutboxPosition,
    ) -> Result<bool, StoreFault> {
        let key = keys::outbox(tenant, &position.order_id, position.version, position.index);
        // Strongly consistent: an event expired by the relay a moment ago must read as gone.
        Ok(self.store.get(&key, true).await.map_err(fault)?.is_some())
    }

    async fn expire_outbox_event(
        &self,
        tenant: &TenantId,
        position: &OutboxPosition,
        now: DateTime<Utc>,
    ) -> Result<(), StoreFault> {
        let key = keys::outbox(tenant, &position.order_id, position.version, position.index);
        let op = WriteOp::Update {
            key,
            updates: vec![Update::Set("expires_at".into(), unix(now))],
            // Never create an item: an update is an upsert.
            cond: Some(Cond::Exists),
        };
        match self.store.write(op).await {
            Ok(()) | Err(StoreError::ConditionFailed) => Ok(()),
            Err(e) => Err(fault(e)),
        }
    }
}
