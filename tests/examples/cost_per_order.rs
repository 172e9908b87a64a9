//! What one order costs on AWS (docs/benchmarks.md "DynamoDB units per mutation", docs/deploy.md
//! §13). A benchmark, never a test: it prints figures and asserts nothing.
//!
//!   cargo run --release -p oms-e2e --example cost_per_order [-- ORDERS [WARMUP]]
//!
//! The storefront flow runs through the routers of the Lambda functions (one resolver group
//! each, the webhook receiver), the updater, the outbox relay and the event sender, on the
//! embedded store. Between the repositories and the store sits [`Meter`]: it sees every
//! `ItemStore` call, reads the item before each write (outside the figures), and bills the call
//! as DynamoDB on-demand does, from the items' sizes:
//!
//! - item size = the sum of attribute name and value lengths (strings: UTF-8 bytes; numbers:
//!   1 byte per two significant digits + 1; booleans and null: 1; lists and maps: 3 bytes + 1 per
//!   element + the elements, map keys included);
//! - reads: 1 RRU per 4 KB per item (GetItem, and each item of a BatchGetItem, rounded up per
//!   item, absent items included), half for eventually consistent reads; a Query is the sum of
//!   the items it read rounded up to 4 KB once per call; GSI queries are eventually consistent;
//! - writes: 1 WRU per 1 KB rounded up per item, of the larger of the item before and after
//!   (an update bills the item after the update); every item of a TransactWriteItems twice,
//!   ConditionCheck included; a conditional write whose condition fails still bills the stored
//!   item;
//! - indexes: a written item is in a GSI when it has that GSI's key attributes
//!   ([`oms_store::TABLE`]); each GSI it enters, leaves or changes in costs one more write of
//!   the projected item (1 WRU per KB), two (a delete and a put) when the GSI key changed. The
//!   projection is read from the table definition, never assumed.
//!
//! Handler time is the main thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`) over one invocation,
//! less what the meter and the store spent in their calls (SQLite runs on the blocking pool): the
//! code a Lambda runs between its DynamoDB calls. The AWS duration model and the prices are the
//! constants below; docs/deploy.md §13 states them.
//!
//! It also prints the sizes of the items written, by kind (order, stock, coupon, hold, outbox,
//! GSI entries…), which the capacity model of docs/data-model.md is computed from. The meter
//! measures whatever the code writes: rerun this after changing items or indexes rather than
//! editing figures.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use axum::body::{Body, Bytes};
use axum::Router;
use oms_application::metrics::Metric;
use oms_application::outbound::OUTBOX_ENTITY;
use oms_application::ports::{
    Clock, EventQueue, NoPaymentGateway, QueueError, QueueMessage, SnapshotWrite, Store,
    SystemClock,
};
use oms_application::Oms;
use oms_auth::{AuthConfig, Authenticator};
use oms_domain::auth::Role;
use oms_domain::catalog::Coupon;
use oms_domain::ids::{CouponCode, CustomerId, OfferId, OrderId, VendorId};
use oms_e2e::{event, product_data, sign, tenant, TempDir, ORDER_FIELDS};
use oms_graphql::{Group, SchemaOptions};
use oms_outbound::sender::{send_one, EventDelivery, SenderDeps};
use oms_outbound::stream::{StreamData, StreamRecord};
use oms_outbound::{RelayDeps, StreamEvent};
use oms_persistence::Repository;
use oms_server::demo::{self, CUSTOMER, TENANT, VENDOR, VENDOR_USER, WEBHOOK_SECRET};
use oms_server::{finish, graphql_routes, webhook_routes, GraphqlState, Surface};
use oms_store::{
    BatchWrite, Index, Item, ItemStore, Key, Page, QueryRequest, RoundTrips, SqliteStore,
    StoreError, Update, Value, WriteOp, TABLE,
};
use oms_webhooks::{UpdaterDeps, WebhookDeps};
use serde_json::json;
use tower::ServiceExt;

// ---------------------------------------------------------------------------------------------
// Prices: us-east-1 on-demand list prices as published in 2025, checked 2026-12-07 from our
// notes; verify before quoting. Free tiers are ignored.
// ---------------------------------------------------------------------------------------------

/// Lambda x86_64, per GB-second.
const LAMBDA_X86_GB_S: f64 = 0.000_016_666_7;
/// Lambda arm64, per GB-second.
const LAMBDA_ARM_GB_S: f64 = 0.000_013_333_4;
/// Lambda, per request.
const LAMBDA_REQUEST: f64 = 0.20 / 1e6;
/// API Gateway HTTP API, per request (first 300 million a month).
const HTTP_API_REQUEST: f64 = 1.00 / 1e6;
/// DynamoDB on-demand (Standard table class), after the November 2024 reduction.
const DYNAMODB_WRU: f64 = 0.625 / 1e6;
const DYNAMODB_RRU: f64 = 0.125 / 1e6;
/// DynamoDB storage (Standard) and continuous backups (PITR), per GB-month.
const DYNAMODB_STORAGE_GB_MONTH: f64 = 0.25;
const DYNAMODB_PITR_GB_MONTH: f64 = 0.20;
/// SQS FIFO, per request (each 64 KB of payload is one request).
const SQS_FIFO_REQUEST: f64 = 0.50 / 1e6;
/// CloudWatch Logs ingestion, per GB.
const LOGS_INGESTION_GB: f64 = 0.50;
/// CloudWatch custom metrics (first 10,000), per metric a month; standard-resolution alarms.
const CUSTOM_METRIC_MONTH: f64 = 0.30;
const ALARM_MONTH: f64 = 0.10;

// ---------------------------------------------------------------------------------------------
// The AWS duration model (assumptions, stated in docs/deploy.md §13).
// ---------------------------------------------------------------------------------------------

/// Every function's `MemorySize` in template.yaml.
const MEMORY_MB: f64 = 256.0;
/// Lambda gives a function CPU in proportion to its memory, one vCPU at 1,769 MB: at 256 MB,
/// CPU-bound work is assumed to take 1769/256 ≈ 6.9 times as long as on one core here (an upper
/// bound: a short burst may run faster).
const FULL_VCPU_MB: f64 = 1769.0;
/// Billed duration added by one DynamoDB call from a function (network round trip in the
/// region plus the SDK's work): reads, single writes, transactions.
const DYNAMODB_READ_MS: f64 = 5.0;
const DYNAMODB_WRITE_MS: f64 = 7.0;
const DYNAMODB_TRANSACTION_MS: f64 = 12.0;
/// One SQS SendMessage to a FIFO queue.
const SQS_SEND_MS: f64 = 15.0;
/// The tenant's events URL answering the event sender's POST (outside our control).
const EVENTS_POST_MS: f64 = 100.0;
/// The Lambda runtime's own work per invocation (event in, response out).
const INVOKE_OVERHEAD_MS: f64 = 1.0;

