//! End-to-end harness (zero2prod style): [`spawn_app`] starts the real router of `oms-server` on
//! `127.0.0.1:0` over a fresh store (an embedded SQLite file in a temp dir, or a fresh table on
//! moto), seeds two tenants and hands back a [`TestApp`] with an HTTP client and helpers.
//!
//! Tenants:
//! - `demo` ([`oms_server::demo`]): vendor `v-demo`, T-SHIRT-L 10.00, MUG-01 12.50, CAP-01 18.90,
//!   HOODIE-M 45.00 (SGD), coupon WELCOME10, Standard and Express shipping, customer `c-demo`,
//!   webhook secret [`oms_server::demo::WEBHOOK_SECRET`].
//! - `other` ([`OTHER_TENANT`]): the SAME vendor, SKU, customer and user ids with other prices
//!   ([`OTHER_PRICES`]) and its own webhook secret ([`OTHER_WEBHOOK_SECRET`]).
//!
//! "Nothing changed" is asserted below the repositories: every write call that reaches the item
//! store and succeeds is counted ([`TestApp::writes`]), so a scenario can check that a rejected
//! request wrote nothing at all. While a journal is open it also records every key read and
//! written ([`CountingStore::open_journal`]), so a probe can prove which tenants a call reached.
//!
//! DynamoDB tests need moto (`eval "$(infra/moto.sh start)"`) and FAIL with a clear message when
//! `AWS_ENDPOINT_URL` is unset; they never skip.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use oms_application::ports::{Clock, NoPaymentGateway, SnapshotWrite, Store};
use oms_application::records::{TenantConfig, TenantSecrets};
use oms_application::Oms;
use oms_auth::{AuthConfig, Authenticator};
use oms_clock::ShiftedClock;
use oms_domain::address::Country;
use oms_domain::auth::Role;
use oms_domain::catalog::{Coupon, Package, Product};
use oms_domain::ids::{CouponCode, CustomerId, OfferId, ProductId, Sku, TenantId, VendorId};
use oms_domain::money::{Currency, Money};
use oms_graphql::SchemaOptions;
use oms_persistence::Repository;
use oms_queue::InProcessQueue;
use oms_runtime::StoreChoice;
use oms_server::app::{compose, in_process_queue, Components};
use oms_server::demo;
use oms_store::{
    BatchWrite, Item, ItemStore, Key, Page, QueryRequest, RoundTrips, StoreError, WriteOp,
};
use serde_json::{json, Value};

pub use oms_server::demo::{CUSTOMER, TENANT, VENDOR, VENDOR_USER, WEBHOOK_SECRET};

/// How long an HTTP request or a wait for the sync queue may take before the test calls it a
/// hang (see [`spawn_app_with`]).
pub const HANG_GUARD: Duration = Duration::from_secs(300);

/// The second tenant: same ids as `demo`, other prices, other webhook secret.
pub const OTHER_TENANT: &str = "other";
pub const OTHER_WEBHOOK_SECRET: &str = "other-tenant-webhook-secret";
/// Prices of the demo SKUs in tenant `other`.
pub const OTHER_PRICES: &[(&str, &str)] = &[
    ("T-SHIRT-L", "15.00"),
    ("MUG-01", "20.00"),
    ("CAP-01", "25.00"),
    ("HOODIE-M", "60.00"),
];

/// Which store the app runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded SQLite store in a fresh temp dir (what `oms serve` uses).
    Embedded,
    /// A fresh ulid-named table on the DynamoDB-compatible server at `AWS_ENDPOINT_URL` (moto).
    Dynamo,
}

/// The Singapore address of the README walk-through.
pub fn singapore() -> Value {
    json!({"street": "1 Raffles Place", "city": "Singapore", "postal": "048616", "country": "SG"})
}

/// Every order field the suites look at.
pub const ORDER_FIELDS: &str = "id version status currency \
    customer { customerId } vendor { vendorId name country } \
    lineItems { sku productId quantity unitPrice { amount currency } lineTotal { amount } isFreeGift } \
    destination { street city postal country } \
    shipping { method name deliveryTime cost { amount } } \
    coupons { code offerId } appliedOffers { offerId name kind discount { amount } } \
    subtotal { amount currency } discountTotal { amount } shippingCost { amount } \
    taxLines { name rate amount { amount } } taxTotal { amount } total { amount currency } \
    payment { method transactionId paidAmount { amount currency } status } \
    trackingReference cancellationReason createdAt updatedAt";

