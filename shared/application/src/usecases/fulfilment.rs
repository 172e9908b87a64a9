//! cancelOrder (customer) and the vendor's markAsShipped, addShippingTrackingReference,
//! markAsCompleted. Each: one read, one transaction.

use oms_domain::order::{Order, OrderEvent, Release};

use super::placement::stock_changes;
use super::support::{commit_error, OrderOutcome, Side};
use super::Oms;
use crate::caller::Caller;
use crate::error::AppResult;
use crate::metrics::Metric;
use crate::ports::{CouponUseChange, OrderCommit, StockChange, StockMove};

/// A vendor's fulfilment step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fulfilment {
    MarkAsShipped,
    AddTrackingReference(String),
    MarkAsCompleted,
}

impl Oms {
    /// Cancels the caller's PENDING or CONFIRMED order and gives back its stock and coupon uses in
    /// the same transaction. Counted as [`Metric::OrdersCancelled`].
    pub async fn cancel_order(
        &self,
        caller: &Caller,
        order_id: &str,
        reason: &str,
    ) -> AppResult<OrderOutcome> {
        let result = self.cancel(caller, order_id, reason).await;
        self.counted(Metric::OrdersCancelled, result)
    }

    async fn cancel(
        &self,
        caller: &Caller,
        order_id: &str,
        reason: &str,
    ) -> AppResult<OrderOutcome> {
        let now = self.clock.now();
        let (mut order, _, _) = self
            .load_visible(caller, order_id, Side::Customer, None, None)
            .await?;
        let read_version = order.version;
        let held = order.active_hold();
        let (release, events) = order.cancel(reason, now)?;
        let commit = release_commit(&order, read_version, &release, events, held);
        self.store
            .commit(&caller.tenant, commit)
            .await
            .map_err(|e| commit_error(e, &order))?;
        Ok(OrderOutcome {
            order,
            replayed: false,
        })
    }

    /// A vendor step on an order of the caller's vendor.
    pub async fn fulfil(
        &self,
        caller: &Caller,
        order_id: &str,
        step: Fulfilment,
    ) -> AppResult<OrderOutcome> {
        let now = self.clock.now();
        let (mut order, _, _) = self
            .load_visible(caller, order_id, Side::Vendor, None, None)
            .await?;
        let read_version = order.version;
        let mut stock = Vec::new();
        let events: Vec<OrderEvent> = match &step {
            Fulfilment::MarkAsShipped => {
                let events = order.mark_shipped(now)?;
                // The units held leave with the goods: shipped, still not available to sell.
                let shipped = order.shipped_stock()?;
                stock = StockChange::of(
                    &order.vendor.vendor_id,
                    &shipped,
                    StockMove::Ship { at: now },
                );
                events
            }
            Fulfilment::AddTrackingReference(url) => order.add_tracking_reference(url, now)?,
            Fulfilment::MarkAsCompleted => order.mark_completed(now)?,
        };
        self.commit_simple(caller, order, read_version, events, stock)
            .await
    }

    async fn commit_simple(
        &self,
        caller: &Caller,
        order: Order,
        read_version: u64,
        events: Vec<OrderEvent>,
        stock: Vec<StockChange>,
    ) -> AppResult<OrderOutcome> {
        let mut commit = OrderCommit::new(order.clone(), Some(read_version), events);
        commit.stock = stock;
        self.store
            .commit(&caller.tenant, commit)
            .await
            .map_err(|e| commit_error(e, &order))?;
        Ok(OrderOutcome {
            order,
            replayed: false,
        })
    }
}

/// The commit of a cancellation (by the customer, or by the hold sweep): the CANCELLED order
/// with what it held given back in the same transaction, and its hold index entry removed.
pub(super) fn release_commit(
    order: &Order,
    read_version: u64,
    release: &Release,
    events: Vec<OrderEvent>,
    hold_before: Option<chrono::DateTime<chrono::Utc>>,
) -> OrderCommit {
    let vendor = order.vendor.vendor_id.clone();
    let placement = oms_domain::order::Placement {
        stock: release.stock.clone(),
        coupons: vec![],
    };
    let mut commit = OrderCommit::new(order.clone(), Some(read_version), events);
    commit.stock = stock_changes(&vendor, &placement, 1);
    commit.coupon_uses = release
        .coupons
        .iter()
        .filter(|c| c.counters.any())
        .map(|c| CouponUseChange {
            vendor_id: vendor.clone(),
            code: c.code.clone(),
            customer_id: order.customer.customer_id.clone(),
            delta: -1,
            usage_limit: None,
            per_customer_limit: None,
            counters: c.counters,
        })
        .collect();
    commit.hold_before = hold_before;
    commit
}
