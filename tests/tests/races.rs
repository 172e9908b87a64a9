//! The race suite (issue 13 §2), every race on both backends: the embedded store fully
//! concurrent, and DynamoDB on moto, where the harness sends the store calls one at a time
//! because moto does not isolate concurrent transactions (see `CountingStore`): the HTTP requests
//! still run concurrently and interleave between store calls, and only the conditions of our
//! transactions decide who wins.
//!
//! Every race runs on a multi-threaded runtime, its requests released together by a barrier.
//! Assertions are on counts and final states (stock counters and coupon counters read from the
//! item store, orders read back over GraphQL) and on what the losers were told, never on timing.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use oms_application::ports::{ApplyOutcome, CatalogRequest, SnapshotWrite};
use oms_domain::auth::Role;
use oms_domain::catalog::{Coupon, Product};
use oms_domain::ids::{CouponCode, CustomerId, ProductId, Sku, VendorId};
use oms_e2e::*;
use oms_persistence::stock::StockCounters;
use oms_persistence::{codec, keys};
use oms_store::ItemStore as _;
use serde_json::{json, Value};
use tokio::sync::Barrier;

/// Each race as two tests, `<race>::embedded` and `<race>::dynamo`.
macro_rules! on_both_backends {
    ($($race:ident),* $(,)?) => {
        $(
            mod $race {
                use oms_e2e::Backend;

                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn embedded() {
                    super::$race(Backend::Embedded).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn dynamo() {
                    super::$race(Backend::Dynamo).await;
                }
            }
        )*
    };
}

on_both_backends!(
    one_key_placed_by_a_hundred_requests_places_once,
    fifty_buyers_on_five_units_place_exactly_five,
    a_coupon_limit_of_n_is_used_exactly_n_times,
    cancel_against_ship_lets_exactly_one_win,
    product_snapshots_racing_placements_never_free_held_units,
    concurrent_webhook_versions_leave_the_newest,
    concurrent_checkouts_with_one_key_create_one_order,
    concurrent_edits_of_one_version_let_exactly_one_win,
);

// ---------------------------------------------------------------------------------------------
// Helpers.
// ---------------------------------------------------------------------------------------------

/// One racer of a race whose racers run different requests.
type Racer<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Runs every job on its own task, all released at once by a barrier; the answers in job order.
async fn all_at_once<T, F>(jobs: Vec<F>) -> Vec<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let barrier = Arc::new(Barrier::new(jobs.len()));
    let tasks: Vec<_> = jobs
        .into_iter()
        .map(|job| {
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                job.await
            })
        })
        .collect();
    let mut answers = Vec::with_capacity(tasks.len());
    for task in tasks {
        answers.push(task.await.unwrap_or_else(|e| panic!("a racer failed: {e}")));
    }
    answers
}

/// `true` when the payload has no user errors.
fn succeeded(payload: &Value) -> bool {
    payload["userErrors"].as_array().is_some_and(Vec::is_empty)
}

/// The code of the payload's one user error, asserting it failed with exactly one and no order.
fn error_code(payload: &Value) -> String {
    let errors = payload["userErrors"]
        .as_array()
        .unwrap_or_else(|| panic!("no userErrors: {payload}"));
    assert_eq!(errors.len(), 1, "expected one user error: {payload}");
    assert!(
        payload["order"].is_null(),
        "a refused mutation returned an order: {payload}"
    );
    errors[0]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no code: {payload}"))
        .to_string()
}

fn sku(s: &str) -> Sku {
    Sku::new(s).unwrap_or_else(|e| panic!("sku {s}: {e}"))
}

fn vendor_id() -> VendorId {
    VendorId::new(VENDOR).unwrap_or_else(|e| panic!("{e}"))
}

/// The stock counters of `s` (tenant demo), read consistently from the item store, asserting
/// the stored `available` is `on_hand − held − shipped`.
async fn counters(app: &TestApp, s: &str) -> StockCounters {
    let item = app
        .items
        .get(&keys::stock(&tenant(TENANT), &vendor_id(), &sku(s)), true)
        .await
        .unwrap_or_else(|e| panic!("reading the stock item of {s}: {e}"))
        .unwrap_or_else(|| panic!("no stock item for {s}"));
    let c = StockCounters::from_item(&item).unwrap_or_else(|e| panic!("stock item of {s}: {e}"));
    assert_eq!(
        codec::number(&item, oms_persistence::stock::AVAILABLE),
        Some(c.available()),
        "{s}: the stored available must be on_hand - held - shipped: {c:?}"
    );
    c
}

