//! Tenant configurations cached per process (per Lambda container) for at most a TTL (one
//! minute in the compositions): every order command needs its tenant's configuration, and
//! reading the same item on every request would make it the hottest key of the tenant. A change
//! (`oms tenant put`) is seen everywhere within the TTL; this process's own writes at once.
//! Judged by the injected clock, so tests move time instead of waiting.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Duration, Utc};
use oms_application::ports::Clock;
use oms_application::records::TenantConfig;
use oms_domain::ids::TenantId;

/// How long a cached configuration is used: a change takes effect within this.
pub const TENANT_CONFIG_TTL: Duration = Duration::seconds(60);

/// Per tenant: when its configuration was read, and what was read (`None`: absent).
type Entries = HashMap<TenantId, (DateTime<Utc>, Option<TenantConfig>)>;

/// The cache: per tenant, the configuration read (or its absence) and when.
pub struct TenantConfigCache {
    clock: Arc<dyn Clock>,
    ttl: Duration,
    entries: Mutex<Entries>,
}

impl std::fmt::Debug for TenantConfigCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantConfigCache")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl TenantConfigCache {
    pub fn new(clock: Arc<dyn Clock>, ttl: Duration) -> Self {
        TenantConfigCache {
            clock,
            ttl,
            entries: Mutex::default(),
        }
    }

    /// The cached configuration of `tenant` (`Some(None)`: cached as absent) if read within the
    /// TTL; `None` when it must be read.
    pub fn get(&self, tenant: &TenantId) -> Option<Option<TenantConfig>> {
        let now = self.clock.now();
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries
            .get(tenant)
            .filter(|(at, _)| now < *at + self.ttl && *at <= now)
            .map(|(_, config)| config.clone())
    }

    /// Remembers what was read (or written) for `tenant`.
    pub fn put(&self, tenant: &TenantId, config: Option<TenantConfig>) {
        let now = self.clock.now();
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(tenant.clone(), (now, config));
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use oms_application::ports::ManualClock;

    use super::*;

    #[test]
    fn a_cached_configuration_is_used_for_the_ttl_then_read_again() {
        let clock = Arc::new(ManualClock::new(
            Utc.with_ymd_and_hms(2026, 3, 3, 12, 0, 0).single().unwrap(),
        ));
        let cache = TenantConfigCache::new(clock.clone(), TENANT_CONFIG_TTL);
        let t = TenantId::new("acme").unwrap();
        assert_eq!(cache.get(&t), None, "nothing cached yet");
        let config = TenantConfig::new(t.clone());
        cache.put(&t, Some(config.clone()));
        assert_eq!(cache.get(&t), Some(Some(config)));
        clock.advance(Duration::seconds(59));
        assert!(cache.get(&t).is_some());
        clock.advance(Duration::seconds(1));
        assert_eq!(cache.get(&t), None, "stale after a minute");
        cache.put(&t, None);
        assert_eq!(cache.get(&t), Some(None), "absence is cached too");
        // A clock moved backwards does not extend an entry's life.
        clock.set(Utc.with_ymd_and_hms(2026, 3, 3, 11, 0, 0).single().unwrap());
        assert_eq!(cache.get(&t), None);
    }
}
