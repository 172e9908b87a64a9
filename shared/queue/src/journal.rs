//! Durability for the [`InProcessQueue`](crate::InProcessQueue): where accepted messages are
//! written before `publish` returns, so that a crash or kill between accept and handling loses
//! nothing. `oms serve` keeps the journal in its embedded store's file.

use async_trait::async_trait;
use oms_application::ports::{QueueError, QueueMessage};

/// A journalled message, as [`Journal::load`] returns it after a restart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalEntry {
    /// The journal's id of the message (publish order).
    pub id: u64,
    pub message: QueueMessage,
    /// Set when the message failed every attempt (a dead letter); the last error.
    pub dead_error: Option<String>,
}

/// The durable log behind one in-process queue.
#[async_trait]
pub trait Journal: Send + Sync {
    /// Writes `message` durably; its id.
    async fn append(&self, message: &QueueMessage) -> Result<u64, QueueError>;
    /// The message was handled: forget it.
    async fn remove(&self, id: u64) -> Result<(), QueueError>;
    /// The message failed every attempt (`Some(error)`), or was redriven (`None`).
    async fn mark_dead(&self, id: u64, error: Option<&str>) -> Result<(), QueueError>;
    /// Everything not yet removed, in publish order.
    async fn load(&self) -> Result<Vec<JournalEntry>, QueueError>;
}
