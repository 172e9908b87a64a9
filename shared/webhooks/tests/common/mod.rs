//! Test harness: the real repositories over an item store that counts (and can fail) writes, a
//! queue double, tenants, and signing helpers.
#![allow(dead_code)]

pub mod generated;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use oms_application::ports::{
    CatalogRequest, CatalogView, EventQueue, ManualClock, QueueError, QueueMessage, Store,
};
use oms_application::records::{SignatureScheme, TenantConfig, TenantSecrets};
use oms_domain::ids::{CouponCode, Sku, TenantId, VendorId};
use oms_persistence::Repository;
use oms_store::{
    BatchWrite, Item, ItemStore, Key, Page, QueryRequest, RoundTrips, SqliteStore, StoreError,
    WriteOp,
};
use oms_webhooks::{apply, Applied, UpdateError, UpdaterDeps, WebhookDeps};

pub const SECRET_OLD: &str = "whsec_old_0123456789";
pub const SECRET_NEW: &str = "whsec_new_9876543210";
pub const LEGACY_SECRET: &str = "2323434235235";
pub const LEGACY_TENANT: &str = "tenant123";

/// An item store that counts every write call (before it reaches the backend) and can be told
/// to fail them: "nothing written" is asserted on the store itself, below the repositories.
pub struct CountingStore {
    inner: Arc<dyn ItemStore>,
    writes: AtomicU64,
    fail_writes: AtomicBool,
    fail_transactions: AtomicBool,
}

impl CountingStore {
    pub fn new(inner: Arc<dyn ItemStore>) -> Self {
        CountingStore {
            inner,
            writes: AtomicU64::new(0),
            fail_writes: AtomicBool::new(false),
            fail_transactions: AtomicBool::new(false),
        }
    }

    pub fn writes(&self) -> u64 {
        self.writes.load(Ordering::SeqCst)
    }

    pub fn fail_writes(&self, fail: bool) {
        self.fail_writes.store(fail, Ordering::SeqCst);
    }

    /// Only transactions (order commits, product writes) fail.
    pub fn fail_transactions(&self, fail: bool) {
        self.fail_transactions.store(fail, Ordering::SeqCst);
    }

    fn count(&self) -> Result<(), StoreError> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        if self.fail_writes.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable("injected write failure".into()));
        }
        Ok(())
    }
}

#[async_trait]
impl ItemStore for CountingStore {
    async fn get(&self, key: &Key, consistent: bool) -> Result<Option<Item>, StoreError> {
        self.inner.get(key, consistent).await
    }

    async fn batch_get(&self, keys: &[Key], consistent: bool) -> Result<Vec<Item>, StoreError> {
        self.inner.batch_get(keys, consistent).await
    }

    async fn query(&self, req: QueryRequest) -> Result<Page, StoreError> {
        self.inner.query(req).await
    }

    async fn transact_write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        self.count()?;
        if self.fail_transactions.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable(
                "injected transaction failure".into(),
            ));
        }
        self.inner.transact_write(ops).await
    }

    async fn write(&self, op: WriteOp) -> Result<(), StoreError> {
        self.count()?;
        self.inner.write(op).await
    }

    async fn batch_write(&self, writes: Vec<BatchWrite>) -> Result<(), StoreError> {
        self.count()?;
        self.inner.batch_write(writes).await
    }

    fn round_trips(&self) -> &RoundTrips {
        self.inner.round_trips()
    }
}

/// The queue double: a Vec behind a Mutex. Like SQS FIFO (and the in-process queue) within its
/// window, a second message with the same (tenant, dedup id) is accepted and dropped.
#[derive(Default)]
pub struct TestQueue {
    messages: Mutex<Vec<QueueMessage>>,
    seen: Mutex<HashSet<(String, String)>>,
    attempts: AtomicU64,
    failures_left: AtomicUsize,
}

impl TestQueue {
    /// The next `n` publishes fail.
    pub fn fail_next(&self, n: usize) {
        self.failures_left.store(n, Ordering::SeqCst);
    }

    pub fn attempts(&self) -> u64 {
        self.attempts.load(Ordering::SeqCst)
    }

    pub fn len(&self) -> usize {
        self.messages.lock().map(|m| m.len()).unwrap_or(0)
    }

    pub fn messages(&self) -> Vec<QueueMessage> {
        self.messages.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// Takes every queued message.
    pub fn take(&self) -> Vec<QueueMessage> {
        self.messages
            .lock()
            .map(|mut m| std::mem::take(&mut *m))
            .unwrap_or_default()
    }
}

#[async_trait]
impl EventQueue for TestQueue {
    async fn publish(&self, message: QueueMessage) -> Result<(), QueueError> {
        self.attempts.fetch_add(1, Ordering::SeqCst);
        let fail = self
            .failures_left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if fail {
            return Err(QueueError {
                message: "injected publish failure".into(),
                source: None,
            });
        }
        let key = (message.tenant.to_string(), message.dedup_id.clone());
        let fresh = self.seen.lock().map(|mut s| s.insert(key)).unwrap_or(false);
        if fresh {
            if let Ok(mut m) = self.messages.lock() {
                m.push(message);
            }
        }
        Ok(())
    }
}

pub struct Harness {
    pub items: Arc<CountingStore>,
    pub store: Arc<dyn Store>,
    pub queue: Arc<TestQueue>,
    pub deps: WebhookDeps,
    pub updater: UpdaterDeps,
    /// The one clock of this harness (store, receiver, updater).
    pub clock: Arc<ManualClock>,
}

pub fn tenant(t: &str) -> TenantId {
    TenantId::new(t).unwrap()
}

impl Harness {
    /// Embedded store in memory, tenants configured: `t1` and `t2` (oms scheme, two secrets
    /// each: rotation), `tenant123` (legacy wss, the golden vectors' secret), `t-plain` (no
    /// legacy route).
    pub async fn new() -> Harness {
        let clock = Arc::new(ManualClock::new(now()));
        let sqlite: Arc<dyn ItemStore> = Arc::new(SqliteStore::in_memory(clock.clone()).unwrap());
        Harness::over(sqlite, clock).await
    }