/// The stored product item of `s` (tenant demo, `v-demo`), read consistently.
async fn product_item(app: &TestApp, s: &str) -> oms_store::Item {
    app.items
        .get(&keys::product(&tenant(TENANT), &vendor_id(), &sku(s)), true)
        .await
        .unwrap_or_else(|e| panic!("reading the product item of {s}: {e}"))
        .unwrap_or_else(|| panic!("no product item for {s}"))
}

/// `(on_hand, held, shipped, available)`.
fn parts(c: &StockCounters) -> (i64, i64, i64, i64) {
    (c.on_hand, c.held, c.shipped, c.available())
}

/// A fresh product of `v-demo` with `stock` on hand (snapshot version 1).
async fn stocked(app: &TestApp, s: &str, stock: i64) {
    app.apply(
        TENANT,
        SnapshotWrite::Product(product(s, sgd("20.00"), stock)),
        1,
    )
    .await;
}

/// A customer of tenant demo.
fn buyer(app: &TestApp, name: &str) -> String {
    app.token(TENANT, name, &[Role::Customer], None)
}

/// A DRAFT of `items` ready to place (destination, the `coupon` if any, then STANDARD
/// shipping): `(id, draft)`.
async fn ready_draft(
    app: &TestApp,
    token: &str,
    items: &[(&str, i64)],
    coupon: Option<&str>,
) -> (String, Value) {
    let id = id_of(&app.checkout(token, items, true).await);
    if let Some(code) = coupon {
        ok(app
            .mutate(token, "addCoupon", json!({"orderId": id, "code": code}))
            .await);
    }
    let draft = ok(app
        .mutate(
            token,
            "selectShippingOption",
            json!({"orderId": id, "method": "STANDARD"}),
        )
        .await);
    (id, draft)
}

/// placeOrder of every `(token, id, _)` at once: the answers in `drafts` order.
async fn place_all_at_once(app: &Arc<TestApp>, drafts: &[(String, String, Value)]) -> Vec<Value> {
    all_at_once(
        drafts
            .iter()
            .map(|(token, id, _)| {
                let (app, token, id) = (app.clone(), token.clone(), id.clone());
                async move {
                    app.mutate(&token, "placeOrder", json!({"orderId": id}))
                        .await
                }
            })
            .collect(),
    )
    .await
}