// ---------------------------------------------------------------------------------------------
// The item store wrapper: counts successful writes, and serialises calls on moto.
// ---------------------------------------------------------------------------------------------

/// Wraps the real item store: counts write calls (attempted and succeeded) so tests can assert
/// that a rejected request wrote nothing. On DynamoDB it also sends one call at a time: moto
/// 5.x does not isolate concurrent transactions (see shared/persistence/tests/dynamo.rs), and the
/// conditions of our transactions, not moto's races, must decide every outcome.
pub struct CountingStore {
    inner: Arc<dyn ItemStore>,
    gate: Option<tokio::sync::Mutex<()>>,
    attempted: AtomicU64,
    succeeded: AtomicU64,
    /// Transactions still to refuse as contended (what DynamoDB reports after its retries).
    contended: AtomicU64,
    /// The partitions read and written while a journal is open ([`CountingStore::open_journal`]);
    /// closed (and free) otherwise, so the load and timing suites pay nothing for it.
    journal: std::sync::Mutex<Option<Vec<StoreAccess>>>,
    journaling: std::sync::atomic::AtomicBool,
}

/// One key (or queried partition) a store call touched, as a journal records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreAccess {
    pub write: bool,
    /// The partition key (of the table, or of the index a query ran on).
    pub pk: String,
    /// The sort key; None for a query (it reads the partition).
    pub sk: Option<String>,
}

impl StoreAccess {
    /// True when the access reaches `tenant`'s data: every tenant-scoped partition key starts
    /// with `T#<tenant>#` (shared/persistence/src/keys.rs), and the one shared partition, the
    /// tenant registry, holds one item per tenant (read whole, it lists every tenant).
    pub fn reaches(&self, tenant: &str) -> bool {
        if self.pk == oms_persistence::keys::TENANTS_PK {
            return self.sk.as_deref().is_none_or(|sk| sk == tenant);
        }
        self.pk.starts_with(&format!("T#{tenant}#"))
    }
}

impl std::fmt::Display for StoreAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = if self.write { "write" } else { "read" };
        match &self.sk {
            Some(sk) => write!(f, "{what} {} / {sk}", self.pk),
            None => write!(f, "{what} partition {}", self.pk),
        }
    }
}

impl CountingStore {
    /// Refuses the next `n` transactions with [`StoreError::Conflict`], as DynamoDB does when a
    /// transaction still conflicts after the SDK's retries.
    pub fn contend_next_transactions(&self, n: u64) {
        self.contended.store(n, Ordering::SeqCst);
    }

