//! The sync updater: applies one queue message ([`SyncMessage`]) to the store.
//!
//! Safe to call once per queue record, any number of times, in any order: every write is
//! conditional on the event's version, and refunds are reconciled to a total, never added twice.
//! Batching and partial-batch failures are the queue crate's job; [`UpdateError::is_permanent`]
//! tells it whether to retry.
//!
//! - **Snapshots** → `apply_snapshot(tenant, snapshot, version)` (products:
//!   `apply_product_snapshot` with the event's `occurred_at`). Not newer than the stored
//!   version: dropped and counted in [`UpdaterStats::stale`].
//! - **Identity** (`user.logged_in`) → `refresh_customer` and `ensure_user_authorization` in the
//!   event's tenant only (the original wiped a user's authorisations in every tenant). The
//!   customer snapshot gets the event's name and e-mail (fields the event leaves out keep their
//!   stored value), by a write conditional on the snapshot as read; a retired (inactive)
//!   customer is left as it is, a login never revives it; the UserAuthorization is created from
//!   the roles when absent, and when
//!   it exists with other roles, its roles are replaced with the event version (vendor id and
//!   `is_active` kept): the identity system is authoritative for roles, a token is not.
//! - **Payments** → `record_payment(tenant, record, version)`. A `payment.refunded` event carries
//!   the transaction's refunded TOTAL so far (a snapshot, like every sync event: with per-refund
//!   deltas, a reordered or re-delivered event would be lost or counted twice). When the order
//!   exists, was paid with this transaction and is CONFIRMED, SHIPPED, COMPLETED or CANCELLED,
//!   the difference between that total and what the order recorded is recorded on the order
//!   (`Order::record_refund`), with optimistic retries on a version conflict.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use oms_application::ports::{
    ApplyOutcome, Clock, CommitError, OrderCommit, OrderLoadRequest, SnapshotWrite, Store,
    StoreFault,
};
use oms_application::records::{PaymentEventStatus, PaymentRecord};
use oms_domain::catalog::{Customer, UserAuthorization};
use oms_domain::ids::{CustomerId, OrderId, TenantId};
use oms_domain::money::Money;
use oms_domain::order::{Order, OrderStatus};
use oms_sync::{IdentityEvent, Snapshot, SyncEvent};

use crate::message::{SyncMessage, ValidMessage};

/// Attempts at committing a refund when the order keeps changing underneath.
const REFUND_COMMIT_ATTEMPTS: usize = 5;

/// What the updater needs.
#[derive(Clone)]
pub struct UpdaterDeps {
    pub store: Arc<dyn Store>,
    /// Time of refund records on orders.
    pub clock: Arc<dyn Clock>,
    pub stats: Arc<UpdaterStats>,
}

impl UpdaterDeps {
    /// Fresh counters over `store`, judging time by `clock` (the same clock the store has).
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        UpdaterDeps {
            store,
            clock,
            stats: Arc::new(UpdaterStats::default()),
        }
    }
}

/// Counters for logs, metrics and tests (process lifetime).
#[derive(Debug, Default)]
pub struct UpdaterStats {
    applied: AtomicU64,
    stale: AtomicU64,
    refunds_recorded: AtomicU64,
    permanent_failures: AtomicU64,
    transient_failures: AtomicU64,
}

impl UpdaterStats {
    /// Messages that changed the store.
    pub fn applied(&self) -> u64 {
        self.applied.load(Ordering::Relaxed)
    }

    /// Messages dropped because the stored version was the same or newer.
    pub fn stale(&self) -> u64 {
        self.stale.load(Ordering::Relaxed)
    }

    /// Refunds recorded on orders.
    pub fn refunds_recorded(&self) -> u64 {
        self.refunds_recorded.load(Ordering::Relaxed)
    }

    /// Messages that can never be applied (see [`UpdateError::is_permanent`]).
    pub fn permanent_failures(&self) -> u64 {
        self.permanent_failures.load(Ordering::Relaxed)
    }

    /// Messages that failed on a store fault or contention (to be retried).
    pub fn transient_failures(&self) -> u64 {
        self.transient_failures.load(Ordering::Relaxed)
    }
}

/// What applying a message did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    Applied,
    /// Not newer than the stored version: dropped (and counted).
    Stale,
}

/// What the store's outcome means for the message: a snapshot past a limit is a permanent
/// rejection saying which limit.
fn applied(outcome: ApplyOutcome) -> Result<Applied, UpdateError> {
    match outcome {
        ApplyOutcome::Applied => Ok(Applied::Applied),
        ApplyOutcome::Stale => Ok(Applied::Stale),
        ApplyOutcome::Rejected(limit) => Err(UpdateError::Rejected(limit)),
    }
}

