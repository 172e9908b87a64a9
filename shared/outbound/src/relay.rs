//! The outbox relay: stream records of outbox inserts → the events queue, in version order per
//! order, exactly once in effect.
//!
//! - Order: one order's outbox items share its partition, so the stream hands them over in write
//!   order; within a batch they are sorted by (order, version, index) anyway, and when one fails,
//!   every later event of the same order in the batch is held back with it.
//! - Exactly once in effect: an event is published only while its outbox item is pending, and
//!   expired right after. A record delivered again (a retried batch) finds it expired and is
//!   skipped; a crash between publish and expiry republishes with the same deduplication id,
//!   which the FIFO queue drops (and receivers dedupe by `id` beyond that window).
//! - A failure reports the lowest failed sequence number: Lambda resumes the shard there.
//! - A tenant without an events URL has nobody to deliver to: its events are not queued (the
//!   sender would only drop them), which spares the queue, the sender and the store three writes
//!   per event. Its configuration is read once per tenant per batch (through the store's
//!   per-process configuration cache, so a subscription counts within its minute, as it does
//!   for the sender); the outbox items are left to their TTL.

use std::collections::HashSet;
use std::sync::Arc;

use futures_util::future::join_all;
use oms_application::outbound::OUTBOX_ENTITY;
use oms_application::ports::{Clock, EventQueue, OutboxPosition, QueueMessage, Store};
use oms_domain::ids::{OrderId, TenantId};
use serde_json::Value;

use crate::stream::{sequence_order, ItemFailure, StreamBatchResponse, StreamEvent, StreamRecord};

/// What the relay needs.
#[derive(Clone)]
pub struct RelayDeps {
    pub store: Arc<dyn Store>,
    /// The events queue (SQS FIFO in AWS).
    pub queue: Arc<dyn EventQueue>,
    pub clock: Arc<dyn Clock>,
}

/// What one invocation did (logs, metrics, tests).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RelayReport {
    pub published: usize,
    /// Outbox records whose event was already relayed (a redelivered record).
    pub already_relayed: usize,
    /// Outbox events of a tenant without an events URL: not queued.
    pub not_subscribed: usize,
    /// Records that are no outbox insert (other items, modifications, removals) or malformed.
    pub ignored: usize,
    pub failed: usize,
}

/// One outbox insert of the batch.
struct Pending {
    sequence: String,
    tenant: TenantId,
    position: OutboxPosition,
    event_id: String,
    body: String,
}

/// Reads an outbox insert; `None` for anything else. A malformed outbox item is logged and
/// ignored: retrying it could only block the shard.
fn pending(record: &StreamRecord) -> Option<Pending> {
    if record.event_name != "INSERT" || record.string("entity") != Some(OUTBOX_ENTITY) {
        return None;
    }
    let parsed = (|| {
        let body = record.string("body")?;
        let json: Value = serde_json::from_str(body).ok()?;
        let tenant = TenantId::new(json.get("tenant_id")?.as_str()?).ok()?;
        let order_id = OrderId::new(json.get("data")?.get("order_id")?.as_str()?).ok()?;
        let event_id = json.get("id")?.as_str()?.to_string();
        // The key says where the item is: it must be this tenant's order partition.
        let pk = record.string("pk")?;
        if pk != format!("T#{tenant}#ORDER#{order_id}") {
            return None;
        }
        let mut sk = record.string("sk")?.strip_prefix("OUTBOX#")?.split('#');
        let version = sk.next()?.parse().ok()?;
        let index = sk.next()?.parse().ok()?;
        Some(Pending {
            sequence: record.dynamodb.sequence_number.clone(),
            tenant,
            position: OutboxPosition {
                order_id,
                version,
                index,
            },
            event_id,
            body: body.to_string(),
        })
    })();
    if parsed.is_none() {
        tracing::error!(
            sequence = %record.dynamodb.sequence_number,
            "malformed outbox record ignored"
        );
    }
    parsed
}