    pub fn new(inner: Arc<dyn ItemStore>, serialise: bool) -> Self {
        CountingStore {
            inner,
            gate: serialise.then(|| tokio::sync::Mutex::new(())),
            attempted: AtomicU64::new(0),
            succeeded: AtomicU64::new(0),
            contended: AtomicU64::new(0),
            journal: std::sync::Mutex::new(None),
            journaling: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Starts recording every key read and written (a journal already open is restarted).
    pub fn open_journal(&self) {
        *self.journal_lock() = Some(Vec::new());
        self.journaling.store(true, Ordering::SeqCst);
    }

    /// Stops recording and hands back what was touched since [`CountingStore::open_journal`].
    pub fn close_journal(&self) -> Vec<StoreAccess> {
        self.journaling.store(false, Ordering::SeqCst);
        self.journal_lock().take().unwrap_or_default()
    }

    fn journal_lock(&self) -> std::sync::MutexGuard<'_, Option<Vec<StoreAccess>>> {
        // A test that panicked while holding it leaves a journal that is still a plain list.
        self.journal
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn note(&self, write: bool, pk: &str, sk: Option<&str>) {
        if !self.journaling.load(Ordering::Relaxed) {
            return;
        }
        if let Some(journal) = self.journal_lock().as_mut() {
            journal.push(StoreAccess {
                write,
                pk: pk.to_owned(),
                sk: sk.map(str::to_owned),
            });
        }
    }

    fn note_key(&self, write: bool, key: &Key) {
        self.note(write, &key.pk, Some(&key.sk));
    }

    fn note_op(&self, op: &WriteOp) {
        // A transaction's condition check reads its key; every other op writes it.
        let write = !matches!(op, WriteOp::Check { .. });
        match op.key() {
            Ok(key) => self.note_key(write, &key),
            // A put without a key fails in the store anyway; recorded so it cannot hide.
            Err(_) => self.note(true, "?", None),
        }
    }

    /// Write calls (transact_write, write, batch_write) that succeeded so far.
    pub fn writes(&self) -> u64 {
        self.succeeded.load(Ordering::SeqCst)
    }

    /// Write calls attempted so far (including refused conditional writes).
    pub fn write_attempts(&self) -> u64 {
        self.attempted.load(Ordering::SeqCst)
    }

    async fn turn(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match &self.gate {
            Some(gate) => Some(gate.lock().await),
            None => None,
        }
    }

    fn count<T>(&self, result: Result<T, StoreError>) -> Result<T, StoreError> {
        self.attempted.fetch_add(1, Ordering::SeqCst);
        if result.is_ok() {
            self.succeeded.fetch_add(1, Ordering::SeqCst);
        }
        result
    }
}

#[async_trait]
impl ItemStore for CountingStore {
    async fn get(&self, key: &Key, consistent: bool) -> Result<Option<Item>, StoreError> {
        let _turn = self.turn().await;
        self.note_key(false, key);
        self.inner.get(key, consistent).await
    }

    async fn batch_get(&self, keys: &[Key], consistent: bool) -> Result<Vec<Item>, StoreError> {
        let _turn = self.turn().await;
        for key in keys {
            self.note_key(false, key);
        }
        self.inner.batch_get(keys, consistent).await
    }

    async fn query(&self, req: QueryRequest) -> Result<Page, StoreError> {
        let _turn = self.turn().await;
        self.note(false, &req.pk, None);
        self.inner.query(req).await
    }

    async fn transact_write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        let _turn = self.turn().await;
        for op in &ops {
            self.note_op(op);
        }
        let contended = self
            .contended
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if contended {
            return self.count(Err(StoreError::Conflict));
        }
        let r = self.inner.transact_write(ops).await;
        self.count(r)
    }

    async fn write(&self, op: WriteOp) -> Result<(), StoreError> {
        let _turn = self.turn().await;
        self.note_op(&op);
        let r = self.inner.write(op).await;
        self.count(r)
    }

    async fn batch_write(&self, writes: Vec<BatchWrite>) -> Result<(), StoreError> {
        let _turn = self.turn().await;
        for write in &writes {
            match write.key() {
                Ok(key) => self.note_key(true, &key),
                Err(_) => self.note(true, "?", None),
            }
        }
        let r = self.inner.batch_write(writes).await;
        self.count(r)
    }

    fn round_trips(&self) -> &RoundTrips {
        self.inner.round_trips()
    }
}

// ---------------------------------------------------------------------------------------------
// Temp dir (removed on drop).
// ---------------------------------------------------------------------------------------------

/// A fresh directory under the system temp dir, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(prefix: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!(
            "{prefix}-{}",
            ulid::Ulid::new().to_string().to_lowercase()
        ));
        std::fs::create_dir_all(&path)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

// ---------------------------------------------------------------------------------------------
// DynamoDB (moto) environment.
// ---------------------------------------------------------------------------------------------