/// CloudWatch Logs bills the bytes of each event; PutLogEvents counts 26 bytes per event on top
/// (counted here too: an upper bound).
const LOG_EVENT_OVERHEAD: u64 = 26;
/// Lambda's own lines per invocation in the JSON log format (`platform.start`,
/// `platform.report`), as they look for a 256 MB function.
const PLATFORM_LINES: [&str; 2] = [
    r#"{"time":"2026-12-07T10:00:00.000Z","type":"platform.start","record":{"requestId":"6f1c2a7e-3b1d-4f5e-9a8b-2c3d4e5f6a7b","version":"$LATEST"}}"#,
    r#"{"time":"2026-12-07T10:00:00.021Z","type":"platform.report","record":{"requestId":"6f1c2a7e-3b1d-4f5e-9a8b-2c3d4e5f6a7b","metrics":{"durationMs":20.5,"billedDurationMs":21,"memorySizeMB":256,"maxMemoryUsedMB":24},"status":"success"}}"#,
];
/// One HTTP API access log line in the template's format.
const ACCESS_LOG_LINE: &str = r#"{"requestId":"Qx1vXjXhoAMEbXw=","ip":"203.0.113.7","requestTime":"07/Dec/2026:10:00:00 +0000","method":"POST","routeKey":"POST /graphql/checkout","status":"200","protocol":"HTTP/1.1","responseLength":"1834","responseLatency":"45","integrationLatency":"43","integrationError":"-","authorizerError":"-"}"#;

/// SQS bills a request per 64 KB of payload.
const SQS_CHUNK: u64 = 64 * 1024;

// ---------------------------------------------------------------------------------------------
// DynamoDB item sizes and units.
// ---------------------------------------------------------------------------------------------

/// Bytes of a number: 1 per two significant digits (leading and trailing zeros trimmed) + 1,
/// and 1 for the sign of a negative number.
fn number_size(n: i64) -> u64 {
    let digits = n.unsigned_abs().to_string();
    let significant = digits.trim_end_matches('0').len().max(1) as u64;
    significant.div_ceil(2) + 1 + u64::from(n < 0)
}

fn value_size(v: &Value) -> u64 {
    match v {
        Value::S(s) => s.len() as u64,
        Value::N(n) => number_size(*n),
        Value::Bool(_) | Value::Null => 1,
        Value::L(list) => 3 + list.iter().map(|v| 1 + value_size(v)).sum::<u64>(),
        Value::M(map) => {
            3 + map
                .iter()
                .map(|(k, v)| 1 + k.len() as u64 + value_size(v))
                .sum::<u64>()
        }
    }
}

/// DynamoDB's size of an item: attribute names plus values.
fn item_size(item: &Item) -> u64 {
    item.iter()
        .map(|(name, v)| name.len() as u64 + value_size(v))
        .sum()
}

/// Read units of `bytes` in halves (an eventually consistent read of up to 4 KB is one half);
/// at least one unit.
fn read_halves(bytes: u64, consistent: bool) -> u64 {
    bytes.div_ceil(4096).max(1) * if consistent { 2 } else { 1 }
}

/// Write units of an item of `bytes` (at least one).
fn write_units(bytes: u64) -> u64 {
    bytes.div_ceil(1024).max(1)
}

/// What a GSI holds of `item`: `None` when the item lacks the GSI's keys (sparse index); the
/// projection of [`TABLE`], as both stores apply it.
fn projected(item: &Item, index: Index) -> Option<Item> {
    TABLE.project(index, item.clone())
}

/// Index write units of one item changing from `before` to `after` (either may be absent).
fn index_write_units(before: Option<&Item>, after: Option<&Item>) -> u64 {
    Index::GSIS
        .into_iter()
        .map(|index| {
            let b = before.and_then(|i| projected(i, index));
            let a = after.and_then(|i| projected(i, index));
            let (pk, sk) = index.key_attrs();
            let key = |i: &Item| (i.get(pk).cloned(), i.get(sk).cloned());
            match (b, a) {
                (None, None) => 0,
                (Some(b), None) => write_units(item_size(&b)),
                (None, Some(a)) => write_units(item_size(&a)),
                (Some(b), Some(a)) if key(&b) != key(&a) => {
                    write_units(item_size(&b)) + write_units(item_size(&a))
                }
                (Some(b), Some(a)) if b == a => 0,
                (Some(b), Some(a)) => write_units(item_size(&b).max(item_size(&a))),
            }
        })
        .sum()
}

/// The item after `updates` (DynamoDB's UpdateItem: an absent item starts as its key).
fn updated(before: Option<&Item>, key: &Key, updates: &[Update]) -> Item {
    let mut item = before.cloned().unwrap_or_else(|| key.to_item());
    for update in updates {
        match update {
            Update::Set(name, v) => {
                item.insert(name.clone(), v.clone());
            }
            Update::Remove(name) => {
                item.remove(name);
            }
            Update::Add(name, n) => {
                let current = item.get(name).and_then(Value::as_n).unwrap_or(0);
                item.insert(name.clone(), Value::N(current + n));
            }
        }
    }
    item
}

// ---------------------------------------------------------------------------------------------
// Thread CPU time.
// ---------------------------------------------------------------------------------------------

#[repr(C)]
struct Timespec {
    tv_sec: i64,
    tv_nsec: i64,
}

extern "C" {
    // glibc / musl on 64-bit Linux: `int clock_gettime(clockid_t, struct timespec *)`.
    fn clock_gettime(clock: i32, out: *mut Timespec) -> i32;
}

const CLOCK_THREAD_CPUTIME_ID: i32 = 3;