/// placeOrder over HTTP, answering the raw response body (to compare replays byte for byte).
async fn place_raw(app: &TestApp, token: &str, input: Value) -> String {
    let query = format!(
        "mutation($input: PlaceOrderInput!) {{ placeOrder(input: $input) {{ order {{ {ORDER_FIELDS} }} userErrors {{ code field message }} }} }}"
    );
    let response = app
        .http
        .post(app.graphql_url())
        .header("authorization", format!("Bearer {token}"))
        .json(&json!({"query": query, "variables": {"input": input}}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST /graphql: {e}"));
    assert_eq!(response.status().as_u16(), 200, "placeOrder over HTTP");
    response
        .text()
        .await
        .unwrap_or_else(|e| panic!("reading the body: {e}"))
}

/// The ids of the vendor's orders in `status`.
async fn vendor_orders(app: &TestApp, status: &str) -> BTreeSet<String> {
    app.list_orders(&app.vendor_token(), "VENDOR", Some(status))
        .await
        .iter()
        .map(id_of)
        .collect()
}

/// checkoutItems of `units` of `s` by a new customer must be refused: "only {left} remaining".
async fn only_left(app: &TestApp, s: &str, units: i64, left: i64) {
    let probe = buyer(app, "c-probe");
    let payload = app
        .mutate(
            &probe,
            "checkoutItems",
            json!({"vendorId": VENDOR, "items": [{"sku": s, "quantity": units}]}),
        )
        .await;
    let message = user_error(
        &payload,
        "OUT_OF_STOCK",
        Some(&["input", "items", "0", "quantity"]),
    );
    assert!(message.contains(&format!("only {left}")), "{message}");
}

// ---------------------------------------------------------------------------------------------
// 1. One idempotency key, a hundred placements.
// ---------------------------------------------------------------------------------------------

/// 100 concurrent placeOrder of one order with one idempotency key: one placement, 99 replays
/// byte-identical to it, one PENDING order, its unit held once.
async fn one_key_placed_by_a_hundred_requests_places_once(backend: Backend) {
    let app = Arc::new(spawn_app(backend).await);
    stocked(&app, "RACE-KEY", 10).await;
    let c = app.customer_token();
    let (id, _) = ready_draft(&app, &c, &[("RACE-KEY", 1)], None).await;
    let writes = app.writes();

    let n = 100;
    let input = json!({"orderId": id, "idempotencyKey": "pay-click"});
    let answers = all_at_once(
        (0..n)
            .map(|_| {
                let (app, c, input) = (app.clone(), c.clone(), input.clone());
                async move { place_raw(&app, &c, input).await }
            })
            .collect(),
    )
    .await;

    // A request that lost the race replays the winner, never VERSION_CONFLICT or TRY_AGAIN.
    let first = &answers[0];
    let differing = answers.iter().filter(|a| *a != first).count();
    assert_eq!(
        differing, 0,
        "every request with one key must answer the winner's bytes: {answers:#?}"
    );
    let body: Value = serde_json::from_str(first).unwrap_or_else(|e| panic!("{e}: {first}"));
    assert!(
        body.get("errors").is_none_or(Value::is_null),
        "top-level errors: {body}"
    );
    let placed = ok(body["data"]["placeOrder"].clone());
    assert_eq!(
        (placed["status"].clone(), placed["version"].clone()),
        (json!("PENDING"), json!(3))
    );
    // One placement: one successful store write (its transaction); the 99 replays wrote nothing.
    assert_eq!(
        app.writes() - writes,
        1,
        "one placement transaction for {n} requests"
    );
    assert_eq!(app.get_order(&c, &id).await, placed);
    let orders = app.list_orders(&c, "CUSTOMER", None).await;
    assert_eq!(orders.len(), 1, "one order: {orders:?}");
    assert_eq!(
        vendor_orders(&app, "PENDING").await,
        BTreeSet::from([id.clone()])
    );
    assert_eq!(parts(&counters(&app, "RACE-KEY").await), (10, 1, 0, 9));

    // After the order moved on, the key still answers the first result, and the cancellation
    // released the unit once.
    ok(app
        .mutate(
            &c,
            "cancelOrder",
            json!({"orderId": id, "reason": "too slow"}),
        )
        .await);
    assert_eq!(&place_raw(&app, &c, input).await, first);
    assert_eq!(app.get_order(&c, &id).await["status"], "CANCELLED");
    assert_eq!(parts(&counters(&app, "RACE-KEY").await), (10, 0, 0, 10));
}

// ---------------------------------------------------------------------------------------------
// 2. Five units, fifty buyers.
// ---------------------------------------------------------------------------------------------

/// 50 customers each place a one-unit order at once on a stock of 5: exactly 5 PENDING orders,
/// 45 OUT_OF_STOCK naming the SKU, the losers' drafts untouched, 5 held and 0 available.
async fn fifty_buyers_on_five_units_place_exactly_five(backend: Backend) {
    let app = Arc::new(spawn_app(backend).await);
    stocked(&app, "LIMITED-1", 5).await;
    let n = 50;
    let mut drafts = Vec::new();
    for i in 0..n {
        let token = buyer(&app, &format!("c-race-{i:02}"));
        let (id, draft) = ready_draft(&app, &token, &[("LIMITED-1", 1)], None).await;
        drafts.push((token, id, draft));
    }
    let answers = place_all_at_once(&app, &drafts).await;

    let mut placed = BTreeSet::new();
    for (payload, (_, id, _)) in answers.iter().zip(&drafts) {
        if succeeded(payload) {
            assert_eq!(payload["order"]["status"], "PENDING", "{payload}");
            placed.insert(id.clone());
        } else {
            user_error(
                payload,
                "OUT_OF_STOCK",
                Some(&["input", "lineItems", "LIMITED-1"]),
            );
        }
    }
    assert_eq!(placed.len(), 5, "exactly the stock may be sold: {placed:?}");

    // The losers are untouched DRAFTs; the winners are PENDING.
    for (token, id, draft) in &drafts {
        let now = app.get_order(token, id).await;
        if placed.contains(id) {
            assert_eq!(
                (now["status"].clone(), now["version"].clone()),
                (json!("PENDING"), json!(3))
            );
        } else {
            assert_eq!(&now, draft, "a refused placement changed the order");
        }
    }
    assert_eq!(vendor_orders(&app, "PENDING").await, placed);
    assert_eq!(parts(&counters(&app, "LIMITED-1").await), (5, 5, 0, 0));
    only_left(&app, "LIMITED-1", 1, 0).await;
}

// ---------------------------------------------------------------------------------------------
// 3. A coupon's usage limit.
// ---------------------------------------------------------------------------------------------

/// A coupon of `v-demo` on the offer of WELCOME10 (10 % off).
fn coupon(code: &str, usage_limit: Option<u32>, per_customer_limit: Option<u32>) -> SnapshotWrite {
    SnapshotWrite::Coupon(Coupon {
        usage_limit,
        per_customer_limit,
        ..demo_coupon(code)
    })
}

/// A coupon's counter: the total `used` on its item, or one customer's.
async fn coupon_used(app: &TestApp, code: &str, customer: Option<&str>) -> i64 {
    let code = CouponCode::new(code).unwrap_or_else(|e| panic!("{e}"));
    let key = match customer {
        None => keys::coupon(&tenant(TENANT), &vendor_id(), &code),
        Some(c) => keys::coupon_use(
            &tenant(TENANT),
            &vendor_id(),
            &code,
            &CustomerId::new(c).unwrap_or_else(|e| panic!("{e}")),
        ),
    };
    let item = app
        .items
        .get(&key, true)
        .await
        .unwrap_or_else(|e| panic!("reading {key:?}: {e}"));
    item.and_then(|i| codec::number(&i, codec::USED))
        .unwrap_or(0)
}

/// Places every `(token, id)` at once; answers the ids placed (asserting each carries `code`)
/// and asserts every other answer is COUPON_USAGE_LIMIT_REACHED naming the coupon.
async fn place_with_coupon(
    app: &Arc<TestApp>,
    drafts: &[(String, String, Value)],
    code: &str,
) -> BTreeSet<String> {
    let answers = place_all_at_once(app, drafts).await;
    let mut placed = BTreeSet::new();
    for (payload, (token, id, draft)) in answers.iter().zip(drafts) {
        if succeeded(payload) {
            assert_eq!(payload["order"]["status"], "PENDING", "{payload}");
            assert_eq!(
                payload["order"]["coupons"][0]["code"], code,
                "a placed order carries the coupon: {payload}"
            );
            placed.insert(id.clone());
        } else {
            user_error(
                payload,
                "COUPON_USAGE_LIMIT_REACHED",
                Some(&["input", "coupons", code]),
            );
            assert_eq!(
                &app.get_order(token, id).await,
                draft,
                "a refused placement changed the order"
            );
        }
    }
    placed
}

/// The limit is enforced on the coupon's total (`usage_limit`, all customers) and on each
/// customer's counter (`per_customer_limit`), both by conditions in the placement transaction.
/// 20 customers place at once with a coupon allowing 5 uses in all: exactly 5 orders carry it,
/// 15 are refused, the total counter is 5. Then one customer places 8 orders at once with a
/// coupon allowing one use each: exactly one carries it, the customer's counter is 1.
async fn a_coupon_limit_of_n_is_used_exactly_n_times(backend: Backend) {
    let app = Arc::new(spawn_app(backend).await);
    stocked(&app, "RACE-CPN", 100).await;
    let limit = 5;
    app.apply(TENANT, coupon("RACE5", Some(limit), None), 1)
        .await;
    let mut drafts = Vec::new();
    for i in 0..20 {
        let token = buyer(&app, &format!("c-coupon-{i:02}"));
        let (id, draft) = ready_draft(&app, &token, &[("RACE-CPN", 1)], Some("RACE5")).await;
        drafts.push((token, id, draft));
    }
    let placed = place_with_coupon(&app, &drafts, "RACE5").await;
    assert_eq!(placed.len(), limit as usize, "{placed:?}");
    assert_eq!(coupon_used(&app, "RACE5", None).await, i64::from(limit));
    assert_eq!(vendor_orders(&app, "PENDING").await, placed);
    // The refused placements hold nothing.
    assert_eq!(parts(&counters(&app, "RACE-CPN").await), (100, 5, 0, 95));
    // Used up: a new cart cannot take it.
    let late = buyer(&app, "c-late");
    let id = id_of(&app.checkout(&late, &[("RACE-CPN", 1)], true).await);
    user_error(
        &app.mutate(&late, "addCoupon", json!({"orderId": id, "code": "RACE5"}))
            .await,
        "COUPON_USAGE_LIMIT_REACHED",
        Some(&["input", "code"]),
    );

    // Per customer: one use of ONCE-EACH per customer, 8 of one customer's orders at once.
    app.apply(TENANT, coupon("ONCE-EACH", None, Some(1)), 1)
        .await;
    let token = buyer(&app, "c-eager");
    let mut drafts = Vec::new();
    for _ in 0..8 {
        let (id, draft) = ready_draft(&app, &token, &[("RACE-CPN", 1)], Some("ONCE-EACH")).await;
        drafts.push((token.clone(), id, draft));
    }
    let placed = place_with_coupon(&app, &drafts, "ONCE-EACH").await;
    assert_eq!(placed.len(), 1, "{placed:?}");
    assert_eq!(coupon_used(&app, "ONCE-EACH", Some("c-eager")).await, 1);
    // Without a usage limit the total is not counted at all.
    assert_eq!(coupon_used(&app, "ONCE-EACH", None).await, 0);
    assert_eq!(parts(&counters(&app, "RACE-CPN").await), (100, 6, 0, 94));
}

// ---------------------------------------------------------------------------------------------
// 4. cancelOrder against markAsShipped.
// ---------------------------------------------------------------------------------------------

/// On 20 CONFIRMED orders of 2 units each, the customer's cancelOrder and the vendor's
/// markAsShipped race (all 40 requests at once): per order exactly one wins, the other is told
/// INVALID_STATE or VERSION_CONFLICT; a cancelled order's units are released once, a shipped
/// order's move from held to shipped.
async fn cancel_against_ship_lets_exactly_one_win(backend: Backend) {
    let app = Arc::new(spawn_app(backend).await);
    stocked(&app, "RACE-SHIP", 100).await;
    let c = app.customer_token();
    let vendor = app.vendor_token();
    let mut confirmed = Vec::new();
    for _ in 0..20 {
        let order = app.confirmed_order(&c, &[("RACE-SHIP", 2)]).await;
        let id = id_of(&order);
        assert_eq!(order["status"], "CONFIRMED");
        confirmed.push((id, version_of(&order)));
    }
    assert_eq!(parts(&counters(&app, "RACE-SHIP").await), (100, 40, 0, 60));

    let mut jobs = Vec::new();
    for (id, _) in &confirmed {
        let (a, c, i) = (app.clone(), c.clone(), id.clone());
        jobs.push(Box::pin(async move {
            a.mutate(
                &c,
                "cancelOrder",
                json!({"orderId": i, "reason": "changed my mind"}),
            )
            .await
        }) as Racer<Value>);
        let (a, v, i) = (app.clone(), vendor.clone(), id.clone());
        jobs.push(Box::pin(async move {
            a.mutate(&v, "markAsShipped", json!({"orderId": i})).await
        }));
    }
    let answers = all_at_once(jobs).await;

    let mut outcomes = BTreeMap::new();
    let mut losers = BTreeMap::new();
    for ((id, version), pair) in confirmed.iter().zip(answers.chunks(2)) {
        let (cancel, ship) = (&pair[0], &pair[1]);
        let (winner, loser, status) = match (succeeded(cancel), succeeded(ship)) {
            (true, false) => (cancel, ship, "CANCELLED"),
            (false, true) => (ship, cancel, "SHIPPED"),
            _ => panic!("exactly one of cancel and ship must win on {id}: {cancel} / {ship}"),
        };
        let code = error_code(loser);
        assert!(
            code == "INVALID_STATE" || code == "VERSION_CONFLICT",
            "the loser on {id} must be told the order moved on: {loser}"
        );
        assert_eq!(winner["order"]["status"], status);
        let now = app.get_order(&c, id).await;
        assert_eq!(now, winner["order"], "the stored order is the winner's");
        assert_eq!(version_of(&now), version + 1, "one transition only");
        *outcomes.entry(status).or_insert(0i64) += 1;
        *losers.entry(code).or_insert(0) += 1;
    }
    let shipped = outcomes.get("SHIPPED").copied().unwrap_or(0);
    let cancelled = outcomes.get("CANCELLED").copied().unwrap_or(0);
    // Which side won is the interleaving's business; printed to see that both sides do win.
    eprintln!("{backend:?}: cancel against ship: {outcomes:?}, losers told {losers:?}");
    assert_eq!(shipped + cancelled, 20, "{outcomes:?}");
    // Nothing is held any more: cancelled units are back on sale (released once), shipped units
    // stay out of `available` until a snapshot counts them.
    assert_eq!(
        parts(&counters(&app, "RACE-SHIP").await),
        (100, 0, 2 * shipped, 100 - 2 * shipped),
        "{outcomes:?}"
    );
    assert_eq!(vendor_orders(&app, "SHIPPED").await.len() as i64, shipped);
    assert!(vendor_orders(&app, "CONFIRMED").await.is_empty());
}

// ---------------------------------------------------------------------------------------------
// 5. Product snapshots racing placements.
// ---------------------------------------------------------------------------------------------

/// Posts the signed `vendor-products` webhook of `sku` at `version` (event id from both), asserting
/// it was accepted; the queue applies it afterwards.
async fn snapshot_webhook(app: &TestApp, sku: &str, version: u64, data: Value) {
    let body = event(
        &format!("evt-{sku}-v{version}"),
        "vendor_product.upserted",
        TENANT,
        version,
        data,
    );
    let reply = app
        .post_webhook(TENANT, "vendor-products", &body, WEBHOOK_SECRET)
        .await;
    assert_eq!(reply.status, 202, "{:?}", reply.body);
}

/// 10 units on hand, 20 buyers place one unit each while the catalog re-sends the product six
/// times (versions 2..7, each saying 12 on hand), all at once. Whatever the interleaving, the
/// snapshots never free a held unit: held = the PENDING orders, available = 12 − held ≥ 0, and
/// at most 12 are sold (10 if every placement ran first, more when a snapshot came earlier).
/// One more snapshot after the race must keep them held too, whichever interleaving it took.
async fn product_snapshots_racing_placements_never_free_held_units(backend: Backend) {
    let app = Arc::new(spawn_app(backend).await);
    let data = |on_hand| product_data("p-race-snap", "RACE-SNAP", "20.00", on_hand);
    snapshot_webhook(&app, "RACE-SNAP", 1, data(10)).await;
    app.wait_idle().await;
    let mut drafts = Vec::new();
    for i in 0..20 {
        let token = buyer(&app, &format!("c-snap-{i:02}"));
        let (id, _) = ready_draft(&app, &token, &[("RACE-SNAP", 1)], None).await;
        drafts.push((token, id));
    }

    let mut jobs = Vec::new();
    for (token, id) in &drafts {
        let (app, token, id) = (app.clone(), token.clone(), id.clone());
        jobs.push(Box::pin(async move {
            Some(
                app.mutate(&token, "placeOrder", json!({"orderId": id}))
                    .await,
            )
        }) as Racer<Option<Value>>);
    }
    // Versions 2..4 are the updater's own store call, so they land while the placements are
    // still committing; 5..7 arrive as signed webhooks (answered 202, applied by the queue a
    // moment later, mostly after the placements), so the newest snapshots are applied over
    // units already held.
    for version in 5..=7 {
        let app = app.clone();
        jobs.push(Box::pin(async move {
            snapshot_webhook(&app, "RACE-SNAP", version, data(12)).await;
            None
        }));
    }
    for version in 2..=4 {
        let app = app.clone();
        jobs.push(Box::pin(async move {
            let mut p = product("RACE-SNAP", sgd("20.00"), 12);
            p.product_id = ProductId::new("p-race-snap").unwrap_or_else(|e| panic!("{e}"));
            let outcome = app
                .store
                .apply_product_snapshot(&tenant(TENANT), p, version, chrono::Utc::now())
                .await
                .unwrap_or_else(|e| panic!("apply_product_snapshot: {e}"));
            // Stale when a newer one of them got there first; never rejected.
            assert!(
                matches!(outcome, ApplyOutcome::Applied | ApplyOutcome::Stale),
                "version {version}: {outcome:?}"
            );
            None
        }));
    }
    let answers = all_at_once(jobs).await;
    app.wait_idle().await;

    let mut placed = BTreeSet::new();
    for (payload, (_, id)) in answers.iter().flatten().zip(&drafts) {
        if succeeded(payload) {
            placed.insert(id.clone());
        } else {
            user_error(
                payload,
                "OUT_OF_STOCK",
                Some(&["input", "lineItems", "RACE-SNAP"]),
            );
        }
    }
    let sold = placed.len() as i64;
    // 10: every placement committed before the snapshots; up to 12 when one came earlier.
    eprintln!("{backend:?}: {sold} sold while the snapshots raced");
    assert!(
        (10..=12).contains(&sold),
        "{sold} sold: oversold or undersold"
    );
    assert_eq!(vendor_orders(&app, "PENDING").await, placed);
    let item = product_item(&app, "RACE-SNAP").await;
    assert_eq!(
        codec::number(&item, codec::VERSION),
        Some(7),
        "the newest snapshot is stored"
    );
    assert_eq!(
        parts(&counters(&app, "RACE-SNAP").await),
        (12, sold, 0, 12 - sold),
        "held units must stay held through the snapshots"
    );
    only_left(&app, "RACE-SNAP", 12 - sold + 1, 12 - sold).await;

    // Whatever the interleaving was, a snapshot applied after every placement keeps them held.
    snapshot_webhook(&app, "RACE-SNAP", 8, data(12)).await;
    app.wait_idle().await;
    assert_eq!(
        parts(&counters(&app, "RACE-SNAP").await),
        (12, sold, 0, 12 - sold)
    );
}

// ---------------------------------------------------------------------------------------------
// 6. Concurrent webhook versions.
// ---------------------------------------------------------------------------------------------

/// 20 signed webhook deliveries of one new product, versions 1..20 in a shuffled order (the
/// newest in the middle), all at once: the stored snapshot is version 20's data. Then the same
/// versions of another product applied at once through the store call the queue makes.
async fn concurrent_webhook_versions_leave_the_newest(backend: Backend) {
    let app = Arc::new(spawn_app(backend).await);
    let versions: Vec<u64> = (0..20u64).map(|i| (i * 7) % 20 + 1).collect();
    assert_eq!(
        versions.iter().copied().collect::<BTreeSet<_>>(),
        (1..=20).collect::<BTreeSet<_>>()
    );
    let data = |v: u64| {
        let mut d = product_data("p-race-wh", "RACE-WH", &format!("{v}.00"), (v * 3) as i64);
        d["product_name"] = json!(format!("Race product v{v}"));
        d
    };
    let answers = all_at_once(
        versions
            .iter()
            .map(|&v| {
                let (app, d) = (app.clone(), data(v));
                async move { snapshot_webhook(&app, "RACE-WH", v, d).await }
            })
            .collect(),
    )
    .await;
    assert_eq!(answers.len(), 20);
    app.wait_idle().await;

    let item = product_item(&app, "RACE-WH").await;
    assert_eq!(codec::number(&item, codec::VERSION), Some(20));
    let view = app
        .store
        .load_catalog(
            &tenant(TENANT),
            &CatalogRequest {
                vendor_id: Some(vendor_id()),
                skus: vec![sku("RACE-WH")],
                ..CatalogRequest::default()
            },
        )
        .await
        .unwrap_or_else(|e| panic!("load_catalog: {e}"));
    let stored: &Product = view
        .product(&sku("RACE-WH"))
        .unwrap_or_else(|| panic!("no RACE-WH in {view:?}"));
    assert_eq!(
        (stored.name.as_str(), stored.price, stored.stock),
        ("Race product v20", sgd("20.00"), 60)
    );
    assert_eq!(parts(&counters(&app, "RACE-WH").await), (60, 0, 0, 60));
    // What checkout prices from is the newest too.
    let order = app
        .checkout(&app.customer_token(), &[("RACE-WH", 1)], false)
        .await;
    assert_eq!(order["lineItems"][0]["unitPrice"]["amount"], "20.00");

    // The queue hands one product's events to the updater one at a time (in arrival order), so
    // the same race once more straight through the updater's store call, where nothing orders
    // them: only the version condition decides.
    let answers = all_at_once(
        versions
            .iter()
            .map(|&v| {
                let app = app.clone();
                async move {
                    let mut p = product("RACE-WH2", sgd(&format!("{v}.00")), (v * 3) as i64);
                    p.name = format!("Race product v{v}");
                    let outcome = app
                        .store
                        .apply_product_snapshot(&tenant(TENANT), p, v, chrono::Utc::now())
                        .await
                        .unwrap_or_else(|e| panic!("apply_product_snapshot v{v}: {e}"));
                    (v, outcome)
                }
            })
            .collect(),
    )
    .await;
    for (v, outcome) in &answers {
        match v {
            // The newest can never be stale.
            20 => assert_eq!(*outcome, ApplyOutcome::Applied),
            _ => assert!(
                matches!(outcome, ApplyOutcome::Applied | ApplyOutcome::Stale),
                "v{v}: {outcome:?}"
            ),
        }
    }
    let item = product_item(&app, "RACE-WH2").await;
    assert_eq!(codec::number(&item, codec::VERSION), Some(20));
    let stored: Product =
        codec::from_body(&item).unwrap_or_else(|e| panic!("the stored product: {e}"));
    assert_eq!(
        (stored.name.as_str(), stored.price),
        ("Race product v20", sgd("20.00"))
    );
    assert_eq!(parts(&counters(&app, "RACE-WH2").await), (60, 0, 0, 60));
}

// ---------------------------------------------------------------------------------------------
// One key or one version, concurrent edits.
// ---------------------------------------------------------------------------------------------

/// 8 concurrent checkoutItems with one idempotency key: one order, every request answers it.
async fn concurrent_checkouts_with_one_key_create_one_order(backend: Backend) {
    let app = Arc::new(spawn_app(backend).await);
    let c = app.customer_token();
    let input = json!({"vendorId": VENDOR, "items": [{"sku": "MUG-01", "quantity": 1}], "idempotencyKey": "double-click"});
    let answers = all_at_once(
        (0..8)
            .map(|_| {
                let (app, c, input) = (app.clone(), c.clone(), input.clone());
                async move { app.mutate(&c, "checkoutItems", input).await }
            })
            .collect(),
    )
    .await;
    let orders: Vec<Value> = answers.into_iter().map(ok).collect();
    assert!(
        orders.iter().all(|o| *o == orders[0]),
        "every request with one key must answer one order: {orders:#?}"
    );
    let listed = app.list_orders(&c, "CUSTOMER", None).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["id"], orders[0]["id"]);
}

/// 5 concurrent addLineItems on version 1 of a draft: exactly one wins, the others are
/// VERSION_CONFLICT, and the stored order is the winner's (no lost or doubled update).
async fn concurrent_edits_of_one_version_let_exactly_one_win(backend: Backend) {
    let app = Arc::new(spawn_app(backend).await);
    let c = app.customer_token();
    let id = id_of(&app.checkout(&c, &[("T-SHIRT-L", 1)], true).await);
    let answers = all_at_once(
        ["MUG-01", "CAP-01", "HOODIE-M", "MUG-01", "CAP-01"]
            .into_iter()
            .map(|sku| {
                let (app, c, id) = (app.clone(), c.clone(), id.clone());
                async move {
                    app.mutate(&c, "addLineItems", json!({"orderId": id, "items": [{"sku": sku, "quantity": 1}], "expectedVersion": 1}))
                        .await
                }
            })
            .collect(),
    )
    .await;
    let mut winners = Vec::new();
    for payload in answers {
        if succeeded(&payload) {
            winners.push(payload["order"].clone());
        } else {
            // A loser that read version 1 loses at the commit's condition (no field); one that
            // read after the winner committed is refused at `expectedVersion`: the same code.
            assert_eq!(error_code(&payload), "VERSION_CONFLICT", "{payload}");
            let field = &payload["userErrors"][0]["field"];
            assert!(
                field.is_null() || *field == json!(["input", "expectedVersion"]),
                "{payload}"
            );
        }
    }
    assert_eq!(
        winners.len(),
        1,
        "exactly one edit of version 1 may win: {winners:?}"
    );
    let order = app.get_order(&c, &id).await;
    assert_eq!(order["version"], 2);
    assert_eq!(
        order["lineItems"].as_array().map(Vec::len),
        Some(2),
        "no lost or doubled update: {order}"
    );
    assert_eq!(order, winners[0]);
}
