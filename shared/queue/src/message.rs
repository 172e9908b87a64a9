//! What a consumer hands to a message handler, and what the handler returns on failure.

use oms_domain::ids::TenantId;

/// Message attribute carrying the tenant id (always set by the publishers of this crate).
pub const ATTR_TENANT: &str = "tenant";
/// Message attribute carrying the ordering group within the tenant (omitted when empty: SQS
/// refuses empty attribute values).
pub const ATTR_GROUP: &str = "group";
/// Message attribute carrying the caller's deduplication id as given (the SQS
/// `MessageDeduplicationId` may be a hash of it, see [`crate::sqs::deduplication_id`]).
pub const ATTR_DEDUP_ID: &str = "dedup_id";

/// One delivered message, owned, as both consumers ([`crate::process_batch`] and
/// [`crate::InProcessQueue`]) hand it to the handler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMessage {
    /// The SQS message id (in process: `inproc-<n>`). Log this, never the body.
    pub message_id: String,
    pub tenant: TenantId,
    /// The ordering group within the tenant, as published (`QueueMessage::group`).
    pub group: String,
    /// The publisher's deduplication id (`QueueMessage::dedup_id`), when it was attached.
    pub dedup_id: Option<String>,
    pub body: String,
    /// How many times this message has been delivered, this delivery included (SQS
    /// `ApproximateReceiveCount`; in process: the attempt number). At least 1.
    pub receive_count: u32,
    /// The queue-level ordering key (SQS `MessageGroupId`, `<tenant>#<group>` or its hash);
    /// `None` on a standard queue.
    pub message_group_id: Option<String>,
}

/// A handler's failure: the message is redelivered later (and dead-lettered after the maximum
/// number of receives). The message is logged next to the tenant and message id, so it must not
/// contain the body or personal data.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct RecordError {
    message: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl RecordError {
    pub fn new(message: impl Into<String>) -> Self {
        RecordError {
            message: message.into(),
            source: None,
        }
    }

    pub fn with_source(
        message: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        RecordError {
            message: message.into(),
            source: Some(source.into()),
        }
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}
