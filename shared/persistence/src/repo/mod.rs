//! [`Repository`]: every port of `oms-application` over one [`ItemStore`].

mod catalog;
mod holds;
mod orders;
mod outbox;
mod refresh;
mod stock;
mod sync;
mod tenants;

pub use orders::{MAX_PAGE_BYTES, MAX_QUERIES_PER_PAGE};

use std::sync::Arc;

use oms_application::ports::StoreFault;
use oms_store::{ItemStore, StoreError};

use crate::config_cache::TenantConfigCache;
use crate::cursor::CursorKey;

/// The repositories over one item store (DynamoDB table or embedded database).
#[derive(Clone)]
pub struct Repository {
    store: Arc<dyn ItemStore>,
    /// Signs and checks list cursors ([`crate::cursor`]).
    cursor_key: CursorKey,
    /// Tenant configurations read within the last minute (none: always read).
    config_cache: Option<Arc<TenantConfigCache>>,
}

impl Repository {
    /// The repositories over `store`, signing list cursors with the public local key
    /// ([`CursorKey::local_default`]); a deployment sets its own with
    /// [`Repository::with_cursor_key`].
    pub fn new(store: Arc<dyn ItemStore>) -> Self {
        Repository {
            // Every failure then says which call on which kinds of key.
            store: Arc::new(crate::described::DescribedStore::new(store)),
            cursor_key: CursorKey::local_default(),
            config_cache: None,
        }
    }

    /// The same repositories, caching tenant configurations per process (see
    /// [`crate::config_cache`]): the compositions of the functions and `oms serve` use it.
    #[must_use]
    pub fn with_tenant_config_cache(mut self, cache: TenantConfigCache) -> Self {
        self.config_cache = Some(Arc::new(cache));
        self
    }

    /// The cached configuration of `tenant`, if fresh (`Some(None)`: known absent).
    pub(crate) fn cached_config(
        &self,
        tenant: &oms_domain::ids::TenantId,
    ) -> Option<Option<oms_application::records::TenantConfig>> {
        self.config_cache.as_ref()?.get(tenant)
    }

    /// Remembers a configuration just read or written.
    pub(crate) fn remember_config(
        &self,
        tenant: &oms_domain::ids::TenantId,
        config: Option<&oms_application::records::TenantConfig>,
    ) {
        if let Some(cache) = &self.config_cache {
            cache.put(tenant, config.cloned());
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

/// A store error as the use cases see it: with the call and key kinds the store was wrapped to
/// name ([`crate::described`]), TRY_AGAIN when the store stayed contended.
pub(crate) fn fault(e: StoreError) -> StoreFault {
    crate::described::fault(e)
}
