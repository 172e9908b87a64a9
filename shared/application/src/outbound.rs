//! Outbound order events (docs/runtime.md, "Outbound order events"): what a tenant's webhook URL
//! receives for every order change. Built here, from the order and its domain event, at commit
//! time: the outbox item already holds the exact body, so the relay and the sender never read
//! the order again and every retry sends the same bytes.

use oms_domain::order::{Order, OrderEvent, OrderEventKind};
use serde_json::{json, Value};

/// The public `type` of an event. `order.created` is the contract's name for what the domain
/// calls `order.checked_out`; a cancellation by the hold sweep is `order.expired`.
pub fn outbound_type(kind: &OrderEventKind) -> &'static str {
    match kind {
        OrderEventKind::CheckedOut { .. } => "order.created",
        OrderEventKind::OrderCancelled { reason, .. } if reason == EXPIRED_REASON => {
            "order.expired"
        }
        other => other.as_str(),
    }
}

/// The `entity` of outbox items: the relay (and its stream filter in the template) selects on it.
pub const OUTBOX_ENTITY: &str = "OutboxEvent";

/// The cancellation reason the OMS itself gives a PENDING order whose hold lapsed.
pub use oms_domain::order::EXPIRED_REASON;

/// Stable id of the `index`-th event of the change that made `version`: the same across
/// retries of the commit, the relay and the sender, so receivers dedupe by it.
pub fn outbound_event_id(order: &Order, index: usize) -> String {
    format!("{}-{}-{}", order.id, order.version, index)
}

/// The body POSTed to the tenant: `{id, type, tenant_id, version, occurred_at, data}`, `data`
/// holding `order_id`, `status`, `customer_id`, `vendor_id`, `currency`, `total` (decimal
/// string) and `change` (the event's own fields).
pub fn outbound_event(order: &Order, event: &OrderEvent, index: usize) -> Value {
    let change = serde_json::to_value(&event.kind).unwrap_or(Value::Null);
    json!({
        "id": outbound_event_id(order, index),
        "type": outbound_type(&event.kind),
        "tenant_id": order.tenant.as_str(),
        "version": order.version,
        "occurred_at": event.occurred_at,
        "data": {
            "order_id": order.id.as_str(),
            "status": order.status.as_str(),
            "customer_id": order.customer.customer_id.as_str(),
            "vendor_id": order.vendor.vendor_id.as_str(),
            "currency": order.currency.code(),
            "total": order.pricing.total.amount_string(),
            "change": change,
        },
    })
}
