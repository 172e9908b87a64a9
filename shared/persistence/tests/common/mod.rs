//! Fixtures shared by the persistence conformance suite on every backend: a [`World`] (the
//! repositories and the use cases over one store), two seeded tenants with the SAME vendor, SKU and
//! customer ids, a pinned clock, callers, and small helpers to read items back through the store.
//!
//! Seeding goes through the real write path (`SyncRepository::apply_snapshot`,
//! `TenantRepository::put_tenant_config`), never through hand-made items.

use std::any::Any;
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use oms_application::caller::Caller;
use oms_application::error::{AppError, AppResult};
use oms_application::ports::{
    ApplyOutcome, Clock, ManualClock, NoPaymentGateway, SnapshotWrite, SyncRepository,
    TenantRepository,
};
use oms_application::records::{PaymentEventStatus, PaymentRecord, TenantConfig, TenantSecrets};
use oms_application::usecases::{AddressInput, CheckoutInput, DraftChange, ItemInput};
use oms_application::Oms;
use oms_domain::address::Address;
use oms_domain::auth::Role;
use oms_domain::catalog::{
    Coupon, Offer, OfferConditions, OfferKind, Package, Product, ShippingConditions,
    ShippingMethod, ShippingOptionRule, Vendor,
};
use oms_domain::ids::{
    CouponCode, CustomerId, OfferId, OrderId, ProductId, Sku, TenantId, VendorId,
};
use oms_domain::money::{Currency, Money};
use oms_domain::order::{Order, OrderStatus, PaymentMethod};
use oms_domain::pricing::TaxTable;
use oms_domain::{DomainError, ErrorCode};
use oms_persistence::stock::StockCounters;
use oms_persistence::{codec, keys, Repository};
use oms_store::{
    BatchWrite, Item, ItemStore, Key, Page, QueryRequest, RoundTrips, StoreError, Value, WriteOp,
};
use rust_decimal::Decimal;

/// Tenant A: GST 9 % (the default tax table), cheap prices.
pub const A: &str = "tenant-a";
/// Tenant B: the SAME vendor, SKU and customer ids as A, other prices and stock, no tax.
pub const B: &str = "tenant-b";
/// The vendor id both tenants use.
pub const VENDOR: &str = "v-1";
/// Customer ids both tenants use.
pub const C1: &str = "c-1";
pub const C2: &str = "c-2";

/// What a backend factory hands the suite: the store, plus anything that must live as long as
/// the test (a temporary database file).
pub struct Backend {
    pub store: Arc<dyn ItemStore>,
    pub keep: Option<Box<dyn Any + Send + Sync>>,
}

impl Backend {
    pub fn new(store: Arc<dyn ItemStore>) -> Self {
        Backend { store, keep: None }
    }
}

/// Where every world's clock starts: 2026-03-03 09:00:00 UTC, deliberately in the past. The
/// store judges TTL by the same clock as the use cases, so a pinned past instant is as good as
/// any other: no test here compares a pinned date with the machine's clock.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 3, 9, 0, 0).single().unwrap()
}

/// A fresh clock at [`t0`], to hand to the backend factory and then to [`World::new`].
pub fn test_clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(t0()))
}

/// A transparent store wrapper that can slip writes in right before the next transaction: "the
/// world changed between the use case's read and its commit" (another request took the stock,
/// deactivated the product, claimed the payment, changed the order), deterministically.
pub struct Interposer {
    inner: Arc<dyn ItemStore>,
    pending: Mutex<Vec<WriteOp>>,
    /// When set, the next transactions wait here until all of them have arrived: "several
    /// requests read the same state, then all commit", deterministically.
    commit_barrier: Mutex<Option<(Arc<tokio::sync::Barrier>, usize)>>,
    /// When set, the next `transact_write` fails with this error and writes nothing: "the store
    /// stayed contended after its retries" (a conflict, throttling, a busy database).
    fail_next: Mutex<Option<StoreError>>,
    /// When set, the next read (`get`, `batch_get`, `query`) fails with this error: "the store
    /// kept throttling the read after its retries".
    fail_next_read: Mutex<Option<(usize, StoreError)>>,
    /// Writes applied just before the next single `write` (not a transaction): "another writer
    /// changed the item between this request's read and its conditional write".
    pending_before_write: Mutex<Vec<WriteOp>>,
}

