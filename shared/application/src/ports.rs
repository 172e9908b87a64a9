//! Ports: what the use cases need from the outside world. Adapters implement them
//! (`oms-persistence` over DynamoDB or the embedded store; payment providers over HTTP).
//!
//! The tenant is a required argument of every method, so an un-scoped read cannot be written.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use oms_domain::auth::Role;
use oms_domain::catalog::{
    Coupon, Customer, CustomerAddress, Offer, Product, ShippingOptionRule, UserAuthorization,
    Vendor,
};
use oms_domain::ids::{
    AddressId, CouponCode, CustomerId, OrderId, ProductId, Sku, TenantId, UserId, VendorId,
};
use oms_domain::order::events::OrderEvent;
use oms_domain::order::{CouponCounters, Order, OrderStatus, StockReservation};
use oms_domain::pricing::CouponUsage;

use crate::records::{
    IdempotencyKey, IdempotencyRecord, PaymentRecord, TenantConfig, TenantProviders, TenantSecrets,
};

/// An infrastructure failure (network, throttling after retries, corrupt item). Never shown to
/// clients in detail: the API answers INTERNAL with a request id, or the retryable user error
/// TRY_AGAIN when the store stayed contended (`contention`). Its text, which the logs keep, names
/// the store call and the kinds of key it was on, never key values.
#[derive(Debug, thiserror::Error)]
pub struct StoreFault {
    pub message: String,
    /// The store call that failed (`GetItem`, `BatchGetItem`, `Query`, `PutItem`, `UpdateItem`,
    /// `DeleteItem`, `TransactWriteItems`, `BatchWriteItem`), when known.
    pub call: Option<&'static str>,
    /// The kinds of key the call was on (`Order`, `Stock×2,Product`…), when known.
    pub key_kinds: Option<String>,
    /// Set when the store refused for load after its own retries (throttled, busy, a conflict):
    /// nothing was written and the same request may be sent again.
    pub contention: Option<Contention>,
    #[source]
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl std::fmt::Display for StoreFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "storage fault: {}", self.message)?;
        match (self.call, &self.key_kinds) {
            (Some(call), Some(kinds)) => write!(f, " (call={call}, key_kinds={kinds})"),
            (Some(call), None) => write!(f, " (call={call})"),
            (None, Some(kinds)) => write!(f, " (key_kinds={kinds})"),
            (None, None) => Ok(()),
        }
    }
}

impl StoreFault {
    pub fn new(message: impl Into<String>) -> Self {
        StoreFault {
            message: message.into(),
            call: None,
            key_kinds: None,
            contention: None,
            source: None,
        }
    }

    pub fn with_source(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        StoreFault {
            source: Some(Box::new(source)),
            ..StoreFault::new(message)
        }
    }

    /// The same fault, saying which call on which kinds of key failed.
    #[must_use]
    pub fn on(mut self, call: &'static str, key_kinds: impl Into<String>) -> Self {
        self.call = Some(call);
        self.key_kinds = Some(key_kinds.into());
        self
    }

    /// The same fault, marked as the store's contention (answered TRY_AGAIN).
    #[must_use]
    pub fn contended(mut self, why: Contention) -> Self {
        self.contention = Some(why);
        self
    }
}

/// Why an order commit was refused. Each maps to one user error code.
#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    /// The order changed since it was read (or already exists on create).
    #[error("version conflict")]
    VersionConflict,
    #[error("out of stock: {0}")]
    OutOfStock(Sku),
    #[error("product unavailable: {0}")]
    ProductUnavailable(Sku),
    #[error("coupon usage limit reached: {0}")]
    CouponLimitReached(CouponCode),
    /// The stored coupon was deactivated (or removed) after it was read.
    #[error("coupon no longer valid: {0}")]
    CouponUnavailable(CouponCode),
    #[error("payment already used")]
    PaymentAlreadyUsed,
    /// Another request with the same idempotency key committed first.
    #[error("idempotency key taken")]
    IdempotencyKeyTaken,
    /// A snapshot the command refreshes (checkout's customer details or saved address) changed
    /// since it was read (a newer upstream snapshot, another refresh, a retirement). Nothing was
    /// written: read again and decide again.
    #[error("refreshed snapshot changed since it was read")]
    SnapshotChanged,
    /// The transaction could not run: the store stayed contended after its own retries.
    /// Nothing was written; the same request may be sent again (`TRY_AGAIN`).
    #[error("store contended: {0}")]
    Contended(Contention),
    #[error(transparent)]
    Fault(#[from] StoreFault),
}

