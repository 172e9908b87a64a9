//! Outbound order events (docs/outbound-events.md).
//!
//! Every order change writes its events to the outbox in the change's own transaction (already
//! in their final JSON form, `oms_application::outbound`). Then:
//! 1. the **relay** reads the table's stream (one order's records arrive in write order), and
//!    publishes each pending event to the events queue (SQS FIFO, one message group per order,
//!    deduplicated by event id), then expires the outbox item;
//! 2. the **sender** takes each queued event, signs it with the tenant's events secret
//!    (`Oms-Signature`, the same scheme as inbound webhooks) and POSTs it to the tenant's events
//!    URL; any non-2xx answer is retried through the queue with its backoff, then dead-lettered.
//!
//! Delivery is at least once; `id` is stable across retries, so receivers dedupe by it.

pub mod relay;
pub mod sender;
pub mod stream;

pub use relay::{relay, RelayDeps, RelayReport};
pub use sender::{send_batch, EventDelivery, SenderDeps, Sent};
pub use stream::{StreamBatchResponse, StreamEvent};