impl Interposer {
    /// The next `transact_write` returns `error` without writing anything.
    pub fn fail_next_transaction(&self, error: StoreError) {
        *self.fail_next.lock().unwrap() = Some(error);
    }

    /// `ops` are applied (each as a single write) just before the next single `write`.
    pub fn before_next_write(&self, ops: Vec<WriteOp>) {
        self.pending_before_write.lock().unwrap().extend(ops);
    }

    /// The next read (`get`, `batch_get` or `query`) returns `error` without reading.
    pub fn fail_next_read(&self, error: StoreError) {
        self.fail_next_read_after(0, error);
    }

    /// The read after the next `skip` reads returns `error` without reading.
    pub fn fail_next_read_after(&self, skip: usize, error: StoreError) {
        *self.fail_next_read.lock().unwrap() = Some((skip, error));
    }

    fn read_failure(&self) -> Result<(), StoreError> {
        let mut next = self.fail_next_read.lock().unwrap();
        match next.take() {
            Some((0, error)) => Err(error),
            Some((skip, error)) => {
                *next = Some((skip - 1, error));
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// The next `n` transactions wait for one another before they are sent (then the backend
    /// decides the order).
    pub fn hold_transactions_until(&self, n: usize) {
        *self.commit_barrier.lock().unwrap() = Some((Arc::new(tokio::sync::Barrier::new(n)), n));
    }

    /// `ops` are applied (each as a single write) just before the next `transact_write`.
    pub fn before_next_transaction(&self, ops: Vec<WriteOp>) {
        self.pending.lock().unwrap().extend(ops);
    }
}

#[async_trait]
impl ItemStore for Interposer {
    async fn get(&self, key: &Key, consistent: bool) -> Result<Option<Item>, StoreError> {
        self.read_failure()?;
        self.inner.get(key, consistent).await
    }

    async fn batch_get(&self, keys: &[Key], consistent: bool) -> Result<Vec<Item>, StoreError> {
        self.read_failure()?;
        self.inner.batch_get(keys, consistent).await
    }

    async fn query(&self, req: QueryRequest) -> Result<Page, StoreError> {
        self.read_failure()?;
        self.inner.query(req).await
    }

    async fn transact_write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        let barrier = {
            let mut held = self.commit_barrier.lock().unwrap();
            let barrier = held.as_ref().map(|(b, _)| b.clone());
            if let Some((_, left)) = held.as_mut() {
                *left -= 1;
                if *left == 0 {
                    *held = None;
                }
            }
            barrier
        };
        if let Some(barrier) = barrier {
            barrier.wait().await;
        }
        if let Some(error) = self.fail_next.lock().unwrap().take() {
            return Err(error);
        }
        let pending = std::mem::take(&mut *self.pending.lock().unwrap());
        for op in pending {
            self.inner
                .write(op.clone())
                .await
                .unwrap_or_else(|e| panic!("interposed write {op:?} failed: {e:?}"));
        }
        self.inner.transact_write(ops).await
    }

    async fn write(&self, op: WriteOp) -> Result<(), StoreError> {
        let pending = std::mem::take(&mut *self.pending_before_write.lock().unwrap());
        for before in pending {
            self.inner
                .write(before.clone())
                .await
                .unwrap_or_else(|e| panic!("interposed write {before:?} failed: {e:?}"));
        }
        self.inner.write(op).await
    }

    async fn batch_write(&self, writes: Vec<BatchWrite>) -> Result<(), StoreError> {
        self.inner.batch_write(writes).await
    }

    fn round_trips(&self) -> &RoundTrips {
        self.inner.round_trips()
    }
}

/// The repositories and the use cases over one store, with both tenants seeded.
pub struct World {
    pub store: Arc<Interposer>,
    pub repo: Repository,
    pub oms: Oms,
    pub clock: Arc<ManualClock>,
    _keep: Option<Box<dyn Any + Send + Sync>>,
}

pub fn tenant(t: &str) -> TenantId {
    TenantId::new(t).unwrap()
}

pub fn vendor_id() -> VendorId {
    VendorId::new(VENDOR).unwrap()
}

pub fn sku(s: &str) -> Sku {
    Sku::new(s).unwrap()
}

pub fn code(c: &str) -> CouponCode {
    CouponCode::new(c).unwrap()
}

pub fn customer_id(c: &str) -> CustomerId {
    CustomerId::new(c).unwrap()
}

pub fn sgd(minor: i64) -> Money {
    Money::from_minor(minor, Currency::SGD)
}

/// A customer of `t` (token role CUSTOMER, `sub` = customer id).
pub fn customer(t: &str, sub: &str) -> Caller {
    Caller {
        tenant: tenant(t),
        sub: customer_id(sub),
        roles: vec![Role::Customer],
        vendor_id: None,
        email: Some(format!("{sub}@example.com")),
        given_name: Some("Ada".into()),
        family_name: Some("Lovelace".into()),
        name: None,
        request_id: format!("req-{t}-{sub}"),
    }
}

/// A user acting for vendor `v` of `t` (token role VENDOR with the `vendor_id` claim).
pub fn vendor(t: &str, v: &str) -> Caller {
    Caller {
        tenant: tenant(t),
        sub: customer_id(&format!("vendor-user-{v}")),
        roles: vec![Role::Vendor],
        vendor_id: Some(VendorId::new(v).unwrap()),
        email: None,
        given_name: None,
        family_name: None,
        name: None,
        request_id: format!("req-{t}-vendor-{v}"),
    }
}

/// One catalog line of a tenant: SKU, price in cents, stock.
pub struct Stocked(pub &'static str, pub i64, pub i64);

/// What one tenant is seeded with.
pub struct TenantSeed {
    pub tenant: &'static str,
    pub products: Vec<Stocked>,
    pub standard_cents: i64,
    pub express_cents: i64,
    /// Percent off of the coupon offer `o-save10`.
    pub coupon_percent: &'static str,
    pub tax: Option<TaxTable>,
    /// Coupon codes only this tenant has (besides SAVE10, LIMITED3, ONCE).
    pub extra_coupons: Vec<&'static str>,
}

impl TenantSeed {
    pub fn a() -> Self {
        TenantSeed {
            tenant: A,
            products: vec![
                Stocked("TSHIRT", 1000, 100),
                Stocked("MUG", 750, 5),
                Stocked("CAP", 1200, 50),
                Stocked("POSTER", 300, 1),
            ],
            standard_cents: 500,
            express_cents: 2000,
            coupon_percent: "10",
            tax: None,
            extra_coupons: vec![],
        }
    }

    pub fn b() -> Self {
        TenantSeed {
            tenant: B,
            products: vec![
                Stocked("TSHIRT", 9900, 7),
                Stocked("MUG", 100, 500),
                Stocked("CAP", 200, 2),
                Stocked("POSTER", 400, 9),
                Stocked("B-ONLY", 100, 10),
            ],
            standard_cents: 800,
            express_cents: 3000,
            coupon_percent: "50",
            tax: Some(TaxTable { rules: vec![] }),
            extra_coupons: vec!["BCODE"],
        }
    }
}

pub fn product(s: &str, price_cents: i64, stock: i64) -> Product {
    Product {
        product_id: ProductId::new(&format!("p-{s}")).unwrap(),
        vendor_id: vendor_id(),
        sku: sku(s),
        name: format!("{s} product"),
        category: Some("Things".into()),
        options: BTreeMap::from([("Size".to_string(), "M".to_string())]),
        price: sgd(price_cents),
        stock,
        package: Package {
            weight_kg: Decimal::ONE,
            dimensions_cm: [10, 10, 10],
        },
        is_active: true,
        is_taxable: true,
    }
}

pub fn the_vendor(name: &str) -> Vendor {
    Vendor {
        vendor_id: vendor_id(),
        name: name.into(),
        country: sg_address().country,
        is_active: true,
    }
}

pub fn offer(id: &str, name: &str, percent: &str) -> Offer {
    Offer {
        offer_id: OfferId::new(id).unwrap(),
        vendor_id: vendor_id(),
        name: name.into(),
        kind: OfferKind::CouponDiscount,
        discount_value: Decimal::from_str(percent).unwrap(),
        conditions: OfferConditions::default(),
        required_coupon: true,
        stackable: true,
        priority: 1,
        starts_at: None,
        ends_at: None,
        is_active: true,
    }
}

/// A coupon unlocking `o-save10`. The code is given in mixed case on purpose (codes are
/// case-insensitive; `CouponCode` canonicalises to upper case).
pub fn coupon(c: &str, usage_limit: Option<u32>, per_customer_limit: Option<u32>) -> Coupon {
    Coupon {
        vendor_id: vendor_id(),
        code: CouponCode::new(&c.to_lowercase()).unwrap(),
        offer_id: OfferId::new("o-save10").unwrap(),
        starts_at: None,
        ends_at: None,
        is_active: true,
        usage_limit,
        per_customer_limit,
        minimum_subtotal: None,
    }
}

pub fn shipping(method: ShippingMethod, cents: i64) -> ShippingOptionRule {
    ShippingOptionRule {
        vendor_id: vendor_id(),
        method,
        delivery_time: "2-3 Days".into(),
        base_cost: sgd(cents),
        flat_rate: sgd(0),
        conditions: ShippingConditions {
            max_weight: Some(Decimal::from(30)),
            ..ShippingConditions::default()
        },
        is_active: true,
    }
}

pub fn sg_address() -> Address {
    Address::new("1 Main St", "Singapore", None, "018956", "SG").unwrap()
}

pub fn sg_address_input() -> AddressInput {
    AddressInput {
        street: "1 Main St".into(),
        city: "Singapore".into(),
        state: None,
        postal: "018956".into(),
        country: "SG".into(),
    }
}

pub fn lines(wanted: &[(&str, i64)]) -> Vec<ItemInput> {
    wanted
        .iter()
        .map(|(s, q)| ItemInput {
            sku: (*s).to_string(),
            quantity: *q,
        })
        .collect()
}

/// checkoutItems input: vendor v-1, the given lines, a Singapore destination.
pub fn checkout_input(wanted: &[(&str, i64)]) -> CheckoutInput {
    CheckoutInput {
        vendor_id: VENDOR.into(),
        items: lines(wanted),
        customer: None,
        destination: Some(sg_address_input()),
        save_destination: false,
        idempotency_key: None,
    }
}

/// A payment event as the provider reports it (succeeded, PayPal).
pub fn paypal_payment(txn: &str, order: &Order, amount: Money) -> PaymentRecord {
    PaymentRecord {
        transaction_id: txn.into(),
        order_id: order.id.clone(),
        method: PaymentMethod::Paypal,
        amount,
        status: PaymentEventStatus::Succeeded,
        refunded_amount: None,
        claimed_by: None,
    }
}

/// The user error of a use case result (panics on success or on an infrastructure error).
pub fn user_error<T: Debug>(result: AppResult<T>) -> DomainError {
    match result {
        Err(AppError::User(e)) => e,
        other => panic!("expected a user error, got {other:?}"),
    }
}

/// Asserts a user error's code and field path.
pub fn assert_user_error<T: Debug>(result: AppResult<T>, code: ErrorCode, field: Option<&[&str]>) {
    let e = user_error(result);
    assert_eq!(e.code, code, "{e:?}");
    let field = field.map(|f| f.iter().map(|s| (*s).to_string()).collect::<Vec<_>>());
    assert_eq!(e.field, field, "{e:?}");
}

pub fn ok<T, E: Debug>(result: Result<T, E>) -> T {
    result.unwrap_or_else(|e| panic!("unexpected error: {e:?}"))
}

impl World {
    /// A world over `backend` (whose store was built with `clock`) with both tenants seeded.
    pub async fn seeded(backend: Backend, clock: Arc<ManualClock>) -> World {
        let world = World::new(backend, clock);
        world.seed(TenantSeed::a()).await;
        world.seed(TenantSeed::b()).await;
        world
    }

    pub fn new(backend: Backend, clock: Arc<ManualClock>) -> World {
        let store = Arc::new(Interposer {
            inner: backend.store,
            pending: Mutex::new(Vec::new()),
            commit_barrier: Mutex::new(None),
            fail_next: Mutex::new(None),
            fail_next_read: Mutex::new(None),
            pending_before_write: Mutex::new(Vec::new()),
        });
        let repo = Repository::new(Arc::clone(&store) as Arc<dyn ItemStore>);
        let oms = Oms::new(
            Arc::new(repo.clone()),
            Arc::clone(&clock) as Arc<dyn Clock>,
            Arc::new(NoPaymentGateway),
        );
        World {
            store,
            repo,
            oms,
            clock,
            _keep: backend.keep,
        }
    }

    /// Seeds one tenant through the sync write path, every snapshot at version 1.
    pub async fn seed(&self, seed: TenantSeed) {
        let t = tenant(seed.tenant);
        let mut writes = vec![SnapshotWrite::Vendor(the_vendor("Vendor One"))];
        for Stocked(s, price, stock) in &seed.products {
            writes.push(SnapshotWrite::Product(product(s, *price, *stock)));
        }
        writes.push(SnapshotWrite::Offer(offer(
            "o-save10",
            "Coupon discount",
            seed.coupon_percent,
        )));
        writes.push(SnapshotWrite::Coupon(coupon("Save10", None, None)));
        writes.push(SnapshotWrite::Coupon(coupon("Limited3", Some(3), None)));
        writes.push(SnapshotWrite::Coupon(coupon("Once", None, Some(1))));
        for c in &seed.extra_coupons {
            writes.push(SnapshotWrite::Coupon(coupon(c, None, None)));
        }
        writes.push(SnapshotWrite::ShippingOption(shipping(
            ShippingMethod::Standard,
            seed.standard_cents,
        )));
        writes.push(SnapshotWrite::ShippingOption(shipping(
            ShippingMethod::Express,
            seed.express_cents,
        )));
        for write in writes {
            let outcome = ok(self.repo.apply_snapshot(&t, write.clone(), 1).await);
            assert_eq!(outcome, ApplyOutcome::Applied, "seeding {write:?}");
        }
        let mut config = TenantConfig::new(t.clone());
        config.tax_table = seed.tax;
        ok(self.repo.put_tenant_config(&config).await);
        let mut secrets = TenantSecrets::new(t.clone());
        secrets.webhook_secrets = vec![format!("secret-of-{}", seed.tenant)];
        ok(self.repo.put_tenant_secrets(&secrets).await);
    }

    /// Round trips so far (take before an operation, compare with [`World::since`]).
    pub fn rt(&self) -> u64 {
        self.store.round_trips().snapshot()
    }

    pub fn since(&self, before: u64) -> u64 {
        self.store.round_trips().since(before)
    }

    /// Slips `ops` in right before the next transaction (see [`Interposer`]).
    pub fn before_next_transaction(&self, ops: Vec<WriteOp>) {
        self.store.before_next_transaction(ops);
    }

    /// Slips `ops` in right before the next single write (see [`Interposer`]).
    pub fn before_next_write(&self, ops: Vec<WriteOp>) {
        self.store.before_next_write(ops);
    }

    /// The raw item under `key` (strongly consistent).
    pub async fn item(&self, key: &Key) -> Option<Item> {
        ok(self.store.get(key, true).await)
    }

    /// The units of `s` available to sell: its stock item's `available` (asserted to equal
    /// `on_hand − held − shipped`).
    pub async fn stock(&self, t: &str, s: &str) -> i64 {
        let counters = self.counters(t, s).await;
        let item = self
            .item(&keys::stock(&tenant(t), &vendor_id(), &sku(s)))
            .await
            .unwrap_or_default();
        let available = codec::number(&item, oms_persistence::stock::AVAILABLE);
        assert_eq!(
            available,
            Some(counters.available()),
            "{t} {s}: available = on_hand - held - shipped"
        );
        counters.available()
    }

    /// The stock counters of `s` (its stock item).
    pub async fn counters(&self, t: &str, s: &str) -> StockCounters {
        let item = self
            .item(&keys::stock(&tenant(t), &vendor_id(), &sku(s)))
            .await
            .unwrap_or_else(|| panic!("no stock item for {s} in {t}"));
        ok(StockCounters::from_item(&item))
    }

    /// The global `used` counter of a coupon (0 when never redeemed).
    pub async fn coupon_used(&self, t: &str, c: &str) -> i64 {
        let item = self
            .item(&keys::coupon(&tenant(t), &vendor_id(), &code(c)))
            .await;
        let item = item.unwrap_or_else(|| panic!("no coupon {c} in {t}"));
        codec::number(&item, codec::USED).unwrap_or(0)
    }

    /// One customer's `used` counter of a coupon (0 when absent).
    pub async fn customer_coupon_used(&self, t: &str, c: &str, customer: &str) -> i64 {
        let key = keys::coupon_use(&tenant(t), &vendor_id(), &code(c), &customer_id(customer));
        self.item(&key)
            .await
            .and_then(|i| codec::number(&i, codec::USED))
            .unwrap_or(0)
    }

    /// The order as stored (through the repository port).
    pub async fn stored_order(&self, t: &str, id: &OrderId) -> Order {
        use oms_application::ports::OrderRepository;
        ok(self.repo.get_order(&tenant(t), id).await)
            .unwrap_or_else(|| panic!("order {id} not stored in {t}"))
    }

    /// The outbox envelopes written for `order` at `version`, in event order (read back through
    /// the store with the key from `keys::outbox`).
    pub async fn outbox(&self, t: &str, order: &OrderId, version: u64) -> Vec<serde_json::Value> {
        let mut envelopes = Vec::new();
        for i in 0.. {
            let key = keys::outbox(&tenant(t), order, version, i);
            let Some(item) = self.item(&key).await else {
                break;
            };
            assert_eq!(codec::string(&item, codec::ENTITY), Some("OutboxEvent"));
            let body = codec::string(&item, codec::BODY).unwrap_or_default();
            envelopes.push(serde_json::from_str(body).unwrap());
        }
        envelopes
    }

    /// The event types of the outbox envelopes of `order` at `version`.
    pub async fn outbox_types(&self, t: &str, order: &OrderId, version: u64) -> Vec<String> {
        self.outbox(t, order, version)
            .await
            .iter()
            .map(|e| e["type"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// Applies a newer snapshot and expects it to apply.
    pub async fn apply(&self, t: &str, write: SnapshotWrite, version: u64) {
        let outcome = ok(self
            .repo
            .apply_snapshot(&tenant(t), write.clone(), version)
            .await);
        assert_eq!(outcome, ApplyOutcome::Applied, "{write:?} v{version}");
    }

    /// checkoutItems that must succeed.
    pub async fn checkout(&self, caller: &Caller, wanted: &[(&str, i64)]) -> Order {
        ok(self
            .oms
            .checkout_items(caller, checkout_input(wanted))
            .await)
        .order
    }

    /// A DRAFT with a destination and STANDARD shipping selected.
    pub async fn ready_draft(&self, caller: &Caller, wanted: &[(&str, i64)]) -> Order {
        let order = self.checkout(caller, wanted).await;
        self.change(
            caller,
            &order,
            DraftChange::SelectShippingOption(ShippingMethod::Standard),
        )
        .await
    }

    /// A DRAFT change that must succeed.
    pub async fn change(&self, caller: &Caller, order: &Order, change: DraftChange) -> Order {
        ok(self
            .oms
            .change_draft(caller, order.id.as_str(), None, change)
            .await)
        .order
    }

    /// A PENDING order.
    pub async fn placed(&self, caller: &Caller, wanted: &[(&str, i64)]) -> Order {
        let draft = self.ready_draft(caller, wanted).await;
        let placed = ok(self
            .oms
            .place_order(caller, draft.id.as_str(), None, None)
            .await)
        .order;
        assert_eq!(placed.status, OrderStatus::Pending);
        placed
    }

    /// The ids of a list page, newest first.
    pub async fn list_ids(
        &self,
        caller: &Caller,
        side: Role,
        status: Option<OrderStatus>,
    ) -> Vec<OrderId> {
        let page = ok(self.oms.list_orders(caller, side, status, 100, None).await);
        assert!(!page.has_next_page);
        page.edges.into_iter().map(|(_, o)| o.id).collect()
    }
}

/// `Value::S`.
pub fn s(v: &str) -> Value {
    Value::S(v.to_string())
}