/// Why a commit found the store contended (after the store's retries).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contention {
    /// DynamoDB kept cancelling the transaction for `TransactionConflict`: other transactions
    /// were writing the same items at the same moment.
    Conflict,
    /// The store kept throttling (DynamoDB throughput or request limits) or stayed busy
    /// (SQLite: the database lock held past the busy timeout).
    Throttled,
}

impl std::fmt::Display for Contention {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Contention::Conflict => "transaction conflict",
            Contention::Throttled => "throttled or busy",
        })
    }
}

/// What a commit does to the units of one SKU (its stock item: docs/data-model.md "Stock").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StockMove {
    /// placeOrder: the order holds the units (`available −q`, `held +q`), only while the
    /// product is active and `available >= q`.
    Hold,
    /// cancelOrder, expiry: the units held are given back (`available +q`, `held −q`). Never
    /// refused for lack of units.
    Release,
    /// markAsShipped at `at`: the units held left the warehouse (`held −q`, `shipped +q`): they
    /// stay unavailable until a product snapshot observed at or after `at` counts them.
    Ship { at: DateTime<Utc> },
}

/// One stock movement of a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockChange {
    pub vendor_id: VendorId,
    /// The product the units are of: a release or shipment follows it to its current SKU when the
    /// SKU was renamed after the hold.
    pub product_id: ProductId,
    pub sku: Sku,
    pub quantity: u32,
    pub movement: StockMove,
}

impl StockChange {
    /// One change per reserved SKU.
    pub fn of(
        vendor: &VendorId,
        reservations: &[StockReservation],
        movement: StockMove,
    ) -> Vec<StockChange> {
        reservations
            .iter()
            .map(|r| StockChange {
                vendor_id: vendor.clone(),
                product_id: r.product_id.clone(),
                sku: r.sku.clone(),
                quantity: r.quantity,
                movement,
            })
            .collect()
    }
}

/// One coupon redemption (+1, checked against the limits) or release (-1), on the counters in
/// `counters` only. A redemption checks that the stored coupon is active even when it counts on
/// no counter (an unlimited coupon).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponUseChange {
    pub vendor_id: VendorId,
    pub code: CouponCode,
    pub customer_id: CustomerId,
    pub delta: i64,
    pub usage_limit: Option<u32>,
    pub per_customer_limit: Option<u32>,
    /// The counters written: for a redemption those of the coupon's limits, for a release those
    /// the placement counted (recorded on the order).
    pub counters: CouponCounters,
}

/// Everything one order command writes, committed as ONE transaction.
#[derive(Debug, Clone)]
pub struct OrderCommit {
    pub order: Order,
    /// `None` creates the order (fails if it exists); `Some(v)` requires the stored version `v`.
    pub expected_version: Option<u64>,
    pub stock: Vec<StockChange>,
    pub coupon_uses: Vec<CouponUseChange>,
    /// Claims the payment's transaction id for this order (one transaction id, one order).
    pub payment_claim: Option<String>,
    /// A payment verified with the provider (no signed event recorded it): stored with the claim.
    pub payment_record: Option<PaymentRecord>,
    pub idempotency: Option<IdempotencyRecord>,
    /// Domain events, written to the outbox in the same transaction.
    pub events: Vec<OrderEvent>,
    /// Snapshots refreshed by checkout (customer details, a saved address), each written only
    /// while the stored item is as read ([`SnapshotRefresh`]); otherwise the commit is refused
    /// with [`CommitError::SnapshotChanged`].
    pub customer: Option<SnapshotRefresh<Customer>>,
    pub address: Option<SnapshotRefresh<CustomerAddress>>,
    /// The order's hold (`Order::active_hold`) before the change: the commit moves the hold
    /// index entry from it to the order's hold after the change.
    pub hold_before: Option<DateTime<Utc>>,
    /// How long the order lives untouched while DRAFT (the tenant's draft lifetime; `None`: the
    /// default).
    pub draft_ttl: Option<chrono::Duration>,
}