/// Why a message was not applied.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    /// Permanent: not a valid sync message (unreadable, unknown kind or type, invalid `data`).
    #[error("invalid sync message: {0}")]
    InvalidMessage(String),
    /// Permanent: the message names a tenant without configuration.
    #[error("unknown tenant {0}")]
    UnknownTenant(TenantId),
    /// Permanent: the payment was recorded but the order refuses the refund (another currency,
    /// more than was paid). Needs a person.
    #[error("refund not recordable on order {order_id}: {message}")]
    RefundRejected { order_id: OrderId, message: String },
    /// Permanent: applying the snapshot would take the stored data past a limit (a vendor's
    /// 101st offer, offers past their item's size): nothing written (docs/data-model.md
    /// "Limits"). The upstream has to remove something first.
    #[error("snapshot rejected: {}", .0.message())]
    Rejected(oms_domain::limits::SnapshotLimit),
    /// Transient: the store failed.
    #[error(transparent)]
    Store(#[from] StoreFault),
    /// Transient: the order kept changing while the refund was recorded.
    #[error("order {0} kept changing while a refund was recorded")]
    Contention(OrderId),
}

impl UpdateError {
    /// Never retry: report it (dead-letter queue, log) and move on.
    pub fn is_permanent(&self) -> bool {
        matches!(
            self,
            UpdateError::InvalidMessage(_)
                | UpdateError::UnknownTenant(_)
                | UpdateError::RefundRejected { .. }
                | UpdateError::Rejected(_)
        )
    }

    /// Retry later (the message stays on the queue).
    pub fn is_transient(&self) -> bool {
        !self.is_permanent()
    }
}

/// Applies one queue message body. See the module documentation.
///
/// # Errors
/// [`UpdateError`]; [`UpdateError::is_permanent`] says whether a retry can help.
pub async fn apply(deps: &UpdaterDeps, message_body: &str) -> Result<Applied, UpdateError> {
    let result = apply_message(deps, message_body).await;
    let counter = match &result {
        Ok(Applied::Applied) => &deps.stats.applied,
        Ok(Applied::Stale) => &deps.stats.stale,
        Err(e) if e.is_permanent() => &deps.stats.permanent_failures,
        Err(_) => &deps.stats.transient_failures,
    };
    counter.fetch_add(1, Ordering::Relaxed);
    result
}

async fn apply_message(deps: &UpdaterDeps, message_body: &str) -> Result<Applied, UpdateError> {
    let message = SyncMessage::decode(message_body)
        .and_then(|m| m.validate())
        .map_err(UpdateError::InvalidMessage)?;
    let ValidMessage {
        tenant,
        version,
        occurred_at,
        event,
        ..
    } = message;
    match event {
        SyncEvent::Snapshot(snapshot) => {
            require_tenant(deps, &tenant).await?;
            let outcome =
                apply_snapshot_at(deps.store.as_ref(), &tenant, snapshot, version, occurred_at)
                    .await?;
            applied(outcome)
        }
        SyncEvent::Identity(identity) => {
            require_tenant(deps, &tenant).await?;
            apply_identity(deps, &tenant, identity, version).await
        }
        SyncEvent::Payment(payment) => apply_payment(deps, &tenant, payment, version).await,
    }
}

async fn require_tenant(deps: &UpdaterDeps, tenant: &TenantId) -> Result<(), UpdateError> {
    match deps.store.get_tenant_config(tenant).await? {
        Some(_) => Ok(()),
        None => Err(UpdateError::UnknownTenant(tenant.clone())),
    }
}

/// Applies a validated snapshot at `version`, observed upstream at `observed_at` (the event's
/// `occurred_at`; a CSV import's time): a product's `stock` is its on-hand count then, so units
/// orders hold stay held and units shipped up to then count as gone (docs/data-model.md "Stock").
pub(crate) async fn apply_snapshot_at(
    store: &dyn Store,
    tenant: &TenantId,
    snapshot: Snapshot,
    version: u64,
    observed_at: DateTime<Utc>,
) -> Result<ApplyOutcome, StoreFault> {
    match snapshot {
        Snapshot::Product(p) => {
            store
                .apply_product_snapshot(tenant, p, version, observed_at)
                .await
        }
        other => {
            store
                .apply_snapshot(tenant, snapshot_write(other), version)
                .await
        }
    }
}