/// Panics (never skips) when the emulator environment is missing: these tests must never reach
/// real AWS, and a missing emulator must not pass silently.
pub fn require_emulator_env() {
    let hint = "start moto with `eval \"$(infra/moto.sh start)\"`, which exports \
                AWS_ENDPOINT_URL=http://127.0.0.1:5005 AWS_REGION=us-east-1 \
                AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test";
    assert!(
        std::env::var("AWS_ENDPOINT_URL").is_ok_and(|v| !v.trim().is_empty()),
        "AWS_ENDPOINT_URL is not set: the DynamoDB end-to-end tests need the moto emulator; {hint}"
    );
    assert!(
        std::env::var("AWS_REGION")
            .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
            .is_ok_and(|v| !v.is_empty()),
        "AWS_REGION is not set; {hint}"
    );
    for var in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] {
        assert!(
            std::env::var(var).is_ok_and(|v| !v.is_empty()),
            "{var} is not set; {hint}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The app.
// ---------------------------------------------------------------------------------------------

/// A running OMS on 127.0.0.1 with its handles. Dropping it stops the server and removes the
/// temp dir.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`
    pub base_url: String,
    pub http: reqwest::Client,
    /// The dev HS256 secret the server accepts.
    pub secret: String,
    pub backend: Backend,
    /// The repositories the server runs on (seed snapshots, read orders).
    pub store: Arc<dyn Store>,
    /// The item store below them (write counts, round trips).
    pub items: Arc<CountingStore>,
    /// The in-process sync queue (webhook events are applied by it).
    pub queue: InProcessQueue,
    /// The DynamoDB table name (Dynamo backend only).
    pub table: Option<String>,
    /// The server's clock: the machine's, moved ahead by `clock.advance(..)`.
    pub clock: Arc<ShiftedClock>,
    /// The use cases over `store` on the server's clock (the hold sweep, for one).
    pub oms: Oms,
    server: tokio::task::JoinHandle<()>,
    _dir: Option<TempDir>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Starts the OMS with a dev HS256 authenticator using a random secret.
pub async fn spawn_app(backend: Backend) -> TestApp {
    let secret = format!("e2e-secret-{}", ulid::Ulid::new());
    let auth = AuthConfig::dev_hs256(secret.clone().into_bytes());
    spawn_app_with(backend, auth, secret).await
}

/// Starts the OMS with the given authentication config (`secret` is what [`TestApp::token`]
/// signs with; irrelevant in JWKS mode).
pub async fn spawn_app_with(backend: Backend, auth: AuthConfig, secret: String) -> TestApp {
    // The real server runs on the machine's clock (tokens, signatures and event times below are
    // all relative to it, so the suite passes at any date); the store shares it.
    // `shifted` lets a test jump ahead (holds lapsing) without waiting.
    let shifted = Arc::new(ShiftedClock::default());
    let clock: Arc<dyn Clock> = shifted.clone();
    // The stores open through the one composition, as `oms serve` and `oms import` open them.
    let (choice, dir, table) = match backend {
        Backend::Embedded => {
            let dir = TempDir::new("oms-e2e");
            let choice = StoreChoice::Embedded(dir.path().to_path_buf());
            (choice, Some(dir), None)
        }
        Backend::Dynamo => {
            require_emulator_env();
            let table = format!("oms-e2e-{}", ulid::Ulid::new().to_string().to_lowercase());
            let choice = StoreChoice::Dynamo {
                table: table.clone(),
                endpoint: None,
                create: true,
            };
            (choice, None, Some(table))
        }
    };
    let raw = oms_runtime::open_store(&choice, clock.clone())
        .await
        .unwrap_or_else(|e| panic!("cannot open the {backend:?} store: {e}"));
    let items = Arc::new(CountingStore::new(raw, backend == Backend::Dynamo));
    let store: Arc<dyn Store> = Arc::new(Repository::new(items.clone()));
    seed(store.as_ref()).await;

    let authenticator =
        Authenticator::new(auth).unwrap_or_else(|e| panic!("auth config rejected: {e}"));
    let queue = in_process_queue(store.clone(), clock.clone());
    let oms = Oms::new(store.clone(), clock.clone(), Arc::new(NoPaymentGateway));
    let router = compose(Components {
        store: store.clone(),
        clock,
        payments: Arc::new(NoPaymentGateway),
        queue: Arc::new(queue.clone()),
        authenticator,
        options: SchemaOptions::default(),
        graphiql_token: None,
    });
    let (base_url, server) = serve(router).await;
    // Timeouts here only catch a hang, never judge speed: on DynamoDB (moto) the test store
    // passes one call at a time, so the last of the race suite's 100 concurrent requests waits
    // for all the others; on a loaded machine, under libfaketime (infra/test-future.sh slows
    // moto down about twofold), that took over a minute.
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(HANG_GUARD)
        .build()
        .unwrap_or_else(|e| panic!("http client: {e}"));
    TestApp {
        base_url,
        http,
        secret,
        backend,
        store,
        items,
        queue,
        table,
        clock: shifted,
        oms,
        server,
        _dir: dir,
    }
}

/// Serves `router` on 127.0.0.1 (a random port) until the handle is aborted: the base URL
/// (`http://127.0.0.1:<port>`) and the server's task.
pub async fn serve(router: axum::Router) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let addr = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("local addr: {e}"));
    let server = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            eprintln!("test server stopped: {e}");
        }
    });
    (format!("http://{addr}"), server)
}