impl OrderCommit {
    pub fn new(order: Order, expected_version: Option<u64>, events: Vec<OrderEvent>) -> Self {
        OrderCommit {
            order,
            expected_version,
            stock: vec![],
            coupon_uses: vec![],
            payment_claim: None,
            payment_record: None,
            idempotency: None,
            events,
            customer: None,
            address: None,
            hold_before: None,
            draft_ttl: None,
        }
    }
}

/// Where a snapshot item stood when it was read: what a conditional refresh of it requires
/// still to hold. `version` is the upstream snapshot's version (absent on items only the OMS
/// wrote), `rev` counts the OMS's own refreshes since (absent before the first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotStamp {
    pub version: Option<i64>,
    pub rev: Option<i64>,
    /// False for a retired item (deactivated by the upstream system): never refreshed, so never
    /// revived, by the OMS.
    pub active: bool,
}

/// A snapshot the OMS refreshes on its own (checkout's customer details and saved address,
/// syncUser), written only while the stored item is as it was read: `read` is its stamp, `None`
/// when it was absent (then it must still be). A concurrent newer snapshot or refresh is never
/// overwritten, and a retired item is never refreshed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotRefresh<T> {
    pub snapshot: T,
    pub read: Option<SnapshotStamp>,
}

/// What syncUser and `user.logged_in` did to the customer's snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomerRefresh {
    /// Written (created or refreshed) as this.
    Refreshed(Customer),
    /// The stored customer is retired (inactive, from the customer system): left as it is.
    Retired,
}

/// What an order command reads first (one round trip).
#[derive(Debug, Clone, Default)]
pub struct OrderLoad {
    pub order: Option<Order>,
    /// The caller's UserAuthorization snapshot (the authorization rule needs it on every request).
    pub authorization: Option<UserAuthorization>,
    pub idempotency: Option<IdempotencyRecord>,
    pub tenant_config: Option<TenantConfig>,
    pub payment: Option<PaymentRecord>,
}

/// What [`OrderRepository::load_order`] reads.
#[derive(Debug, Clone, Copy)]
pub struct OrderLoadRequest<'a> {
    pub order_id: &'a OrderId,
    pub idempotency: Option<&'a IdempotencyKey>,
    pub transaction_id: Option<&'a str>,
    pub user: Option<&'a UserId>,
}

/// Which snapshots a command needs (one round trip).
#[derive(Debug, Clone, Default)]
pub struct CatalogRequest {
    pub vendor_id: Option<VendorId>,
    pub skus: Vec<Sku>,
    pub coupon_codes: Vec<CouponCode>,
    /// Loads the customer's details and their uses of `coupon_codes`.
    pub customer_id: Option<CustomerId>,
    pub idempotency: Option<IdempotencyKey>,
    pub tenant_config: bool,
    /// Loads this user's UserAuthorization snapshot too.
    pub user: Option<UserId>,
    /// Loads this entry of `customer_id`'s address book.
    pub address_id: Option<AddressId>,
}

/// The snapshots a command decides from.
#[derive(Debug, Clone, Default)]
pub struct CatalogView {
    pub vendor: Option<Vendor>,
    pub offers: Vec<Offer>,
    pub shipping_options: Vec<ShippingOptionRule>,
    pub products: Vec<Product>,
    pub coupons: Vec<Coupon>,
    pub coupon_usage: Vec<(CouponCode, CouponUsage)>,
    pub customer: Option<Customer>,
    pub idempotency: Option<IdempotencyRecord>,
    pub tenant_config: Option<TenantConfig>,
    pub authorization: Option<UserAuthorization>,
    pub address: Option<CustomerAddress>,
    /// Where the customer's item stood (`None`: absent), for a conditional refresh.
    pub customer_stamp: Option<SnapshotStamp>,
    /// Where the requested address-book entry stood (`None`: absent), retired or not.
    pub address_stamp: Option<SnapshotStamp>,
}

impl CatalogView {
    pub fn product(&self, sku: &Sku) -> Option<&Product> {
        self.products.iter().find(|p| &p.sku == sku)
    }

    pub fn coupon(&self, code: &CouponCode) -> Option<&Coupon> {
        self.coupons.iter().find(|c| &c.code == code)
    }

    pub fn usage(&self, code: &CouponCode) -> CouponUsage {
        self.coupon_usage
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, u)| *u)
            .unwrap_or_default()
    }
}

