//! The one error type of the store.

/// A boxed error kept as the source of [`StoreError::Unavailable`] / [`StoreError::Internal`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a store call failed. Expected outcomes have their own variants; backend failures keep the
/// backend's error (SDK or SQLite) as their `source()`.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The condition of a single write ([`crate::ItemStore::write`] / `put`) did not hold.
    #[error("condition failed")]
    ConditionFailed,
    /// A transaction was cancelled because the conditions of these ops (indices into the op
    /// list, ascending) did not hold. Nothing was written.
    #[error("transaction cancelled: conditions failed for ops {failed:?}")]
    TransactionCanceled { failed: Vec<usize> },
    /// DynamoDB kept reporting `TransactionConflict` after the retries. Safe to retry later.
    #[error("transaction conflict persisted after retries")]
    Conflict,
    /// One of the AWS limits that the store enforces itself (see [`crate::limits`]).
    #[error("limit exceeded: {0}")]
    LimitExceeded(String),
    /// A request the store (or DynamoDB) rejects as malformed: missing or non-string key
    /// attributes, updates of `pk`/`sk`, `Add` to a non-number, an empty transaction...
    #[error("invalid request: {reason}")]
    Invalid {
        reason: String,
        #[source]
        source: Option<BoxError>,
    },
    /// The backend kept throttling after the retries (DynamoDB throughput or request-rate
    /// limits, a transaction cancelled for throttling) or stayed busy (SQLite: the database
    /// lock was held past the busy timeout). Nothing was written; safe to retry later.
    #[error("store throttled or busy")]
    Throttled(#[source] BoxError),
    /// The backend could not be reached (transport failure, timeout, 5xx) after the retries.
    /// Retryable.
    #[error("store unavailable")]
    Unavailable(#[source] BoxError),
    /// Anything else: undecodable data, unexpected backend errors, a poisoned lock.
    #[error("store internal error")]
    Internal(#[source] BoxError),
}

impl StoreError {
    /// An `Invalid` error raised by the store itself.
    pub fn invalid(reason: impl Into<String>) -> Self {
        StoreError::Invalid {
            reason: reason.into(),
            source: None,
        }
    }

    /// An `Internal` error from a message (when there is no underlying error to keep).
    pub fn internal(message: impl Into<String>) -> Self {
        StoreError::Internal(message.into().into())
    }
}
