//! [`Repository`]: every port of `oms-application` over one [`ItemStore`].

mod catalog;
mod holds;
mod orders;
mod outbox;
mod stock;
mod sync;
mod tenants;

pub use orders::MAX_QUERIES_PER_PAGE;

use std::sync::Arc;

use oms_application::ports::StoreFault;
use oms_store::{ItemStore, StoreError};

use crate::cursor::CursorKey;

/// The repositories over one item store (DynamoDB table or embedded database).
#[derive(Clone)]
pub struct Repository {
    store: Arc<dyn ItemStore>,
    /// Signs and checks list cursors ([`crate::cursor`]).
    cursor_key: CursorKey,
}

impl Repository {
    /// The repositories over `store`, signing list cursors with the public local key
    /// ([`CursorKey::local_default`]); a deployment sets its own with
    /// [`Repository::with_cursor_key`].
    pub fn new(store: Arc<dyn ItemStore>) -> Self {
        Repository {
            store,
            cursor_key: CursorKey::local_default(),
        }
    }

    /// The same repositories, signing and checking list cursors with `key` (cursors signed with
    /// another key are then refused as `INVALID_INPUT`).
    #[must_use]
    pub fn with_cursor_key(mut self, key: CursorKey) -> Self {
        self.cursor_key = key;
        self
    }

    /// The underlying store (round-trip counters for tests and benchmarks).
    pub fn store(&self) -> &Arc<dyn ItemStore> {
        &self.store
    }
}

pub(crate) fn fault(e: StoreError) -> StoreFault {
    StoreFault::with_source("item store call failed", e)
}