/// `tenant`'s configuration (a new one when it has none), edited by `change` and stored.
pub async fn edit_tenant_config(
    store: &dyn Store,
    tenant: &TenantId,
    change: impl FnOnce(&mut TenantConfig),
) {
    let mut config = store
        .get_tenant_config(tenant)
        .await
        .unwrap_or_else(|e| panic!("tenant config: {e}"))
        .unwrap_or_else(|| TenantConfig::new(tenant.clone()));
    change(&mut config);
    store
        .put_tenant_config(&config)
        .await
        .unwrap_or_else(|e| panic!("tenant config: {e}"));
}

/// `tenant`'s secrets (new ones when it has none), edited by `change` and stored.
pub async fn edit_tenant_secrets(
    store: &dyn Store,
    tenant: &TenantId,
    change: impl FnOnce(&mut TenantSecrets),
) {
    let mut secrets = store
        .get_tenant_secrets(tenant)
        .await
        .unwrap_or_else(|e| panic!("tenant secrets: {e}"))
        .unwrap_or_else(|| TenantSecrets::new(tenant.clone()));
    change(&mut secrets);
    store
        .put_tenant_secrets(&secrets)
        .await
        .unwrap_or_else(|e| panic!("tenant secrets: {e}"));
}

/// Seeds `demo` and `other` (same ids, other prices and webhook secret).
async fn seed(store: &dyn Store) {
    demo::seed(store)
        .await
        .unwrap_or_else(|e| panic!("seeding the demo tenant: {e:#}"));
    let other = tenant(OTHER_TENANT);
    let mut secrets = TenantSecrets::new(other.clone());
    secrets.webhook_secrets = vec![OTHER_WEBHOOK_SECRET.to_string()];
    store
        .put_tenant_secrets(&secrets)
        .await
        .unwrap_or_else(|e| panic!("tenant secrets: {e}"));
    store
        .put_tenant_config(&TenantConfig::new(other.clone()))
        .await
        .unwrap_or_else(|e| panic!("tenant config: {e}"));
    for write in demo::snapshots().unwrap_or_else(|e| panic!("demo snapshots: {e:#}")) {
        let write = match write {
            SnapshotWrite::Product(mut p) => {
                let price = OTHER_PRICES
                    .iter()
                    .find(|(sku, _)| *sku == p.sku.as_str())
                    .map(|(_, price)| *price)
                    .unwrap_or_else(|| panic!("no price of {} for tenant other", p.sku.as_str()));
                p.price = sgd(price);
                SnapshotWrite::Product(p)
            }
            other => other,
        };
        store
            .apply_snapshot(&other, write, 1)
            .await
            .unwrap_or_else(|e| panic!("seeding tenant other: {e}"));
    }
}

pub fn tenant(id: &str) -> TenantId {
    TenantId::new(id).unwrap_or_else(|e| panic!("tenant id {id}: {e}"))
}

pub fn sgd(amount: &str) -> Money {
    Money::parse(amount, Currency::SGD).unwrap_or_else(|e| panic!("money {amount}: {e}"))
}

/// A product of `v-demo` (0.5 kg, taxable, active).
pub fn product(sku: &str, price: Money, stock: i64) -> Product {
    Product {
        product_id: ProductId::new(&format!("p-{}", sku.to_lowercase()))
            .unwrap_or_else(|e| panic!("{e}")),
        vendor_id: VendorId::new(VENDOR).unwrap_or_else(|e| panic!("{e}")),
        sku: Sku::new(sku).unwrap_or_else(|e| panic!("{e}")),
        name: format!("Product {sku}"),
        category: None,
        options: Default::default(),
        price,
        stock,
        package: Package {
            weight_kg: "0.5".parse().unwrap_or_default(),
            dimensions_cm: [10, 10, 10],
        },
        is_active: true,
        is_taxable: true,
    }
}

/// An active coupon `code` of `v-demo` on the offer of WELCOME10 (`o-welcome10`, 10 % off),
/// without limits, dates or a minimum subtotal.
pub fn demo_coupon(code: &str) -> Coupon {
    Coupon {
        vendor_id: VendorId::new(VENDOR).unwrap_or_else(|e| panic!("{e}")),
        code: CouponCode::new(code).unwrap_or_else(|e| panic!("coupon code {code}: {e}")),
        offer_id: OfferId::new("o-welcome10").unwrap_or_else(|e| panic!("{e}")),
        starts_at: None,
        ends_at: None,
        is_active: true,
        usage_limit: None,
        per_customer_limit: None,
        minimum_subtotal: None,
    }
}

pub fn country(code: &str) -> Country {
    Country::parse(code).unwrap_or_else(|e| panic!("{e}"))
}

