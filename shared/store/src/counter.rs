//! Round-trip counting, so tests and benchmarks can assert how many backend calls an operation
//! costs.

use std::sync::atomic::{AtomicU64, Ordering};

/// Counts backend calls: every DynamoDB request sent (each chunk and each retry counts) or every
/// SQLite trait call. Shared by all users of one store, so measure one operation at a time:
///
/// ```
/// # use oms_store::RoundTrips;
/// let counter = RoundTrips::default();
/// let before = counter.snapshot();
/// // ... one logical operation on the store ...
/// assert_eq!(counter.since(before), 0);
/// ```
#[derive(Debug, Default)]
pub struct RoundTrips(AtomicU64);

impl RoundTrips {
    /// Total calls so far.
    pub fn snapshot(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    /// Calls made since `earlier`, a value returned by [`RoundTrips::snapshot`].
    pub fn since(&self, earlier: u64) -> u64 {
        self.snapshot().saturating_sub(earlier)
    }

    // Only the backends count (none is built without the `sqlite` or `dynamodb` feature).
    #[cfg_attr(not(any(feature = "sqlite", feature = "dynamodb")), allow(dead_code))]
    pub(crate) fn record(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_counts_calls_after_the_snapshot() {
        let counter = RoundTrips::default();
        counter.record();
        let before = counter.snapshot();
        counter.record();
        counter.record();
        assert_eq!(counter.since(before), 2);
        assert_eq!(counter.snapshot(), 3);
    }
}