/// Whose orders a list shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderOwner {
    Customer(CustomerId),
    Vendor(VendorId),
}

impl OrderOwner {
    pub fn role(&self) -> Role {
        match self {
            OrderOwner::Customer(_) => Role::Customer,
            OrderOwner::Vendor(_) => Role::Vendor,
        }
    }
}

#[derive(Debug, Clone)]
pub struct OrderQuery {
    pub owner: OrderOwner,
    pub status: Option<OrderStatus>,
    pub first: u32,
    /// Opaque cursor from a previous page (bound to tenant, owner and status).
    pub after: Option<String>,
}

#[derive(Debug, Clone)]
pub struct OrderPage {
    pub orders: Vec<(String, Order)>,
    pub has_next_page: bool,
    pub end_cursor: Option<String>,
}

/// Errors of a list query: a cursor that does not belong to this query is the caller's mistake.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error("invalid cursor")]
    InvalidCursor,
    #[error(transparent)]
    Fault(#[from] StoreFault),
}

/// Outcome of applying a versioned snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyOutcome {
    Applied,
    /// Not newer than the stored version: dropped.
    Stale,
    /// Applying it would take the stored data past a limit (a vendor's 101st offer, offers past
    /// their item's size): rejected, nothing written. Permanent: sending it again changes nothing.
    Rejected(oms_domain::limits::SnapshotLimit),
}

/// A snapshot write from sync (webhook, queue, CSV, identity events, syncUser).
#[derive(Debug, Clone, PartialEq)]
pub enum SnapshotWrite {
    Product(Product),
    Vendor(Vendor),
    Coupon(Coupon),
    Offer(Offer),
    ShippingOption(ShippingOptionRule),
    Customer(Customer),
    CustomerAddress(CustomerAddress),
    UserAuthorization(UserAuthorization),
}

/// Orders: reads and the one-transaction commit.
#[async_trait]
pub trait OrderRepository: Send + Sync {
    /// One GetItem.
    async fn get_order(&self, tenant: &TenantId, id: &OrderId)
        -> Result<Option<Order>, StoreFault>;
    /// One BatchGetItem: the order, the tenant config, and as requested the idempotency record,
    /// the payment recorded for a transaction id and the caller's UserAuthorization.
    async fn load_order(
        &self,
        tenant: &TenantId,
        request: &OrderLoadRequest<'_>,
    ) -> Result<OrderLoad, StoreFault>;
    /// One TransactWriteItems.
    async fn commit(&self, tenant: &TenantId, commit: OrderCommit) -> Result<(), CommitError>;
    /// One Query.
    async fn list_orders(
        &self,
        tenant: &TenantId,
        query: &OrderQuery,
    ) -> Result<OrderPage, ListError>;
}

/// Snapshots checkout decides from.
#[async_trait]
pub trait CatalogRepository: Send + Sync {
    /// One BatchGetItem (chunked by the store only past 100 keys).
    async fn load_catalog(
        &self,
        tenant: &TenantId,
        request: &CatalogRequest,
    ) -> Result<CatalogView, StoreFault>;
    async fn list_customer_addresses(
        &self,
        tenant: &TenantId,
        customer: &CustomerId,
    ) -> Result<Vec<CustomerAddress>, StoreFault>;
    async fn get_user_authorization(
        &self,
        tenant: &TenantId,
        user: &UserId,
    ) -> Result<Option<UserAuthorization>, StoreFault>;
    async fn get_customer(
        &self,
        tenant: &TenantId,
        customer: &CustomerId,
    ) -> Result<Option<Customer>, StoreFault>;
}