/// The storage write of a validated snapshot (one variant each).
pub(crate) fn snapshot_write(snapshot: Snapshot) -> SnapshotWrite {
    match snapshot {
        Snapshot::Product(p) => SnapshotWrite::Product(p),
        Snapshot::Vendor(v) => SnapshotWrite::Vendor(v),
        Snapshot::Coupon(c) => SnapshotWrite::Coupon(c),
        Snapshot::Offer(o) => SnapshotWrite::Offer(o),
        Snapshot::ShippingOption(s) => SnapshotWrite::ShippingOption(s),
        Snapshot::Customer(c) => SnapshotWrite::Customer(c),
        Snapshot::CustomerAddress(a) => SnapshotWrite::CustomerAddress(a),
        Snapshot::UserAuthorization(u) => SnapshotWrite::UserAuthorization(u),
    }
}

async fn apply_identity(
    deps: &UpdaterDeps,
    tenant: &TenantId,
    identity: IdentityEvent,
    version: u64,
) -> Result<Applied, UpdateError> {
    let customer_id = CustomerId::new(identity.sub.as_str())
        .map_err(|e| UpdateError::InvalidMessage(format!("sub: {}", e.message)))?;
    // Merged into the customer as stored when the conditional write runs (read again if another
    // write came first); a retired customer is left as it is (never revived by a login).
    let refresh = |stored: Option<&Customer>| {
        let (first_name, last_name) = match identity.name.as_deref().map(str::trim) {
            Some(name) if !name.is_empty() => split_name(name),
            _ => (
                stored.and_then(|c| c.first_name.clone()),
                stored.and_then(|c| c.last_name.clone()),
            ),
        };
        Customer {
            customer_id: customer_id.clone(),
            first_name,
            last_name,
            email: identity
                .email
                .clone()
                .or_else(|| stored.and_then(|c| c.email.clone())),
            is_active: true,
        }
    };
    deps.store
        .refresh_customer(tenant, &customer_id, &refresh)
        .await?;
    let mut roles = identity.roles.clone();
    roles.sort();
    roles.dedup();
    let wanted = UserAuthorization {
        user_id: identity.sub,
        roles,
        vendor_id: None,
        is_active: true,
    };
    let current = deps
        .store
        .ensure_user_authorization(tenant, wanted.clone())
        .await?;
    let mut current_roles = current.roles.clone();
    current_roles.sort();
    current_roles.dedup();
    if current_roles == wanted.roles {
        return Ok(Applied::Applied);
    }
    let updated = UserAuthorization {
        roles: wanted.roles,
        ..current
    };
    let outcome = deps
        .store
        .apply_snapshot(tenant, SnapshotWrite::UserAuthorization(updated), version)
        .await?;
    applied(outcome)
}

/// "Ada Lovelace" → (Ada, Lovelace); "Ada" → (Ada, none): the rule of syncUser.
fn split_name(name: &str) -> (Option<String>, Option<String>) {
    match name.split_once(' ') {
        Some((first, last)) => (
            Some(first.to_string()),
            Some(last.trim().to_string()).filter(|l| !l.is_empty()),
        ),
        None => (Some(name.to_string()), None),
    }
}

async fn apply_payment(
    deps: &UpdaterDeps,
    tenant: &TenantId,
    payment: oms_sync::PaymentRecord,
    version: u64,
) -> Result<Applied, UpdateError> {
    let request = OrderLoadRequest {
        order_id: &payment.order_id,
        idempotency: None,
        transaction_id: Some(&payment.transaction_id),
        user: None,
    };
    let load = deps.store.load_order(tenant, &request).await?;
    if load.tenant_config.is_none() {
        return Err(UpdateError::UnknownTenant(tenant.clone()));
    }
    let stored = load.payment;
    let refunded = payment.status == oms_sync::PaymentEventStatus::Refunded;
    let record = PaymentRecord {
        transaction_id: payment.transaction_id.clone(),
        order_id: payment.order_id.clone(),
        method: payment.method,
        // A refund event carries the refunded total: the paid amount is the one recorded from
        // the `payment.succeeded` event when there was one.
        amount: match (&stored, refunded) {
            (Some(s), true) => s.amount,
            _ => payment.amount,
        },
        status: if refunded {
            PaymentEventStatus::Refunded
        } else {
            PaymentEventStatus::Succeeded
        },
        refunded_amount: refunded.then_some(payment.amount),
        claimed_by: None,
    };
    let outcome = deps.store.record_payment(tenant, record, version).await?;
    if !refunded {
        // A payment for an order whose hold lapsed: recorded above, and on the order (which
        // stays CANCELLED) with an `order.payment_after_expiry` event, so the tenant refunds it.
        if let Some(order) = load.order.clone().filter(Order::expired) {
            record_late_payment_on_order(deps, tenant, &payment, order).await?;
        }
    }
    if refunded {
        // Stale: the stored record is this event (a redelivery, or a retry after the order
        // commit failed) or a newer one; reconcile the order to what is stored.
        let target = match outcome {
            ApplyOutcome::Applied => Some(payment.amount),
            ApplyOutcome::Stale => stored
                .filter(|s| {
                    s.status == PaymentEventStatus::Refunded && s.order_id == payment.order_id
                })
                .and_then(|s| s.refunded_amount),
            // Payments are never rejected for a limit.
            ApplyOutcome::Rejected(_) => None,
        };
        if let Some(total) = target {
            record_refund_on_order(
                deps,
                tenant,
                &payment.order_id,
                &payment.transaction_id,
                total,
                load.order,
            )
            .await?;
        }
    }
    applied(outcome)
}