/// Relays one stream batch.
pub async fn relay(deps: &RelayDeps, event: StreamEvent) -> (StreamBatchResponse, RelayReport) {
    let mut report = RelayReport::default();
    let mut batch: Vec<Pending> = Vec::new();
    for record in &event.records {
        match pending(record) {
            Some(p) => batch.push(p),
            None => report.ignored += 1,
        }
    }
    // Version order per order, whatever order the records came in; duplicates once.
    batch.sort_by(|a, b| {
        (a.tenant.as_str(), a.position.order_id.as_str())
            .cmp(&(b.tenant.as_str(), b.position.order_id.as_str()))
            .then(
                (a.position.version, a.position.index).cmp(&(b.position.version, b.position.index)),
            )
    });
    batch.dedup_by(|a, b| a.tenant == b.tenant && a.position == b.position);
    let subscribed = subscribed_tenants(deps, &batch).await;
    let before = batch.len();
    batch.retain(|p| subscribed.contains(&p.tenant));
    report.not_subscribed = before - batch.len();

    // Orders are independent: each order's events are published one after another in version
    // order (one stopping at the first failure, the rest held back), the orders concurrently
    // (their store writes can then share commits).
    let orders =
        batch.chunk_by(|a, b| a.tenant == b.tenant && a.position.order_id == b.position.order_id);
    let outcomes = join_all(orders.map(|events| publish_in_order(deps, events))).await;
    let mut failed: Vec<&Pending> = Vec::new();
    for outcome in outcomes {
        report.published += outcome.published;
        report.already_relayed += outcome.already_relayed;
        failed.extend(outcome.failed);
    }
    report.failed = failed.len();
    let lowest = failed
        .iter()
        .map(|f| f.sequence.as_str())
        .min_by(|a, b| sequence_order(a, b));
    let response = StreamBatchResponse {
        batch_item_failures: lowest
            .map(|s| {
                vec![ItemFailure {
                    item_identifier: s.to_string(),
                }]
            })
            .unwrap_or_default(),
    };
    (response, report)
}

/// The tenants of `batch` (sorted by tenant) that have an events URL, one configuration read
/// each. A configuration that cannot be read counts as subscribed: the event is queued as
/// before, and the sender decides when it can read it.
async fn subscribed_tenants(deps: &RelayDeps, batch: &[Pending]) -> HashSet<TenantId> {
    let mut subscribed = HashSet::new();
    for events in batch.chunk_by(|a, b| a.tenant == b.tenant) {
        let Some(tenant) = events.first().map(|e| &e.tenant) else {
            continue;
        };
        let has_url = match deps.store.get_tenant_config(tenant).await {
            Ok(config) => config.is_some_and(|c| c.events_url.is_some()),
            Err(e) => {
                tracing::warn!(tenant = %tenant, error = %e, "tenant configuration unreadable: events queued");
                true
            }
        };
        if has_url {
            subscribed.insert(tenant.clone());
        }
    }
    subscribed
}

/// What publishing one order's events came to.
struct OrderOutcome<'a> {
    published: usize,
    already_relayed: usize,
    /// The first failed event and every later one (held back).
    failed: &'a [Pending],
}

/// Publishes one order's `events` in order, stopping at the first failure.
async fn publish_in_order<'a>(deps: &RelayDeps, events: &'a [Pending]) -> OrderOutcome<'a> {
    let mut outcome = OrderOutcome {
        published: 0,
        already_relayed: 0,
        failed: &[],
    };
    for (i, event) in events.iter().enumerate() {
        match publish(deps, event).await {
            Ok(true) => outcome.published += 1,
            Ok(false) => outcome.already_relayed += 1,
            Err(reason) => {
                tracing::warn!(
                    tenant = %event.tenant,
                    event_id = %event.event_id,
                    error = %reason,
                    "outbound event not relayed; the shard resumes here"
                );
                outcome.failed = &events[i..];
                break;
            }
        }
    }
    outcome
}

/// Publishes one pending event and expires its outbox item; `false` when it was relayed before.
async fn publish(deps: &RelayDeps, event: &Pending) -> Result<bool, String> {
    let still_pending = deps
        .store
        .outbox_event_pending(&event.tenant, &event.position)
        .await
        .map_err(|e| e.to_string())?;
    if !still_pending {
        return Ok(false);
    }
    deps.queue
        .publish(QueueMessage {
            tenant: event.tenant.clone(),
            // One message group per order: the sender delivers its events one at a time, in order.
            group: event.position.order_id.as_str().to_string(),
            dedup_id: event.event_id.clone(),
            body: event.body.clone(),
        })
        .await
        .map_err(|e| e.to_string())?;
    deps.store
        .expire_outbox_event(&event.tenant, &event.position, deps.clock.now())
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(tenant = %event.tenant, event_id = %event.event_id, "outbound event relayed");
    Ok(true)
}
