//! Load generator for a running `oms serve --demo` (docs/benchmarks.md "Local server
//! throughput"). A benchmark, run on demand, never a test: it prints figures and asserts nothing.
//!
//!   cargo run --release -p oms-e2e --example load -- --pid PID [--clients 8] [--seconds 20]
//!       [--warmup 3] [--url http://127.0.0.1:8080] [--data-dir .oms-data]
//!
//! Each of `--clients` tasks runs the 6-mutation checkout flow of the system we replaced, over
//! and over, on its own keep-alive HTTP/1.1 connection: checkoutItems (2 × T-SHIRT-L, with a
//! destination and an idempotency key) → addLineItems (1 × MUG-01) → changeDestination →
//! addCoupon (WELCOME10) → selectShippingOption (STANDARD) → placeOrder (idempotency key).
//! Every flow is a new customer (its own cart and order, and its own use of the coupon, whose
//! per-customer limit is 1), with a dev HS256 token minted here from the server's dev secret
//! (`OMS_JWT_HS256_SECRET`, else `<data-dir>/dev-jwt-secret`, as `oms token` does).
//!
//! Before the run it raises the stock of T-SHIRT-L and MUG-01 and lifts the coupon's usage limit
//! through signed webhooks (the demo tenant's secret, versions = the current time in ms), so
//! stock and coupon uses suffice for any run; then it waits until a checkout succeeds.
//!
//! A flow counts when all six mutations answered HTTP 200 without `errors` and without
//! `userErrors`; anything else is a failed flow (counted, never throughput). Latency is per
//! mutation, request sent to response body read, on the client. The server's CPU (utime +
//! stime of `/proc/<pid>/stat`, over the measured window) and RSS (`VmRSS`, `VmHWM` of
//! `/proc/<pid>/status`) come from `--pid`, and so do the bytes it wrote to storage per flow
//! (`write_bytes` of `/proc/<pid>/io`) and its read calls (`syscr`); the generator's own CPU is
//! printed too. It runs on one thread (a current-thread runtime) so it costs the machine little.
//!
//! Every mutation also writes an outbound event, which the server relays (and, for a tenant
//! with an events URL, delivers) in the background; under load that work can lag behind and
//! part of it fall after the measured window. So after the window the generator stops the clients and watches the server's store
//! file (`<data-dir>/oms.sqlite`, read-only) until the change stream and the events queue are
//! empty, then prints the backlog, how long it took to drain and the server's CPU per flow
//! *with* the drain: the cost a sustained load pays, and so the flows/s the machine's cores can
//! sustain.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use oms_domain::auth::Role;
use oms_domain::ids::{CustomerId, TenantId};
use serde_json::{json, Value};

type Http = Client<HttpConnector, Full<Bytes>>;
type Failure = Box<dyn std::error::Error + Send + Sync>;

const TENANT: &str = "demo";
const WEBHOOK_SECRET: &str = "demo-webhook-secret";
/// Linux reports /proc/<pid>/stat times in USER_HZ, 100 on every supported architecture.
const TICKS_PER_SECOND: f64 = 100.0;

const STEPS: [&str; 6] = [
    "checkoutItems",
    "addLineItems",
    "changeDestination",
    "addCoupon",
    "selectShippingOption",
    "placeOrder",
];

const CHECKOUT: &str = "mutation Checkout($key: String!) { checkoutItems(input: {vendorId: \"v-demo\", \
    items: [{sku: \"T-SHIRT-L\", quantity: 2}], idempotencyKey: $key, \
    destination: {street: \"1 Raffles Place\", city: \"Singapore\", postal: \"048616\", country: \"SG\"}}) \
    { order { id version status total { amount currency } } userErrors { code field message } } }";
const ADD_LINES: &str = "mutation Add($id: ID!) { addLineItems(input: {orderId: $id, \
    items: [{sku: \"MUG-01\", quantity: 1}]}) { order { id version subtotal { amount } } \
    userErrors { code field message } } }";
const CHANGE_DESTINATION: &str = "mutation Dest($id: ID!) { changeDestination(input: {orderId: $id, \
    destination: {street: \"10 Marina Boulevard\", city: \"Singapore\", postal: \"018983\", country: \"SG\"}}) \
    { order { id version destination { street } } userErrors { code field message } } }";
const ADD_COUPON: &str =
    "mutation Coupon($id: ID!) { addCoupon(input: {orderId: $id, code: \"WELCOME10\"}) \
    { order { id version discountTotal { amount } } userErrors { code field message } } }";