/// Records `payment` on the expired `order` (once; a redelivery finds it recorded).
async fn record_late_payment_on_order(
    deps: &UpdaterDeps,
    tenant: &TenantId,
    payment: &oms_sync::PaymentRecord,
    order: Order,
) -> Result<(), UpdateError> {
    let mut order = Some(order);
    for _ in 0..REFUND_COMMIT_ATTEMPTS {
        let Some(mut current) = order.take() else {
            return Ok(());
        };
        let read_version = current.version;
        let events = match current.record_payment_after_expiry(
            payment.method,
            &payment.transaction_id,
            payment.amount,
            deps.clock.now(),
        ) {
            Ok(events) if events.is_empty() => return Ok(()),
            Ok(events) => events,
            Err(e) => {
                // Another payment was recorded on it: this one stays recorded as a payment
                // record only (its claim is free), and the log says so.
                tracing::warn!(tenant = %tenant, order_id = %current.id, error = %e.message,
                    "late payment not recorded on the expired order");
                return Ok(());
            }
        };
        let commit = OrderCommit::new(current, Some(read_version), events);
        match deps.store.commit(tenant, commit).await {
            Ok(()) => {
                tracing::info!(tenant = %tenant, order_id = %payment.order_id,
                    "payment after expiry recorded on the order");
                return Ok(());
            }
            Err(CommitError::VersionConflict) => {
                order = deps.store.get_order(tenant, &payment.order_id).await?;
            }
            Err(CommitError::Fault(fault)) => return Err(UpdateError::Store(fault)),
            Err(other) => {
                return Err(UpdateError::Store(StoreFault::new(format!(
                    "recording a late payment: {other}"
                ))))
            }
        }
    }
    Err(UpdateError::Contention(payment.order_id.clone()))
}

/// Brings the order's refunded amount up to `refunded_total` (once: a second call finds nothing
/// left to record).
async fn record_refund_on_order(
    deps: &UpdaterDeps,
    tenant: &TenantId,
    order_id: &OrderId,
    transaction_id: &str,
    refunded_total: Money,
    mut order: Option<Order>,
) -> Result<(), UpdateError> {
    for _ in 0..REFUND_COMMIT_ATTEMPTS {
        let Some(mut current) = order.take() else {
            return Ok(());
        };
        let refundable_status = matches!(
            current.status,
            OrderStatus::Confirmed
                | OrderStatus::Shipped
                | OrderStatus::Completed
                | OrderStatus::Cancelled
        );
        let Some(paid) = current
            .payment
            .as_ref()
            .filter(|p| p.transaction_id.as_deref() == Some(transaction_id))
        else {
            return Ok(());
        };
        if !refundable_status {
            return Ok(());
        }
        let rejected = |message: String| UpdateError::RefundRejected {
            order_id: order_id.clone(),
            message,
        };
        let missing = refunded_total
            .saturating_sub(&paid.refunded_amount)
            .map_err(|e| rejected(e.message))?;
        if missing.is_zero() {
            return Ok(());
        }
        let read_version = current.version;
        let events = current
            .record_refund(missing, deps.clock.now())
            .map_err(|e| rejected(e.message))?;
        let commit = OrderCommit::new(current, Some(read_version), events);
        match deps.store.commit(tenant, commit).await {
            Ok(()) => {
                deps.stats.refunds_recorded.fetch_add(1, Ordering::Relaxed);
                tracing::info!(tenant = %tenant, order_id = %order_id, "refund recorded on order");
                return Ok(());
            }
            Err(CommitError::VersionConflict) => {
                order = deps.store.get_order(tenant, order_id).await?;
            }
            Err(CommitError::Fault(fault)) => return Err(UpdateError::Store(fault)),
            Err(other) => return Err(rejected(other.to_string())),
        }
    }
    Err(UpdateError::Contention(order_id.clone()))
}