/// Writes from snapshot sync, identity and payment events.
#[async_trait]
pub trait SyncRepository: Send + Sync {
    /// Applies the snapshot only if `version` is newer than the stored one. A product applied
    /// here has no observation time: it never counts shipments (see
    /// [`SyncRepository::apply_product_snapshot`]).
    async fn apply_snapshot(
        &self,
        tenant: &TenantId,
        write: SnapshotWrite,
        version: u64,
    ) -> Result<ApplyOutcome, StoreFault>;
    /// Applies a product snapshot observed upstream at `observed_at` (the event's `occurred_at`;
    /// a CSV import's time) only if `version` is newer than the stored one. Its `stock` is the
    /// on-hand count: units held by orders stay held, and units shipped at or before
    /// `observed_at` count as gone (docs/data-model.md "Stock").
    async fn apply_product_snapshot(
        &self,
        tenant: &TenantId,
        product: Product,
        version: u64,
        observed_at: DateTime<Utc>,
    ) -> Result<ApplyOutcome, StoreFault>;
    /// Records a webhook event id (or legacy signature); false when it was already recorded.
    async fn record_event_id(
        &self,
        tenant: &TenantId,
        event_id: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<bool, StoreFault>;
    /// syncUser / `user.logged_in`: refreshes the customer snapshot of `customer` to
    /// `refresh(stored)` (keeping its source version, so upstream events stay ordered) with a
    /// write conditional on the item as read (absent, or the same version and OMS revision, and
    /// active), reading again when another write came first. A retired (inactive) customer is
    /// left as it is: [`CustomerRefresh::Retired`], nothing written.
    ///
    /// # Errors
    /// A fault; one marked as contention (TRY_AGAIN) when the item kept changing.
    async fn refresh_customer(
        &self,
        tenant: &TenantId,
        customer: &CustomerId,
        refresh: &(dyn for<'c> Fn(Option<&'c Customer>) -> Customer + Send + Sync),
    ) -> Result<CustomerRefresh, StoreFault>;
    /// Creates the UserAuthorization if none exists; returns the one now stored.
    async fn ensure_user_authorization(
        &self,
        tenant: &TenantId,
        authorization: UserAuthorization,
    ) -> Result<UserAuthorization, StoreFault>;
    /// Records a payment from the provider's signed event (newer versions replace older ones).
    async fn record_payment(
        &self,
        tenant: &TenantId,
        payment: PaymentRecord,
        version: u64,
    ) -> Result<ApplyOutcome, StoreFault>;
}

/// Tenant configuration, and apart from it the tenant's secrets.
#[async_trait]
pub trait TenantRepository: Send + Sync {
    async fn get_tenant_config(
        &self,
        tenant: &TenantId,
    ) -> Result<Option<TenantConfig>, StoreFault>;
    async fn put_tenant_config(&self, config: &TenantConfig) -> Result<(), StoreFault>;
    /// The tenant's secrets, as stored (values may be `ssm:` references): read by the webhook
    /// receiver, payment confirmation and the sender only, never cached. A tenant whose
    /// configuration was stored before secrets had their own item gets them from that item.
    async fn get_tenant_secrets(
        &self,
        tenant: &TenantId,
    ) -> Result<Option<TenantSecrets>, StoreFault>;
    async fn put_tenant_secrets(&self, secrets: &TenantSecrets) -> Result<(), StoreFault>;
}

/// Why a stored secret could not be turned into the secret itself.
#[derive(Debug, Clone, thiserror::Error)]
#[error("secret unavailable: {0}")]
pub struct SecretError(pub String);

/// Turns a stored secret into the secret: a value is itself; a reference `ssm:<name>` is the
/// value of that SSM parameter, resolved by the processes that read secrets (the webhook
/// receiver, payment confirmation, the sender), which may keep it for a while.
#[async_trait]
pub trait SecretResolver: Send + Sync {
    /// # Errors
    /// The reference cannot be resolved (no such parameter, no access, no SSM in this process).
    /// Messages name the reference, never a secret.
    async fn resolve(&self, stored: &str) -> Result<String, SecretError>;
}

/// Resolves values only: a process built without SSM refuses references.
pub struct ValueSecrets;

#[async_trait]
impl SecretResolver for ValueSecrets {
    async fn resolve(&self, stored: &str) -> Result<String, SecretError> {
        if crate::records::is_secret_reference(stored) {
            return Err(SecretError(format!(
                "'{stored}' is an SSM reference and this process resolves none"
            )));
        }
        Ok(stored.to_string())
    }
}

/// Where an outbound event waits between its order's commit and the relay (the outbox item).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxPosition {
    pub order_id: OrderId,
    /// The order's version the change produced.
    pub version: u64,
    /// The event's index within that change.
    pub index: usize,
}