const SELECT_SHIPPING: &str =
    "mutation Ship($id: ID!) { selectShippingOption(input: {orderId: $id, \
    method: STANDARD}) { order { id version shippingCost { amount } total { amount } } \
    userErrors { code field message } } }";
const PLACE: &str = "mutation Place($id: ID!, $key: String!) { placeOrder(input: {orderId: $id, \
    idempotencyKey: $key}) { order { id version status } userErrors { code field message } } }";

struct Args {
    url: String,
    clients: usize,
    seconds: u64,
    warmup: u64,
    pid: Option<u32>,
    data_dir: String,
}

fn parse_args() -> Result<Args, Failure> {
    let mut args = Args {
        url: "http://127.0.0.1:8080".into(),
        clients: 8,
        seconds: 20,
        warmup: 3,
        pid: None,
        data_dir: ".oms-data".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--url" => args.url = value()?.trim_end_matches('/').to_owned(),
            "--clients" => args.clients = value()?.parse()?,
            "--seconds" => args.seconds = value()?.parse()?,
            "--warmup" => args.warmup = value()?.parse()?,
            "--pid" => args.pid = Some(value()?.parse()?),
            "--data-dir" => args.data_dir = value()?,
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    if args.clients == 0 || args.seconds == 0 {
        return Err("--clients and --seconds must be at least 1".into());
    }
    Ok(args)
}

fn dev_secret(data_dir: &str) -> Result<String, Failure> {
    if let Ok(s) = std::env::var("OMS_JWT_HS256_SECRET") {
        if !s.is_empty() {
            return Ok(s);
        }
    }
    let path = std::path::Path::new(data_dir).join("dev-jwt-secret");
    let s = std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "reading {}: {e} (set OMS_JWT_HS256_SECRET or --data-dir)",
            path.display()
        )
    })?;
    Ok(s.trim().to_owned())
}

/// What a failed mutation was.
#[derive(Clone, Copy)]
enum Outcome {
    /// Transport error, non-200 status, or GraphQL `errors`.
    Error,
    /// The payload's `userErrors` were not empty.
    UserError,
}

struct Shared {
    http: Http,
    url: String,
    secret: Vec<u8>,
    run: String,
    /// Set when the measured window starts; flows started before it are warm-up.
    measuring: AtomicBool,
    stop: AtomicBool,
    next_customer: AtomicU64,
}

#[derive(Default)]
struct Tally {
    flows: u64,
    failed_flows: u64,
    errors: u64,
    user_errors: u64,
    /// Microseconds per step of [`STEPS`].
    latencies: [Vec<u32>; 6],
    first_failure: Option<String>,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        self.flows += other.flows;
        self.failed_flows += other.failed_flows;
        self.errors += other.errors;
        self.user_errors += other.user_errors;
        for (mine, theirs) in self.latencies.iter_mut().zip(other.latencies) {
            mine.extend(theirs);
        }
        if self.first_failure.is_none() {
            self.first_failure = other.first_failure;
        }
    }
}

async fn post(
    shared: &Shared,
    token: &str,
    path: &str,
    headers: &[(&str, String)],
    body: Vec<u8>,
) -> Result<(u16, Value), Failure> {
    let mut req = hyper::Request::post(format!("{}{path}", shared.url))
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"));
    for (name, value) in headers {
        req = req.header(*name, value);
    }
    let resp = shared
        .http
        .request(req.body(Full::new(Bytes::from(body)))?)
        .await?;
    let status = resp.status().as_u16();
    let bytes = resp.into_body().collect().await?.to_bytes();
    let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Ok((status, value))
}

/// One mutation; `Ok(payload)` with the mutation's field, or the outcome and a description.
async fn mutation(
    shared: &Shared,
    token: &str,
    step: usize,
    query: &str,
    variables: Value,
    latency: &mut [Vec<u32>; 6],
) -> Result<Value, (Outcome, String)> {
    let body = json!({ "query": query, "variables": variables })
        .to_string()
        .into_bytes();
    let started = Instant::now();
    let answer = post(shared, token, "/graphql", &[], body).await;
    let micros = u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
    latency[step].push(micros);
    let (status, value) = answer.map_err(|e| (Outcome::Error, format!("{}: {e}", STEPS[step])))?;
    if status != 200 || value.get("errors").is_some() {
        return Err((
            Outcome::Error,
            format!("{}: HTTP {status} {value}", STEPS[step]),
        ));
    }
    let payload = value["data"][STEPS[step]].clone();
    match payload["userErrors"].as_array() {
        Some(errors) if errors.is_empty() => Ok(payload),
        _ => Err((Outcome::UserError, format!("{}: {payload}", STEPS[step]))),
    }
}