/// CPU time of the calling thread, in ns.
fn thread_cpu_ns() -> u64 {
    let mut ts = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the call only writes it.
    let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        panic!("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    }
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

// ---------------------------------------------------------------------------------------------
// The meter.
// ---------------------------------------------------------------------------------------------

/// What the store calls of one invocation consumed.
#[derive(Debug, Clone, Default)]
struct Usage {
    /// DynamoDB API → calls.
    calls: BTreeMap<&'static str, u64>,
    items_read: u64,
    bytes_read: u64,
    items_written: u64,
    bytes_written: u64,
    /// Read units × 2 (an eventually consistent 4 KB read is one half).
    read_halves: u64,
    /// Write units of the table's items (transactions doubled).
    table_wru: u64,
    /// Write units of the GSI entries.
    index_wru: u64,
    /// Added duration on AWS (the per-call latency model).
    store_ms: f64,
    /// Main-thread CPU spent in the meter and the store (excluded from the handler's).
    store_cpu_ns: u64,
    failed_conditions: u64,
}

impl Usage {
    fn call(&mut self, api: &'static str, n: u64) {
        *self.calls.entry(api).or_default() += n;
        self.store_ms += n as f64
            * match api {
                "GetItem" | "BatchGetItem" | "Query" => DYNAMODB_READ_MS,
                "TransactWriteItems" => DYNAMODB_TRANSACTION_MS,
                _ => DYNAMODB_WRITE_MS,
            };
    }

    fn read(&mut self, bytes: Option<u64>, consistent: bool) {
        if let Some(b) = bytes {
            self.items_read += 1;
            self.bytes_read += b;
        }
        self.read_halves += read_halves(bytes.unwrap_or(0), consistent);
    }

    fn wru(&self) -> u64 {
        self.table_wru + self.index_wru
    }

    fn add(&mut self, other: &Usage) {
        for (api, n) in &other.calls {
            *self.calls.entry(api).or_default() += n;
        }
        self.items_read += other.items_read;
        self.bytes_read += other.bytes_read;
        self.items_written += other.items_written;
        self.bytes_written += other.bytes_written;
        self.read_halves += other.read_halves;
        self.table_wru += other.table_wru;
        self.index_wru += other.index_wru;
        self.store_ms += other.store_ms;
        self.store_cpu_ns += other.store_cpu_ns;
        self.failed_conditions += other.failed_conditions;
    }
}

#[derive(Default)]
struct Ledger {
    usage: Usage,
    /// Items inserted with `entity = OutboxEvent`: what the table's stream hands the relay.
    outbox_inserts: Vec<Item>,
}

/// The `ItemStore` decorator that bills every call.
struct Meter {
    inner: Arc<dyn ItemStore>,
    ledger: Mutex<Ledger>,
    /// Sizes of the items written, by kind (smallest, largest), over the whole run.
    sizes: Mutex<BTreeMap<String, (u64, u64)>>,
}

/// What kind of item `item` is: its `entity`, else its sort key up to the first `#`; GSI
/// entries as `<gsi> entry`.
fn item_kind(item: &Item) -> String {
    let attr = |name: &str| item.get(name).and_then(Value::as_s).unwrap_or_default();
    match attr("entity") {
        "" => attr("sk").split('#').next().unwrap_or_default().to_owned(),
        entity => entity.to_owned(),
    }
}

impl Meter {
    fn new(inner: Arc<dyn ItemStore>) -> Self {
        Meter {
            inner,
            ledger: Mutex::new(Ledger::default()),
            sizes: Mutex::new(BTreeMap::new()),
        }
    }

    /// Records the size of a written item and of each GSI entry it has.
    fn sized(&self, item: &Item) {
        let mut sizes = self.sizes.lock().unwrap_or_else(|e| e.into_inner());
        let mut note = |kind: String, bytes: u64| {
            let entry = sizes.entry(kind).or_insert((bytes, bytes));
            entry.0 = entry.0.min(bytes);
            entry.1 = entry.1.max(bytes);
        };
        note(item_kind(item), item_size(item));
        for index in Index::GSIS {
            if let Some(entry) = projected(item, index) {
                let name = oms_store::table::index_name(index).unwrap_or("gsi");
                note(format!("{name} entry"), item_size(&entry));
            }
        }
    }

    /// The item sizes recorded so far.
    fn sizes(&self) -> BTreeMap<String, (u64, u64)> {
        self.sizes.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn with<T>(&self, f: impl FnOnce(&mut Ledger) -> T) -> T {
        let mut ledger = self.ledger.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut ledger)
    }

    /// Everything recorded since the last call.
    fn take(&self) -> (Usage, Vec<Item>) {
        self.with(|l| {
            let l = std::mem::take(l);
            (l.usage, l.outbox_inserts)
        })
    }

    /// The stored item, as DynamoDB would hold it before a write (read outside the figures).
    async fn stored(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.inner.get(key, true).await
    }

    /// Bills one write of a table item (`factor` 2 inside a transaction) that succeeded.
    fn written(&self, u: &mut Usage, factor: u64, before: Option<&Item>, after: Option<&Item>) {
        let size = before.map_or(0, item_size).max(after.map_or(0, item_size));
        u.items_written += 1;
        u.bytes_written += after.map_or(0, item_size);
        u.table_wru += factor * write_units(size);
        u.index_wru += index_write_units(before, after);
        if let Some(item) = after {
            self.sized(item);
        }
        if let (None, Some(item)) = (before, after) {
            if item.get("entity").and_then(Value::as_s) == Some(OUTBOX_ENTITY) {
                self.with(|l| l.outbox_inserts.push(item.clone()));
            }
        }
    }

    /// The item an op leaves (`None` for a delete or a check).
    fn after(op: &WriteOp, before: Option<&Item>) -> Result<Option<Item>, StoreError> {
        Ok(match op {
            WriteOp::Put { item, .. } => Some(item.clone()),
            WriteOp::Update { key, updates, .. } => Some(updated(before, key, updates)),
            WriteOp::Delete { .. } | WriteOp::Check { .. } => None,
        })
    }

    fn record(&self, u: Usage, cpu_from: u64) {
        let spent = thread_cpu_ns().saturating_sub(cpu_from);
        self.with(|l| {
            l.usage.add(&u);
            l.usage.store_cpu_ns += spent;
        });
    }
}

#[async_trait]
impl ItemStore for Meter {
    async fn get(&self, key: &Key, consistent: bool) -> Result<Option<Item>, StoreError> {
        let cpu = thread_cpu_ns();
        let out = self.inner.get(key, consistent).await;
        let mut u = Usage::default();
        u.call("GetItem", 1);
        if let Ok(found) = &out {
            u.read(found.as_ref().map(item_size), consistent);
        }
        self.record(u, cpu);
        out
    }

    async fn batch_get(&self, keys: &[Key], consistent: bool) -> Result<Vec<Item>, StoreError> {
        let cpu = thread_cpu_ns();
        let out = self.inner.batch_get(keys, consistent).await;
        let mut u = Usage::default();
        let unique: BTreeSet<&Key> = keys.iter().collect();
        u.call("BatchGetItem", (unique.len() as u64).div_ceil(100).max(1));
        if let Ok(items) = &out {
            let mut found: BTreeMap<Key, u64> = BTreeMap::new();
            for item in items {
                if let Ok(k) = Key::of(item) {
                    found.insert(k, item_size(item));
                }
            }
            // Each requested key is read as a GetItem: an absent one still costs the minimum.
            for key in unique {
                u.read(found.get(key).copied(), consistent);
            }
        }
        self.record(u, cpu);
        out
    }

    async fn query(&self, req: QueryRequest) -> Result<Page, StoreError> {
        let cpu = thread_cpu_ns();
        let consistent = req.consistent && req.index == Index::Primary;
        let out = self.inner.query(req).await;
        let mut u = Usage::default();
        u.call("Query", 1);
        if let Ok(page) = &out {
            let bytes: u64 = page.items.iter().map(item_size).sum();
            u.items_read += page.items.len() as u64;
            u.bytes_read += bytes;
            // Rounded up once per call, not per item.
            u.read_halves += read_halves(bytes, consistent);
        }
        self.record(u, cpu);
        out
    }

    async fn transact_write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        let cpu = thread_cpu_ns();
        let mut images = Vec::with_capacity(ops.len());
        for op in &ops {
            let before = self.stored(&op.key()?).await?;
            let after = Self::after(op, before.as_ref())?;
            images.push((before, after, matches!(op, WriteOp::Check { .. })));
        }
        let out = self.inner.transact_write(ops).await;
        let mut u = Usage::default();
        u.call("TransactWriteItems", 1);
        for (before, after, check) in &images {
            if out.is_ok() && !check {
                self.written(&mut u, 2, before.as_ref(), after.as_ref());
            } else {
                // A ConditionCheck, or any item of a cancelled transaction: the stored item, twice.
                u.table_wru += 2 * write_units(before.as_ref().map_or(0, item_size));
            }
        }
        if out.is_err() {
            u.failed_conditions += 1;
        }
        self.record(u, cpu);
        out
    }

    async fn write(&self, op: WriteOp) -> Result<(), StoreError> {
        let cpu = thread_cpu_ns();
        let before = self.stored(&op.key()?).await?;
        let after = Self::after(&op, before.as_ref())?;
        let api = match &op {
            WriteOp::Put { .. } => "PutItem",
            WriteOp::Update { .. } => "UpdateItem",
            WriteOp::Delete { .. } => "DeleteItem",
            WriteOp::Check { .. } => "ConditionCheck",
        };
        let out = self.inner.write(op).await;
        let mut u = Usage::default();
        u.call(api, 1);
        match &out {
            Ok(()) => self.written(&mut u, 1, before.as_ref(), after.as_ref()),
            Err(StoreError::ConditionFailed) => {
                u.failed_conditions += 1;
                u.table_wru += write_units(before.as_ref().map_or(0, item_size));
            }
            Err(_) => {}
        }
        self.record(u, cpu);
        out
    }

    async fn batch_write(&self, writes: Vec<BatchWrite>) -> Result<(), StoreError> {
        let cpu = thread_cpu_ns();
        let mut images = Vec::with_capacity(writes.len());
        for w in &writes {
            let before = self.stored(&w.key()?).await?;
            let after = match w {
                BatchWrite::Put(item) => Some(item.clone()),
                BatchWrite::Delete(_) => None,
            };
            images.push((before, after));
        }
        let n = writes.len() as u64;
        let out = self.inner.batch_write(writes).await;
        let mut u = Usage::default();
        u.call("BatchWriteItem", n.div_ceil(25).max(1));
        if out.is_ok() {
            for (before, after) in &images {
                self.written(&mut u, 1, before.as_ref(), after.as_ref());
            }
        }
        self.record(u, cpu);
        out
    }

    fn round_trips(&self) -> &RoundTrips {
        self.inner.round_trips()
    }
}

// ---------------------------------------------------------------------------------------------
// Queues, the tenant's events URL, the log sink.
// ---------------------------------------------------------------------------------------------

/// An SQS FIFO queue that keeps what was sent (the bench hands it to the consumer itself).
#[derive(Default)]
struct Recorded(Mutex<Vec<QueueMessage>>);

impl Recorded {
    fn drain(&self) -> Vec<QueueMessage> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

#[async_trait]
impl EventQueue for Recorded {
    async fn publish(&self, message: QueueMessage) -> Result<(), QueueError> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(message);
        Ok(())
    }
}

/// The tenant's events URL: answers 200 at once (its latency is `EVENTS_POST_MS`).
struct Accepts;

#[async_trait]
impl EventDelivery for Accepts {
    async fn post(&self, _url: &str, _signature: &str, _body: Bytes) -> Result<u16, String> {
        Ok(200)
    }
}

/// Bytes and lines of the functions' JSON logs (the subscriber of the Lambda functions).
#[derive(Default)]
struct LogCount {
    bytes: AtomicU64,
    lines: AtomicU64,
}

struct LogSink(Arc<LogCount>);

impl Write for LogSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.bytes.fetch_add(buf.len() as u64, Ordering::Relaxed);
        let lines = buf.iter().filter(|b| **b == b'\n').count() as u64;
        self.0.lines.fetch_add(lines, Ordering::Relaxed);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The functions' log format (oms-runtime's `LogFormat::Json`, level info) into `count`.
