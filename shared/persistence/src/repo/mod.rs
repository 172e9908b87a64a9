//! [`Repository`]: every port of `oms-application` over one [`ItemStore`].

mod catalog;
mod orders;
mod outbox;
mod sync;
mod tenants;

use std::sync::Arc;

use oms_application::ports::StoreFault;
use oms_store::{ItemStore, StoreError};

/// The repositories over one item store (DynamoDB table or embedded database).
#[derive(Clone)]
pub struct Repository {
    store: Arc<dyn ItemStore>,
}

impl Repository {
    pub fn new(store: Arc<dyn ItemStore>) -> Self {
        Repository { store }
    }

    /// The underlying store (round-trip counters for tests and benchmarks).
    pub fn store(&self) -> &Arc<dyn ItemStore> {
        &self.store
    }
}

pub(crate) fn fault(e: StoreError) -> StoreFault {
    StoreFault::with_source("item store call failed", e)
}