async fn flow(shared: &Shared, latency: &mut [Vec<u32>; 6]) -> Result<(), (Outcome, String)> {
    let n = shared.next_customer.fetch_add(1, Ordering::Relaxed);
    let customer = format!("c-load-{}-{n}", shared.run);
    let token = token(shared, &customer).map_err(|e| (Outcome::Error, e.to_string()))?;
    let key = |what: &str| format!("{what}-{customer}");
    let checkout = mutation(
        shared,
        &token,
        0,
        CHECKOUT,
        json!({ "key": key("checkout") }),
        latency,
    )
    .await?;
    let id = checkout["order"]["id"].clone();
    let with_id = || json!({ "id": id });
    mutation(shared, &token, 1, ADD_LINES, with_id(), latency).await?;
    mutation(shared, &token, 2, CHANGE_DESTINATION, with_id(), latency).await?;
    mutation(shared, &token, 3, ADD_COUPON, with_id(), latency).await?;
    mutation(shared, &token, 4, SELECT_SHIPPING, with_id(), latency).await?;
    let placed = mutation(
        shared,
        &token,
        5,
        PLACE,
        json!({ "id": id, "key": key("place") }),
        latency,
    )
    .await?;
    if placed["order"]["status"] != "PENDING" {
        return Err((
            Outcome::Error,
            format!("placeOrder: status {}", placed["order"]["status"]),
        ));
    }
    Ok(())
}

fn token(shared: &Shared, customer: &str) -> Result<String, Failure> {
    Ok(oms_auth::issue_dev_token(
        &shared.secret,
        &TenantId::new(TENANT)?,
        &CustomerId::new(customer)?,
        &[Role::Customer],
        None,
        Duration::from_secs(3600),
        chrono::Utc::now(),
    ))
}

async fn client(shared: Arc<Shared>) -> Tally {
    let mut tally = Tally::default();
    let mut warm = Tally::default();
    while !shared.stop.load(Ordering::Relaxed) {
        let measured = shared.measuring.load(Ordering::Relaxed);
        let target = if measured { &mut tally } else { &mut warm };
        match flow(&shared, &mut target.latencies).await {
            Ok(()) => target.flows += 1,
            Err((outcome, what)) => {
                target.failed_flows += 1;
                match outcome {
                    Outcome::UserError => target.user_errors += 1,
                    Outcome::Error => target.errors += 1,
                }
                if target.first_failure.is_none() {
                    target.first_failure = Some(what);
                }
            }
        }
    }
    tally
}