/// A GraphQL response (status and JSON body).
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl TestApp {
    pub fn graphql_url(&self) -> String {
        format!("{}/graphql", self.base_url)
    }

    /// POSTs a GraphQL request with this `Authorization` header value (or none).
    pub async fn post_graphql(&self, authorization: Option<&str>, body: &Value) -> Reply {
        let mut request = self.http.post(self.graphql_url()).json(body);
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST /graphql: {e}"));
        let status = response.status().as_u16();
        let text = response
            .text()
            .await
            .unwrap_or_else(|e| panic!("reading the body: {e}"));
        let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
        Reply { status, body }
    }

    /// `query` with `variables` as `Bearer token`; asserts HTTP 200 and returns the whole body
    /// (`data` and possibly `errors`).
    pub async fn gql(&self, token: &str, query: &str, variables: Value) -> Value {
        let reply = self
            .post_graphql(
                Some(&format!("Bearer {token}")),
                &json!({"query": query, "variables": variables}),
            )
            .await;
        assert_eq!(
            reply.status, 200,
            "GraphQL answered HTTP {}: {}",
            reply.status, reply.body
        );
        reply.body
    }

    /// Like [`TestApp::gql`] but asserts there are no top-level errors and returns `data`.
    pub async fn gql_data(&self, token: &str, query: &str, variables: Value) -> Value {
        let body = self.gql(token, query, variables).await;
        assert!(
            body.get("errors").is_none_or(Value::is_null),
            "unexpected top-level errors: {body}"
        );
        body["data"].clone()
    }

    /// A dev token the server accepts (1 hour from the server's now).
    pub fn token(&self, tenant: &str, sub: &str, roles: &[Role], vendor: Option<&str>) -> String {
        let vendor = vendor.map(|v| VendorId::new(v).unwrap_or_else(|e| panic!("{e}")));
        oms_auth::issue_dev_token(
            self.secret.as_bytes(),
            &crate::tenant(tenant),
            &CustomerId::new(sub).unwrap_or_else(|e| panic!("{e}")),
            roles,
            vendor.as_ref(),
            Duration::from_secs(3600),
            self.clock.now(),
        )
    }

    /// `c-demo` of tenant demo.
    pub fn customer_token(&self) -> String {
        self.token(TENANT, CUSTOMER, &[Role::Customer], None)
    }

    /// The vendor user of `v-demo` (as `oms serve --demo` prints it).
    pub fn vendor_token(&self) -> String {
        self.token(TENANT, VENDOR_USER, &[Role::Vendor], Some(VENDOR))
    }

    /// Runs `name(input: $input)` (input type `<Name>Input`) and returns its payload
    /// (`order { ORDER_FIELDS } userErrors { code field message }`).
    pub async fn mutate(&self, token: &str, name: &str, input: Value) -> Value {
        let mut chars = name.chars();
        let type_name = match chars.next() {
            Some(c) => format!("{}{}Input", c.to_ascii_uppercase(), chars.as_str()),
            None => panic!("empty mutation name"),
        };
        let query = format!(
            "mutation($input: {type_name}!) {{ {name}(input: $input) {{ order {{ {ORDER_FIELDS} }} userErrors {{ code field message }} }} }}"
        );
        let data = self
            .gql_data(token, &query, json!({ "input": input }))
            .await;
        data[name].clone()
    }

    /// `getOrder` (null when not visible).
    pub async fn get_order(&self, token: &str, order_id: &str) -> Value {
        let query = format!("query($id: ID!) {{ getOrder(orderId: $id) {{ {ORDER_FIELDS} }} }}");
        self.gql_data(token, &query, json!({ "id": order_id }))
            .await["getOrder"]
            .clone()
    }

    /// `listOrders(as:, status:)`: the nodes of the first page of 20 (asserting it is the only
    /// page; 20 fully selected orders stay under the complexity limit).
    pub async fn list_orders(&self, token: &str, role: &str, status: Option<&str>) -> Vec<Value> {
        let query = format!(
            "query($as: Role!, $status: OrderStatus) {{ listOrders(as: $as, status: $status, first: 20) {{ edges {{ cursor node {{ {ORDER_FIELDS} }} }} pageInfo {{ hasNextPage endCursor }} }} }}"
        );
        let data = self
            .gql_data(token, &query, json!({ "as": role, "status": status }))
            .await;
        assert_eq!(
            data["listOrders"]["pageInfo"]["hasNextPage"], false,
            "more than one page of orders: {data}"
        );
        data["listOrders"]["edges"]
            .as_array()
            .unwrap_or_else(|| panic!("no edges: {data}"))
            .iter()
            .map(|e| e["node"].clone())
            .collect()
    }

    /// A DRAFT order of `items` from `v-demo` (shipping to Singapore when `destination`).
    pub async fn checkout(&self, token: &str, items: &[(&str, i64)], destination: bool) -> Value {
        let items: Vec<Value> = items
            .iter()
            .map(|(sku, q)| json!({"sku": sku, "quantity": q}))
            .collect();
        let mut input = json!({"vendorId": VENDOR, "items": items});
        if destination {
            input["destination"] = singapore();
        }
        ok(self.mutate(token, "checkoutItems", input).await)
    }

    /// checkout + destination + STANDARD shipping + placeOrder: a PENDING order.
    pub async fn pending_order(&self, token: &str, items: &[(&str, i64)]) -> Value {
        let order = self.checkout(token, items, true).await;
        let id = order["id"].as_str().unwrap_or_default().to_string();
        ok(self
            .mutate(
                token,
                "selectShippingOption",
                json!({"orderId": id, "method": "STANDARD"}),
            )
            .await);
        ok(self
            .mutate(token, "placeOrder", json!({"orderId": id}))
            .await)
    }

    /// [`TestApp::pending_order`], then confirmOrder with cash on delivery: the CONFIRMED order.
    pub async fn confirmed_order(&self, token: &str, items: &[(&str, i64)]) -> Value {
        let id = id_of(&self.pending_order(token, items).await);
        ok(self
            .mutate(
                token,
                "confirmOrder",
                json!({"orderId": id, "paymentMethod": "CASH_ON_DELIVERY"}),
            )
            .await)
    }

    /// Applies a snapshot directly (as an upstream event would), asserting it was applied.
    pub async fn apply(&self, tenant_id: &str, write: SnapshotWrite, version: u64) {
        let outcome = self
            .store
            .apply_snapshot(&tenant(tenant_id), write, version)
            .await
            .unwrap_or_else(|e| panic!("apply_snapshot: {e}"));
        assert_eq!(
            outcome,
            oms_application::ports::ApplyOutcome::Applied,
            "snapshot not applied (stale version?)"
        );
    }

    /// Successful write calls on the item store so far.
    pub fn writes(&self) -> u64 {
        self.items.writes()
    }

    /// Backend round trips so far.
    pub fn round_trips(&self) -> u64 {
        self.items.round_trips().snapshot()
    }

    /// Waits until the in-process queue has applied every accepted webhook event (at most
    /// [`HANG_GUARD`]: a guard against a hang, not a speed check).
    pub async fn wait_idle(&self) {
        tokio::time::timeout(HANG_GUARD, self.queue.wait_idle())
            .await
            .unwrap_or_else(|_| panic!("the sync queue did not become idle within {HANG_GUARD:?}"));
        assert!(
            self.queue.dead_letters().is_empty(),
            "dead letters: {:?}",
            self.queue.dead_letters()
        );
    }

    /// POSTs a signed webhook (`Oms-Signature` with `secret` at the current time).
    pub async fn post_webhook(
        &self,
        tenant: &str,
        kind: &str,
        body: &Value,
        secret: &str,
    ) -> Reply {
        let raw = serde_json::to_vec(body).unwrap_or_else(|e| panic!("{e}"));
        let signature = sign(secret, &raw);
        self.post_webhook_raw(tenant, kind, raw, Some(&signature))
            .await
    }

    /// POSTs raw bytes to `/webhooks/{tenant}/{kind}` with an optional `Oms-Signature`.
    pub async fn post_webhook_raw(
        &self,
        tenant: &str,
        kind: &str,
        raw: Vec<u8>,
        signature: Option<&str>,
    ) -> Reply {
        let mut request = self
            .http
            .post(format!("{}/webhooks/{tenant}/{kind}", self.base_url))
            .header("content-type", "application/json")
            .body(raw);
        if let Some(sig) = signature {
            request = request.header("oms-signature", sig);
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST webhook: {e}"));
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Reply { status, body }
    }
}

/// `Oms-Signature` for `raw` signed with `secret` now.
pub fn sign(secret: &str, raw: &[u8]) -> String {
    oms_sync::signature::oms::sign(secret, chrono::Utc::now().timestamp(), raw)
}

/// A webhook envelope (docs/sync.md §3).
pub fn event(id: &str, event_type: &str, tenant: &str, version: u64, data: Value) -> Value {
    json!({
        "id": id,
        "type": event_type,
        "tenant_id": tenant,
        "version": version,
        "occurred_at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "data": data,
    })
}

/// `data` of a `vendor_product.upserted` event for a product of `v-demo`.
pub fn product_data(product_id: &str, sku: &str, price: &str, stock: i64) -> Value {
    json!({
        "product_id": product_id, "vendor_id": VENDOR, "product_sku": sku,
        "product_name": format!("Product {sku}"), "product_price": price, "product_currency": "SGD",
        "stock": stock, "package_weight": "1.0", "package_length": 30,
        "package_width": 20, "package_height": 5
    })
}

/// An order id no tenant has: what someone else's order must look like.
pub const MISSING_ORDER: &str = "ORD-01J0000000000000000000MISS";

/// Every order mutation (every Mutation field taking an `orderId`) with a valid-looking input
/// for `id`.
pub fn order_mutation_inputs(id: &str) -> Vec<(&'static str, Value)> {
    vec![
        (
            "addLineItems",
            json!({"orderId": id, "items": [{"sku": "MUG-01", "quantity": 1}]}),
        ),
        (
            "removeLineItems",
            json!({"orderId": id, "skus": ["T-SHIRT-L"]}),
        ),
        (
            "changeOrderQuantity",
            json!({"orderId": id, "sku": "T-SHIRT-L", "quantity": 2}),
        ),
        (
            "changeDestination",
            json!({"orderId": id, "destination": singapore()}),
        ),
        ("addCoupon", json!({"orderId": id, "code": "WELCOME10"})),
        ("removeCoupon", json!({"orderId": id, "code": "WELCOME10"})),
        (
            "selectShippingOption",
            json!({"orderId": id, "method": "STANDARD"}),
        ),
        ("placeOrder", json!({"orderId": id})),
        (
            "confirmOrder",
            json!({"orderId": id, "paymentMethod": "CASH_ON_DELIVERY"}),
        ),
        ("cancelOrder", json!({"orderId": id, "reason": "not mine"})),
        ("markAsShipped", json!({"orderId": id})),
        (
            "addShippingTrackingReference",
            json!({"orderId": id, "trackingReference": "https://track.example.com/1"}),
        ),
        ("markAsCompleted", json!({"orderId": id})),
    ]
}

/// The order of a successful payload; panics with the userErrors otherwise.
pub fn ok(payload: Value) -> Value {
    let errors = &payload["userErrors"];
    assert!(
        errors.as_array().is_some_and(Vec::is_empty),
        "expected success, got userErrors: {payload}"
    );
    assert!(
        payload["order"].is_object(),
        "no order in the payload: {payload}"
    );
    payload["order"].clone()
}

/// Asserts the payload failed with exactly one user error `code` at `field` (None = null) and
/// no order; returns the message.
pub fn user_error(payload: &Value, code: &str, field: Option<&[&str]>) -> String {
    let errors = payload["userErrors"]
        .as_array()
        .unwrap_or_else(|| panic!("no userErrors: {payload}"));
    assert_eq!(errors.len(), 1, "expected one user error, got: {payload}");
    let error = &errors[0];
    assert_eq!(error["code"], code, "wrong code: {payload}");
    let expected = match field {
        Some(path) => json!(path),
        None => Value::Null,
    };
    assert_eq!(error["field"], expected, "wrong field: {payload}");
    assert!(
        payload["order"].is_null(),
        "a failed mutation must not return an order: {payload}"
    );
    let message = error["message"].as_str().unwrap_or_default().to_string();
    assert!(!message.is_empty(), "empty message: {payload}");
    message
}

/// The top-level error code of a response (`errors[0].extensions.code`), asserting `data` has no
/// result for the failed field.
pub fn top_level_code(body: &Value) -> String {
    let errors = body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("expected top-level errors: {body}"));
    assert!(!errors.is_empty(), "expected top-level errors: {body}");
    errors[0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no extensions.code: {body}"))
        .to_string()
}

pub fn id_of(order: &Value) -> String {
    order["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no order id: {order}"))
        .to_string()
}

pub fn version_of(order: &Value) -> i64 {
    order["version"]
        .as_i64()
        .unwrap_or_else(|| panic!("no version: {order}"))
}