fn install_json_logs(count: Arc<LogCount>) {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let layer = tracing_subscriber::fmt::layer()
        .with_target(false)
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .without_time()
        .with_writer(move || LogSink(count.clone()));
    let _ = tracing_subscriber::registry()
        .with(layer)
        .with(Targets::new().with_default(LevelFilter::INFO))
        .try_init();
}

// ---------------------------------------------------------------------------------------------
// One invocation's figures.
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Default)]
struct Invocation {
    function: &'static str,
    step: String,
    usage: Usage,
    /// Main-thread CPU of the invocation less the store's.
    handler_cpu_ns: u64,
    log_bytes: u64,
    log_lines: u64,
    /// Messages this invocation sent to SQS and their SQS requests (64 KB chunks).
    sqs_sent: u64,
    sqs_send_requests: u64,
    /// Outside calls (the tenant's events URL), in ms of added duration.
    external_ms: f64,
    /// One API Gateway request (the GraphQL functions).
    api_request: bool,
}

impl Invocation {
    fn handler_ms(&self) -> f64 {
        self.handler_cpu_ns as f64 / 1e6
    }

    /// The billed duration on AWS under the model above, in whole ms.
    fn billed_ms(&self) -> f64 {
        let cpu = self.handler_ms() * FULL_VCPU_MB / MEMORY_MB;
        let wait = self.usage.store_ms + self.sqs_sent as f64 * SQS_SEND_MS + self.external_ms;
        (cpu + wait + INVOKE_OVERHEAD_MS).ceil()
    }

    fn gb_s(&self) -> f64 {
        self.billed_ms() / 1000.0 * MEMORY_MB / 1024.0
    }

    /// Log bytes ingested: our lines, Lambda's lines, 26 bytes per event; plus the access log
    /// line of an API Gateway request.
    fn ingested_log_bytes(&self) -> u64 {
        let platform: u64 = PLATFORM_LINES.iter().map(|l| l.len() as u64).sum();
        let events = self.log_lines + PLATFORM_LINES.len() as u64;
        let access = if self.api_request {
            ACCESS_LOG_LINE.len() as u64 + LOG_EVENT_OVERHEAD
        } else {
            0
        };
        self.log_bytes + platform + events * LOG_EVENT_OVERHEAD + access
    }
}

/// Runs `f` as one invocation of `function`: its store usage, handler CPU and log output.
struct Bench {
    meter: Arc<Meter>,
    logs: Arc<LogCount>,
    sync_queue: Arc<Recorded>,
    events_queue: Arc<Recorded>,
}

impl Bench {
    async fn invoke<F, T>(
        &self,
        function: &'static str,
        step: &str,
        f: F,
    ) -> (T, Invocation, Vec<Item>)
    where
        F: std::future::Future<Output = T>,
    {
        let _ = self.meter.take();
        let logs_before = (
            self.logs.bytes.load(Ordering::Relaxed),
            self.logs.lines.load(Ordering::Relaxed),
        );
        let cpu = thread_cpu_ns();
        let out = f.await;
        let cpu = thread_cpu_ns().saturating_sub(cpu);
        let (usage, outbox) = self.meter.take();
        let invocation = Invocation {
            function,
            step: step.to_string(),
            handler_cpu_ns: cpu.saturating_sub(usage.store_cpu_ns),
            usage,
            // The functions' log lines, and the EMF metrics line the entry point writes.
            log_bytes: self.logs.bytes.load(Ordering::Relaxed) - logs_before.0
                + emf_bytes(function),
            log_lines: self.logs.lines.load(Ordering::Relaxed) - logs_before.1 + 1,
            ..Invocation::default()
        };
        (out, invocation, outbox)
    }
}

/// The metrics each function reports on every invocation, zeros included (the lists of
/// `oms_runtime::lambda` and `oms_runtime::http`).
fn reported_metrics(function: &str) -> Vec<Metric> {
    match function {
        "graphql-checkout" | "graphql-orders" | "graphql-vendor" | "graphql-account" => {
            Metric::ORDERS.to_vec()
        }
        "webhooks" => Metric::WEBHOOKS.to_vec(),
        "sync-updater" => [Metric::UPDATER, Metric::CONSUMER].concat(),
        "outbox-relay" => Metric::RELAY.to_vec(),
        "event-sender" => [Metric::SENDER, Metric::CONSUMER].concat(),
        "hold-sweeper" => Metric::SWEEPER.to_vec(),
        _ => Vec::new(),
    }
}