    /// A harness over `backend`, whose store judges TTL by `clock` (pinned at [`now`]).
    pub async fn over(backend: Arc<dyn ItemStore>, clock: Arc<ManualClock>) -> Harness {
        let items = Arc::new(CountingStore::new(backend));
        let store: Arc<dyn Store> = Arc::new(Repository::new(items.clone()));
        let queue = Arc::new(TestQueue::default());
        let deps = WebhookDeps::new(store.clone(), queue.clone(), clock.clone());
        let updater = UpdaterDeps::new(store.clone(), clock.clone());
        for (t, secrets, legacy) in [
            ("t1", vec![SECRET_OLD, SECRET_NEW], false),
            ("t2", vec![SECRET_OLD, SECRET_NEW], false),
            (LEGACY_TENANT, vec![LEGACY_SECRET], true),
            ("t-plain", vec![LEGACY_SECRET], false),
        ] {
            let mut config = TenantConfig::new(tenant(t));
            config.signature_scheme = SignatureScheme::Oms;
            config.legacy_wss = legacy;
            store.put_tenant_config(&config).await.unwrap();
            let mut stored = TenantSecrets::new(tenant(t));
            stored.webhook_secrets = secrets.into_iter().map(String::from).collect();
            store.put_tenant_secrets(&stored).await.unwrap();
        }
        Harness {
            items,
            store,
            queue,
            deps,
            updater,
            clock,
        }
    }

    pub fn writes(&self) -> u64 {
        self.items.writes()
    }

    /// Applies every queued message through the updater, in order.
    pub async fn drain(&self) -> Vec<Result<Applied, UpdateError>> {
        let mut outcomes = vec![];
        for m in self.queue.take() {
            outcomes.push(apply(&self.updater, &m.body).await);
        }
        outcomes
    }

    pub async fn catalog(
        &self,
        t: &str,
        vendor: &str,
        skus: &[&str],
        coupons: &[&str],
    ) -> CatalogView {
        let request = CatalogRequest {
            vendor_id: Some(VendorId::new(vendor).unwrap()),
            skus: skus.iter().map(|s| Sku::new(s).unwrap()).collect(),
            coupon_codes: coupons
                .iter()
                .map(|c| CouponCode::new(c).unwrap())
                .collect(),
            ..CatalogRequest::default()
        };
        self.store.load_catalog(&tenant(t), &request).await.unwrap()
    }
}

/// The harness clock's instant: 2025-11-25T10:00:00Z. Any date works; the store, the receiver
/// and the updater all judge time by this clock, never by the machine's.
pub fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_764_064_800, 0).unwrap_or_default()
}

/// `Oms-Signature` header pairs for `body` signed at `t` with each of `secrets`.
pub fn oms_headers(secrets: &[&str], t: i64, body: &[u8]) -> Vec<(String, String)> {
    let v1: Vec<String> = secrets
        .iter()
        .map(|s| {
            let header = oms_sync::signature::oms::sign(s, t, body);
            header
                .split(',')
                .find(|p| p.starts_with("v1="))
                .unwrap()
                .to_string()
        })
        .collect();
    vec![("Oms-Signature".into(), format!("t={t},{}", v1.join(",")))]
}

/// `X-Wss-Signature` / `X-Wss-Timestamp` for `body`.
pub fn wss_headers(secret: &str, t: i64, body: &[u8]) -> Vec<(String, String)> {
    vec![
        (
            "X-Wss-Signature".into(),
            oms_sync::signature::wss::sign(secret, body),
        ),
        ("X-Wss-Timestamp".into(), t.to_string()),
    ]
}

pub fn envelope(id: &str, event_type: &str, t: &str, version: u64, data: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "id": id, "type": event_type, "tenant_id": t, "version": version,
        "occurred_at": "2026-11-25T10:00:00Z", "data": data
    }))
    .unwrap()
}

pub fn product_data(product_id: &str, sku: &str, stock: i64, price: &str) -> Value {
    json!({
        "product_id": product_id, "vendor_id": "v-1", "product_sku": sku,
        "product_name": "Shirt", "product_price": price, "product_currency": "SGD",
        "stock": stock, "package_weight": "0.5", "package_length": 10,
        "package_width": 10, "package_height": 1
    })
}