/// Signed webhooks: plenty of stock for both products, no usage limit on the coupon.
async fn provision(shared: &Shared) -> Result<(), Failure> {
    let version = chrono::Utc::now().timestamp_millis();
    let occurred = chrono::Utc::now().to_rfc3339();
    let product = |id: &str, sku: &str, name: &str, price: &str, weight: &str| {
        (
            "vendor-products",
            json!({
                "id": format!("evt-load-{sku}-{version}"),
                "type": "vendor_product.upserted",
                "tenant_id": TENANT,
                "version": version,
                "occurred_at": occurred,
                "data": {
                    "product_id": id, "vendor_id": "v-demo", "product_sku": sku,
                    "product_name": name, "product_price": price, "product_currency": "SGD",
                    "stock": 1_000_000_000u64, "package_weight": weight,
                    "package_length": 30, "package_width": 20, "package_height": 5,
                    "is_active": true, "is_taxable": true
                }
            }),
        )
    };
    let events = [
        product("p-t-shirt-l", "T-SHIRT-L", "T Shirt Large", "10.00", "1.0"),
        product("p-mug-01", "MUG-01", "Ceramic Mug", "12.50", "0.5"),
        (
            "vendor-coupons",
            json!({
                "id": format!("evt-load-coupon-{version}"),
                "type": "vendor_coupon.upserted",
                "tenant_id": TENANT,
                "version": version,
                "occurred_at": occurred,
                "data": {
                    "vendor_id": "v-demo", "coupon_code": "WELCOME10", "offer_id": "o-welcome10",
                    "is_active": true, "per_customer_limit": 1
                }
            }),
        ),
    ];
    for (kind, event) in events {
        let body = event.to_string().into_bytes();
        let signature =
            oms_sync::signature::oms::sign(WEBHOOK_SECRET, chrono::Utc::now().timestamp(), &body);
        let (status, answer) = post(
            shared,
            "",
            &format!("/webhooks/{TENANT}/{kind}"),
            &[(oms_sync::signature::oms::HEADER, signature)],
            body,
        )
        .await?;
        if status != 202 && status != 200 {
            return Err(format!("webhook {kind}: HTTP {status} {answer}").into());
        }
    }
    // The updater applies them asynchronously: wait until a flow goes through.
    let mut latency: [Vec<u32>; 6] = Default::default();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match flow(shared, &mut latency).await {
            Ok(()) => return Ok(()),
            Err((_, what)) if Instant::now() > deadline => {
                return Err(format!("no flow succeeded after provisioning: {what}").into())
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// How long the generator waits for the server to relay and deliver its outbound events.
const DRAIN_LIMIT: Duration = Duration::from_secs(300);

/// Outbound events the server still has to relay (its change stream) or deliver (its events
/// queue, dead letters aside), from its store file; `None` when the file cannot be read.
fn outbound_backlog(data_dir: &str) -> Option<u64> {
    let path = std::path::Path::new(data_dir).join("oms.sqlite");
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .ok()?;
    conn.busy_timeout(Duration::from_secs(5)).ok()?;
    conn.query_row(
        "SELECT (SELECT count(*) FROM stream) + (SELECT count(*) FROM queue_journal \
         WHERE queue = 'events' AND dead_error IS NULL)",
        [],
        |r| r.get::<_, u64>(0),
    )
    .ok()
}

/// Polls the backlog until it is empty (`Some(true)`), or [`DRAIN_LIMIT`] passed.
async fn wait_drained(data_dir: &str) -> Option<bool> {
    let started = Instant::now();
    while started.elapsed() < DRAIN_LIMIT {
        if outbound_backlog(data_dir)? == 0 {
            return Some(true);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Some(false)
}

/// (utime + stime in seconds, VmRSS kB, VmHWM kB) of `pid`.
fn proc_usage(pid: &str) -> Option<(f64, u64, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) start at `state` (field 3).
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Some((ticks / TICKS_PER_SECOND, kb("VmRSS:"), kb("VmHWM:")))
}

/// What `/proc/<pid>/io` says so far: bytes `pid` caused to be written to storage
/// (`write_bytes`: the WAL frames, checkpoints and journals, not its sockets) and its read
/// system calls (`syscr`: the store's page fetches, and its sockets' reads).
fn proc_io(pid: &str) -> Option<(u64, u64)> {
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).ok()?;
    let field = |name: &str| {
        io.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse().ok())
    };
    Some((field("write_bytes:")?, field("syscr:")?))
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    f64::from(sorted[rank.clamp(1, sorted.len()) - 1]) / 1000.0
}

fn main() -> Result<(), Failure> {
    let args = parse_args()?;
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(run(args))
}

async fn run(args: Args) -> Result<(), Failure> {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    let http: Http = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(args.clients)
        .pool_idle_timeout(Duration::from_secs(60))
        .build(connector);
    let shared = Arc::new(Shared {
        http,
        url: args.url.clone(),
        secret: dev_secret(&args.data_dir)?.into_bytes(),
        run: ulid::Ulid::new().to_string().to_lowercase(),
        measuring: AtomicBool::new(false),
        stop: AtomicBool::new(false),
        next_customer: AtomicU64::new(0),
    });
    provision(&shared).await?;

    let tasks: Vec<_> = (0..args.clients)
        .map(|_| tokio::spawn(client(Arc::clone(&shared))))
        .collect();
    tokio::time::sleep(Duration::from_secs(args.warmup)).await;
    let pid = args.pid.map(|p| p.to_string());
    let server_before = pid.as_deref().and_then(proc_usage);
    let io_before = pid.as_deref().and_then(proc_io);
    let self_before = proc_usage("self");
    let started = Instant::now();
    shared.measuring.store(true, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    shared.measuring.store(false, Ordering::Relaxed);
    let elapsed = started.elapsed().as_secs_f64();
    let server_after = pid.as_deref().and_then(proc_usage);
    let io_after = pid.as_deref().and_then(proc_io);
    let self_after = proc_usage("self");
    shared.stop.store(true, Ordering::Relaxed);
    let mut tally = Tally::default();
    for task in tasks {
        tally.merge(task.await?);
    }
    let backlog = outbound_backlog(&args.data_dir);
    let drain_started = Instant::now();
    let drained = match backlog {
        Some(_) => wait_drained(&args.data_dir).await,
        None => None,
    };
    let drain_seconds = drain_started.elapsed().as_secs_f64();
    let server_drained = pid.as_deref().and_then(proc_usage);

    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "{} clients, {elapsed:.1} s measured after {} s warm-up, {}",
        args.clients, args.warmup, args.url
    );
    println!(
        "flows: {} ok, {} failed ({} errors, {} user errors) -> {:.1} flows/s",
        tally.flows,
        tally.failed_flows,
        tally.errors,
        tally.user_errors,
        tally.flows as f64 / elapsed
    );
    if let Some(first) = &tally.first_failure {
        println!("first failure: {first}");
    }
    println!(
        "{:<22} {:>8} {:>9} {:>9} {:>9}",
        "mutation (ms)", "count", "p50", "p99", "max"
    );
    let mut all = Vec::new();
    for (step, lat) in STEPS.iter().zip(tally.latencies.iter_mut()) {
        lat.sort_unstable();
        println!(
            "{step:<22} {:>8} {:>9.3} {:>9.3} {:>9.3}",
            lat.len(),
            percentile(lat, 50.0),
            percentile(lat, 99.0),
            percentile(lat, 100.0)
        );
        all.extend_from_slice(lat);
    }
    all.sort_unstable();
    println!(
        "{:<22} {:>8} {:>9.3} {:>9.3} {:>9.3}",
        "all mutations",
        all.len(),
        percentile(&all, 50.0),
        percentile(&all, 99.0),
        percentile(&all, 100.0)
    );
    let flows = tally.flows.max(1) as f64;
    if let (Some((cpu0, _, _)), Some((cpu1, rss, hwm))) = (server_before, server_after) {
        let cpu = cpu1 - cpu0;
        println!(
            "server: {:.3} ms CPU per flow ({:.2} cores busy), RSS {:.1} MB, peak RSS {:.1} MB",
            cpu * 1000.0 / flows,
            cpu / elapsed,
            rss as f64 / 1024.0,
            hwm as f64 / 1024.0
        );
    } else {
        println!("server: no --pid (or /proc unreadable): CPU and RSS not measured");
    }
    if let (Some((w0, r0)), Some((w1, r1))) = (io_before, io_after) {
        // Deterministic enough to compare builds where flows/s is noisy: what one flow costs the
        // disk (WAL frames, then the checkpoint's copy into the database file), and how many
        // read calls it takes (pages a read connection fetches again after a commit; the six
        // requests' socket reads).
        println!(
            "server storage writes: {:.1} KB per flow; read calls: {:.0} per flow",
            w1.saturating_sub(w0) as f64 / 1024.0 / flows,
            r1.saturating_sub(r0) as f64 / flows
        );
    }
    match (backlog, drained, server_before, server_drained) {
        (Some(left), Some(true), Some((cpu0, _, _)), Some((cpu2, _, _))) => {
            // Flows finished after the window (at most one per client) are not counted: the
            // figure errs high by at most `clients` flows' work.
            let per_flow = (cpu2 - cpu0) / flows;
            let cores = std::thread::available_parallelism().map_or(1, usize::from) as f64;
            println!(
                "outbound events left at the end: {left} (drained in {drain_seconds:.1} s); \
                 server CPU per flow with them: {:.3} ms -> {cores} cores sustain at most \
                 {:.0} flows/s",
                per_flow * 1000.0,
                cores / per_flow
            );
        }
        (Some(left), _, _, _) => println!(
            "outbound events left at the end: {left}; not drained within {DRAIN_LIMIT:?} (or \
             no --pid): CPU per flow with them not measured"
        ),
        (None, ..) => println!(
            "outbound backlog: no readable {}/oms.sqlite (--data-dir): not measured",
            args.data_dir
        ),
    }
    if let (Some((c0, _, _)), Some((c1, _, _))) = (self_before, self_after) {
        println!(
            "generator: {:.3} ms CPU per flow ({:.2} cores busy)",
            (c1 - c0) * 1000.0 / flows,
            (c1 - c0) / elapsed
        );
    }
    println!("load average: {}", load.trim());
    Ok(())
}