/// Bytes of the EMF line `function` writes after an invocation (with its newline).
fn emf_bytes(function: &str) -> u64 {
    let metrics: Vec<(Metric, u64)> = reported_metrics(function)
        .into_iter()
        .map(|m| (m, 0))
        .collect();
    let tenant = (function.starts_with("graphql-") || function == "webhooks").then_some(TENANT);
    let line = oms_runtime::metrics::emf_line(
        function,
        chrono::Utc::now().timestamp_millis(),
        tenant,
        &metrics,
    );
    line.len() as u64 + 1
}

/// SQS requests to send `messages` (one per 64 KB chunk of each body).
fn send_requests(messages: &[QueueMessage]) -> u64 {
    messages
        .iter()
        .map(|m| (m.body.len() as u64).div_ceil(SQS_CHUNK).max(1))
        .sum()
}

// ---------------------------------------------------------------------------------------------
// The functions, as the Lambdas compose them, over the metered store.
// ---------------------------------------------------------------------------------------------

struct Functions {
    checkout: Router,
    orders: Router,
    vendor: Router,
    webhooks: Router,
    updater: UpdaterDeps,
    relay: RelayDeps,
    sender: SenderDeps,
}

fn group_router(
    store: &Arc<dyn Store>,
    clock: &Arc<dyn Clock>,
    secret: &str,
    group: Group,
) -> Result<Router, Box<dyn std::error::Error>> {
    let oms = Oms::new(store.clone(), clock.clone(), Arc::new(NoPaymentGateway));
    let auth = Authenticator::new(AuthConfig::dev_hs256(secret.as_bytes().to_vec()))?;
    let options = SchemaOptions {
        introspection: false,
        ..SchemaOptions::default()
    };
    let state = GraphqlState::new(oms, auth, options, Surface::Group(group)).with_graphiql(false);
    Ok(finish(graphql_routes(Arc::new(state))))
}

async fn call(router: &Router, request: axum::http::Request<Body>) -> (u16, serde_json::Value) {
    let response = match router.clone().oneshot(request).await {
        Ok(r) => r,
        Err(never) => match never {},
    };
    let status = response.status().as_u16();
    let body = axum::body::to_bytes(response.into_body(), 16 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let json = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    (status, json)
}

fn graphql_request(
    group: &str,
    token: &str,
    query: &str,
    variables: serde_json::Value,
) -> axum::http::Request<Body> {
    let body = json!({"query": query, "variables": variables}).to_string();
    axum::http::Request::post(format!("/graphql/{group}"))
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::from(body))
        .unwrap_or_else(|e| panic!("request: {e}"))
}

fn mutation(name: &str) -> String {
    let mut chars = name.chars();
    let input = match chars.next() {
        Some(c) => format!("{}{}Input", c.to_ascii_uppercase(), chars.as_str()),
        None => String::new(),
    };
    format!(
        "mutation($input: {input}!) {{ {name}(input: $input) {{ order {{ {ORDER_FIELDS} }} userErrors {{ code field message }} }} }}"
    )
}

/// The order of a successful mutation payload; panics with what came back otherwise.
fn order_of(name: &str, status: u16, body: &serde_json::Value) -> serde_json::Value {
    let payload = &body["data"][name];
    let ok = status == 200
        && payload["userErrors"].as_array().is_some_and(Vec::is_empty)
        && payload["order"].is_object();
    if !ok {
        panic!("{name} failed (HTTP {status}): {body}");
    }
    payload["order"].clone()
}

/// Where the run happens: the commit and the machine.
fn describe_machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cores} cores ({cpu})")
}

fn commit() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(&root)
        .args(["rev-parse", "--short", "HEAD"])
        .output();
    let dirty = std::process::Command::new("git")
        .arg("-C")
        .arg(&root)
        // Only what the figures depend on: the code, the locks, the template.
        .args([
            "status",
            "--porcelain",
            "--untracked-files=no",
            "--",
            "shared",
            "functions",
            "tests",
            "Cargo.toml",
            "Cargo.lock",
            "template.yaml",
        ])
        .output()
        .map(|o| !o.stdout.is_empty())
        .unwrap_or(false);
    match out {
        Ok(o) if o.status.success() => format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout).trim(),
            if dirty { " + uncommitted changes" } else { "" }
        ),
        _ => "unknown".into(),
    }
}

// ---------------------------------------------------------------------------------------------
// The flow.
// ---------------------------------------------------------------------------------------------

const EVENTS_URL: &str = "https://events.example.com/oms";
const COUPON: &str = "WELCOME10";

struct Tokens {
    customer: String,
    vendor: String,
}

/// One order, from cart to completed, with the events it sends and one catalog webhook.
async fn one_order(
    bench: &Bench,
    f: &Functions,
    tokens: &Tokens,
    n: usize,
) -> (Vec<Invocation>, String) {
    let mut out: Vec<Invocation> = Vec::new();
    let customer = tokens.customer.as_str();
    let vendor = tokens.vendor.as_str();

    // (group, token, mutation, input without orderId)
    let steps: Vec<(&str, &str, &str, serde_json::Value)> = vec![
        (
            "checkout",
            customer,
            "checkoutItems",
            json!({"vendorId": VENDOR, "items": [{"sku": "T-SHIRT-L", "quantity": 2}], "idempotencyKey": format!("checkout-{n}")}),
        ),
        (
            "checkout",
            customer,
            "addLineItems",
            json!({"items": [{"sku": "MUG-01", "quantity": 1}]}),
        ),
        (
            "checkout",
            customer,
            "changeDestination",
            json!({"addressId": "addr-home"}),
        ),
        ("checkout", customer, "addCoupon", json!({"code": COUPON})),
        (
            "checkout",
            customer,
            "selectShippingOption",
            json!({"method": "STANDARD"}),
        ),
        (
            "checkout",
            customer,
            "placeOrder",
            json!({"idempotencyKey": format!("place-{n}")}),
        ),
        (
            "checkout",
            customer,
            "confirmOrder",
            json!({"paymentMethod": "CASH_ON_DELIVERY"}),
        ),
        ("orders", customer, "getOrder", json!({})),
        ("orders", customer, "listOrders", json!({})),
        ("vendor", vendor, "markAsShipped", json!({})),
        ("vendor", vendor, "markAsCompleted", json!({})),
    ];

    let mut order_id = String::new();
    for (group, token, name, mut input) in steps {
        let (router, function) = match group {
            "checkout" => (&f.checkout, "graphql-checkout"),
            "orders" => (&f.orders, "graphql-orders"),
            _ => (&f.vendor, "graphql-vendor"),
        };
        let request = match name {
            "getOrder" => graphql_request(
                group,
                token,
                &format!("query($id: ID!) {{ getOrder(orderId: $id) {{ {ORDER_FIELDS} }} }}"),
                json!({"id": order_id}),
            ),
            "listOrders" => graphql_request(
                group,
                token,
                &format!("query {{ listOrders(as: CUSTOMER, first: 20) {{ edges {{ cursor node {{ {ORDER_FIELDS} }} }} pageInfo {{ hasNextPage endCursor }} }} }}"),
                json!({}),
            ),
            _ => {
                if !order_id.is_empty() {
                    input["orderId"] = json!(order_id);
                }
                graphql_request(group, token, &mutation(name), json!({ "input": input }))
            }
        };
        let ((status, body), mut inv, outbox) =
            bench.invoke(function, name, call(router, request)).await;
        inv.api_request = true;
        match name {
            "getOrder" | "listOrders" => {
                let failed = status != 200
                    || body.get("errors").is_some_and(|e| !e.is_null())
                    || body["data"][name].is_null();
                if failed {
                    panic!("{name} failed (HTTP {status}): {body}");
                }
            }
            _ => {
                let order = order_of(name, status, &body);
                if order_id.is_empty() {
                    order_id = order["id"].as_str().unwrap_or_default().to_string();
                }
            }
        }
        out.push(inv);
        out.extend(relay_and_send(bench, f, name, outbox).await);
    }

    // The catalog answers the stock the order took: one product snapshot, then the updater.
    let body = event(
        &format!("evt-bench-{n}-{}", ulid::Ulid::new()),
        "vendor_product.upserted",
        TENANT,
        n as u64 + 2,
        product_data("p-t-shirt-l", "T-SHIRT-L", "10.00", 100),
    );
    let raw = serde_json::to_vec(&body).unwrap_or_default();
    let request = axum::http::Request::post(format!("/webhooks/{TENANT}/vendor-products"))
        .header("content-type", "application/json")
        .header("oms-signature", sign(WEBHOOK_SECRET, &raw))
        .body(Body::from(raw))
        .unwrap_or_else(|e| panic!("request: {e}"));
    let ((status, reply), mut inv, _) = bench
        .invoke(
            "webhooks",
            "vendor-products webhook",
            call(&f.webhooks, request),
        )
        .await;
    if status != 202 {
        panic!("webhook answered {status}: {reply}");
    }
    let queued = bench.sync_queue.drain();
    inv.sqs_sent = queued.len() as u64;
    inv.sqs_send_requests = send_requests(&queued);
    out.push(inv);
    for message in queued {
        let (result, inv, _) = bench
            .invoke(
                "sync-updater",
                "apply product snapshot",
                oms_webhooks::apply(&f.updater, &message.body),
            )
            .await;
        if let Err(e) = result {
            panic!("the updater failed: {e}");
        }
        out.push(inv);
    }
    (out, order_id)
}