/// The outbox, as the relay sees it.
#[async_trait]
pub trait OutboxRepository: Send + Sync {
    /// Whether the event still waits to be relayed (false once relayed or expired): a stream
    /// record delivered again after the relay finished is skipped, not published twice.
    async fn outbox_event_pending(
        &self,
        tenant: &TenantId,
        position: &OutboxPosition,
    ) -> Result<bool, StoreFault>;
    /// Marks the event relayed: it expires at `now` (the table's TTL then deletes it). An event
    /// already gone is fine.
    async fn expire_outbox_event(
        &self,
        tenant: &TenantId,
        position: &OutboxPosition,
        now: DateTime<Utc>,
    ) -> Result<(), StoreFault>;
}

/// A PENDING order's hold, as the hold index lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    pub order_id: OrderId,
    /// When it lapses.
    pub expires_at: DateTime<Utc>,
}

/// The hold index: which PENDING orders' holds lapse when, per tenant (written by the order
/// commits, read by the hold sweep).
#[async_trait]
pub trait HoldRepository: Send + Sync {
    /// Holds of `tenant` lapsed at `now`, earliest first, at most `limit`.
    async fn lapsed_holds(
        &self,
        tenant: &TenantId,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Hold>, StoreFault>;
    /// Forgets an index entry whose order no longer holds (an entry is normally removed by the
    /// commit that ends the hold; this heals one left behind).
    async fn drop_hold(&self, tenant: &TenantId, hold: &Hold) -> Result<(), StoreFault>;
    /// Every tenant saved with `put_tenant_config`, in id order.
    async fn tenants(&self) -> Result<Vec<TenantId>, StoreFault>;
}

/// Everything the use cases need from storage.
pub trait Store:
    OrderRepository
    + CatalogRepository
    + SyncRepository
    + TenantRepository
    + OutboxRepository
    + HoldRepository
{
}
impl<
        T: OrderRepository
            + CatalogRepository
            + SyncRepository
            + TenantRepository
            + OutboxRepository
            + HoldRepository,
    > Store for T
{
}

/// The one clock (tests pin it); the same instance is handed to the store, so its TTL view
/// agrees with the use cases.
pub use oms_clock::{Clock, ManualClock, SystemClock};

/// What a payment provider reports for a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderPayment {
    pub transaction_id: String,
    /// The order id the storefront attached to the payment (PayPal `custom_id`, Stripe metadata).
    pub order_id: Option<String>,
    pub amount: oms_domain::money::Money,
    pub succeeded: bool,
}

/// Failure to ask a provider: never shown in detail to clients.
#[derive(Debug, thiserror::Error)]
#[error("payment provider error: {0}")]
pub struct ProviderError(pub String);

/// Payment providers (Stripe, PayPal) asked by confirmOrder when no signed payment event was
/// recorded for the transaction.
#[async_trait]
pub trait PaymentGateway: Send + Sync {
    /// `Ok(None)` when the tenant has no provider configured for `method` or the provider does not
    /// know the transaction.
    async fn fetch(
        &self,
        providers: &TenantProviders,
        method: oms_domain::order::PaymentMethod,
        transaction_id: &str,
    ) -> Result<Option<ProviderPayment>, ProviderError>;
}

/// A gateway that knows no provider: payments must come from signed events.
pub struct NoPaymentGateway;

#[async_trait]
impl PaymentGateway for NoPaymentGateway {
    async fn fetch(
        &self,
        _providers: &TenantProviders,
        _method: oms_domain::order::PaymentMethod,
        _transaction_id: &str,
    ) -> Result<Option<ProviderPayment>, ProviderError> {
        Ok(None)
    }
}

/// A message for the snapshot-sync queue (or any tenant-scoped queue).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueMessage {
    pub tenant: TenantId,
    /// Ordering scope within the tenant (the entity key, e.g. `vendor-products:p-1`): one entity's
    /// messages stay in order while entities and tenants run in parallel.
    pub group: String,
    /// Deduplication id (the event id).
    pub dedup_id: String,
    pub body: String,
}

#[derive(Debug, thiserror::Error)]
#[error("queue error: {message}")]
pub struct QueueError {
    pub message: String,
    #[source]
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

/// Where accepted sync events go (SQS FIFO in AWS, an in-process queue in `oms serve`).
#[async_trait]
pub trait EventQueue: Send + Sync {
    /// Durably enqueues the message; only then may the webhook answer 202.
    async fn publish(&self, message: QueueMessage) -> Result<(), QueueError>;
}