/// The relay's invocation for the outbox items one mutation inserted (one stream batch), then
/// one sender invocation per event it published.
async fn relay_and_send(
    bench: &Bench,
    f: &Functions,
    after: &str,
    outbox: Vec<Item>,
) -> Vec<Invocation> {
    static SEQUENCE: AtomicU64 = AtomicU64::new(1_000_000);
    if outbox.is_empty() {
        return Vec::new();
    }
    let records = outbox
        .iter()
        .map(|item| StreamRecord {
            event_name: "INSERT".into(),
            dynamodb: StreamData {
                sequence_number: SEQUENCE.fetch_add(1, Ordering::Relaxed).to_string(),
                new_image: Some(oms_store::dynamodb_json(item)),
            },
        })
        .collect();
    let ((_, report), mut inv, _) = bench
        .invoke(
            "outbox-relay",
            &format!("relay after {after}"),
            oms_outbound::relay(&f.relay, StreamEvent { records }),
        )
        .await;
    if report.failed > 0 || report.published != outbox.len() {
        panic!(
            "the relay published {report:?} of {} outbox items",
            outbox.len()
        );
    }
    let published = bench.events_queue.drain();
    inv.sqs_sent = published.len() as u64;
    inv.sqs_send_requests = send_requests(&published);
    let mut out = vec![inv];
    for message in published {
        let (result, mut inv, _) = bench
            .invoke(
                "event-sender",
                &format!("send event of {after}"),
                send_one(&f.sender, &message.tenant, &message.body),
            )
            .await;
        if let Err(e) = result {
            panic!("the sender failed: {e}");
        }
        inv.external_ms = EVENTS_POST_MS;
        out.push(inv);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Report.
// ---------------------------------------------------------------------------------------------

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn calls_text(calls: &BTreeMap<&'static str, u64>, per: f64) -> String {
    calls
        .iter()
        .map(|(api, n)| {
            let n = *n as f64 / per;
            if (n - n.round()).abs() < 1e-9 {
                format!("{} {api}", n.round())
            } else {
                format!("{n:.2} {api}")
            }
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

fn units(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round())
    } else {
        format!("{v:.2}")
    }
}

fn dollars(v: f64) -> String {
    format!("${v:.4}")
}

/// Figures of one row: `rows` invocations over `orders` orders.
struct Row {
    invocations: f64,
    usage: Usage,
    cpu_ms: Vec<f64>,
    billed_ms: f64,
    gb_s: f64,
    log_bytes: u64,
    sqs_send_requests: u64,
    sqs_sent: u64,
    api_requests: u64,
    min_max_wru: (u64, u64),
    min_max_halves: (u64, u64),
}

fn rows<K: Ord + Clone>(
    invocations: &[Invocation],
    key: impl Fn(&Invocation) -> K,
) -> Vec<(K, Row)> {
    let mut map: BTreeMap<K, Row> = BTreeMap::new();
    let mut order: Vec<K> = Vec::new();
    for inv in invocations {
        let k = key(inv);
        let row = map.entry(k.clone()).or_insert_with(|| {
            order.push(k.clone());
            Row {
                invocations: 0.0,
                usage: Usage::default(),
                cpu_ms: Vec::new(),
                billed_ms: 0.0,
                gb_s: 0.0,
                log_bytes: 0,
                sqs_send_requests: 0,
                sqs_sent: 0,
                api_requests: 0,
                min_max_wru: (u64::MAX, 0),
                min_max_halves: (u64::MAX, 0),
            }
        });
        row.invocations += 1.0;
        row.usage.add(&inv.usage);
        row.cpu_ms.push(inv.handler_ms());
        row.billed_ms += inv.billed_ms();
        row.gb_s += inv.gb_s();
        row.log_bytes += inv.ingested_log_bytes();
        row.sqs_send_requests += inv.sqs_send_requests;
        row.sqs_sent += inv.sqs_sent;
        row.api_requests += u64::from(inv.api_request);
        let wru = inv.usage.wru();
        row.min_max_wru = (row.min_max_wru.0.min(wru), row.min_max_wru.1.max(wru));
        let h = inv.usage.read_halves;
        row.min_max_halves = (row.min_max_halves.0.min(h), row.min_max_halves.1.max(h));
    }
    order
        .into_iter()
        .filter_map(|k| map.remove(&k).map(|r| (k, r)))
        .collect()
}

/// The sizes of the items the run wrote, by kind, and what one write of each costs
/// (docs/data-model.md "Capacity model").
fn report_sizes(sizes: &BTreeMap<String, (u64, u64)>) {
    println!();
    println!("## Item sizes (bytes as DynamoDB counts them, smallest–largest written in the run)");
    println!();
    println!("| item | bytes | WCU per write | in a transaction |");
    println!("|---|---|---|---|");
    for (kind, (lo, hi)) in sizes {
        let bytes = if lo == hi {
            format!("{hi}")
        } else {
            format!("{lo}–{hi}")
        };
        let (wlo, whi) = (write_units(*lo), write_units(*hi));
        let (wcu, txn) = if wlo == whi {
            (format!("{whi}"), format!("{}", 2 * whi))
        } else {
            (format!("{wlo}–{whi}"), format!("{}–{}", 2 * wlo, 2 * whi))
        };
        // GSI entries are written by DynamoDB after the table write: never doubled.
        let txn = if kind.ends_with(" entry") {
            "—".to_owned()
        } else {
            txn
        };
        println!("| {kind} | {bytes} | {wcu} | {txn} |");
    }
}

fn report(all: &[Invocation], orders: usize, warmup: usize, elapsed: Duration, table_bytes: u64) {
    let per = orders as f64;
    println!("# Cost per order (cargo run --release -p oms-e2e --example cost_per_order -- {orders} {warmup})");
    println!();
    println!(
        "commit {}; {}; {orders} orders measured after {warmup} warm-up orders (the customer's listOrders page is full: 20 orders); {:.1} s",
        commit(),
        describe_machine(),
        elapsed.as_secs_f64()
    );
    println!(
        "GSI projection: {} (from oms_store::TABLE); handler CPU = main-thread CPU less the store's, p50",
        TABLE.projection
    );
    println!();

    // 1. Per mutation (GraphQL, webhook, updater), and the relay and sender per invocation.
    println!("## DynamoDB units per mutation (mean per invocation)");
    println!();
    println!("| step | function | calls | items read | items written | bytes read | bytes written | RRU | WRU (table + indexes) | handler CPU p50 |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let by_step = rows(all, |inv| {
        let step = if inv.function == "outbox-relay" {
            "outbox relay (one mutation's events)".to_string()
        } else if inv.function == "event-sender" {
            "event sender (one event)".to_string()
        } else {
            inv.step.clone()
        };
        (step, inv.function)
    });
    for ((step, function), row) in &by_step {
        let n = row.invocations;
        let u = &row.usage;
        let varies = |(lo, hi): (u64, u64), scale: f64| {
            if lo == hi {
                String::new()
            } else {
                format!(
                    " ({}–{})",
                    units(lo as f64 / scale),
                    units(hi as f64 / scale)
                )
            }
        };
        println!(
            "| {step} | {function} | {} | {} | {} | {} | {} | {}{} | {} ({} + {}){} | {:.2} ms |",
            calls_text(&u.calls, n),
            units(u.items_read as f64 / n),
            units(u.items_written as f64 / n),
            units((u.bytes_read as f64 / n).round()),
            units((u.bytes_written as f64 / n).round()),
            units(u.read_halves as f64 / 2.0 / n),
            varies(row.min_max_halves, 2.0),
            units(u.wru() as f64 / n),
            units(u.table_wru as f64 / n),
            units(u.index_wru as f64 / n),
            varies(row.min_max_wru, 1.0),
            median(row.cpu_ms.clone()),
        );
    }
    println!();

    // 2. Per function, per order.
    println!("## Per function, per order");
    println!();
    println!("| function | invocations | DynamoDB calls | RRU | WRU | handler CPU (sum of p50s) | billed ms (model) | GB-s |");
    println!("|---|---|---|---|---|---|---|---|");
    let by_function = rows(all, |inv| inv.function);
    let mut total = Usage::default();
    let (mut total_inv, mut total_gb_s, mut total_log, mut total_api) = (0.0, 0.0, 0u64, 0u64);
    let (mut sqs_sends, mut sqs_received) = (0u64, 0u64);
    let mut function_rows = Vec::new();
    for (function, row) in &by_function {
        let u = &row.usage;
        let calls: u64 = u.calls.values().sum();
        let steps = rows(
            &all.iter()
                .filter(|i| i.function == *function)
                .cloned()
                .collect::<Vec<_>>(),
            |inv| inv.step.clone(),
        );
        let cpu: f64 = steps
            .iter()
            .map(|(_, r)| median(r.cpu_ms.clone()) * r.invocations / per)
            .sum();
        println!(
            "| {function} | {} | {} | {} | {} | {cpu:.2} ms | {} | {:.4} |",
            units(row.invocations / per),
            units(calls as f64 / per),
            units(u.read_halves as f64 / 2.0 / per),
            units(u.wru() as f64 / per),
            units((row.billed_ms / per).round()),
            row.gb_s / per,
        );
        total.add(u);
        total_inv += row.invocations;
        total_gb_s += row.gb_s;
        total_log += row.log_bytes;
        total_api += row.api_requests;
        sqs_sends += row.sqs_send_requests;
        // Each message sent is received and deleted once by its consumer (low traffic: one
        // message per ReceiveMessage and per DeleteMessageBatch).
        sqs_received += 2 * row.sqs_sent;
        function_rows.push((*function, row));
    }
    let rru = total.read_halves as f64 / 2.0 / per;
    let wru = total.wru() as f64 / per;
    println!(
        "| **total** | {} | {} | {} | {} | | | {:.4} |",
        units(total_inv / per),
        units(total.calls.values().sum::<u64>() as f64 / per),
        units(rru),
        units(wru),
        total_gb_s / per,
    );
    println!();

    // 3. Per 1,000 orders.
    let k = 1000.0 / per;
    println!("## Per 1,000 orders (us-east-1 list prices, x86_64)");
    println!();
    println!("| function | requests | GB-s | DynamoDB RRU | DynamoDB WRU | Lambda $ | DynamoDB $ | total $ |");
    println!("|---|---|---|---|---|---|---|---|");
    let (mut lambda_total, mut dynamo_total, mut arm_total) = (0.0, 0.0, 0.0);
    for (function, row) in &function_rows {
        let requests = row.invocations * k;
        let gb_s = row.gb_s * k;
        let r = row.usage.read_halves as f64 / 2.0 * k;
        let w = row.usage.wru() as f64 * k;
        let lambda = requests * LAMBDA_REQUEST + gb_s * LAMBDA_X86_GB_S;
        arm_total += requests * LAMBDA_REQUEST + gb_s * LAMBDA_ARM_GB_S;
        let dynamo = r * DYNAMODB_RRU + w * DYNAMODB_WRU;
        lambda_total += lambda;
        dynamo_total += dynamo;
        println!(
            "| {function} | {} | {:.1} | {} | {} | {} | {} | {} |",
            units(requests.round()),
            gb_s,
            units(r.round()),
            units(w.round()),
            dollars(lambda),
            dollars(dynamo),
            dollars(lambda + dynamo)
        );
    }
    let api = total_api as f64 * k;
    let api_cost = api * HTTP_API_REQUEST;
    let sqs = (sqs_sends + sqs_received) as f64 * k;
    let sqs_cost = sqs * SQS_FIFO_REQUEST;
    let log_gb = total_log as f64 * k / (1u64 << 30) as f64;
    let log_cost = log_gb * LOGS_INGESTION_GB;
    println!(
        "| API Gateway HTTP API | {} requests | | | | | | {} |",
        units(api.round()),
        dollars(api_cost)
    );
    println!(
        "| SQS FIFO (send, receive, delete) | {} requests | | | | | | {} |",
        units(sqs.round()),
        dollars(sqs_cost)
    );
    println!(
        "| CloudWatch Logs ingestion | {:.1} MB | | | | | | {} |",
        total_log as f64 * k / 1e6,
        dollars(log_cost)
    );
    let total_cost = lambda_total + dynamo_total + api_cost + sqs_cost + log_cost;
    println!(
        "| **total** | | {:.1} | {} | {} | {} | {} | **{}** |",
        total_gb_s * k,
        units((rru * 1000.0).round()),
        units((wru * 1000.0).round()),
        dollars(lambda_total),
        dollars(dynamo_total),
        dollars(total_cost)
    );
    println!();
    println!(
        "arm64: Lambda {} instead of {} per 1,000 orders (total {}).",
        dollars(arm_total),
        dollars(lambda_total),
        dollars(total_cost - lambda_total + arm_total)
    );
    let stored_gb = table_bytes as f64 * 1000.0 / 1e9;
    println!(
        "Storage: one completed order keeps {table_bytes} bytes in the table and its indexes (item + GSI entries + 100 bytes of overhead each): {:.4} GB per 1,000 orders, {} per month (+ PITR {}).",
        stored_gb,
        dollars(stored_gb * DYNAMODB_STORAGE_GB_MONTH),
        dollars(stored_gb * DYNAMODB_PITR_GB_MONTH)
    );
    println!(
        "Per order: {} DynamoDB calls, {} RRU, {} WRU, {} Lambda invocations, {} API requests, {} SQS requests, {} log bytes.",
        units(total.calls.values().sum::<u64>() as f64 / per),
        units(rru),
        units(wru),
        units(total_inv / per),
        units(total_api as f64 / per),
        units((sqs_sends + sqs_received) as f64 / per),
        units((total_log as f64 / per).round()),
    );
    let functions = [
        "graphql-checkout",
        "graphql-orders",
        "graphql-vendor",
        "graphql-account",
        "webhooks",
        "sync-updater",
        "outbox-relay",
        "event-sender",
        "hold-sweeper",
    ];
    let series: usize = functions.iter().map(|f| reported_metrics(f).len()).sum();
    let template = Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml");
    let alarms = std::fs::read_to_string(template)
        .map(|t| t.matches("Type: AWS::CloudWatch::Alarm").count())
        .unwrap_or(0);
    println!(
        "Fixed a month, whatever the orders: {series} custom metric series (one per metric and function, zeros included) × $0.30 = {}; {alarms} alarms in template.yaml × $0.10 = {}.",
        dollars(series as f64 * CUSTOM_METRIC_MONTH),
        dollars(alarms as f64 * ALARM_MONTH)
    );
    let failed: u64 = all.iter().map(|i| i.usage.failed_conditions).sum();
    if failed > 0 {
        println!(
            "Note: {failed} conditional writes failed during the run (billed as DynamoDB does)."
        );
    }
}

/// Bytes the order leaves in the table: the item and its GSI entries, 100 bytes of overhead each.
async fn stored_bytes(inner: &Arc<dyn ItemStore>, order_id: &str) -> u64 {
    let Ok(id) = OrderId::new(order_id) else {
        return 0;
    };
    let key = oms_persistence::keys::order(&tenant(TENANT), &id);
    match inner.get(&key, true).await {
        // The item and each GSI's entry (its projection of the item), 100 bytes of overhead each.
        Ok(Some(item)) => Index::GSIS
            .into_iter()
            .filter_map(|i| projected(&item, i))
            .chain(std::iter::once(item.clone()))
            .map(|copy| item_size(&copy) + 100)
            .sum(),
        _ => 0,
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let orders: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(30)
        .max(1);
    let warmup: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(20);

    let logs = Arc::new(LogCount::default());
    install_json_logs(logs.clone());

    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let dir = TempDir::new("oms-cost");
    let raw: Arc<dyn ItemStore> = Arc::new(SqliteStore::open(
        dir.path().join("oms.sqlite"),
        clock.clone(),
    )?);
    let meter = Arc::new(Meter::new(raw.clone()));
    let store: Arc<dyn Store> = Arc::new(Repository::new(meter.clone()));

    // The demo tenant, subscribed to its order events; its coupon usable once per order.
    demo::seed(store.as_ref()).await?;
    let t = tenant(TENANT);
    let mut config = store
        .get_tenant_config(&t)
        .await?
        .ok_or("the demo tenant has no configuration")?;
    config.events_url = Some(EVENTS_URL.into());
    store.put_tenant_config(&config).await?;
    let mut secrets = store
        .get_tenant_secrets(&t)
        .await?
        .ok_or("the demo tenant has no secrets")?;
    secrets.events_secret = Some("bench-events-secret".into());
    store.put_tenant_secrets(&secrets).await?;
    let coupon = Coupon {
        vendor_id: VendorId::new(VENDOR)?,
        code: CouponCode::new(COUPON)?,
        offer_id: OfferId::new("o-welcome10")?,
        starts_at: None,
        ends_at: None,
        is_active: true,
        usage_limit: Some(1_000_000),
        per_customer_limit: Some(1_000_000),
        minimum_subtotal: None,
    };
    store
        .apply_snapshot(&t, SnapshotWrite::Coupon(coupon), 2)
        .await?;

    let secret = format!("bench-{}", ulid::Ulid::new());
    let sync_queue = Arc::new(Recorded::default());
    let events_queue = Arc::new(Recorded::default());
    let functions = Functions {
        checkout: group_router(&store, &clock, &secret, Group::Checkout)?,
        orders: group_router(&store, &clock, &secret, Group::Orders)?,
        vendor: group_router(&store, &clock, &secret, Group::Vendor)?,
        webhooks: finish(webhook_routes(Arc::new(WebhookDeps::new(
            store.clone(),
            sync_queue.clone(),
            clock.clone(),
        )))),
        updater: UpdaterDeps::new(store.clone(), clock.clone()),
        relay: RelayDeps {
            store: store.clone(),
            queue: events_queue.clone(),
            clock: clock.clone(),
        },
        sender: SenderDeps {
            store: store.clone(),
            delivery: Arc::new(Accepts),
            secrets: Arc::new(oms_application::ports::ValueSecrets),
            clock: clock.clone(),
            metrics: Arc::default(),
        },
    };
    let token = |sub: &str,
                 roles: &[Role],
                 vendor: Option<&str>|
     -> Result<String, Box<dyn std::error::Error>> {
        let vendor = vendor.map(VendorId::new).transpose()?;
        Ok(oms_auth::issue_dev_token(
            secret.as_bytes(),
            &t,
            &CustomerId::new(sub)?,
            roles,
            vendor.as_ref(),
            Duration::from_secs(6 * 3600),
            chrono::Utc::now(),
        ))
    };
    let tokens = Tokens {
        customer: token(CUSTOMER, &[Role::Customer], None)?,
        vendor: token(VENDOR_USER, &[Role::Vendor], Some(VENDOR))?,
    };
    let bench = Bench {
        meter: meter.clone(),
        logs,
        sync_queue,
        events_queue,
    };

    eprintln!("{warmup} warm-up orders, then {orders} measured…");
    for n in 0..warmup {
        one_order(&bench, &functions, &tokens, n).await;
    }
    let started = Instant::now();
    let mut all = Vec::new();
    let mut last = String::new();
    for n in warmup..warmup + orders {
        let (invocations, order_id) = one_order(&bench, &functions, &tokens, n).await;
        all.extend(invocations);
        last = order_id;
    }
    let elapsed = started.elapsed();
    // The last order as it stays in the table.
    let table_bytes = stored_bytes(&raw, &last).await;
    report(&all, orders, warmup, elapsed, table_bytes);
    report_sizes(&meter.sizes());
    drop(dir);
    Ok(())
}
